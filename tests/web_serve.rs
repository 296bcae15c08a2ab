//! The web configuration file against the running binary, as Prometheus and curl meet it:
//! HTTPS (HTTP/1.1 and HTTP/2), client certificates, bcrypt users, wrong and missing passwords,
//! `/-/healthy` open to all, the configured headers, certificate rotation without a restart,
//! `--healthcheck` over TLS, and a broken file stopping the start.

mod common;
mod tls_support;

use std::process::Command;
use std::time::{Duration, Instant};

use common::exporter::{DEADLINE, Exporter};
use common::fixture_server;
use tls_support::{Ca, Files, Leaf};

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

/// A bcrypt hash of `password` at the lowest cost, so the tests do not wait on bcrypt.
fn hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

fn client(ca: &Ca) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
        .tls_info(true)
        .no_proxy()
}

fn identity(leaf: &Leaf) -> reqwest::Identity {
    reqwest::Identity::from_pem(format!("{}{}", leaf.cert_pem, leaf.key_pem).as_bytes()).unwrap()
}

fn start(files: &Files, connect: &str) -> (Exporter, String) {
    let flag = format!("--web.config.file={}", files.path("web.yml").display());
    let mut exporter = Exporter::start(BIN, &[&flag], &[("CONNECT_REST_URL", connect)]);
    let line = exporter.wait_log("serving metrics");
    assert_eq!(line["scheme"], "https");
    let address = line["address"].as_str().unwrap().to_string();
    let port = address.rsplit_once(':').unwrap().1.to_string();
    (exporter, format!("https://localhost:{port}"))
}

