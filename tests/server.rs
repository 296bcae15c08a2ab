//! The HTTP server as its clients meet it: the gzipped exposition read whole by curl and reqwest,
//! IPv6 and IPv4 on `:PORT`, the cap on uncompressed scrapes with readers that stopped reading,
//! a bounded drain on SIGTERM, telemetry paths with odd characters, and an environment that is
//! not UTF-8.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::exporter::{DEADLINE, Exporter};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

async fn wait_ready(base: &str) {
    let until = Instant::now() + DEADLINE;
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/-/ready")).await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < until, "{base} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The fixture's connectors in state `1` lines, by connector.
fn current_states(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("kconnect_connector_state{") && l.ends_with(" 1"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

const FIXTURE_STATES: [&str; 7] = [
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"audit-log-sink\",state=\"UNASSIGNED\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"clickstream-es-sink\",state=\"RUNNING\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"customers-mongo-source\",state=\"RESTARTING\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"inventory-cdc-source\",state=\"FAILED\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"legacy-ftp-source\",state=\"STOPPED\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"orders-jdbc-source\",state=\"RUNNING\"} 1",
    "kconnect_connector_state{connect_cluster=\"default\",connector=\"payments-s3-sink\",state=\"PAUSED\"} 1",
];

#[tokio::test]
async fn curl_compressed_and_reqwest_gzip_read_every_connector() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(BIN, &[], &[("CONNECT_REST_URL", &server.uri())]);
    let base = format!("http://{}", exporter.address());
    wait_ready(&base).await;

    let curl = Command::new("curl")
        .args(["-sS", "--fail", "--compressed", &format!("{base}/metrics")])
        .output()
        .expect("curl runs");
    assert_eq!(
        curl.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&curl.stderr)
    );
    let text = String::from_utf8(curl.stdout).unwrap();
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    assert_eq!(current_states(&text), FIXTURE_STATES);

    // reqwest with its gzip feature, asking as Prometheus does.
    let r = reqwest::Client::builder()
        .gzip(true)
        .build()
        .unwrap()
        .get(format!("{base}/metrics"))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert_eq!(current_states(&text), FIXTURE_STATES);
    assert!(text.ends_with("# EOF\n"));
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn any_interface_means_ipv6_and_ipv4() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(
        BIN,
        &["--web.listen-address=:0"],
        &[("CONNECT_REST_URL", &server.uri())],
    );
    let address = exporter.address();
    let port = address.rsplit(':').next().unwrap();
    assert_eq!(address, format!("[::]:{port}"));
    for host in ["127.0.0.1", "[::1]"] {
        let r = reqwest::get(format!("http://{host}:{port}/-/healthy"))
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(r.status(), 200, "{host}");
    }
    assert_eq!(exporter.sigterm(), 0);
}

/// Sends a scrape without gzip and reads only the status line: a reader that stopped reading.
fn stalled_reader(address: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(address).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: exporter\r\n\r\n")
        .unwrap();
    let mut status = [0u8; 12];
    s.read_exact(&mut status).unwrap();
    (s, String::from_utf8_lossy(&status).to_string())
}

#[tokio::test]
async fn readers_beyond_the_cap_get_503_gzip_scrapes_go_on_and_sigterm_drains_within_bound() {
    // 8,000 connectors: ~17 MB of text, far more than loopback's socket buffers, so a reader
    // that stops reading holds its response open.
    let server = wiremock::MockServer::start().await;
    mount_cluster(&server, &big_listing(8_000)).await;
    let mut exporter = Exporter::start(
        BIN,
        &["--web.max-requests=2"],
        &[
            ("CONNECT_REST_URL", &server.uri()),
            ("CONNECT_OBSERVATION_VERSION", "2"),
        ],
    );
    let address = exporter.address();
    let base = format!("http://{address}");
    wait_ready(&base).await;

    let (_a, status_a) = stalled_reader(&address);
    let (_b, status_b) = stalled_reader(&address);
    let (_c, status_c) = stalled_reader(&address);
    assert_eq!(
        [status_a.as_str(), status_b.as_str(), status_c.as_str()],
        ["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 503"]
    );

    // Prometheus, meanwhile: gzip, read at once.
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
    assert_eq!(r.status(), 200);
    let gz = r.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kconnect_exporter_scrapes_refused_total").as_deref(),
        Some("1")
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("kconnect_connector_state{") && l.ends_with(" 1"))
            .count(),
        8_000
    );

    // SIGTERM with two readers stalled mid-response: the drain is bounded.
    let started = Instant::now();
    assert_eq!(exporter.sigterm(), 0);
    let took = started.elapsed();
    assert!(
        took < kconnect_exporter::http::DRAIN_TIMEOUT + Duration::from_secs(3),
        "exited after {took:?}"
    );
}

#[tokio::test]
async fn a_telemetry_path_with_a_colon_is_served_as_given() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(
        BIN,
        &["--web.telemetry-path=/:x"],
        &[("CONNECT_REST_URL", &server.uri())],
    );
    let base = format!("http://{}", exporter.address());
    wait_ready(&base).await;
    let r = reqwest::get(format!("{base}/:x")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(current_states(&r.text().await.unwrap()), FIXTURE_STATES);
    assert_eq!(
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[test]
fn an_environment_value_that_is_not_utf8_exits_2_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let out = Command::new(BIN)
        .env_clear()
        .env(
            "CONNECT_BASIC_AUTH_PASS",
            std::ffi::OsStr::from_bytes(b"pa\xffss"),
        )
        .env("LANG", std::ffi::OsStr::from_bytes(b"\xff"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kconnect-exporter: invalid configuration (1 problem):\n  CONNECT_BASIC_AUTH_PASS: the value is not UTF-8 text; set it as UTF-8\n"
    );
}

#[test]
fn a_broken_config_file_never_shows_the_password() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "broken.toml",
            "CONNECT_REST_URL = \"http://c:8083\"\nCONNECT_BASIC_AUTH_PASS = \"pa55-W0rd!\n",
        ),
        (
            "broken.yaml",
            "CONNECT_REST_URL: http://c:8083\nCONNECT_BASIC_AUTH_PASS: [pa55-W0rd!\n",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        for json in [false, true] {
            let mut cmd = Command::new(BIN);
            cmd.arg(format!("--config.file={}", file.display()))
                .env_clear();
            if json {
                cmd.arg("--log.format=json");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{name}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                all.contains(&format!("{}:", file.display())),
                "{name}: {all}"
            );
            assert!(
                !all.contains("pa55") && !all.contains("W0rd"),
                "{name}: {all}"
            );
        }
    }
}
