//! Properties over arbitrary input:
//!
//! - the REST client never panics on any body Connect (or a proxy) might send: every endpoint
//!   answers `Ok` or a [`ConnectError`] with reason `decode` or `too_large` for a 200, and the
//!   reason of its status for the rest;
//! - whatever connectors, workers, classes, states and clusters are called, the exposition
//!   reads back through the Prometheus server's own parser (`model/textparse`, run by the Go
//!   program in `testing/promparse`) with every label value equal to the name it came from, in
//!   the classic text format and in OpenMetrics alike.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use common::faulty::{Fault, FaultyConnect, Scope};
use kconnect_exporter::config::{Flavour, ObservationVersion};
use kconnect_exporter::connect::{
    ClientSettings, ConnectClient, ConnectError, ExpandForm, Lookup, Reason, ServerInfo, State,
};
use kconnect_exporter::metrics::{Exposition, Format};
use kconnect_exporter::observe::{
    ClusterHandle, ClusterMeta, ClusterView, Connector, Snapshot, Task, Totals,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The client against arbitrary bodies.

const MAX_BODY: usize = 1024;

/// One fault server whose every answer is the body under test, and a client of it.
struct BodyRig {
    runtime: tokio::runtime::Runtime,
    server: FaultyConnect,
    client: ConnectClient,
}

impl BodyRig {
    fn new() -> BodyRig {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(FaultyConnect::start());
        let client = ConnectClient::new(&ClientSettings {
            base_url: server.uri().parse().unwrap(),
            timeout: Duration::from_secs(10),
            basic_auth: None,
            permissive_tls: false,
            trusted_certs: vec![],
            identity_pem: None,
            max_response_bytes: MAX_BODY,
        })
        .unwrap();
        BodyRig {
            runtime,
            server,
            client,
        }
    }

    /// What each endpoint makes of `body` sent with `status`: `Ok(true)` for a value,
    /// `Ok(false)` for "gone" (a 404 on a connector's resource).
    fn outcomes(
        &self,
        status: u16,
        body: &[u8],
    ) -> Vec<(&'static str, Result<bool, ConnectError>)> {
        self.runtime.block_on(async {
            self.server
                .set(
                    Fault::Respond {
                        status,
                        content_type: "application/json".into(),
                        body: body.to_vec(),
                    },
                    Scope::Everywhere,
                )
                .await;
            let c = &self.client;
            vec![
                ("GET /", c.server_info().await.map(|_| true)),
                ("GET /connectors", c.connector_names().await.map(|_| true)),
                (
                    "GET /connectors?expand=status&expand=info",
                    c.connectors_expanded(ExpandForm::Repeated, |_, e| e)
                        .await
                        .map(|_| true),
                ),
                (
                    "GET /connectors/c",
                    c.connector_info("c")
                        .await
                        .map(|v| matches!(v, Lookup::Found(_))),
                ),
                (
                    "GET /connectors/c/status",
                    c.connector_status("c")
                        .await
                        .map(|v| matches!(v, Lookup::Found(_))),
                ),
                (
                    "GET /connectors/c/tasks",
                    c.connector_tasks("c")
                        .await
                        .map(|v| matches!(v, Lookup::Found(_))),
                ),
            ]
        })
    }

    /// A 200 with `body` gives a value or a decode/too_large error on every endpoint.
    fn check_ok_body(&self, body: &[u8]) -> Result<(), TestCaseError> {
        for (endpoint, outcome) in self.outcomes(200, body) {
            match outcome {
                Ok(found) => prop_assert!(found, "{endpoint}: a 200 is never `gone`"),
                Err(e) if body.len() > MAX_BODY => {
                    prop_assert_eq!(e.reason, Reason::TooLarge, "{}: {}", endpoint, e)
                }
                Err(e) => {
                    prop_assert_eq!(e.reason, Reason::Decode, "{}: {}", endpoint, e);
                    prop_assert!(
                        e.detail.starts_with("unexpected response body: "),
                        "{}",
                        e.detail
                    );
                }
            }
        }
        Ok(())
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        // The words of Connect's shapes, so objects sometimes have the keys the decoders want.
        prop::sample::select(vec![
            "name",
            "state",
            "RUNNING",
            "tasks",
            "id",
            "task",
            "status",
            "info",
            "connector"
        ])
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "name",
            "connector",
            "tasks",
            "type",
            "config",
            "status",
            "info",
            "id",
            "task",
            "state",
            "worker_id",
            "trace",
            "version",
            "commit",
            "kafka_cluster_id",
            "connector.class",
            "tasks.max",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The documented shapes, from the fixtures: what mutations start from.
fn shapes() -> Vec<Value> {
    [
        "root.json",
        "connectors.json",
        "connectors-expand-status-info.json",
        "connector-orders-jdbc-source.json",
        "connector-orders-jdbc-source-status.json",
        "connector-orders-jdbc-source-tasks.json",
        "connector-clickstream-es-sink-status.json",
    ]
    .iter()
    .map(|f| serde_json::from_str(&common::fixture(f)).unwrap())
    .collect()
}

/// A documented shape with one value somewhere inside replaced by arbitrary JSON: wrong types
/// and odd values where the decoders look.
fn mutated_shape() -> impl Strategy<Value = Value> {
    let shapes = shapes();
    (
        0..shapes.len(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        json_value(),
    )
        .prop_map(move |(i, path, replacement)| {
            let mut value = shapes[i].clone();
            let mut at = &mut value;
            for step in path {
                let next = match at {
                    Value::Array(a) if !a.is_empty() => step.index(a.len()),
                    Value::Object(o) if !o.is_empty() => step.index(o.len()),
                    _ => break,
                };
                at = match at {
                    Value::Array(a) => &mut a[next],
                    Value::Object(o) => o.values_mut().nth(next).unwrap(),
                    _ => unreachable!(),
                };
            }
            *at = replacement;
            value
        })
}

fn runner(cases: u32) -> TestRunner {
    // No regression files: these runners are not tied to a source file.
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_client_never_panics_on_arbitrary_bytes() {
    let rig = BodyRig::new();
    runner(256)
        .run(
            &prop::collection::vec(any::<u8>(), 0..MAX_BODY + 200),
            |body| rig.check_ok_body(&body),
        )
        .unwrap();
}

#[test]
fn the_client_never_panics_on_arbitrary_json() {
    let rig = BodyRig::new();
    runner(256)
        .run(&json_value(), |v| {
            rig.check_ok_body(&serde_json::to_vec(&v).unwrap())
        })
        .unwrap();
}

#[test]
fn the_client_never_panics_on_documented_shapes_with_a_wrong_part() {
    let rig = BodyRig::new();
    runner(512)
        .run(&mutated_shape(), |v| {
            rig.check_ok_body(&serde_json::to_vec(&v).unwrap())
        })
        .unwrap();
}

#[test]
fn deep_nesting_is_a_decode_error() {
    let rig = BodyRig::new();
    for open in ["[", "{\"a\":", "{\"c\":{\"status\":"] {
        let body = open.repeat(MAX_BODY / open.len());
        rig.check_ok_body(body.as_bytes()).unwrap();
        for (endpoint, outcome) in rig.outcomes(200, body.as_bytes()) {
            assert_eq!(
                outcome.unwrap_err().reason,
                Reason::Decode,
                "{endpoint} {open}"
            );
        }
    }
}

/// Any body with an error status gives the status's reason, whatever the body says.
#[test]
fn error_statuses_give_their_reason_whatever_the_body() {
    let rig = BodyRig::new();
    let statuses = prop::sample::select(vec![
        400u16, 401, 403, 404, 405, 409, 429, 500, 502, 503, 504,
    ]);
    runner(256)
        .run(
            &(statuses, prop::collection::vec(any::<u8>(), 0..MAX_BODY)),
            |(status, body)| {
                for (endpoint, outcome) in rig.outcomes(status, &body) {
                    let per_connector = endpoint.starts_with("GET /connectors/");
                    match (status, outcome) {
                        // Gone, and a path Connect refuses for this name alone.
                        (404 | 400, Ok(found)) if per_connector => prop_assert!(!found),
                        (_, Ok(_)) => prop_assert!(false, "{} {}: Ok", endpoint, status),
                        (_, Err(e)) => {
                            prop_assert_eq!(e.status, Some(status));
                            let expected: &[Reason] = match status {
                                401 | 403 => &[Reason::Auth],
                                404 => &[Reason::NotFound],
                                409 => &[Reason::Rebalance],
                                429 => &[Reason::RateLimited],
                                500 => &[Reason::ServerError, Reason::Rebalance],
                                502..=504 => &[Reason::ServerError],
                                _ => &[Reason::UnexpectedStatus],
                            };
                            prop_assert!(
                                expected.contains(&e.reason),
                                "{} {}: {}",
                                endpoint,
                                status,
                                e
                            );
                            // `HTTP 503`, `HTTP 503: <message>`, or the body's own `HTTP 503 …`.
                            prop_assert!(
                                e.detail.starts_with(&format!("HTTP {status}")),
                                "{}",
                                e.detail
                            );
                        }
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Label values through Prometheus's parser.

/// One sample as Prometheus's parser read it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct Parsed {
    labels: BTreeMap<String, String>,
    value: f64,
    valid: bool,
}

impl Parsed {
    fn name(&self) -> &str {
        &self.labels["__name__"]
    }

    fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// `testing/promparse`, built once per test run into the target directory.
fn promparse() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("testing/promparse");
        let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("promparse");
        let output = Command::new("go")
            .args(["build", "-buildvcs=false", "-mod=readonly", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&source)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `go` ({e}): the label round trip needs the Go toolchain on PATH to build {}", source.display())
            });
        assert!(
            output.status.success(),
            "go build in {} failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        bin
    })
}

/// Parses `text` as Prometheus does, or says why it could not.
fn prometheus_parse(text: &str, format: Format) -> Result<Vec<Parsed>, String> {
    let arg = match format {
        Format::Text => "text",
        Format::OpenMetrics => "openmetrics",
    };
    let mut child = Command::new(promparse())
        .arg(arg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promparse runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = text.as_bytes().to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer
        .join()
        .unwrap()
        .expect("promparse reads the exposition");
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).expect("promparse prints JSON"))
}

/// Everything that becomes a label value, from Connect or from the configuration.
#[derive(Debug, Clone)]
struct Names {
    cluster_name: String,
    group_id: String,
    version: String,
    connectors: Vec<ConnectorNames>,
}

#[derive(Debug, Clone)]
struct ConnectorNames {
    name: String,
    state: String,
    kind: String,
    class: String,
    worker_id: String,
    exception: Option<String>,
    task_worker_id: String,
    task_state: String,
}

/// Characters that exposition formats and their parsers treat specially, and others that are
/// easy to get wrong: quotes, backslashes, line breaks, controls, braces, separators, Unicode
/// line separators and non-characters.
const TRICKY: &[char] = &[
    '"',
    '\\',
    '\n',
    '\r',
    '\t',
    '\0',
    '\x0b',
    '\x0c',
    '\x1b',
    '\x7f',
    '{',
    '}',
    '=',
    ',',
    ' ',
    '#',
    '\'',
    '`',
    '%',
    '/',
    '.',
    '\u{85}',
    '\u{a0}',
    '\u{2028}',
    '\u{2029}',
    '\u{200b}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{10ffff}',
    'é',
    '€',
    '𝄞',
    '😀',
];

/// Any string, with tricky characters far more often than chance would give them.
fn label_value() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => prop::sample::select(TRICKY),
        2 => any::<char>(),
        2 => proptest::char::range('a', 'z'),
    ];
    prop_oneof![
        6 => prop::collection::vec(ch, 0..24).prop_map(|c| c.into_iter().collect::<String>()),
        1 => prop::sample::select(vec![
            "", " ", "\"\"", "\\", "\\\\", "\\n", "\n", "{}", "a=\"b\"", "a,b", "} 1\nx{a=\"", "# EOF",
            "\u{200b}", "NaN", "+Inf",
        ])
        .prop_map(str::to_string),
    ]
}

fn state_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "RUNNING",
            "FAILED",
            "PAUSED",
            "UNASSIGNED",
            "RESTARTING",
            "STOPPED"
        ])
        .prop_map(str::to_string),
        label_value(),
    ]
}

