//! The Connect REST client at its edges: headers, auth, timeouts, TLS, and every failure reason.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use kconnect_exporter::config::ObservationVersion::V1;
use kconnect_exporter::connect::{BasicAuth, ConnectClient, Reason, USER_AGENT};
use kconnect_exporter::secret::Secret;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client_for(
    uri: &str,
    f: impl FnOnce(&mut kconnect_exporter::config::ClusterConfig),
) -> ConnectClient {
    let mut c = cluster("default", uri, V1);
    f(&mut c);
    ConnectClient::new(&c.client).expect("client builds")
}

#[tokio::test]
async fn basic_auth_is_sent_exactly_when_configured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")))
        .mount(&server)
        .await;

    let with = client_for(&server.uri(), |c| {
        c.client.basic_auth = Some(BasicAuth {
            user: "connect".into(),
            password: Secret::new("p@ss:w0rd"),
        })
    });
    with.server_info().await.expect("answers");
    let without = client_for(&server.uri(), |_| {});
    without.server_info().await.expect("answers");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    // base64("connect:p@ss:w0rd")
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Basic Y29ubmVjdDpwQHNzOncwcmQ="
    );
    assert!(requests[1].headers.get("authorization").is_none());
    for r in &requests {
        assert_eq!(r.headers.get("user-agent").unwrap(), USER_AGENT);
        assert_eq!(r.headers.get("accept").unwrap(), "application/json");
    }
    assert!(USER_AGENT.starts_with("kconnect-exporter/"));
}

#[tokio::test]
async fn server_info_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")))
        .mount(&server)
        .await;
    let info = client_for(&server.uri(), |_| {})
        .server_info()
        .await
        .unwrap();
    assert_eq!(info.version, "3.9.0");
    assert_eq!(info.commit, "5e2c1f8a9b3d4c70");
    assert_eq!(
        info.kafka_cluster_id.as_deref(),
        Some("h7R2kQm9Tq-5vXcYb3LwZA")
    );
}

#[tokio::test]
async fn a_slow_answer_fails_with_reason_timeout_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")).set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), |c| {
        c.client.timeout = Duration::from_millis(300)
    });
    let started = Instant::now();
    let err = client.server_info().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.reason, Reason::Timeout);
    assert_eq!(err.request, "GET /");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "took {took:?}"
    );
}

#[tokio::test]
async fn each_http_failure_has_its_reason_and_message() {
    let cases: Vec<(u16, String, Reason, &str)> = vec![
        (
            401,
            fixture("error-401-basic-auth.txt"),
            Reason::Auth,
            "HTTP 401: User cannot access the resource.",
        ),
        (
            403,
            fixture("error-403-topic-tracking.json"),
            Reason::Auth,
            "HTTP 403: Topic tracking is disabled.",
        ),
        (
            404,
            fixture("error-404-unknown-path.json"),
            Reason::NotFound,
            "HTTP 404 Not Found",
        ),
        (
            409,
            fixture("error-409-no-leader.json"),
            Reason::Rebalance,
            "HTTP 409: Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.",
        ),
        (
            500,
            fixture("error-500-rebalance-expected.json"),
            Reason::Rebalance,
            "HTTP 500: Request cannot be completed because a rebalance is expected",
        ),
        (
            502,
            "<html>Bad Gateway</html>".into(),
            Reason::ServerError,
            "HTTP 502: <html>Bad Gateway</html>",
        ),
        (429, "".into(), Reason::RateLimited, "HTTP 429"),
        (302, "".into(), Reason::UnexpectedStatus, "HTTP 302"),
    ];
    for (status, body, reason, detail) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/connectors"))
            .respond_with(status_json(status, &body).insert_header("location", "http://elsewhere/"))
            .mount(&server)
            .await;
        let err = client_for(&server.uri(), |_| {})
            .connector_names()
            .await
            .unwrap_err();
        assert_eq!(
            (err.reason, err.status, err.detail.as_str()),
            (reason, Some(status), detail)
        );
        assert_eq!(
            err.to_string(),
            format!("{} on GET /connectors: {detail}", reason)
        );
    }
}

#[tokio::test]
async fn a_refused_connection_has_reason_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = client_for(&format!("http://127.0.0.1:{port}"), |_| {})
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(err.reason, Reason::Connect);
    assert!(err.detail.contains("Connection refused"), "{}", err.detail);
}

