//! What reaches Connect, as Connect receives it: connector names in request paths (recorded raw
//! off the wire), a path prefix kept on every request, and `expand` through proxies that drop
//! or merge repeated parameters.

mod common;

use std::time::{Duration, Instant};

use common::exporter::{DEADLINE, Exporter};
use common::faulty::{Cluster, Expand, FaultyConnect};
use common::*;
use kconnect_exporter::config::ObservationVersion::{V1, V2};
use kconnect_exporter::metrics::Format;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

/// A cluster of RUNNING connectors with these names, one task each.
fn listing_of(names: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for name in names {
        map.insert(
            name.to_string(),
            json!({
                "status": {"name": name, "connector": {"state": "RUNNING", "worker_id": "10.0.1.11:8083"},
                           "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "10.0.1.12:8083"}], "type": "source"},
                "info": {"name": name, "config": {"connector.class": "org.example.Source", "tasks.max": "1", "name": name},
                         "tasks": [{"connector": name, "task": 0}], "type": "source"}
            }),
        );
    }
    Value::Object(map)
}

/// The requests of one v1 observation of connectors whose names are sent as `encoded` (and the
/// worker's health, asked once per observation).
fn v1_targets(prefix: &str, encoded: &[&str]) -> Vec<String> {
    let mut out = vec![
        format!("{prefix}/"),
        format!("{prefix}/connectors"),
        format!("{prefix}/health"),
    ];
    for e in encoded {
        for suffix in ["", "/status", "/tasks"] {
            out.push(format!("{prefix}/connectors/{e}{suffix}"));
        }
    }
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Observes `names` with v1 and checks each reached Connect as `encoded` and is in the view.
async fn names_reach_connect(names: &[&str], encoded: &[&str]) {
    let server = FaultyConnect::serve(Cluster::with_listing(listing_of(names))).await;
    let snap = observe(&cluster("default", &server.uri(), V1)).await;
    assert_eq!(sorted(server.targets()), v1_targets("", encoded));
    let view = snap.outcome.as_ref().expect("the observation succeeds");
    let mut seen: Vec<&str> = view.connectors.iter().map(|c| c.name.as_str()).collect();
    let mut expected = names.to_vec();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(snap.totals.skipped_connectors, 0);
}

#[tokio::test]
async fn names_reach_connect_as_one_percent_encoded_segment() {
    names_reach_connect(
        &[
            "a/b",
            "100%",
            "q?x",
            "h#x",
            "zürich-€",
            "sp ace",
            "v1.2",
            "%2E%2E",
        ],
        &[
            "a%2Fb",
            "100%25",
            "q%3Fx",
            "h%23x",
            "z%C3%BCrich-%E2%82%AC",
            "sp%20ace",
            "v1.2",
            "%252E%252E",
        ],
    )
    .await;
}

#[tokio::test]
async fn control_characters_in_names_reach_connect_percent_encoded() {
    names_reach_connect(
        &["tab\there", "line\nfeed", "car\rriage", "end\n"],
        &["tab%09here", "line%0Afeed", "car%0Driage", "end%0A"],
    )
    .await;
}

#[tokio::test]
async fn v2_observes_names_no_path_can_carry() {
    let names = [".", "..", "tab\there", "ok"];
    let server = FaultyConnect::serve(Cluster::with_listing(listing_of(&names))).await;
    let snap = observe(&cluster("default", &server.uri(), V2)).await;
    let text = exposition(&[snap], Format::Text);
    for escaped in [".", "..", "tab\there", "ok"] {
        assert_eq!(
            sample(
                &text,
                &format!("kconnect_connector_state{{connect_cluster=\"default\",connector=\"{escaped}\",state=\"RUNNING\"}}")
            )
            .as_deref(),
            Some("1"),
            "{escaped:?}"
        );
    }
}

/// `.` and `..` cannot be a path segment: any URL library (and Connect's HTTP server) reads
/// them as "this" and "parent" directories. v1 cannot ask Connect about such a connector, so it
/// must say so (a warning naming it) and go on with the others: neither send a request for
/// another resource (`/connectors/./status` is `/connectors/status`, the connector named
/// `status`; `/connectors/..` is `/`), nor count it as deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_reports_connectors_named_dot_and_dot_dot_without_asking_for_other_resources() {
    let server = FaultyConnect::serve(Cluster::with_listing(listing_of(&[".", "..", "ok"]))).await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[("CONNECT_REST_URL", &server.uri())],
    );
    let base = format!("http://{}", exporter.address());
    let text = wait_metrics(&base, |t| {
        sample(
            t,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}",
        )
        .is_some_and(|v| v != "0")
            || sample(
                t,
                "kconnect_observations_total{connect_cluster=\"default\",result=\"failure\"}",
            )
            .is_some_and(|v| v != "0")
    })
    .await;
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1"),
        "{text}"
    );
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"default\",connector=\"ok\",state=\"RUNNING\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_connectors_skipped_total{connect_cluster=\"default\"}"
        )
        .as_deref(),
        Some("0"),
        "not counted as deleted"
    );
    let targets = server.targets();
    let allowed = v1_targets("", &["ok"]);
    assert!(
        targets.iter().all(|t| allowed.contains(t)),
        "only `/`, the list, `ok` and the health are asked for: {targets:?}"
    );
    for name in [".", ".."] {
        let quoted = [
            format!("\"{name}\""),
            format!("'{name}'"),
            format!("`{name}`"),
        ];
        let warned = wait_line(&mut exporter, |line| {
            line["level"] == "WARN"
                && line.as_object().unwrap().iter().any(|(k, v)| {
                    k != "timestamp"
                        && v.as_str().is_some_and(|s| {
                            s == name || quoted.iter().any(|q| s.contains(q.as_str()))
                        })
                })
        });
        assert!(
            warned,
            "a warning names the connector {name:?}; saw:\n{}",
            exporter.seen.join("\n")
        );
    }
}

