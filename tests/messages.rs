//! What a user reads, from the binary as a process: each message asserted whole. Startup
//! failures say what to check for their reason; a worker that is still starting is waited for and
//! told apart from a wrong URL; misspelt and orphaned variables are named; store problems name
//! their cause; in JSON log mode every line on stderr is JSON; `build_info` carries the commit.
//!
//! The starting worker's answers (`error-404-starting-worker.json`, `.html`) and the TLS alert an
//! HTTPS port sends back to plain HTTP (`tls-alert-to-plain-http.bin`) were captured from a Kafka
//! 4.3.1 worker (Jetty 12.0.34) of `scripts/connect-stack`.

mod common;

use std::process::{Command, Output};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Instant;

use common::exporter::{DEADLINE, Exporter};
use common::*;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

/// Every stderr line of an exporter that has exited, parsed; fails on a line that is not JSON.
fn all_lines(exporter: &mut Exporter) -> Vec<Value> {
    let until = Instant::now() + DEADLINE;
    let mut raw = exporter.seen.clone();
    loop {
        match exporter
            .lines
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            Ok(line) => raw.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("stderr still open after {DEADLINE:?}"),
        }
    }
    raw.iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The messages of the lines at `level`.
fn messages(lines: &[Value], level: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["level"] == level)
        .map(|l| l["message"].as_str().unwrap().to_string())
        .collect()
}

/// Starts the exporter, expects it to exit 1 and returns its ERROR messages.
fn startup_errors(vars: &[(&str, &str)], flags: &[&str]) -> Vec<String> {
    let mut exporter = Exporter::start(BIN, flags, vars);
    assert_eq!(exporter.wait_exit(), 1);
    messages(&all_lines(&mut exporter), "ERROR")
}

fn run(flags: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(flags)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

const ANYWAY: &str = "(Or set CONNECT_STARTUP_VALIDATION=false to start anyway and keep retrying.)";

#[tokio::test]
async fn a_401_says_to_check_the_credentials_and_connect_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(fixture("error-401-basic-auth.txt")),
        )
        .mount(&server)
        .await;
    let url = server.uri();
    assert_eq!(
        startup_errors(&[("CONNECT_REST_URL", &url)], &[]),
        [format!(
            "Kafka Connect cluster default at {url}/: auth on GET /: HTTP 401: User cannot access the resource. \
             Connect asks for credentials: set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER and CONNECT_BASIC_AUTH_PASS. {ANYWAY}"
        )]
    );
    let errors = startup_errors(
        &[
            ("CONNECT_RESOURCE_IDS", "US1"),
            ("US1_CONNECT_REST_URL", &url),
            ("US1_CONNECT_AUTH", "BASIC"),
            ("US1_CONNECT_BASIC_AUTH_USER", "monitor"),
            ("US1_CONNECT_BASIC_AUTH_PASS", "pa55word"),
        ],
        &[],
    );
    assert_eq!(
        errors,
        [format!(
            "Kafka Connect cluster US1 at {url}/: auth on GET /: HTTP 401: User cannot access the resource. \
             Connect refused the credentials: check US1_CONNECT_BASIC_AUTH_USER and US1_CONNECT_BASIC_AUTH_PASS. \
             (Or set US1_CONNECT_STARTUP_VALIDATION=false to start anyway and keep retrying.)"
        )]
    );
}

/// A worker's REST server answers before Connect's API is up: Jetty's own 404, as JSON when the
/// client accepts JSON.
fn starting_worker_404() -> ResponseTemplate {
    ResponseTemplate::new(404)
        .insert_header("server", "Jetty(12.0.34)")
        .insert_header("cache-control", "must-revalidate,no-cache,no-store")
        .set_body_raw(
            fixture("error-404-starting-worker.json").into_bytes(),
            "application/json",
        )
}

