//! The binary as a user runs it: exit statuses, startup validation, serving, signals, logs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::exporter::{DEADLINE, Exporter};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("the exporter answers");
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Polls `url` until it answers `status`, or fails after the deadline.
async fn wait_status(url: &str, status: u16) -> String {
    let until = Instant::now() + DEADLINE;
    loop {
        let (s, body) = get(url).await;
        if s == status {
            return body;
        }
        assert!(Instant::now() < until, "{url} still answers {s}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn serves_the_fixture_cluster_and_stops_cleanly_on_sigterm() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[("CONNECT_REST_URL", &server.uri())],
    );
    let base = format!("http://{}", exporter.address());

    wait_status(&format!("{base}/-/ready"), 200).await;
    let (status, body) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&body, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&body, "kconnect_connector_state{connect_cluster=\"default\",connector=\"inventory-cdc-source\",state=\"FAILED\"}")
            .as_deref(),
        Some("1")
    );
    let r = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(r.text().await.unwrap().ends_with("# EOF\n"));
    // As Prometheus asks: OpenMetrics, gzipped.
    let r = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{base}/metrics"))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let mut text = String::new();
    let gz = r.bytes().await.unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert!(
        text.starts_with("# HELP kconnect_exporter_build "),
        "{text}"
    );
    assert!(text.contains("kconnect_connector_state{connect_cluster=\"default\",connector=\"inventory-cdc-source\",state=\"FAILED\"} 1\n"));
    assert!(text.ends_with("# EOF\n"));
    let (s, healthy) = get(&format!("{base}/-/healthy")).await;
    assert_eq!(
        (s, healthy.as_str()),
        (200, "kconnect-exporter is healthy.\n")
    );
    let (s, landing) = get(&format!("{base}/")).await;
    assert_eq!(s, 200);
    assert!(
        landing.contains("<a href=\"/metrics\">/metrics</a>") && landing.contains("7 connectors"),
        "{landing}"
    );
    assert_eq!(get(&format!("{base}/nope")).await.0, 404);

    assert_eq!(exporter.sigterm(), 0);
    exporter.wait_log("shutting down");
}

#[tokio::test]
async fn startup_validation_on_exits_1_naming_cluster_url_and_reason() {
    let port = closed_port();
    let mut exporter = Exporter::start(
        BIN,
        &[],
        &[("CONNECT_REST_URL", &format!("http://127.0.0.1:{port}"))],
    );
    assert_eq!(exporter.wait_exit(), 1);
    let drained: Vec<String> = exporter.lines.try_iter().collect();
    let all = [exporter.seen.clone(), drained].concat().join("\n");
    assert!(
        all.contains(&format!(
            "Kafka Connect cluster default at http://127.0.0.1:{port}/: connect on GET /: cannot connect"
        )),
        "{all}"
    );
    assert!(
        all.contains("set CONNECT_STARTUP_VALIDATION=false to start anyway"),
        "{all}"
    );
}

#[tokio::test]
async fn startup_validation_off_serves_up_0_with_the_reason_and_keeps_retrying() {
    let port = closed_port();
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_RESOURCE_IDS", "US1"),
            ("US1_CONNECT_REST_URL", &format!("http://127.0.0.1:{port}")),
            ("US1_CONNECT_STARTUP_VALIDATION", "false"),
        ],
    );
    let base = format!("http://{}", exporter.address());
    wait_status(&format!("{base}/-/ready"), 200).await;
    let (_, body) = get(&format!("{base}/metrics")).await;
    assert_eq!(
        sample(&body, "kconnect_up{connect_cluster=\"US1\"}").as_deref(),
        Some("0")
    );
    assert_eq!(
        sample(
            &body,
            "kconnect_observation_error{connect_cluster=\"US1\",reason=\"connect\"}"
        )
        .as_deref(),
        Some("1")
    );
    // One log line per failed observation, with cluster, reason and path.
    let failed = exporter.wait_log("observation failed");
    assert_eq!(
        (
            failed["cluster"].as_str(),
            failed["reason"].as_str(),
            failed["request"].as_str()
        ),
        (Some("US1"), Some("connect"), Some("GET /"))
    );
    assert_eq!(failed["level"], "WARN");
    exporter.wait_log("observation failed");
    assert_eq!(exporter.sigterm(), 0);
}