fn connector_names() -> impl Strategy<Value = ConnectorNames> {
    (
        label_value(),
        state_name(),
        label_value(),
        label_value(),
        label_value(),
        prop::option::of(label_value()),
        label_value(),
        state_name(),
    )
        .prop_map(
            |(name, state, kind, class, worker_id, exception, task_worker_id, task_state)| {
                ConnectorNames {
                    name,
                    state,
                    kind,
                    class,
                    worker_id,
                    exception,
                    task_worker_id,
                    task_state,
                }
            },
        )
}

fn names(connectors: std::ops::Range<usize>) -> impl Strategy<Value = Names> {
    (
        label_value(),
        label_value(),
        label_value(),
        prop::collection::vec(connector_names(), connectors),
    )
        .prop_map(|(cluster_name, group_id, version, mut connectors)| {
            // Names are unique within a cluster.
            let mut seen = BTreeSet::new();
            connectors.retain(|c| seen.insert(c.name.clone()));
            Names {
                cluster_name,
                group_id,
                version,
                connectors,
            }
        })
}

fn snapshot(names: &Names) -> Arc<Snapshot> {
    let connectors = names
        .connectors
        .iter()
        .map(|c| Connector {
            name: c.name.clone(),
            state: State::parse(&c.state),
            worker_id: c.worker_id.clone(),
            kind: c.kind.clone(),
            class: Some(c.class.clone()),
            tasks_max: Some(1),
            task_count: Some(1),
            exception: c.exception.clone(),
            tasks: vec![Task {
                id: 0,
                state: State::parse(&c.task_state),
                worker_id: c.task_worker_id.clone(),
                exception: c.exception.clone(),
                version: Some(c.task_worker_id.clone()),
            }],
            // Every optional label too, with the same awkward values.
            id: Some(c.kind.clone()),
            version: Some(c.class.clone()),
            connect_version: Some(c.worker_id.clone()),
            ..Connector::default()
        })
        .collect();
    let now = SystemTime::now();
    Arc::new(Snapshot {
        cluster: Arc::new(ClusterMeta {
            id: "default".into(),
            name: names.cluster_name.clone(),
            rest_url: "http://connect:8083/".into(),
            group_id: Some(names.group_id.clone()),
            offset_storage_topic: None,
            observation_version: ObservationVersion::V2,
            flavour: Flavour::Apache,
        }),
        server: Some(ServerInfo {
            version: names.version.clone(),
            commit: "5e2c1f8a9b3d4c70".into(),
            kafka_cluster_id: None,
        }),
        observed_at: now,
        finished: std::time::Instant::now(),
        duration: Duration::from_millis(3),
        outcome: Ok(ClusterView::new(connectors, 0)),
        fallback: false,
        last_success: Some(now),
        totals: Totals::default(),
    })
}

