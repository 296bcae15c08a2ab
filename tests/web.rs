//! The web configuration file as an operator writes it (exporter-toolkit's format): every key,
//! every mistake with its exact message, and basic authentication against bcrypt hashes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use kconnect_exporter::secret::Secret;
use kconnect_exporter::web::{
    AuthError, BasicAuth, CipherSuite, ClientAuthType, Curve, HttpSettings, PemSource, RateLimit,
    TlsSettings, TlsVersion, WWW_AUTHENTICATE, WebConfig, WebSettings,
};

const FILE: &str = "/etc/kconnect/web.yml";

/// Users of exporter-toolkit's own test data (web/testdata/web_config_users.good.yml), whose
/// tests log in as alice/alice123, carol/carol123 and dave/dave123.
const ALICE_HASH: &str = "$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby";
const CAROL_HASH: &str = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu";
const DAVE_HASH: &str = "$2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq";

fn parse(text: &str) -> Result<WebSettings, Vec<String>> {
    WebSettings::parse(Path::new(FILE), text)
}

#[test]
fn every_key_is_read() {
    let text = format!(
        r#"
tls_server_config:
  cert_file: server.crt
  key_file: /secrets/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  min_version: TLS12
  max_version: TLS13
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  curve_preferences: [X25519, CurveP384, CurveP256]
  prefer_server_cipher_suites: false
  client_allowed_sans: [prometheus.example, "10.0.0.7"]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000; includeSubDomains
    X-Content-Type-Options: nosniff
    X-XSS-Protection: 1
    Content-Security-Policy: "default-src 'self' *.test.example.net"
basic_auth_users:
  alice: {ALICE_HASH}
  carol: {CAROL_HASH}
rate_limit:
  interval: 100ms
  burst: 20
"#
    );
    let settings = parse(&text).unwrap();
    assert_eq!(
        settings,
        WebSettings {
            tls: Some(TlsSettings {
                cert: PemSource::File(PathBuf::from("/etc/kconnect/server.crt")),
                key: PemSource::File(PathBuf::from("/secrets/server.key")),
                client_auth_type: ClientAuthType::RequireAndVerifyClientCert,
                client_ca: Some(PemSource::File(PathBuf::from(
                    "/etc/kconnect/ca/clients.pem"
                ))),
                min_version: TlsVersion::Tls12,
                max_version: TlsVersion::Tls13,
                cipher_suites: vec![
                    CipherSuite::EcdheRsaAes128GcmSha256,
                    CipherSuite::EcdheEcdsaChacha20Poly1305Sha256
                ],
                curve_preferences: vec![Curve::X25519, Curve::P384, Curve::P256],
                prefer_server_cipher_suites: false,
                client_allowed_sans: vec!["prometheus.example".into(), "10.0.0.7".into()],
            }),
            http: HttpSettings {
                http2: false,
                headers: vec![
                    ("X-Frame-Options".into(), "deny".into()),
                    (
                        "Strict-Transport-Security".into(),
                        "max-age=31536000; includeSubDomains".into()
                    ),
                    ("X-Content-Type-Options".into(), "nosniff".into()),
                    ("X-XSS-Protection".into(), "1".into()),
                    (
                        "Content-Security-Policy".into(),
                        "default-src 'self' *.test.example.net".into()
                    ),
                ],
            },
            basic_auth_users: vec![
                ("alice".into(), Secret::new(ALICE_HASH)),
                ("carol".into(), Secret::new(CAROL_HASH)),
            ],
            rate_limit: Some(RateLimit {
                interval: Duration::from_millis(100),
                burst: 20
            }),
            warnings: vec![],
        }
    );
}