#[test]
fn bad_configuration_exits_2_listing_every_problem_without_the_password() {
    let out = Command::new(BIN)
        .env_clear()
        .envs([
            ("CONNECT_RESOURCE_IDS", "us1,EU2"),
            ("EU2_CONNECT_REST_URL", "http://admin:pa55word@eu2:8083"),
            ("EU2_CONNECT_BASIC_AUTH_PASS", "pa55word"),
            ("EU2_CONNECT_TIMEOUT_MS", "soon"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "kconnect-exporter: invalid configuration (3 problems):
  CONNECT_RESOURCE_IDS: \"us1\" must be upper-case (US1), as Kpow requires
  EU2_CONNECT_REST_URL: \"http://eu2:8083\" carries credentials; set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER and CONNECT_BASIC_AUTH_PASS instead
  EU2_CONNECT_TIMEOUT_MS: \"soon\" is not a timeout; give milliseconds from 1 to 3600000
"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_flags_exit_2() {
    let out = Command::new(BIN)
        .arg("--web.listen-adress=:1")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--web.listen-adress'")
    );
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_masked() {
    let out = Command::new(BIN)
        .arg("--config.check")
        .env_clear()
        .envs([
            ("CONNECT_AUTH", "BASIC"),
            ("CONNECT_BASIC_AUTH_USER", "monitor"),
            ("CONNECT_BASIC_AUTH_PASS", "pa55word"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("# kconnect-exporter "), "{stdout}");
    assert!(stdout.contains("\nCONNECT_REST_URL=http://localhost:8083/\n"));
    assert!(
        stdout.contains("\nCONNECT_BASIC_AUTH_USER=monitor\nCONNECT_BASIC_AUTH_PASS=********\n")
    );
    assert!(
        !stdout.contains("pa55word") && !String::from_utf8_lossy(&out.stderr).contains("pa55word")
    );
}

#[tokio::test]
async fn healthcheck_flag_reports_the_running_exporter_through_no_proxy() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(BIN, &[], &[("CONNECT_REST_URL", &server.uri())]);
    let address = exporter.address();
    // A proxy that does not exist must not matter: the exporter is on this machine.
    let dead_proxy = format!("http://127.0.0.1:{}", closed_port());
    let healthy = Command::new(BIN)
        .args(["--healthcheck", &format!("--web.listen-address={address}")])
        .env_clear()
        .envs([
            ("HTTP_PROXY", &dead_proxy),
            ("http_proxy", &dead_proxy),
            ("ALL_PROXY", &dead_proxy),
        ])
        .output()
        .unwrap();
    assert_eq!(
        healthy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert_eq!(exporter.sigterm(), 0);
    let port = closed_port();
    let down = Command::new(BIN)
        .args([
            "--healthcheck",
            &format!("--web.listen-address=127.0.0.1:{port}"),
        ])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&down.stderr),
        format!(
            "kconnect-exporter --healthcheck: unhealthy: nothing answers on 127.0.0.1:{port}: is the exporter running, with this --web.listen-address?\n"
        )
    );
}

#[tokio::test]
async fn a_large_exposition_streams_whole_with_and_without_gzip() {
    // 400 connectors: the plain text is far larger than one streamed chunk.
    let server = wiremock::MockServer::start().await;
    mount_cluster(&server, &big_listing(400)).await;
    let mut exporter = Exporter::start(
        BIN,
        &[],
        &[
            ("CONNECT_REST_URL", &server.uri()),
            ("CONNECT_OBSERVATION_VERSION", "2"),
        ],
    );
    let base = format!("http://{}", exporter.address());
    wait_status(&format!("{base}/-/ready"), 200).await;

    let (_, plain) = get(&format!("{base}/metrics")).await;
    let gz = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{base}/metrics"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // Read as curl and browsers read it: the first gzip member only.
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut unzipped)
        .unwrap();
    assert!(plain.len() > 256 * 1024, "{} bytes", plain.len());
    let steady = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| {
                !l.contains("process_") && !l.starts_with("kconnect_exporter_scrapes_total")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(steady(&plain), steady(&unzipped));
    assert_eq!(
        plain
            .lines()
            .filter(|l| l.starts_with("kconnect_connector_state{") && l.ends_with(" 1"))
            .count(),
        400
    );
    assert_eq!(exporter.sigterm(), 0);
}