/// Prometheus drops a label whose value is empty: the parser may keep it, storage does not.
fn same_label(parsed: Option<&str>, expected: &str) -> bool {
    parsed == Some(expected) || (expected.is_empty() && parsed.is_none())
}

/// Encodes `names` in `format`, parses it as Prometheus does and checks every label value.
fn round_trip(names: &Names, format: Format) -> Result<(), String> {
    let exposition = Exposition::new(
        vec![ClusterHandle::from_snapshot(snapshot(names))],
        Duration::from_secs(30),
        Duration::from_secs(30),
    );
    let text = exposition.encode(format);
    let parsed = prometheus_parse(&text, format)
        .map_err(|e| format!("{format:?}: Prometheus cannot parse the exposition: {e}"))?;
    if let Some(bad) = parsed.iter().find(|p| !p.valid) {
        return Err(format!("{format:?}: Prometheus rejects {bad:?}"));
    }
    let named =
        |metric: &str| -> Vec<&Parsed> { parsed.iter().filter(|p| p.name() == metric).collect() };
    let check = |what: &str, parsed: Option<&str>, expected: &str| -> Result<(), String> {
        if same_label(parsed, expected) {
            Ok(())
        } else {
            Err(format!(
                "{format:?}: {what}: parsed {parsed:?}, expected {expected:?}"
            ))
        }
    };

    let cluster = named("kconnect_cluster_info");
    if cluster.len() != 1 {
        return Err(format!("{format:?}: {cluster:?}"));
    }
    check(
        "cluster name",
        cluster[0].label("name"),
        &names.cluster_name,
    )?;
    check("group id", cluster[0].label("group_id"), &names.group_id)?;
    check("version", cluster[0].label("version"), &names.version)?;

    let infos = named("kconnect_connector_info");
    if infos.len() != names.connectors.len() {
        return Err(format!(
            "{format:?}: {} connector infos for {} connectors",
            infos.len(),
            names.connectors.len()
        ));
    }
    for c in &names.connectors {
        let mine = |p: &Parsed| same_label(p.label("connector"), &c.name);
        let info: Vec<&&Parsed> = infos.iter().filter(|p| mine(p)).collect();
        if info.len() != 1 {
            return Err(format!(
                "{format:?}: connector {:?}: {} info series",
                c.name,
                info.len()
            ));
        }
        check("type", info[0].label("type"), &c.kind)?;
        check("class", info[0].label("class"), &c.class)?;
        check("worker_id", info[0].label("worker_id"), &c.worker_id)?;
        let current: Vec<&Parsed> = named("kconnect_connector_state")
            .into_iter()
            .filter(|p| mine(p) && p.value == 1.0)
            .collect();
        if current.len() != 1 {
            return Err(format!(
                "{format:?}: connector {:?}: states at 1: {current:?}",
                c.name
            ));
        }
        check("connector state", current[0].label("state"), &c.state)?;
        let task: Vec<&Parsed> = named("kconnect_task_info")
            .into_iter()
            .filter(|p| mine(p))
            .collect();
        if task.len() != 1 {
            return Err(format!(
                "{format:?}: connector {:?}: task infos {task:?}",
                c.name
            ));
        }
        check(
            "task worker_id",
            task[0].label("worker_id"),
            &c.task_worker_id,
        )?;
        let task_state: Vec<&Parsed> = named("kconnect_task_state")
            .into_iter()
            .filter(|p| mine(p) && p.value == 1.0)
            .collect();
        if task_state.len() != 1 {
            return Err(format!(
                "{format:?}: connector {:?}: task states at 1: {task_state:?}",
                c.name
            ));
        }
        check("task state", task_state[0].label("state"), &c.task_state)?;
        let failure: Vec<&Parsed> = named("kconnect_connector_failure_info")
            .into_iter()
            .filter(|p| mine(p))
            .collect();
        match &c.exception {
            Some(e) if failure.len() == 1 => check("exception", failure[0].label("exception"), e)?,
            None if failure.is_empty() => {}
            _ => {
                return Err(format!(
                    "{format:?}: connector {:?}: failure infos {failure:?}",
                    c.name
                ));
            }
        }
    }
    // Every worker named by a connector or a task, in both worker families.
    let expected: BTreeSet<&str> = names
        .connectors
        .iter()
        .flat_map(|c| [c.worker_id.as_str(), c.task_worker_id.as_str()])
        .filter(|w| !w.is_empty())
        .collect();
    for family in ["kconnect_worker_connectors", "kconnect_worker_tasks"] {
        let workers: BTreeSet<&str> = named(family)
            .iter()
            .filter_map(|p| p.label("worker_id"))
            .collect();
        if workers != expected {
            return Err(format!(
                "{format:?}: {family}: worker ids {workers:?}, expected {expected:?}"
            ));
        }
    }
    Ok(())
}