#[tokio::test]
async fn tls_and_basic_auth_guard_every_endpoint_but_healthy() {
    let connect = fixture_server().await;
    let ca = Ca::new("server CA");
    let files = Files::new(&ca.server("kconnect"), &ca);
    files.write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\
             basic_auth_users:\n  prometheus: {}\n  alice: {}\n\
             http_server_config:\n  headers:\n    X-Frame-Options: deny\n    \
             X-Content-Type-Options: nosniff\n",
            hash("scrape-secret"),
            hash("alice-secret")
        ),
    );
    let (mut exporter, base) = start(&files, &connect.uri());
    let http = client(&ca).build().unwrap();

    let challenge = "Basic realm=\"kconnect-exporter\"";
    for path in ["/metrics", "/", "/-/ready", "/nowhere", "/api/v1/clusters"] {
        for auth in [None, Some(("prometheus", "wrong")), Some(("mallory", "x"))] {
            let mut r = http.get(format!("{base}{path}"));
            if let Some((u, p)) = auth {
                r = r.basic_auth(u, Some(p));
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 401, "{path} with {auth:?}");
            assert_eq!(r.headers()["www-authenticate"], challenge, "{path}");
            assert_eq!(r.headers()["x-frame-options"], "deny", "{path}");
            assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        }
    }
    let r = http
        .get(format!("{base}/api/v1/clusters"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.text().await.unwrap(),
        "{\"error\":\"unauthorized\",\"message\":\"authentication required: basic auth with a \
         user of the web configuration\"}\n"
    );

    // A health probe has no credentials; it still gets the headers.
    let r = http.get(format!("{base}/-/healthy")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-frame-options"], "deny");
    assert_eq!(r.text().await.unwrap(), "kconnect-exporter is healthy.\n");

    // Prometheus' way: HTTP/1.1, basic auth, gzip.
    let until = Instant::now() + DEADLINE;
    let body = loop {
        let r = http
            .get(format!("{base}/metrics"))
            .basic_auth("prometheus", Some("scrape-secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-frame-options"], "deny");
        let body = r.text().await.unwrap();
        if body.contains("kconnect_up{connect_cluster=\"default\"} 1") || Instant::now() > until {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        body.contains("kconnect_up{connect_cluster=\"default\"} 1"),
        "{body}"
    );

    // ALPN: HTTP/2 when the client offers it (exporter-toolkit's default), HTTP/1.1 otherwise.
    let r = http
        .get(format!("{base}/metrics"))
        .basic_auth("alice", Some("alice-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (200, reqwest::Version::HTTP_2)
    );
    let h1 = client(&ca).http1_only().build().unwrap();
    let r = h1
        .get(format!("{base}/"))
        .basic_auth("alice", Some("alice-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.version()),
        (200, reqwest::Version::HTTP_11)
    );
    let landing = r.text().await.unwrap();
    assert!(landing.contains("<td>default</td>"), "{landing}");
    assert!(!landing.contains("secret"), "{landing}");

    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("{}/-/healthy", base.replace("https", "http"))).await;
    assert!(plain.is_err(), "{plain:?}");
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn client_certificates_are_required_and_verified() {
    let connect = fixture_server().await;
    let server_ca = Ca::new("server CA");
    let clients_ca = Ca::new("clients CA");
    let files = Files::new(&server_ca.server("kconnect"), &clients_ca);
    files.write(
        "web.yml",
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: clients.pem\n",
    );
    let (mut exporter, base) = start(&files, &connect.uri());

    let without = client(&server_ca).build().unwrap();
    let e = without
        .get(format!("{base}/-/healthy"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect() || e.is_request(), "{e:?}");

    let stranger = Ca::new("another CA").client(Some("prometheus"), &[]);
    let refused = client(&server_ca)
        .identity(identity(&stranger))
        .build()
        .unwrap();
    assert!(refused.get(format!("{base}/metrics")).send().await.is_err());

    let prometheus = clients_ca.client(Some("prometheus"), &[]);
    let with = client(&server_ca)
        .identity(identity(&prometheus))
        .build()
        .unwrap();
    let r = with.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // The health probe has no certificate: the server asking for one is a live server.
    let address = base.replace("https://localhost", "127.0.0.1");
    let out = Command::new(BIN)
        .args([
            "--healthcheck",
            &format!("--web.listen-address={address}"),
            &format!("--web.config.file={}", files.path("web.yml").display()),
        ])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn optional_client_certificates_leave_the_metrics_open() {
    let connect = fixture_server().await;
    let ca = Ca::new("CA");
    let files = Files::new(&ca.server("kconnect"), &ca);
    files.write(
        "web.yml",
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: clients.pem\n",
    );
    let (mut exporter, base) = start(&files, &connect.uri());
    let without = client(&ca).build().unwrap();
    let r = without.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let with = client(&ca)
        .identity(identity(&ca.client(Some("prometheus"), &[])))
        .build()
        .unwrap();
    let r = with.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn a_rotated_certificate_is_served_without_a_restart() {
    let connect = fixture_server().await;
    let ca = Ca::new("CA");
    let first = ca.server("first");
    let files = Files::new(&first, &ca);
    files.write(
        "web.yml",
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
    );
    let (mut exporter, base) = start(&files, &connect.uri());
    let served = || async {
        // A new connection per request, so that each one makes a handshake.
        let http = client(&ca).pool_max_idle_per_host(0).build().unwrap();
        let r = http.get(format!("{base}/-/healthy")).send().await.unwrap();
        r.extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|t| t.peer_certificate())
            .unwrap()
            .to_vec()
    };
    assert_eq!(served().await, first.der.to_vec());

    let second = ca.server("second");
    files.server(&second);
    let until = Instant::now() + DEADLINE;
    while served().await != second.der.to_vec() {
        assert!(
            Instant::now() < until,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn healthcheck_speaks_tls_to_a_tls_listener() {
    let connect = fixture_server().await;
    let ca = Ca::new("CA");
    let files = Files::new(&ca.server("kconnect.example"), &ca);
    files.write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\
             basic_auth_users:\n  prometheus: {}\n",
            hash("p")
        ),
    );
    let (mut exporter, base) = start(&files, &connect.uri());
    let address = base.replace("https://localhost", "127.0.0.1");
    let web = format!("--web.config.file={}", files.path("web.yml").display());
    let check = |web: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.args(["--healthcheck", &format!("--web.listen-address={address}")]);
        if let Some(w) = web {
            cmd.arg(w);
        }
        cmd.env_clear().output().unwrap()
    };
    let out = check(Some(&web));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the web configuration the probe speaks plain HTTP to a TLS port, and says so.
    let out = check(None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "kconnect-exporter --healthcheck: unhealthy: http://{address}/-/healthy: "
        )),
        "{stderr}"
    );
    assert_eq!(exporter.sigterm(), 0);
    let out = check(Some(&web));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "kconnect-exporter --healthcheck: unhealthy: nothing answers on {address}: is the \
             exporter running, with this --web.listen-address?\n"
        )
    );
}

#[test]
fn a_broken_web_configuration_stops_the_start_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n  \
         min_version: TLS10\nbasic_auth_users:\n  alice: hunter2\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg(format!("--web.config.file={}", web.display()))
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = web.display();
    assert!(
        stderr.starts_with("kconnect-exporter: invalid configuration (2 problems):\n"),
        "{stderr}"
    );
    for key in ["tls_server_config.min_version", "basic_auth_users.alice"] {
        assert!(
            stderr.contains(&format!("  --web.config.file: {file}: {key}: ")),
            "{key} in {stderr}"
        );
    }
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // Files it names are read once the file itself is right.
    std::fs::write(
        &web,
        "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg(format!("--web.config.file={}", web.display()))
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let dir = dir.path().display();
    assert_eq!(
        stderr,
        format!(
            "kconnect-exporter: invalid configuration (2 problems):\n  --web.config.file: \
             {file}: tls_server_config.cert_file: {dir}/missing.crt cannot be read: No such file \
             or directory (os error 2)\n  --web.config.file: {file}: tls_server_config.key_file: \
             {dir}/missing.key cannot be read: No such file or directory (os error 2)\n"
        )
    );

    // The same through the variable.
    let out = Command::new(BIN)
        .arg("--config.check")
        .env_clear()
        .env("KCONNECT_WEB_CONFIG_FILE", &web)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(
        "  KCONNECT_WEB_CONFIG_FILE: {file}: tls_server_config.cert_file: "
    )));
}