#[tokio::test]
async fn a_starting_worker_is_waited_for_then_observed() {
    let server = fixture_server().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(starting_worker_404())
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    let url = server.uri();
    let mut exporter = Exporter::start(BIN, &[], &[("CONNECT_REST_URL", &url)]);
    let waiting = exporter.wait_log("Kafka Connect is still starting; waiting for it");
    assert_eq!(
        (
            waiting["level"].as_str(),
            waiting["cluster"].as_str(),
            waiting["url"].as_str(),
            waiting["wait"].as_str()
        ),
        (
            Some("INFO"),
            Some("default"),
            Some(format!("{url}/").as_str()),
            Some("30s")
        )
    );
    let observing = exporter.wait_log("observing Kafka Connect");
    assert_eq!(observing["version"], "3.9.0");
    let base = format!("http://{}", exporter.address());
    let body = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(&body, "kconnect_cluster_info{connect_cluster=\"default\",flavour=\"apache\",name=\"default\",version=\"3.9.0\",commit=\"5e2c1f8a9b3d4c70\",kafka_cluster_id=\"h7R2kQm9Tq-5vXcYb3LwZA\",group_id=\"\",offset_storage_topic=\"\",observation_version=\"1\"}").as_deref(),
        Some("1")
    );
    let roots = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/")
        .count();
    assert_eq!(
        roots, 4,
        "three answers of a starting worker, then Connect's"
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn a_worker_that_does_not_finish_starting_is_not_called_a_wrong_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(starting_worker_404())
        .mount(&server)
        .await;
    let url = server.uri();
    let errors = startup_errors(&[("CONNECT_REST_URL", &url)], &["--observation.timeout=1s"]);
    assert_eq!(
        errors,
        [format!(
            "Kafka Connect cluster default at {url}/: starting on GET /: HTTP 404 from the worker's web server, not from Connect's REST API: \
             the worker is still starting. The worker's web server answers, but Connect's REST API did not come up within 1s: \
             see the worker's log for what it waits for (often Kafka itself); if this is not a Kafka Connect worker, correct CONNECT_REST_URL. {ANYWAY}"
        )]
    );

    // Jetty's HTML page (to a client that does not ask for JSON) reads the same, and with
    // validation off the reason is served.
    let html = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("server", "Jetty(12.0.34)")
                .set_body_raw(
                    fixture("error-404-starting-worker.html").into_bytes(),
                    "text/html;charset=iso-8859-1",
                ),
        )
        .mount(&html)
        .await;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &html.uri()),
            ("CONNECT_STARTUP_VALIDATION", "false"),
        ],
    );
    let base = format!("http://{}", exporter.address());
    let failed = exporter.wait_log("observation failed");
    assert_eq!(
        (failed["reason"].as_str(), failed["request"].as_str()),
        (Some("starting"), Some("GET /"))
    );
    let body = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &body,
            "kconnect_observation_error{connect_cluster=\"default\",reason=\"starting\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn an_http_url_on_an_https_port_says_so() {
    // What a Jetty HTTPS port sends back to a plain-HTTP request: a TLS alert record.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let alert = std::fs::read(fixture_path("tls-alert-to-plain-http.bin")).unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf);
            let _ = socket.write_all(&alert);
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let expected = |url: &str| {
        format!(
            "Kafka Connect cluster default at {url}/: tls on GET /: the server speaks HTTPS on this port, and the URL says http://. \
             Use https:// in CONNECT_REST_URL. {ANYWAY}"
        )
    };
    assert_eq!(
        startup_errors(&[("CONNECT_REST_URL", &url)], &[]),
        [expected(&url)]
    );

    // Go's and nginx's HTTPS servers answer 400 with a sentence instead.
    let go = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string("Client sent an HTTP request to an HTTPS server.\n"),
        )
        .mount(&go)
        .await;
    assert_eq!(
        startup_errors(&[("CONNECT_REST_URL", &go.uri())], &[]),
        [expected(&go.uri())]
    );
}