/// Both formats must read back the same samples (the process metrics aside, which move).
fn formats_agree(names: &Names) -> Result<(), String> {
    let exposition = Exposition::new(
        vec![ClusterHandle::from_snapshot(snapshot(names))],
        Duration::from_secs(30),
        Duration::from_secs(30),
    );
    let stable = |format: Format| -> Result<Vec<Parsed>, String> {
        let mut parsed = prometheus_parse(&exposition.encode(format), format)?;
        parsed.retain(|p| !p.name().starts_with("process_"));
        parsed.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(parsed)
    };
    let (text, om) = (stable(Format::Text)?, stable(Format::OpenMetrics)?);
    if text != om {
        let only_text: Vec<_> = text.iter().filter(|p| !om.contains(p)).collect();
        let only_om: Vec<_> = om.iter().filter(|p| !text.contains(p)).collect();
        return Err(format!(
            "the formats differ: only in text {only_text:?}, only in OpenMetrics {only_om:?}"
        ));
    }
    Ok(())
}

#[test]
fn every_label_value_round_trips_through_prometheus_in_both_formats() {
    // Each case is one exposition of up to 48 connectors, so the parser runs twice a case.
    runner(48)
        .run(&names(1..48), |names| {
            for format in [Format::Text, Format::OpenMetrics] {
                round_trip(&names, format).map_err(TestCaseError::fail)?;
            }
            formats_agree(&names).map_err(TestCaseError::fail)
        })
        .unwrap();
}