/// Behind a proxy at `/connect`, every request carries the prefix, `GET /` included, which is
/// `/connect/`: a strict proxy answers `/connect` with a redirect.
#[tokio::test]
async fn a_path_prefix_is_kept_on_every_request() {
    for rest_url in ["/connect/", "/connect"] {
        for version in [V1, V2] {
            let server = FaultyConnect::serve(Cluster::fixture().under_prefix("/connect")).await;
            let url = format!("{}{rest_url}", server.uri());
            let (mut obs, _h) = observer(&cluster("default", &url, version), 4);
            let snap = obs.observe_once().await;
            let case = format!("{url} {version:?}");
            let view = snap
                .outcome
                .as_ref()
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(view.connectors.len(), 7, "{case}");
            let targets = server.targets();
            assert_eq!(targets[0], "/connect/", "{case}: GET / first");
            assert!(
                targets.iter().all(|t| t.starts_with("/connect/")),
                "{case}: {targets:?}"
            );
            assert_eq!(
                targets.len(),
                // With the worker's health.
                if version == V1 { 24 } else { 3 },
                "{case}: {targets:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_a_cluster_behind_a_path_prefix() {
    let server = FaultyConnect::serve(Cluster::fixture().under_prefix("/connect")).await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[("CONNECT_REST_URL", &format!("{}/connect", server.uri()))],
    );
    let base = format!("http://{}", exporter.address());
    let text = wait_metrics(&base, |t| {
        sample(t, "kconnect_up{connect_cluster=\"default\"}").as_deref() == Some("1")
    })
    .await;
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"default\",connector=\"legacy-ftp-source\",state=\"STOPPED\"}").as_deref(),
        Some("1")
    );
    assert!(
        server.targets().iter().all(|t| t.starts_with("/connect/")),
        "{:?}",
        server.targets()
    );
}

/// A proxy that keeps one of the repeated `expand` parameters (the last: `info` only), or
/// joins them with commas (Connect then expands nothing): the answer is a map whose entries
/// lack `status`. That is not a cluster of zero connectors: v2 falls back to v1 and says so.
#[tokio::test]
async fn v2_behind_a_proxy_that_loses_expand_values_falls_back_to_v1() {
    let direct = FaultyConnect::start().await;
    let v1 = observe(&cluster("default", &direct.uri(), V1)).await;
    let expected = state_lines(&exposition(&[v1], Format::Text));
    for proxy in [Expand::ProxyKeepsLast, Expand::ProxyJoinsWithCommas] {
        let server = FaultyConnect::serve(Cluster::fixture().expand(proxy)).await;
        let (mut obs, _h) = observer(&cluster("default", &server.uri(), V2), 4);
        for _ in 0..2 {
            let snap = obs.observe_once().await;
            assert!(snap.is_up(), "{proxy:?}: {:?}", snap.outcome);
            assert!(snap.fallback, "{proxy:?}");
            assert_eq!(snap.totals.skipped_connectors, 0, "{proxy:?}");
            let text = exposition(&[snap], Format::Text);
            assert_eq!(
                sample(
                    &text,
                    "kconnect_observation_fallback{connect_cluster=\"default\"}"
                )
                .as_deref(),
                Some("1"),
                "{proxy:?}"
            );
            assert_eq!(state_lines(&text), expected, "{proxy:?}");
        }
        // The second observation is v1 only: 3N+1 requests, no more `expand`.
        let expanded = server
            .targets()
            .iter()
            .filter(|t| t.starts_with("/connectors?"))
            .count();
        assert_eq!(expanded, 1, "{proxy:?}: {:?}", server.targets());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_the_fallback_behind_a_proxy_that_loses_expand_values() {
    let server = FaultyConnect::serve(Cluster::fixture().expand(Expand::ProxyKeepsLast)).await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &server.uri()),
            ("CONNECT_OBSERVATION_VERSION", "2"),
        ],
    );
    let warned = wait_line(&mut exporter, |line| {
        line["level"] == "WARN"
            && line["message"]
                .as_str()
                .is_some_and(|m| m.contains("expand"))
    });
    assert!(
        warned,
        "a warning about expand; saw:\n{}",
        exporter.seen.join("\n")
    );
}

/// Scrapes `/metrics` until `done` holds.
async fn wait_metrics(base: &str, done: impl Fn(&str) -> bool) -> String {
    let until = Instant::now() + DEADLINE;
    loop {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("the exporter answers")
            .text()
            .await
            .unwrap();
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < until, "not within {DEADLINE:?}:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads the exporter's log until a line satisfies `found` (true) or the deadline (false).
fn wait_line(exporter: &mut Exporter, found: impl Fn(&Value) -> bool) -> bool {
    if exporter
        .seen
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .any(|v| found(&v))
    {
        return true;
    }
    let until = Instant::now() + DEADLINE;
    while let Ok(line) = exporter
        .lines
        .recv_timeout(until.saturating_duration_since(Instant::now()))
    {
        exporter.seen.push(line.clone());
        if serde_json::from_str::<Value>(&line).is_ok_and(|v| found(&v)) {
            return true;
        }
    }
    false
}
