//! HTTPS from a web configuration file, by real handshakes on 127.0.0.1: server TLS, client
//! certificates under each client_auth_type, the principal a verified certificate names, and
//! certificate and CA rotation without a restart.

mod tls_support;

use std::path::Path;
use std::time::{Duration, Instant};

use rcgen::SanType;

use kconnect_exporter::web::{RELOAD_INTERVAL, WebConfig, certificate_principal};
use tls_support::{Ca, Client, Files, serve, yaml};

#[tokio::test]
async fn serves_the_configured_certificate_with_the_configured_versions_and_alpn() {
    let ca = Ca::new("server CA");
    let leaf = ca.server("server-1");
    let files = Files::new(&leaf, &ca);

    let config = files.config(&yaml("NoClientCert", ""));
    let (port, _seen, task) = serve(&config).await;
    let mut client = Client::new();
    client.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let got = client.connect(port, &ca).await.unwrap();
    assert_eq!(got.server_cert, leaf.der);
    assert_eq!(got.version, rustls::ProtocolVersion::TLSv1_3);
    assert_eq!(got.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(got.line, "-\n");
    task.abort();

    // TLS 1.2 only, one suite, no HTTP/2
    let config = files.config(&yaml(
        "NoClientCert",
        "  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n\
         http_server_config:\n  http2: false\n",
    ));
    let (port, _seen, task) = serve(&config).await;
    let got = client.connect(port, &ca).await.unwrap();
    assert_eq!(got.version, rustls::ProtocolVersion::TLSv1_2);
    assert_eq!(got.alpn.as_deref(), Some(&b"http/1.1"[..]));
    task.abort();

    // TLS 1.3 only refuses a TLS 1.2 client
    let config = files.config(&yaml("NoClientCert", "  min_version: TLS13\n"));
    let (port, mut seen, task) = serve(&config).await;
    let mut old = Client::new();
    old.versions = vec![&rustls::version::TLS12];
    assert!(old.connect(port, &ca).await.is_err());
    let server_side = seen.recv().await.unwrap().unwrap_err();
    assert_eq!(
        server_side,
        "peer is incompatible: Tls12NotOfferedOrEnabled"
    );
    task.abort();
}

/// Every client_auth_type against no certificate, a trusted one, an untrusted one and one
/// without a CN: whether the handshake succeeds and which principal the server sees.
#[tokio::test]
async fn client_certificates_per_client_auth_type() {
    let server_ca = Ca::new("server CA");
    let clients_ca = Ca::new("clients CA");
    let other_ca = Ca::new("someone else's CA");
    let files = Files::new(&server_ca.server("server-1"), &clients_ca);
    let alice = clients_ca.client(
        Some("alice"),
        &[SanType::DnsName("alice.example".try_into().unwrap())],
    );
    let no_cn = clients_ca.client(None, &[]);
    let mallory = other_ca.client(Some("alice"), &[]);

    #[derive(Clone, Copy, Debug)]
    enum Cert {
        None,
        Alice,
        NoCn,
        Untrusted,
    }
    const NO_CERT: &str = "peer sent no certificates";
    const UNKNOWN_CA: &str = "invalid peer certificate: UnknownIssuer";
    // (client_auth_type, certificate, the principal the server sees, or why it refuses)
    type Row = (
        &'static str,
        Cert,
        Result<Option<&'static str>, &'static str>,
    );
    let rows: &[Row] = &[
        ("NoClientCert", Cert::None, Ok(None)),
        ("NoClientCert", Cert::Alice, Ok(None)),
        ("RequestClientCert", Cert::None, Ok(None)),
        // not verified, so not believed
        ("RequestClientCert", Cert::Alice, Ok(None)),
        ("RequestClientCert", Cert::Untrusted, Ok(None)),
        ("RequireAnyClientCert", Cert::None, Err(NO_CERT)),
        ("RequireAnyClientCert", Cert::Untrusted, Ok(None)),
        ("VerifyClientCertIfGiven", Cert::None, Ok(None)),
        ("VerifyClientCertIfGiven", Cert::Alice, Ok(Some("alice"))),
        (
            "VerifyClientCertIfGiven",
            Cert::NoCn,
            Ok(Some("O=Acme, OU=Ops")),
        ),
        ("VerifyClientCertIfGiven", Cert::Untrusted, Err(UNKNOWN_CA)),
        ("RequireAndVerifyClientCert", Cert::None, Err(NO_CERT)),
        ("RequireAndVerifyClientCert", Cert::Alice, Ok(Some("alice"))),
        (
            "RequireAndVerifyClientCert",
            Cert::Untrusted,
            Err(UNKNOWN_CA),
        ),
    ];
    for &(auth, cert, want) in rows {
        let ca_line = if auth == "NoClientCert" {
            ""
        } else {
            "  client_ca_file: clients.pem\n"
        };
        let config = files.config(&yaml(auth, ca_line));
        let (port, mut seen, task) = serve(&config).await;
        let client = match cert {
            Cert::None => Client::new(),
            Cert::Alice => Client::new().with_cert(&alice),
            Cert::NoCn => Client::new().with_cert(&no_cn),
            Cert::Untrusted => Client::new().with_cert(&mallory),
        };
        let got = client.connect(port, &server_ca).await;
        let server_side = seen.recv().await.unwrap();
        let label = format!("{auth} with {cert:?}: client {got:?}, server {server_side:?}");
        match want {
            Ok(principal) => {
                let got = got.expect(&label);
                assert_eq!(
                    server_side.as_ref().unwrap().as_deref(),
                    principal,
                    "{label}"
                );
                assert_eq!(
                    got.line,
                    format!("{}\n", principal.unwrap_or("-")),
                    "{label}"
                );
            }
            Err(why) => {
                assert!(got.is_err(), "{label}");
                assert_eq!(server_side, Err(why.to_string()), "{label}");
            }
        }
        task.abort();
    }
}

#[tokio::test]
async fn client_allowed_sans_must_match_a_san_of_the_certificate() {
    let server_ca = Ca::new("server CA");
    let clients_ca = Ca::new("clients CA");
    let files = Files::new(&server_ca.server("server-1"), &clients_ca);
    let config = files.config(&yaml(
        "RequireAndVerifyClientCert",
        "  client_ca_file: clients.pem\n  client_allowed_sans: [prometheus.example, \
         10.0.0.7, \"ops@example.com\"]\n",
    ));
    let (port, mut seen, task) = serve(&config).await;
    let rows: Vec<(SanType, bool)> = vec![
        (
            SanType::DnsName("prometheus.example".try_into().unwrap()),
            true,
        ),
        (SanType::IpAddress("10.0.0.7".parse().unwrap()), true),
        (
            SanType::Rfc822Name("ops@example.com".try_into().unwrap()),
            true,
        ),
        (
            SanType::DnsName("grafana.example".try_into().unwrap()),
            false,
        ),
        (SanType::IpAddress("10.0.0.8".parse().unwrap()), false),
    ];
    for (san, allowed) in rows {
        let leaf = clients_ca.client(Some("scraper"), std::slice::from_ref(&san));
        let got = Client::new()
            .with_cert(&leaf)
            .connect(port, &server_ca)
            .await;
        let server_side = seen.recv().await.unwrap();
        assert_eq!(got.is_ok(), allowed, "{san:?}: {got:?}");
        let want = if allowed {
            Ok(Some("scraper".to_string()))
        } else {
            Err("invalid peer certificate: ApplicationVerificationFailure".to_string())
        };
        assert_eq!(server_side, want, "{san:?}");
    }
    task.abort();
}

#[tokio::test]
async fn a_replaced_certificate_is_served_on_the_next_handshake() {
    let ca = Ca::new("server CA");
    let first = ca.server("server-1");
    let second = ca.server("server-2");
    let third = ca.server("server-3");
    let files = Files::new(&first, &ca);
    let config = files.config(&yaml("NoClientCert", ""));
    let (port, _seen, task) = serve(&config).await;
    let client = Client::new();
    let presented = || async { client.connect(port, &ca).await.unwrap().server_cert };

    assert_eq!(presented().await, first.der);
    files.server(&second);
    assert_eq!(presented().await, second.der);
    // Broken files: the last good pair is kept.
    files.write("server.crt", "not a certificate");
    assert_eq!(presented().await, second.der);
    std::fs::remove_file(files.path("server.key")).unwrap();
    assert_eq!(presented().await, second.der);
    // Half a rotation (the new certificate, the old key) is not served; the whole one is.
    files.write("server.crt", &third.cert_pem);
    files.write("server.key", &second.key_pem);
    assert_eq!(presented().await, second.der);
    files.write("server.key", &third.key_pem);
    assert_eq!(presented().await, third.der);
    task.abort();
}

#[tokio::test]
async fn with_the_default_interval_a_rotation_shows_within_seconds() {
    let ca = Ca::new("server CA");
    let first = ca.server("server-1");
    let second = ca.server("server-2");
    let files = Files::new(&first, &ca);
    files.write("web.yml", &yaml("NoClientCert", ""));
    let config = WebConfig::load(&files.path("web.yml")).unwrap();
    let (port, _seen, task) = serve(&config).await;
    let client = Client::new();
    assert_eq!(
        client.connect(port, &ca).await.unwrap().server_cert,
        first.der
    );
    files.server(&second);
    let deadline = Instant::now() + RELOAD_INTERVAL * 10;
    loop {
        if client.connect(port, &ca).await.unwrap().server_cert == second.der {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate never showed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
}

#[tokio::test]
async fn a_replaced_client_ca_is_used_on_the_next_handshake() {
    let server_ca = Ca::new("server CA");
    let old_ca = Ca::new("old clients CA");
    let new_ca = Ca::new("new clients CA");
    let files = Files::new(&server_ca.server("server-1"), &old_ca);
    let config = files.config(&yaml(
        "RequireAndVerifyClientCert",
        "  client_ca_file: clients.pem\n",
    ));
    let (port, mut seen, task) = serve(&config).await;
    let old_client = Client::new().with_cert(&old_ca.client(Some("old"), &[]));
    let new_client = Client::new().with_cert(&new_ca.client(Some("new"), &[]));
    let mut attempt = async |client: &Client| {
        let got = client.connect(port, &server_ca).await;
        let _ = seen.recv().await.unwrap();
        got.map(|g| g.line)
    };
    assert_eq!(attempt(&old_client).await, Ok("old\n".to_string()));
    assert!(attempt(&new_client).await.is_err());
    files.write("clients.pem", &new_ca.pem());
    assert_eq!(attempt(&new_client).await, Ok("new\n".to_string()));
    assert!(attempt(&old_client).await.is_err());
    // A broken CA file keeps the last good CA.
    files.write("clients.pem", "garbage");
    assert_eq!(attempt(&new_client).await, Ok("new\n".to_string()));
    task.abort();
}

#[test]
fn broken_files_stop_the_start_with_the_key_and_the_file_named() {
    let ca = Ca::new("server CA");
    let leaf = ca.server("server-1");
    let other = ca.server("server-2");
    let files = Files::new(&leaf, &ca);
    let web = files.path("web.yml");
    let load = |text: &str| {
        files.write("web.yml", text);
        WebConfig::load(&web).unwrap_err().problems
    };
    let d = files.dir.path().display().to_string();
    let f = format!("{d}/web.yml: tls_server_config");

    let got = load("tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n");
    assert_eq!(
        got,
        [
            format!(
                "{f}.cert_file: {d}/missing.crt cannot be read: No such file or directory (os \
                 error 2)"
            ),
            format!(
                "{f}.key_file: {d}/missing.key cannot be read: No such file or directory (os \
                 error 2)"
            ),
        ]
    );
    files.write("other.key", &other.key_pem);
    files.write("garbage.crt", "hello");
    files.write(
        "encrypted.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let rows = [
        (
            "cert_file: server.crt\n  key_file: other.key",
            format!(
                "{f}.key_file: the private key in {d}/other.key does not match the certificate \
                 in {d}/server.crt"
            ),
        ),
        (
            "cert_file: garbage.crt\n  key_file: server.key",
            format!("{f}.cert_file: {d}/garbage.crt holds no PEM certificate"),
        ),
        (
            "cert_file: server.crt\n  key_file: garbage.crt",
            format!(
                "{f}.key_file: {d}/garbage.crt holds no PEM private key (PKCS#8, PKCS#1 or SEC1)"
            ),
        ),
        (
            "cert_file: server.crt\n  key_file: encrypted.key",
            format!(
                "{f}.key_file: {d}/encrypted.key holds an encrypted private key; decrypt it \
                 (openssl pkey -in KEY -out KEY.pem)"
            ),
        ),
        (
            "cert_file: server.crt\n  key_file: server.key\n  client_auth_type: \
             RequireAndVerifyClientCert\n  client_ca_file: garbage.crt",
            format!("{f}.client_ca_file: {d}/garbage.crt holds no PEM certificate"),
        ),
    ];
    for (tls, want) in rows {
        let got = load(&format!("tls_server_config:\n  {tls}\n"));
        assert_eq!(got, [want], "{tls}");
        let key_material = leaf.key_pem.lines().nth(1).unwrap();
        assert!(!got[0].contains(key_material));
    }
}

#[test]
fn inline_certificate_and_key_load_too() {
    let ca = Ca::new("server CA");
    let leaf = ca.server("server-1");
    let indent = |pem: &str| {
        pem.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let text = format!(
        "tls_server_config:\n  cert: |\n{}  key: |\n{}",
        indent(&leaf.cert_pem),
        indent(&leaf.key_pem)
    );
    let config = WebConfig::from_text(Path::new("/etc/web.yml"), &text, RELOAD_INTERVAL).unwrap();
    assert_eq!(
        config.describe(),
        "TLS (client certificates: NoClientCert, http2: true)"
    );
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(leaf.key_pem.lines().nth(1).unwrap()),
        "{debug}"
    );
}

#[test]
fn the_principal_is_the_cn_or_else_the_whole_subject() {
    let ca = Ca::new("clients CA");
    let rows = [
        (
            ca.client(Some("kconnect-client"), &[]),
            Some("kconnect-client"),
        ),
        (ca.client(None, &[]), Some("O=Acme, OU=Ops")),
    ];
    for (leaf, want) in rows {
        assert_eq!(certificate_principal(&leaf.der).as_deref(), want);
    }
    assert_eq!(certificate_principal(b"not DER"), None);
}