#[test]
fn defaults_follow_exporter_toolkit() {
    // exporter-toolkit's own minimal example (web/web-config.yml)
    let settings =
        parse("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n").unwrap();
    let tls = settings.tls.unwrap();
    assert_eq!(tls.client_auth_type, ClientAuthType::NoClientCert);
    assert_eq!(
        (tls.min_version, tls.max_version),
        (TlsVersion::Tls12, TlsVersion::Tls13)
    );
    assert!(tls.prefer_server_cipher_suites);
    assert_eq!(tls.cipher_suites, []);
    assert_eq!(tls.curve_preferences, []);
    assert_eq!(tls.client_ca, None);
    assert!(settings.http.http2);
    assert_eq!(settings.rate_limit, None);

    for text in ["", "tls_server_config:\n", "tls_server_config: {}\n"] {
        let empty = parse(text).unwrap();
        assert_eq!(
            (empty.tls, empty.basic_auth_users),
            (None, vec![]),
            "{text}"
        );
    }
    // the old name exporter-toolkit keeps, inline PEM, an empty section, interval 0
    let s = parse(
        "tls_server_config:\n  cert: \"-----BEGIN CERTIFICATE-----\"\n  key: secret-key\n  \
         client_auth_type: RequireClientCert\nhttp_server_config:\nrate_limit:\n  interval: 0\n  \
         burst: 5\n",
    )
    .unwrap();
    let tls = s.tls.unwrap();
    assert_eq!(tls.client_auth_type, ClientAuthType::RequireAnyClientCert);
    assert_eq!(
        tls.cert,
        PemSource::Inline(Secret::new("-----BEGIN CERTIFICATE-----"))
    );
    assert_eq!(format!("{:?}", tls.key), "Inline(********)");
    assert_eq!(s.rate_limit, None);
}

#[test]
fn warnings_for_what_loads_but_is_probably_not_meant() {
    let text = format!("basic_auth_users:\n  dave: {DAVE_HASH}\ntls_server_config_x: 1\n");
    // an unknown key is an error, not a warning
    assert_eq!(
        parse(&text).unwrap_err(),
        [format!(
            "{FILE}: tls_server_config_x: unknown key; the keys here are tls_server_config, \
             http_server_config, basic_auth_users, rate_limit"
        )]
    );
    let s = parse(&format!("basic_auth_users:\n  dave: {DAVE_HASH}\n")).unwrap();
    assert_eq!(
        s.warnings,
        [format!(
            "{FILE}: basic_auth_users: without tls_server_config, passwords cross the network \
             in clear text"
        )]
    );
    let s = parse(
        "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: \
         [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n",
    )
    .unwrap();
    assert_eq!(
        s.warnings,
        [format!(
            "{FILE}: tls_server_config.cipher_suites[0]: TLS_AES_128_GCM_SHA256 is a TLS 1.3 \
             suite; TLS 1.3 suites are not configurable (as in Go), so it has no effect"
        )]
    );
}