#[test]
fn config_check_shows_the_web_configuration_and_access_control() {
    let ca = Ca::new("CA");
    let files = Files::new(&ca.server("kconnect"), &ca);
    files.write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\
             basic_auth_users:\n  alice: {}\n",
            hash("alice-secret")
        ),
    );
    files.write(
        "kconnect.yaml",
        &format!(
            "KCONNECT_WEB_CONFIG_FILE: {}\nALLOW_CONNECT_INSPECT: true\nCONNECT_AUTO_RESTART: \
             true\nCONNECT_AUTO_RESTART_BACKOFF_UNIT: 5s\n",
            files.path("web.yml").display()
        ),
    );
    let out = Command::new(BIN)
        .args([
            "--config.check",
            &format!("--config.file={}", files.path("kconnect.yaml").display()),
        ])
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let web = files.path("web.yml").display().to_string();
    for line in [
        format!(
            "# web configuration {web}: TLS (client certificates: NoClientCert, http2: true), \
             basic auth (1 user)"
        ),
        "# access control: simple, ALLOW_CONNECT_INSPECT=true".to_string(),
        "# warning: auto-restart of cluster default is on but access control allows no \
         CONNECT_ALTER_STATE: it restarts nothing; set ALLOW_CONNECT_ALTER_STATE=true, or give \
         the principal auto-restart a role in RBAC_CONFIGURATION_FILE"
            .to_string(),
        format!("KCONNECT_WEB_CONFIG_FILE={web}"),
        "ALLOW_CONNECT_INSPECT=true".to_string(),
        "CONNECT_AUTO_RESTART=true\nCONNECT_AUTO_RESTART_MAX_ATTEMPTS=7\n\
         CONNECT_AUTO_RESTART_RESET_AFTER=10m\nCONNECT_AUTO_RESTART_BACKOFF_UNIT=5s"
            .to_string(),
    ] {
        assert!(
            stdout.contains(&format!("{line}\n")),
            "{line:?} in\n{stdout}"
        );
    }
    assert!(!stdout.contains("$2"), "no hash is shown: {stdout}");
}

#[tokio::test]
async fn the_rate_limit_refuses_beyond_its_burst_but_never_the_health_probe() {
    let connect = fixture_server().await;
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        "rate_limit:\n  interval: 1h\n  burst: 2\nhttp_server_config:\n  headers:\n    \
         X-Content-Type-Options: nosniff\n",
    )
    .unwrap();
    let flag = format!("--web.config.file={}", web.display());
    let mut exporter = Exporter::start(BIN, &[&flag], &[("CONNECT_REST_URL", &connect.uri())]);
    let base = format!("http://{}", exporter.address());
    let mut statuses = Vec::new();
    for path in ["/metrics", "/", "/metrics", "/-/healthy", "/-/ready"] {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 200, 429]);
    assert_eq!(exporter.sigterm(), 0);
}