#[tokio::test]
async fn a_body_over_the_cap_has_reason_too_large() {
    let server = MockServer::start().await;
    let big = format!("[{}\"x\"]", "\"aaaaaaaaaa\",".repeat(200));
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(json(&big))
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), |c| c.client.max_response_bytes = 1024)
        .connector_names()
        .await
        .unwrap_err();
    assert_eq!(err.reason, Reason::TooLarge);
    assert_eq!(
        err.detail,
        "response body exceeds 1024 bytes (raise --connect.max-response-bytes)"
    );
    let ok = client_for(&server.uri(), |c| c.client.max_response_bytes = 1 << 20)
        .connector_names()
        .await
        .unwrap();
    assert_eq!(ok.len(), 201);
}

#[tokio::test]
async fn a_path_prefix_in_the_url_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/proxy/connect/connectors"))
        .respond_with(json("[]"))
        .mount(&server)
        .await;
    let names = client_for(&format!("{}/proxy/connect/", server.uri()), |_| {})
        .connector_names()
        .await
        .unwrap();
    assert!(names.is_empty());
}

#[tokio::test]
async fn auth_header_is_not_sent_to_mocks_that_require_none() {
    // The header matcher proves the exact credentials arrive where auth is configured.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(header("authorization", "Basic dTpw"))
        .respond_with(json("[\"a\"]"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("User cannot access the resource."),
        )
        .mount(&server)
        .await;
    let good = client_for(&server.uri(), |c| {
        c.client.basic_auth = Some(BasicAuth {
            user: "u".into(),
            password: Secret::new("p"),
        })
    });
    assert_eq!(good.connector_names().await.unwrap(), vec!["a".to_string()]);
    let bad = client_for(&server.uri(), |c| {
        c.client.basic_auth = Some(BasicAuth {
            user: "u".into(),
            password: Secret::new("wrong"),
        })
    });
    let err = bad.connector_names().await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    assert!(!err.to_string().contains("wrong"));
}

// ---- TLS ---------------------------------------------------------------------------------

struct Pki {
    ca_pem: String,
    ca_der: Vec<u8>,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
    client_pem: String,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kconnect-exporter");
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        server_chain: vec![server_cert.der().clone()],
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        client_pem: format!("{}{}", client_key.serialize_pem(), client_cert.pem()),
    }
}

/// An HTTPS server on 127.0.0.1 answering every request with Connect's `GET /` body; with
/// `client_ca` it demands a client certificate signed by that CA.
async fn tls_server(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    client_ca: Option<Vec<u8>>,
) -> (String, tokio::task::JoinHandle<()>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(der) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der.into()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(chain, key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = fixture("root.json");
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{}", addr.port()), task)
}

#[tokio::test]
async fn tls_self_signed_is_rejected_by_default_and_accepted_when_permissive() {
    let self_signed = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let chain = vec![self_signed.cert.der().clone()];
    let key =
        rustls::pki_types::PrivateKeyDer::Pkcs8(self_signed.signing_key.serialize_der().into());
    let (url, server) = tls_server(chain, key, None).await;

    let err = client_for(&url, |_| {}).server_info().await.unwrap_err();
    assert_eq!(err.reason, Reason::Tls, "{err}");
    let info = client_for(&url, |c| c.client.permissive_tls = true)
        .server_info()
        .await
        .expect("permissive accepts");
    assert_eq!(info.version, "3.9.0");
    server.abort();
}

#[tokio::test]
async fn tls_custom_ca_is_trusted_and_only_it() {
    let pki = pki();
    let (url, server) =
        tls_server(pki.server_chain.clone(), pki.server_key.clone_key(), None).await;
    let info = client_for(&url, |c| c.client.trusted_certs = vec![pki.ca_der.clone()])
        .server_info()
        .await;
    assert_eq!(info.expect("the CA is trusted").version, "3.9.0");
    // Another CA does not vouch for this server.
    let other = pki_other_ca();
    let err = client_for(&url, |c| c.client.trusted_certs = vec![other])
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(err.reason, Reason::Tls);
    assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    server.abort();
}

fn pki_other_ca() -> Vec<u8> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .to_vec()
}

#[tokio::test]
async fn mtls_presents_the_client_certificate() {
    let pki = pki();
    let (url, server) = tls_server(
        pki.server_chain.clone(),
        pki.server_key.clone_key(),
        Some(pki.ca_der.clone()),
    )
    .await;
    let with = client_for(&url, |c| {
        c.client.trusted_certs = vec![pki.ca_der.clone()];
        c.client.identity_pem = Some(Secret::new(pki.client_pem.clone()));
    });
    assert_eq!(
        with.server_info()
            .await
            .expect("the server accepts our certificate")
            .version,
        "3.9.0"
    );
    let without = client_for(&url, |c| c.client.trusted_certs = vec![pki.ca_der.clone()]);
    let err = without.server_info().await.unwrap_err();
    assert_eq!(err.reason, Reason::Tls, "{err}");
    server.abort();
}