#[test]
fn every_mistake_is_reported_at_once_without_echoing_secrets() {
    let text = r#"
tls_server_config:
  cert_file: server.crt
  cert: "-----BEGIN CERTIFICATE-----"
  keyfile: server.key
  client_auth_type: RequireAndVerify
  min_version: TLS10
  max_version: TLS11
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    - TLS_RSA_WITH_AES_128_GCM_SHA256
  curve_preferences: [CurveP521, P256]
  prefer_server_cipher_suites: "yes"
  client_allowed_sans: one
http_server_config:
  http2: 1
  headers:
    X-Frame-Options: allow
    X-Content-Type-Options: sniff
    Server: kconnect
    X-XSS-Protection: [1]
    Content-Security-Policy: "a\u0007b"
basic_auth_users:
  alice: alice123
  "bob:smith": $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu
  carol: 42
  dave: $2y$99$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq
rate_limit:
  interval: soon
  burst: 1
"#;
    let t = format!("{FILE}: tls_server_config");
    let suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
                  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
                  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
                  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
    let want = vec![
        format!(
            "{t}.keyfile: unknown key; the keys here are cert, key, client_ca, cert_file, \
             key_file, client_auth_type, client_ca_file, cipher_suites, curve_preferences, \
             min_version, max_version, prefer_server_cipher_suites, client_allowed_sans"
        ),
        format!("{t}: has both cert_file and cert; give one of them"),
        format!(
            "{t}.client_auth_type: \"RequireAndVerify\" is not one of NoClientCert, \
             RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, \
             RequireAndVerifyClientCert"
        ),
        format!(
            "{t}.min_version: TLS10 is not supported: the exporter's TLS (rustls) implements \
             TLS12 and TLS13 only; use TLS12"
        ),
        format!(
            "{t}.max_version: TLS11 is not supported: the exporter's TLS (rustls) implements \
             TLS12 and TLS13 only; use TLS12"
        ),
        format!("{t}.prefer_server_cipher_suites: must be true or false, not a string"),
        format!("{t}.client_allowed_sans: must be a list, not a string"),
        format!(
            "{t}.cipher_suites[0]: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA is a CBC suite, which the \
             exporter's TLS (rustls) does not implement; use the GCM or CHACHA20_POLY1305 suites"
        ),
        format!(
            "{t}.cipher_suites[1]: unknown cipher suite \"TLS_RSA_WITH_AES_128_GCM_SHA256\"; the \
             TLS 1.2 suites are {suites}"
        ),
        format!(
            "{t}.curve_preferences[0]: CurveP521 is not implemented by the exporter's TLS \
             (rustls); use X25519, CurveP256 or CurveP384"
        ),
        format!(
            "{t}.curve_preferences[1]: unknown curve \"P256\"; the curves are X25519, CurveP256 \
             and CurveP384"
        ),
        format!("{t}: missing one of key or key_file"),
        format!("{FILE}: http_server_config.http2: must be true or false, not a number"),
        format!(
            "{FILE}: http_server_config.headers.X-Frame-Options: \"allow\" is not allowed; use \
             \"deny\" or \"sameorigin\""
        ),
        format!(
            "{FILE}: http_server_config.headers.X-Content-Type-Options: \"sniff\" is not \
             allowed; use \"nosniff\""
        ),
        format!(
            "{FILE}: http_server_config.headers.Server: this header can not be configured; the \
             headers are Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, \
             X-XSS-Protection, Content-Security-Policy"
        ),
        format!(
            "{FILE}: http_server_config.headers.X-XSS-Protection: must be a string, not a list"
        ),
        format!(
            "{FILE}: http_server_config.headers.Content-Security-Policy: holds a control or \
             non-ASCII character, which a header value cannot"
        ),
        format!(
            "{FILE}: basic_auth_users.alice: is not a bcrypt hash ($2y$, $2b$ or $2a$, the cost, \
             then 53 characters); make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"
        ),
        format!(
            "{FILE}: basic_auth_users.bob:smith: a user name cannot hold ':' (basic auth splits \
             user and password on it)"
        ),
        format!("{FILE}: basic_auth_users.carol: must be a bcrypt hash (a string), not a number"),
        format!("{FILE}: basic_auth_users.dave: the bcrypt cost must be between 4 and 31"),
        format!("{FILE}: rate_limit.interval: \"soon\" is not a duration such as 1s or 100ms"),
    ];
    let got = parse(text).unwrap_err();
    assert_eq!(got, want);
    let all = got.join("\n");
    for secret in ["alice123", "qRTBuFoULoYNA7AQ", "2UXri9cIDdgeKjBo4R", "42"] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

#[test]
fn rules_that_tie_keys_together() {
    let t = format!("{FILE}: tls_server_config");
    let rows: &[(&str, &[String])] = &[
        (
            "tls_server_config:\n  min_version: TLS13\n",
            &[
                format!("{t}: missing one of cert or cert_file"),
                format!("{t}: missing one of key or key_file"),
            ],
        ),
        (
            "tls_server_config:\n  cert_file: \"\"\n  key_file: k\n",
            &[format!("{t}: missing one of cert or cert_file")],
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca.pem\n",
            &[format!(
                "{t}: client_ca_file is set but client_auth_type is NoClientCert; set \
                 client_auth_type to RequireAndVerifyClientCert"
            )],
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: \
             VerifyClientCertIfGiven\n",
            &[format!(
                "{t}: client_auth_type VerifyClientCertIfGiven needs client_ca_file (or \
                 client_ca), the CA that signs client certificates"
            )],
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_allowed_sans: [a]\n",
            &[format!(
                "{t}: client_allowed_sans needs a client_auth_type that asks for a certificate; \
                 set client_auth_type to RequireAndVerifyClientCert"
            )],
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  \
             max_version: TLS12\n",
            &[format!("{t}: min_version TLS13 is above max_version TLS12")],
        ),
        (
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: \
             [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n",
            &[format!(
                "{t}.cipher_suites: HTTP/2 needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or \
                 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; add one, or set \
                 http_server_config.http2 to false"
            )],
        ),
        (
            "rate_limit:\n  interval: 1s\n",
            &[format!(
                "{FILE}: rate_limit.burst: must be at least 1; with 0 every request would be \
                 refused"
            )],
        ),
        (
            "rate_limit:\n  interval: 1s\n  burst: -1\n",
            &[format!(
                "{FILE}: rate_limit.burst: -1 is out of range; give a number of requests from 1 \
                 to 4294967295"
            )],
        ),
        (
            "- tls_server_config\n",
            &[format!(
                "{FILE} must be a mapping with tls_server_config, http_server_config, \
                 basic_auth_users or rate_limit, not a list"
            )],
        ),
        (
            "basic_auth_users: [alice]\n",
            &[format!(
                "{FILE}: basic_auth_users: must be a mapping, not a list"
            )],
        ),
    ];
    for (text, want) in rows {
        assert_eq!(parse(text).unwrap_err(), *want, "{text}");
    }
    // The same suite list is fine without HTTP/2, or with TLS 1.3 only.
    for extra in ["http_server_config: {http2: false}", ""] {
        let min = if extra.is_empty() {
            "  min_version: TLS13\n"
        } else {
            ""
        };
        let text = format!(
            "tls_server_config:\n  cert_file: c\n  key_file: k\n{min}  cipher_suites: \
             [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n{extra}\n"
        );
        assert!(parse(&text).is_ok(), "{text}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let err = WebConfig::load(Path::new("/nonexistent/web.yml")).unwrap_err();
    assert_eq!(
        err.problems,
        ["/nonexistent/web.yml cannot be read: No such file or directory (os error 2)"]
    );
}

// ---- basic auth ------------------------------------------------------------------------------

fn header(user: &str, password: &str) -> Vec<u8> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}").into_bytes()
}

fn users() -> BasicAuth {
    BasicAuth::new(vec![
        ("alice".into(), Secret::new(ALICE_HASH)),
        ("carol".into(), Secret::new(CAROL_HASH)),
        ("dave".into(), Secret::new(DAVE_HASH)),
    ])
}

#[test]
fn basic_auth_checks_users_against_their_bcrypt_hashes() {
    let auth = users();
    // (header, answer)
    type Row = (Option<Vec<u8>>, Result<&'static str, AuthError>);
    let rows: Vec<Row> = vec![
        (Some(header("carol", "carol123")), Ok("carol")),
        (Some(header("dave", "dave123")), Ok("dave")),
        (
            Some(header("carol", "dave123")),
            Err(AuthError::WrongPassword),
        ),
        (Some(header("carol", "")), Err(AuthError::WrongPassword)),
        (
            Some(header("Carol", "carol123")),
            Err(AuthError::UnknownUser),
        ),
        (
            Some(header("erin", "carol123")),
            Err(AuthError::UnknownUser),
        ),
        (None, Err(AuthError::Missing)),
        (Some(b"Bearer abc".to_vec()), Err(AuthError::Malformed)),
        (Some(b"Basic".to_vec()), Err(AuthError::Malformed)),
        (Some(b"Basic !!!".to_vec()), Err(AuthError::Malformed)),
        // no colon between user and password
        (Some(b"Basic Y2Fyb2w=".to_vec()), Err(AuthError::Malformed)),
        (Some(vec![0xff, 0xfe]), Err(AuthError::Malformed)),
    ];
    for (value, want) in rows {
        let got = auth.authenticate(value.as_deref());
        assert_eq!(got.as_deref().map_err(|e| *e), want, "{value:?}");
    }
    // the scheme is case-insensitive, as HTTP says
    let lower = String::from_utf8(header("dave", "dave123"))
        .unwrap()
        .replace("Basic", "basic");
    assert_eq!(
        auth.authenticate(Some(lower.as_bytes())),
        Ok("dave".to_string())
    );
    assert_eq!(WWW_AUTHENTICATE, "Basic realm=\"kconnect-exporter\"");
}

#[test]
fn successes_are_cached_and_failures_are_not() {
    let auth = users();
    let good = header("alice", "alice123");
    let bad = header("alice", "alice1234");
    assert_eq!(auth.authenticate_cached(Some(&good)), None);
    assert_eq!(auth.authenticate(Some(&good)), Ok("alice".to_string()));
    assert_eq!(
        auth.authenticate_cached(Some(&good)),
        Some(Ok("alice".to_string()))
    );
    // A cached success answers without bcrypt: far under the cost-12 hash's time.
    let started = Instant::now();
    for _ in 0..100 {
        assert_eq!(auth.authenticate(Some(&good)), Ok("alice".to_string()));
    }
    let hundred_cached = started.elapsed();
    let started = Instant::now();
    assert_eq!(auth.authenticate(Some(&bad)), Err(AuthError::WrongPassword));
    let one_bcrypt = started.elapsed();
    assert!(
        hundred_cached < one_bcrypt,
        "100 cached checks took {hundred_cached:?}, one bcrypt {one_bcrypt:?}"
    );
    // a wrong password is never answered from the cache
    assert_eq!(auth.authenticate_cached(Some(&bad)), None);
    assert_eq!(
        auth.authenticate_cached(None),
        Some(Err(AuthError::Missing))
    );
    // The same user with another hash (a changed password) does not inherit the cached success.
    let changed = BasicAuth::new(vec![("alice".into(), Secret::new(CAROL_HASH))]);
    assert_eq!(changed.authenticate_cached(Some(&good)), None);
    assert_eq!(
        changed.authenticate(Some(&good)),
        Err(AuthError::WrongPassword)
    );
}

#[test]
fn an_unknown_user_costs_a_bcrypt_comparison_too() {
    // Only alice (cost 12): the unknown user is compared against a hash of the same cost.
    let auth = BasicAuth::new(vec![("alice".into(), Secret::new(ALICE_HASH))]);
    let time = |user: &str| {
        let started = Instant::now();
        let answer = auth.authenticate(Some(&header(user, "nope")));
        (answer, started.elapsed())
    };
    let (known, known_took) = time("alice");
    let (unknown, unknown_took) = time("mallory");
    assert_eq!(known, Err(AuthError::WrongPassword));
    assert_eq!(unknown, Err(AuthError::UnknownUser));
    // Same work, so the same order of time; without the dummy comparison it would be
    // microseconds against hundreds of milliseconds.
    assert!(
        unknown_took * 4 > known_took,
        "unknown user {unknown_took:?}, known user {known_took:?}"
    );
}

#[tokio::test]
async fn authenticate_async_runs_bcrypt_off_the_workers_and_answers_the_same() {
    let auth = Arc::new(users());
    let rows = [
        (Some(header("dave", "dave123")), Ok("dave".to_string())),
        (Some(header("dave", "dave123")), Ok("dave".to_string())),
        (Some(header("dave", "x")), Err(AuthError::WrongPassword)),
        (None, Err(AuthError::Missing)),
    ];
    for (value, want) in rows {
        assert_eq!(auth.clone().authenticate_async(value).await, want);
    }
    assert_eq!(
        format!("{auth:?}"),
        "BasicAuth { users: [\"alice\", \"carol\", \"dave\"], .. }"
    );
}

/// Truncations and byte-level mutations of a full file, from a fixed seed: parsing answers every
/// one with settings or problems, never a panic.
#[test]
fn no_text_makes_parsing_panic() {
    let seed = format!(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  \
         min_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n  \
         curve_preferences: [X25519]\n  client_allowed_sans: [a]\nhttp_server_config:\n  \
         http2: false\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  \
         alice: {ALICE_HASH}\nrate_limit:\n  interval: 1s\n  burst: 3\n"
    );
    assert!(parse(&seed).is_ok());
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let alphabet = b"[]{}:,-*&!|>'\"#\n \t0aZ?%@`$";
    for end in 0..=seed.len() {
        let _ = parse(&seed[..end]);
    }
    for _ in 0..3000 {
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % bytes.len();
            bytes[at] = alphabet[next() % alphabet.len()];
        }
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
}