#[tokio::test]
async fn a_misspelt_variable_is_named_with_the_nearest_known_one() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(
        BIN,
        &[],
        &[
            ("CONNECT_REST_URI", &server.uri()),
            ("CONNECT_REST_URL", &server.uri()),
            ("CONNECT_PLUGIN_PATH", "/usr/share/java"),
        ],
    );
    let line = exporter.wait_log(
        "CONNECT_REST_URI is not a setting of this exporter and is ignored; did you mean CONNECT_REST_URL?",
    );
    assert_eq!(line["level"], "WARN");
    exporter.wait_log("CONNECT_PLUGIN_PATH is not a setting of this exporter and is ignored");
    exporter.address();
    assert_eq!(exporter.sigterm(), 0);

    // Alone, it would leave the default URL: the warning comes before the failure it explains.
    let out = run(
        &["--config.check"],
        &[("CONNECT_REST_URI", "http://connect-eu2:8083")],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(
            "# kconnect-exporter 0.1.0: the configuration is valid\n\
             # warning: CONNECT_REST_URI is not a setting of this exporter and is ignored; did you mean CONNECT_REST_URL?\n\
             # web configuration: none (plain HTTP, no authentication)\n\
             # access control: every action denied (nothing configured)\n\
             KCONNECT_WEB_LISTEN_ADDRESS=:9840\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\nCONNECT_REST_URL=http://localhost:8083/\n"));

    // When the configuration is invalid anyway, a likely misspelling is among its problems.
    let out = run(
        &[],
        &[
            ("CONNECT_AUTH", "BASIC"),
            ("CONNECT_BASIC_AUTH_USER", "monitor"),
            ("CONNECT_BASIC_AUTH_PASSWORD", "pa55word"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "kconnect-exporter: invalid configuration (2 problems):
  CONNECT_BASIC_AUTH_PASS: is not set, but CONNECT_AUTH is BASIC
  CONNECT_BASIC_AUTH_PASSWORD: is not a setting of this exporter and is ignored; did you mean CONNECT_BASIC_AUTH_PASS?
"
    );
}

#[tokio::test]
async fn a_prefixed_variable_of_a_cluster_not_in_resource_ids_is_named() {
    let server = fixture_server().await;
    let mut exporter = Exporter::start(
        BIN,
        &[],
        &[
            ("CONNECT_RESOURCE_IDS", "US1"),
            ("US1_CONNECT_REST_URL", &server.uri()),
            ("EU2_CONNECT_REST_URL", "https://connect-eu2:8443"),
            ("EU2_CONNECT_AUTH", "BASIC"),
        ],
    );
    for message in [
        "EU2_CONNECT_AUTH is ignored: cluster EU2 is not in CONNECT_RESOURCE_IDS (US1); add it there to observe it, or did you mean US1_CONNECT_AUTH?",
        "EU2_CONNECT_REST_URL is ignored: cluster EU2 is not in CONNECT_RESOURCE_IDS (US1); add it there to observe it, or did you mean US1_CONNECT_REST_URL?",
    ] {
        assert_eq!(exporter.wait_log(message)["level"], "WARN");
    }
    exporter.address();
    assert_eq!(exporter.sigterm(), 0);

    let out = run(
        &["--config.check"],
        &[
            ("CONNECT_REST_URL", "http://connect:8083"),
            ("PROD_CONNECT_REST_URL", "http://connect-prod:8083"),
        ],
    );
    assert!(
        String::from_utf8(out.stdout).unwrap().contains(
            "\n# warning: PROD_CONNECT_REST_URL is ignored: it configures cluster PROD, but CONNECT_RESOURCE_IDS is not set; \
             set CONNECT_RESOURCE_IDS=PROD to observe it\n"
        )
    );
}

#[test]
fn a_truststore_that_is_neither_pem_nor_pkcs12_is_called_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eu2-ca.crt");
    std::fs::write(&file, "ask the platform team for the CA\n").unwrap();
    let file = file.display().to_string();
    let out = run(
        &[],
        &[
            ("CONNECT_SSL_TRUSTSTORE_LOCATION", &file),
            ("CONNECT_SSL_TRUSTSTORE_PASSWORD", "changeit"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "kconnect-exporter: invalid configuration (1 problem):\n  \
             CONNECT_SSL_TRUSTSTORE_LOCATION: {file} is neither PEM text (no -----BEGIN line) nor a PKCS12 store\n"
        )
    );
}

#[test]
fn in_json_mode_every_line_on_stderr_is_json() {
    let out = run(
        &["--log.format=json"],
        &[
            ("CONNECT_TIMEOUT_MS", "soon"),
            ("CONNECT_BASIC_AUTH_PASS", "pa55word"),
            ("KCONNECT_LOG_LEVLE", "debug"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("pa55word"));
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(
        messages(&lines, "ERROR"),
        [
            "invalid configuration: CONNECT_TIMEOUT_MS: \"soon\" is not a timeout; give milliseconds from 1 to 3600000",
            "invalid configuration: KCONNECT_LOG_LEVLE: is not a setting of this exporter and is ignored; did you mean KCONNECT_LOG_LEVEL?",
        ]
    );
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["target"] == "kconnect_exporter"
        && l["timestamp"].as_str().is_some_and(|t| t.ends_with('Z'))));

    // Asked for by the variable, a usage error is JSON too.
    let out = run(
        &["--web.listen-adress=:9840"],
        &[("KCONNECT_LOG_FORMAT", "json")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(
        messages(&lines, "ERROR"),
        [
            "unexpected argument '--web.listen-adress' found; tip: a similar argument exists: '--web.listen-address' (see --help)"
        ]
    );
    assert_eq!(lines.len(), 1);

    // And so is a failed health check.
    let out = run(
        &["--healthcheck", "--web.listen-address=127.0.0.1:1"],
        &[("KCONNECT_LOG_FORMAT", "json")],
    );
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_str(String::from_utf8(out.stderr).unwrap().trim()).unwrap();
    assert_eq!(
        line["message"],
        "--healthcheck: unhealthy: nothing answers on 127.0.0.1:1: is the exporter running, with this --web.listen-address?"
    );
}

/// The commit `HEAD` points at, when this package is the top of a git work tree.
fn git_head() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = std::fs::canonicalize(git(&["rev-parse", "--show-toplevel"])?).ok()?;
    (top == std::fs::canonicalize(env!("CARGO_MANIFEST_DIR")).ok()?)
        .then(|| git(&["rev-parse", "HEAD"]))
        .flatten()
}

#[tokio::test]
async fn build_info_carries_the_commit_of_a_clone() {
    let Some(head) = git_head() else {
        // Not built from a clone (a source archive): nothing to compare with.
        return;
    };
    let server = fixture_server().await;
    let mut exporter = Exporter::start(BIN, &[], &[("CONNECT_REST_URL", &server.uri())]);
    let base = format!("http://{}", exporter.address());
    let body = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        sample(
            &body,
            &format!("kconnect_exporter_build_info{{version=\"0.1.0\",revision=\"{head}\"}}")
        )
        .as_deref(),
        Some("1"),
        "{}",
        body.lines().take(3).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(exporter.sigterm(), 0);
}
