//! End to end, the monitoring kit and the newer signals, against Apache Kafka Connect itself (the
//! stack of `scripts/connect-stack` with the connectors of `scripts/sample-connectors`):
//!
//! * every PromQL expression of the dashboards and alert rules runs on a real Prometheus that
//!   scrapes one exporter observing A, B, an unreachable C, and the Confluent Cloud and MSK
//!   Connect stand-ins, beside a lag feed shaped as kafka_exporter's; each returns what the
//!   situation calls for, naming what it must and nothing it must not;
//! * the topics, worker health and plugin versions the exporter shows are the ones Connect's REST
//!   API gives.
//!
//! `scripts/test` brings the stack up and runs these with `--ignored --test-threads=1`.

#[path = "support/cloud_standin.rs"]
mod cloud_standin;
mod common;
mod e2e_support;
#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;
mod tls_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use axum::routing::get;
use e2e_support::*;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// A stand-in for kafka_exporter's consumer-group lag: `connect-file-sink` (the group of A's
/// `file-sink`) falls behind by 5 messages a second, `connect-b-file-sink` keeps up.
fn lag_feed() -> running::Running {
    let started = Instant::now();
    running::Running::start(axum::Router::new().route(
        "/metrics",
        get(move || async move {
            let behind = 1000 + 5 * started.elapsed().as_secs();
            format!(
                "# HELP kafka_consumergroup_lag Current Approximate Lag of a ConsumerGroup at Topic/Partition\n\
                 # TYPE kafka_consumergroup_lag gauge\n\
                 kafka_consumergroup_lag{{consumergroup=\"connect-file-sink\",partition=\"0\",topic=\"stack-verifiable\"}} {behind}\n\
                 kafka_consumergroup_lag{{consumergroup=\"connect-b-file-sink\",partition=\"0\",topic=\"stack-b-verifiable\"}} 3\n"
            )
        }),
    ))
}