/// The usual suspects, each in every label at once, as one exposition.
#[test]
fn tricky_names_round_trip_through_prometheus() {
    let mut names: Vec<String> = TRICKY.iter().map(|c| format!("a{c}b")).collect();
    names.extend(TRICKY.iter().map(|c| c.to_string()));
    names.extend(
        [
            "quoted \"name\" \\ sink/ü?#%",
            "} 1\nkconnect_up{connect_cluster=\"x\"} 1",
            "a\\\"b",
            "\\\n",
            "trailing\\",
            "\"",
            "=",
            ",",
            "{}",
            "\u{200b}",
            "# EOF",
            "x\r\ny",
            "\u{0}",
        ]
        .map(str::to_string),
    );
    let connectors = names
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|n| ConnectorNames {
            name: n.clone(),
            state: n.clone(),
            kind: n.clone(),
            class: n.clone(),
            worker_id: n.clone(),
            exception: Some(n.clone()),
            task_worker_id: n.clone(),
            task_state: n.clone(),
        })
        .collect();
    let names = Names {
        cluster_name: "tab\tquote\"backslash\\newline\n".into(),
        group_id: "\u{2028}\r".into(),
        version: "3.9.0\"-\\x".into(),
        connectors,
    };
    for format in [Format::Text, Format::OpenMetrics] {
        round_trip(&names, format).unwrap();
    }
    formats_agree(&names).unwrap();
}
