//! Auto-restart against the running binary, with Connect on wiremock: the failing connectors of
//! the snapshots restarted as the built-in principal, on the n²+n back-off read from the audit
//! lines' times, given up when the attempts run out, and a connector the policy does not allow
//! left alone; its metrics as Prometheus reads them.

mod common;

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use common::exporter::{DEADLINE, Exporter};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

const RBAC: &str = r#"
authorized_roles: ["*"]
policies:
  - resource: ["connect", "default", "connector", "clickstream-*"]
    effect: Allow
    actions: ["CONNECT_ALTER_STATE"]
    role: automation
principal_roles:
  auto-restart: [automation]
"#;

fn time(line: &Value) -> SystemTime {
    humantime::parse_rfc3339(line["timestamp"].as_str().unwrap()).unwrap()
}

async fn scrape(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn restarts_what_it_may_on_schedule_and_gives_up_when_attempts_run_out() {
    let connect = fixture_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&connect)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let rbac = dir.path().join("rbac.yaml");
    std::fs::write(&rbac, RBAC).unwrap();
    let rbac = rbac.display().to_string();
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("RBAC_CONFIGURATION_FILE", &rbac),
            ("CONNECT_AUTO_RESTART", "true"),
            ("CONNECT_AUTO_RESTART_MAX_ATTEMPTS", "2"),
            ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", "1s"),
        ],
    );
    let base = format!("http://{}", exporter.address());

    // The first snapshot: the RUNNING connector with a FAILED task is restarted, the FAILED
    // connector the policy does not cover is refused, once.
    let first = exporter.wait_log("access decision");
    assert_eq!(
        (
            &first["principal"],
            &first["principal_source"],
            &first["roles"]
        ),
        (
            &Value::from("auto-restart"),
            &Value::from("auto_restart"),
            &Value::from("automation")
        )
    );
    assert_eq!(
        (
            &first["resource"],
            &first["decision"],
            &first["outcome"],
            &first["requests"]
        ),
        (
            &Value::from("connect/default/connector/clickstream-es-sink"),
            &Value::from("allowed"),
            &Value::from("done"),
            &Value::from(
                "POST /connectors/clickstream-es-sink/restart?includeTasks=true&onlyFailed=true"
            )
        )
    );
    let denied = exporter.wait_log("access decision");
    assert_eq!(
        (&denied["resource"], &denied["decision"], &denied["reason"]),
        (
            &Value::from("connect/default/connector/inventory-cdc-source"),
            &Value::from("denied"),
            &Value::from("no_policy")
        )
    );
    // Attempt 2 after 1²+1 = 2 units, give or take an observation interval.
    let second = exporter.wait_log("access decision");
    assert_eq!(
        (&second["resource"], &second["outcome"]),
        (
            &Value::from("connect/default/connector/clickstream-es-sink"),
            &Value::from("done")
        )
    );
    let waited = time(&second).duration_since(time(&first)).unwrap();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "the second attempt came {waited:?} after the first"
    );

    // Given up: three more observations, no more restarts, no more decisions.
    let observations = |text: &str| {
        sample(
            text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}",
        )
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
    };
    let start = observations(&scrape(&base).await);
    let until = Instant::now() + DEADLINE;
    let text = loop {
        let text = scrape(&base).await;
        if observations(&text) >= start + 3 {
            break text;
        }
        assert!(Instant::now() < until, "observations stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let posts: Vec<String> = connect
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| format!("{}?{}", r.url.path(), r.url.query().unwrap_or("")))
        .collect();
    assert_eq!(
        posts,
        [
            "/connectors/clickstream-es-sink/restart?includeTasks=true&onlyFailed=true",
            "/connectors/clickstream-es-sink/restart?includeTasks=true&onlyFailed=true"
        ]
    );
    let restarted = "connect_cluster=\"default\",connector=\"clickstream-es-sink\"";
    for (series, value) in [
        (
            format!("kconnect_auto_restarts_total{{{restarted},result=\"success\"}}"),
            Some("2"),
        ),
        (
            format!("kconnect_auto_restarts_total{{{restarted},result=\"failure\"}}"),
            Some("0"),
        ),
        (
            format!("kconnect_auto_restart_attempts_left{{{restarted}}}"),
            Some("0"),
        ),
        (
            format!("kconnect_auto_restart_next_attempt_timestamp_seconds{{{restarted}}}"),
            None,
        ),
        (
            "kconnect_auto_restart_attempts_left{connect_cluster=\"default\",connector=\"inventory-cdc-source\"}".to_string(),
            None,
        ),
        (
            "kconnect_access_decisions_total{action=\"CONNECT_ALTER_STATE\",decision=\"allowed\"}".to_string(),
            Some("2"),
        ),
        (
            "kconnect_access_decisions_total{action=\"CONNECT_ALTER_STATE\",decision=\"denied\"}".to_string(),
            Some("1"),
        ),
    ] {
        assert_eq!(sample(&text, &series).as_deref(), value, "{series}");
    }
    assert!(
        !exporter
            .seen
            .iter()
            .filter(|l| l.contains("\"access decision\""))
            .skip(3)
            .any(|_| true),
        "three decisions in all"
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn a_scheduled_attempt_shows_in_the_metrics() {
    let connect = fixture_server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_string(fixture("error-409.json")))
        .mount(&connect)
        .await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("ALLOW_CONNECT_ALTER_STATE", "true"),
            ("CONNECT_AUTO_RESTART", "true"),
            ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", "1h"),
        ],
    );
    let base = format!("http://{}", exporter.address());
    let line = exporter.wait_log("access decision");
    assert_eq!(line["outcome"], "failed");
    let attempted = time(&line);
    let series = |c: &str| format!("connect_cluster=\"default\",connector=\"{c}\"");
    let until = Instant::now() + DEADLINE;
    let text = loop {
        let text = scrape(&base).await;
        if sample(
            &text,
            &format!(
                "kconnect_auto_restart_attempts_left{{{}}}",
                series("inventory-cdc-source")
            ),
        )
        .is_some()
        {
            break text;
        }
        assert!(Instant::now() < until, "no auto-restart series");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for c in ["clickstream-es-sink", "inventory-cdc-source"] {
        assert_eq!(
            sample(
                &text,
                &format!("kconnect_auto_restart_attempts_left{{{}}}", series(c))
            )
            .as_deref(),
            Some("6"),
            "{c}"
        );
        assert_eq!(
            sample(
                &text,
                &format!(
                    "kconnect_auto_restarts_total{{{},result=\"failure\"}}",
                    series(c)
                )
            )
            .as_deref(),
            Some("1")
        );
        let next: f64 = sample(
            &text,
            &format!(
                "kconnect_auto_restart_next_attempt_timestamp_seconds{{{}}}",
                series(c)
            ),
        )
        .unwrap()
        .parse()
        .unwrap();
        let expected = attempted
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            + 7200.0;
        assert!((next - expected).abs() < 5.0, "{c}: {next} vs {expected}");
    }
    assert_eq!(exporter.sigterm(), 0);
}