/// What one query's result must hold: a series with all of `labels`, or none with all of them.
enum Want {
    Names(&'static [(&'static str, &'static str)]),
    NotNames(&'static [(&'static str, &'static str)]),
}

fn has(result: &[Value], labels: &[(&str, &str)]) -> bool {
    result
        .iter()
        .any(|r| labels.iter().all(|(k, v)| r["metric"][*k] == *v))
}

/// Every kit query, judged once; the failures, or none.
async fn judge(
    prom: &Prometheus,
    queries: &[Value],
    quiet: &[&str],
    wants: &BTreeMap<&str, Vec<Want>>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for q in queries {
        let (source, where_, expr) = (
            q["source"].as_str().unwrap(),
            q["where"].as_str().unwrap(),
            q["expr"].as_str().unwrap(),
        );
        let result = match query_series(prom, expr).await {
            Err(e) => {
                failures.push(format!("{source} / {where_}: {e}"));
                continue;
            }
            Ok(result) => result,
        };
        if quiet.contains(&where_) {
            if !result.is_empty() {
                failures.push(format!(
                    "{source} / {where_}: expected nothing, got {result:?}"
                ));
            }
            continue;
        }
        if result.is_empty() {
            failures.push(format!("{source} / {where_}: returned nothing"));
            continue;
        }
        for want in wants.get(where_).into_iter().flatten() {
            match want {
                Want::Names(labels) if !has(&result, labels) => {
                    failures.push(format!("{source} / {where_}: no {labels:?} in {result:?}"))
                }
                Want::NotNames(labels) if has(&result, labels) => failures.push(format!(
                    "{source} / {where_}: must not name {labels:?}: {result:?}"
                )),
                _ => {}
            }
        }
    }
    failures
}

/// Every PromQL expression of the dashboards and alert rules (from `scripts/list-queries`, which
/// `scripts/test` writes to the file named by `KCONNECT_E2E_QUERIES`) runs without error on a real
/// Prometheus, and returns what the situation of the stack and the stand-ins calls for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn every_dashboard_and_alert_query_runs_against_every_flavour() {
    let path = std::env::var("KCONNECT_E2E_QUERIES").unwrap_or_else(|_| {
        repo()
            .join("target/kit-queries.jsonl")
            .display()
            .to_string()
    });
    let queries: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; write it with scripts/list-queries"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(queries.len() > 50, "{} queries", queries.len());

    let s = stack();
    samples();
    let cloud = cloud_standin::CloudStandin::new(
        cloud_standin::CloudStandinConfig::default(),
        cloud_standin::fixture_connectors(),
    );
    let cloud_server = running::Running::start(cloud_standin::router(cloud.clone()));
    let cloud_url = format!("{}{}", cloud_server.url(), cloud.config.base_path());
    let msk = msk_standin::MskStandin::new(
        msk_standin::MskStandinConfig::default(),
        msk_standin::MskData::fixture(),
    );
    let msk_server = running::Running::start(msk_standin::router(msk.clone()));
    let msk_url = msk_server.url();
    let lag = lag_feed();
    // C: a cluster that cannot be reached, for the unreachable-cluster queries.
    let c_url = format!("http://127.0.0.1:{}", free_port());
    let (mut e, base) = start_plain(
        &["--observation.interval=2s"],
        &[
            ("CONNECT_RESOURCE_IDS", "A,B,C,CLOUD,MSK"),
            ("A_CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("A_CONNECT_OBSERVE_TOPICS", "true"),
            ("B_CONNECT_REST_URL", &s["STACK_B_URL"]),
            ("B_CONNECT_AUTH", "BASIC"),
            ("B_CONNECT_BASIC_AUTH_USER", &s["STACK_B_USER"]),
            ("B_CONNECT_BASIC_AUTH_PASS", &s["STACK_B_PASS"]),
            ("B_CONNECT_SSL_TRUSTSTORE_LOCATION", &s["STACK_B_CA_PEM"]),
            ("B_CONNECT_OBSERVATION_VERSION", "2"),
            ("C_CONNECT_REST_URL", &c_url),
            ("C_CONNECT_STARTUP_VALIDATION", "false"),
            ("CLOUD_CONNECT_REST_URL", &cloud_url),
            ("CLOUD_CONNECT_AUTH", "BASIC"),
            ("CLOUD_CONNECT_BASIC_AUTH_USER", &cloud.config.api_key),
            ("CLOUD_CONNECT_BASIC_AUTH_PASS", &cloud.config.api_secret),
            ("CLOUD_CONNECT_OBSERVATION_VERSION", "2"),
            ("MSK_CONNECT_AWS_REGION", "eu-west-1"),
            ("MSK_CONNECT_MSK_CLOUDWATCH", "true"),
            ("AWS_ENDPOINT_URL_KAFKACONNECT", &msk_url),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", &msk_url),
            ("AWS_ACCESS_KEY_ID", &msk.config.credentials.access_key_id),
            (
                "AWS_SECRET_ACCESS_KEY",
                &msk.config.credentials.secret_access_key,
            ),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    let prom = prometheus(&format!(
        "  - job_name: kconnect-exporter\n    static_configs:\n      - targets: ['{}']\n  - job_name: kafka-exporter\n    static_configs:\n      - targets: ['{}']\n",
        base.trim_start_matches("http://"),
        lag.addr,
    ));

    // What the situation has no case of: these must run, and return nothing.
    let quiet = [
        "KafkaConnectExporterDown",
        // Observations of C fail, but they finish: not stale.
        "KafkaConnectObservationStale",
        "KafkaConnectObservationFallback",
        // The samples hold a connector UNASSIGNED, but no task (Connect does not show it).
        "KafkaConnectTaskUnassigned",
        "KafkaConnectTaskFlapping",
        // Auto-restart is off here; tests/e2e_actions.rs runs this alert's query where it is on.
        "KafkaConnectAutoRestartExhausted",
        // A's and B's workers answer GET /health healthy.
        "KafkaConnectWorkerUnhealthy",
    ];
    let wants: BTreeMap<&str, Vec<Want>> = BTreeMap::from([
        (
            "KafkaConnectClusterUnreachable",
            vec![
                Want::Names(&[("connect_cluster", "C")]),
                Want::NotNames(&[("connect_cluster", "MSK")]),
                Want::NotNames(&[("connect_cluster", "CLOUD")]),
            ],
        ),
        (
            "KafkaConnectConnectorFailed",
            vec![
                Want::Names(&[
                    ("connect_cluster", "A"),
                    ("connector", "connector-failure-sink"),
                ]),
                Want::Names(&[
                    ("connect_cluster", "CLOUD"),
                    ("connector", "inventory-mysql-source"),
                ]),
                // MSK Connect's FAILED has an alert of its own.
                Want::NotNames(&[("connect_cluster", "MSK")]),
            ],
        ),
        (
            "KafkaConnectTaskFailed",
            vec![
                Want::Names(&[("connect_cluster", "A"), ("connector", "task-failure-sink")]),
                Want::Names(&[
                    ("connect_cluster", "CLOUD"),
                    ("connector", "clickstream-bq-sink"),
                    ("task", "1"),
                ]),
            ],
        ),
        (
            "KafkaConnectConnectorUnassigned",
            vec![Want::Names(&[
                ("connect_cluster", "A"),
                ("connector", "unassigned-sink"),
            ])],
        ),
        (
            "KafkaConnectTasksNotRunning",
            vec![
                Want::Names(&[("connect_cluster", "A"), ("connector", "task-failure-sink")]),
                // MSK's RUNNING connector has no errored task; its FAILED one is not RUNNING.
                Want::NotNames(&[("connect_cluster", "MSK")]),
                // DEGRADED, not RUNNING: KafkaConnectConnectorDegraded's case.
                Want::NotNames(&[("connector", "clickstream-bq-sink")]),
            ],
        ),
        (
            "KafkaConnectConnectorDegraded",
            vec![Want::Names(&[
                ("connect_cluster", "CLOUD"),
                ("connector", "clickstream-bq-sink"),
            ])],
        ),
        (
            "KafkaConnectMskConnectorFailed",
            vec![
                Want::Names(&[
                    ("connect_cluster", "MSK"),
                    ("connector", "inventory-cdc-source"),
                ]),
                Want::NotNames(&[("connect_cluster", "A")]),
                Want::NotNames(&[("connect_cluster", "CLOUD")]),
            ],
        ),
        (
            "KafkaConnectMskConnectorStuck",
            vec![
                Want::Names(&[
                    ("connect_cluster", "MSK"),
                    ("connector", "audit-log-sink"),
                    ("state", "CREATING"),
                ]),
                Want::Names(&[
                    ("connect_cluster", "MSK"),
                    ("connector", "payments-s3-sink"),
                    ("state", "UPDATING"),
                ]),
                // Cloud's PROVISIONING is not MSK's CREATING.
                Want::NotNames(&[("connect_cluster", "CLOUD")]),
            ],
        ),
        (
            "KafkaConnectSinkLagGrowing",
            vec![
                Want::Names(&[
                    ("connect_cluster", "A"),
                    ("connector", "file-sink"),
                    ("consumergroup", "connect-file-sink"),
                ]),
                // Its lag is steady.
                Want::NotNames(&[("connector", "b-file-sink")]),
            ],
        ),
    ]);
    // Rates need two scrapes, the lag's slope two samples, and every cluster a first
    // observation: until all of that is in, some queries come back empty. Polled as one.
    let mut last = Vec::new();
    let until = Instant::now() + SETTLE;
    while Instant::now() < until {
        last = judge(&prom, &queries, &quiet, &wants).await;
        if last.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert!(
        last.is_empty(),
        "within {SETTLE:?}, {} of {} queries still failed:\n{}",
        last.len(),
        queries.len(),
        last.join("\n")
    );
    assert_eq!(e.sigterm(), 0);
}

/// `GET /connectors/{name}/topics` of every connector of A, as Connect answers it.
async fn topics_per_connect(a: &Connect, names: &[String]) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for name in names {
        let path = format!(
            "/connectors/{}/topics",
            utf8_percent_encode(name, NON_ALPHANUMERIC)
        );
        let (code, body) = a.send("GET", &path, None).await;
        if code != 200 {
            return Err(format!("GET {path}: {code} {body}"));
        }
        for t in body[name.as_str()]["topics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.insert(format!("{name}|{}", t.as_str().unwrap_or("?")));
        }
    }
    Ok(out)
}

/// The plugin versions of A's connectors and tasks as Connect's status gives them (Kafka 4.1+):
/// `connector|-|version` and `connector|task|version`, `-` where it gives none.
async fn versions_per_connect(a: &Connect) -> Result<BTreeSet<String>, String> {
    let (code, listing) = a.send("GET", "/connectors?expand=status", None).await;
    let map = listing
        .as_object()
        .filter(|_| code == 200)
        .ok_or_else(|| format!("listing {code}: {listing}"))?;
    let mut out = BTreeSet::new();
    for (name, entry) in map {
        let status = &entry["status"];
        let v = |x: &Value| x["version"].as_str().unwrap_or("-").to_string();
        out.insert(format!("{name}|-|{}", v(&status["connector"])));
        for t in status["tasks"].as_array().into_iter().flatten() {
            out.insert(format!("{name}|{}|{}", t["id"], v(t)));
        }
    }
    Ok(out)
}

/// The exporter's topics, versions and worker health for A, in the forms above.
fn shown(text: &str) -> (BTreeSet<String>, BTreeSet<String>, Option<f64>) {
    let samples = common::expo::parse(text);
    let a = samples.iter().filter(|s| s.label("connect_cluster") == "A");
    let (mut topics, mut versions, mut health) = (BTreeSet::new(), BTreeSet::new(), None);
    let or_dash = |v: &str| if v.is_empty() { "-" } else { v }.to_string();
    for s in a {
        match s.name.as_str() {
            "kconnect_connector_topic_info" => {
                topics.insert(format!("{}|{}", s.label("connector"), s.label("topic")));
            }
            "kconnect_connector_info" => {
                versions.insert(format!(
                    "{}|-|{}",
                    s.label("connector"),
                    or_dash(s.label("version"))
                ));
            }
            "kconnect_task_info" => {
                versions.insert(format!(
                    "{}|{}|{}",
                    s.label("connector"),
                    s.label("task"),
                    or_dash(s.label("version"))
                ));
            }
            "kconnect_worker_health" => health = Some(s.value),
            _ => {}
        }
    }
    (topics, versions, health)
}

/// With `CONNECT_OBSERVE_TOPICS=true`, the topics of each connector are the ones
/// `GET /connectors/{name}/topics` gives; the plugin versions are the status's; the worker
/// behind the URL answers `GET /health` healthy and the exporter says 1.
#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn topics_versions_and_worker_health_are_connect_s_own() {
    let s = stack();
    samples();
    let a = Connect::a(&s);
    let (code, health) = a.send("GET", "/health", None).await;
    assert_eq!((code, &health["status"]), (200, &Value::from("healthy")));
    let (mut e, base) = start_plain(
        &["--observation.interval=1s"],
        &[
            ("CONNECT_RESOURCE_IDS", "A"),
            ("A_CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("A_CONNECT_OBSERVE_TOPICS", "true"),
        ],
    );
    let (topics, versions) = eventually(
        SETTLE,
        "the exporter's topics, versions and health are Connect's",
        || async {
            let (code, names) = a.send("GET", "/connectors", None).await;
            let names: Vec<String> = serde_json::from_value(names.clone())
                .map_err(|e| format!("GET /connectors {code}: {names}: {e}"))?;
            let topics = topics_per_connect(&a, &names).await?;
            let versions = versions_per_connect(&a).await?;
            let text = reqwest::get(format!("{base}/metrics"))
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            let (shown_topics, shown_versions, health) = shown(&text);
            if (&shown_topics, &shown_versions, health) == (&topics, &versions, Some(1.0)) {
                Ok((topics, versions))
            } else {
                Err(format!(
                    "topics: exporter {shown_topics:?}, Connect {topics:?}\n\
                     versions: exporter {shown_versions:?}, Connect {versions:?}\n\
                     health: {health:?}"
                ))
            }
        },
    )
    .await;
    // The samples have used their topics, and Connect reports versions: the comparison was
    // not of two empty sets.
    for want in [
        "file-sink|stack-verifiable",
        "verifiable-source|stack-verifiable",
    ] {
        assert!(topics.contains(want), "{want} not in {topics:?}");
    }
    assert!(
        versions
            .iter()
            .any(|v| v.starts_with("file-sink|-|") && !v.ends_with("|-")),
        "no version for file-sink in {versions:?}"
    );
    assert_eq!(e.sigterm(), 0);
}
