//! Configuration: Kpow's variables, several clusters, precedence, TLS stores, and the messages
//! a user gets for every bad value.

mod common;

use std::time::Duration;

use common::env;
use kconnect_exporter::config::{Args, Config, ObservationVersion, StoreType};

fn args(flags: &[&str]) -> Args {
    let mut argv = vec!["kconnect-exporter".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    Args::parse_from_os(argv.into_iter().map(Into::into)).expect("flags parse")
}

fn load(flags: &[&str], vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    Config::load(&args(flags), env(vars)).map_err(|e| e.problems)
}

#[test]
fn nothing_configured_observes_localhost_8083() {
    let c = load(&[], &[]).unwrap();
    assert_eq!(c.clusters.len(), 1);
    let k = &c.clusters[0];
    assert_eq!(k.id, "default");
    assert_eq!(k.name, "default");
    assert_eq!(k.client.base_url.as_str(), "http://localhost:8083/");
    assert_eq!(k.client.timeout, Duration::from_millis(5000));
    assert!(k.startup_validation);
    assert!(!k.client.permissive_tls);
    assert!(k.client.basic_auth.is_none());
    assert_eq!(k.observation_version, ObservationVersion::V1);
    assert_eq!(c.listen_address.to_string(), ":9840");
    assert_eq!(c.telemetry_path, "/metrics");
    assert_eq!(c.max_requests, 40);
    assert_eq!(c.interval, Duration::from_secs(30));
    assert_eq!(
        c.observation_timeout,
        Duration::from_secs(30),
        "the interval"
    );
    assert_eq!(c.parallelism, 8);
    assert_eq!(c.max_response_bytes, 64 * 1024 * 1024);
}

#[test]
fn every_kpow_variable_is_read() {
    let c = load(
        &[],
        &[
            ("CONNECT_NAME", "Orders Connect"),
            ("CONNECT_REST_URL", "https://connect.example:8443/base"),
            ("CONNECT_AUTH", "BASIC"),
            ("CONNECT_BASIC_AUTH_USER", "monitor"),
            ("CONNECT_BASIC_AUTH_PASS", "hunter2"),
            ("CONNECT_PERMISSIVE_SSL", "true"),
            ("CONNECT_TIMEOUT_MS", "1500"),
            ("CONNECT_STARTUP_VALIDATION", "false"),
            ("CONNECT_OFFSET_STORAGE_TOPIC", "connect-offsets"),
            ("CONNECT_GROUP_ID", "connect-cluster"),
            ("CONNECT_OBSERVATION_VERSION", "2"),
        ],
    )
    .unwrap();
    let k = &c.clusters[0];
    assert_eq!(k.name, "Orders Connect");
    assert_eq!(
        k.client.base_url.as_str(),
        "https://connect.example:8443/base"
    );
    let auth = k.client.basic_auth.as_ref().unwrap();
    assert_eq!(
        (auth.user.as_str(), auth.password.expose()),
        ("monitor", "hunter2")
    );
    assert!(k.client.permissive_tls);
    assert_eq!(k.client.timeout, Duration::from_millis(1500));
    assert!(!k.startup_validation);
    assert_eq!(k.offset_storage_topic.as_deref(), Some("connect-offsets"));
    assert_eq!(k.group_id.as_deref(), Some("connect-cluster"));
    assert_eq!(k.observation_version, ObservationVersion::V2);
}

#[test]
fn several_clusters_use_their_id_as_prefix() {
    let c = load(
        &[],
        &[
            ("CONNECT_RESOURCE_IDS", "US1, EU2"),
            ("US1_CONNECT_REST_URL", "http://us1:8083"),
            ("US1_CONNECT_OBSERVATION_VERSION", "2"),
            ("EU2_CONNECT_REST_URL", "https://eu2:8443"),
            ("EU2_CONNECT_AUTH", "BASIC"),
            ("EU2_CONNECT_BASIC_AUTH_USER", "u"),
            ("EU2_CONNECT_BASIC_AUTH_PASS", "p"),
            ("EU2_CONNECT_NAME", "Europe"),
            ("CONNECT_REST_URL", "http://ignored:8083"),
        ],
    )
    .unwrap();
    let ids: Vec<&str> = c.clusters.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["US1", "EU2"]);
    assert_eq!(c.clusters[0].client.base_url.as_str(), "http://us1:8083/");
    assert_eq!(c.clusters[0].observation_version, ObservationVersion::V2);
    assert!(c.clusters[0].client.basic_auth.is_none());
    assert_eq!(c.clusters[0].name, "US1");
    assert_eq!(c.clusters[1].name, "Europe");
    assert_eq!(c.clusters[1].client.basic_auth.as_ref().unwrap().user, "u");
    assert_eq!(c.clusters[1].observation_version, ObservationVersion::V1);
    assert_eq!(
        c.warnings,
        [
            "CONNECT_REST_URL is ignored: CONNECT_RESOURCE_IDS is set, so each cluster's variables need its id as prefix"
        ]
    );
}

#[test]
fn lower_case_and_bad_resource_ids_are_rejected() {
    let problems = load(
        &[],
        &[
            ("CONNECT_RESOURCE_IDS", "us1,EU-2,EU2,EU2"),
            ("EU2_CONNECT_REST_URL", "http://eu2"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_RESOURCE_IDS: \"us1\" must be upper-case (US1), as Kpow requires",
            "CONNECT_RESOURCE_IDS: \"EU-2\" may hold only A-Z, 0-9 and _",
            "CONNECT_RESOURCE_IDS: \"EU2\" is listed twice",
        ]
    );
}

#[test]
fn every_bad_value_is_reported_at_once_naming_its_variable() {
    let problems = load(
        &[
            "--web.listen-address=nowhere",
            "--web.telemetry-path=metrics",
            "--observation.interval=soon",
            "--observation.parallelism=0",
            "--connect.max-response-bytes=12",
            "--log.level=loud",
            "--log.format=xml",
        ],
        &[
            ("CONNECT_RESOURCE_IDS", "A,B"),
            ("A_CONNECT_REST_URL", "ftp://a"),
            ("A_CONNECT_AUTH", "KERBEROS"),
            ("A_CONNECT_PERMISSIVE_SSL", "sometimes"),
            ("A_CONNECT_TIMEOUT_MS", "0"),
            ("A_CONNECT_STARTUP_VALIDATION", "maybe"),
            ("A_CONNECT_OBSERVATION_VERSION", "3"),
            ("B_CONNECT_AUTH", "BASIC"),
            ("B_CONNECT_BASIC_AUTH_PASS", "topsecret"),
            ("B_CONNECT_SSL_TRUSTSTORE_TYPE", "PEN"),
            ("B_CONNECT_SSL_TRUSTSTORE_LOCATION", "/nonexistent/ca.pem"),
            ("B_CONNECT_SSL_KEYSTORE_LOCATION", "/nonexistent/client.p12"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "--web.listen-address: \"nowhere\" is not an address such as :9840 or 127.0.0.1:9840",
            "--web.telemetry-path: \"metrics\" must be a URL path such as /metrics (not /, not under /-/ or /api/, no spaces, ? or #)",
            "--observation.interval: \"soon\" is not a duration from 1s to 1h, such as 30s or 1m",
            "--observation.parallelism: \"0\" is not a whole number from 1 to 256",
            "--connect.max-response-bytes: \"12\" is not a whole number from 1024 to 4294967296",
            "--log.level: \"loud\" is not error, warn, info, debug or trace",
            "--log.format: \"xml\" is not text or json",
            "A_CONNECT_REST_URL: \"ftp://a\" must start with http:// or https://",
            "A_CONNECT_AUTH: \"KERBEROS\" is not supported; use BASIC, or leave it unset",
            "A_CONNECT_PERMISSIVE_SSL: \"sometimes\" is not true or false",
            "A_CONNECT_STARTUP_VALIDATION: \"maybe\" is not true or false",
            "A_CONNECT_TIMEOUT_MS: \"0\" is not a timeout; give milliseconds from 1 to 3600000",
            "A_CONNECT_OBSERVATION_VERSION: \"3\" is not 1 or 2",
            "B_CONNECT_REST_URL: is not set; cluster B is named in CONNECT_RESOURCE_IDS and needs its URL",
            "B_CONNECT_BASIC_AUTH_USER: is not set, but B_CONNECT_AUTH is BASIC",
            "B_CONNECT_SSL_TRUSTSTORE_TYPE: \"PEN\" is not PEM, PKCS12 or JKS",
            "B_CONNECT_SSL_KEYSTORE_LOCATION: cannot read /nonexistent/client.p12: No such file or directory (os error 2)",
        ]
    );
    assert!(!problems.join("\n").contains("topsecret"));
}

#[test]
fn credentials_in_the_url_are_refused_without_echoing_them() {
    let problems = load(
        &[],
        &[("CONNECT_REST_URL", "http://admin:s3cret@connect:8083")],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_REST_URL: \"http://connect:8083\" carries credentials; set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER and CONNECT_BASIC_AUTH_PASS instead"
        ]
    );
}

#[test]
fn flags_override_environment_which_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kconnect.toml");
    std::fs::write(
        &file,
        r#"
KCONNECT_OBSERVATION_INTERVAL = "10s"
KCONNECT_OBSERVATION_PARALLELISM = 3
KCONNECT_LOG_LEVEL = "debug"
CONNECT_RESOURCE_IDS = ["US1"]
US1_CONNECT_REST_URL = "http://from-file:8083"
US1_CONNECT_TIMEOUT_MS = 2500
US1_CONNECT_PERMISSIVE_SSL = true
"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let c = load(
        &["--config.file", path, "--observation.interval=1m"],
        &[
            ("KCONNECT_OBSERVATION_INTERVAL", "20s"),
            ("KCONNECT_OBSERVATION_PARALLELISM", "5"),
            ("US1_CONNECT_TIMEOUT_MS", "900"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.interval,
        Duration::from_secs(60),
        "flag beats env and file"
    );
    assert_eq!(c.parallelism, 5, "env beats file");
    assert_eq!(c.log_level, tracing::Level::DEBUG, "file beats default");
    assert_eq!(
        c.clusters[0].client.base_url.as_str(),
        "http://from-file:8083/"
    );
    assert_eq!(c.clusters[0].client.timeout, Duration::from_millis(900));
    assert!(c.clusters[0].client.permissive_tls);

    // The same through KCONNECT_CONFIG_FILE, as YAML.
    let yaml = dir.path().join("kconnect.yaml");
    std::fs::write(
        &yaml,
        "CONNECT_REST_URL: http://yaml:8083\nCONNECT_OBSERVATION_VERSION: 2\n",
    )
    .unwrap();
    let c = load(&[], &[("KCONNECT_CONFIG_FILE", yaml.to_str().unwrap())]).unwrap();
    assert_eq!(c.clusters[0].client.base_url.as_str(), "http://yaml:8083/");
    assert_eq!(c.clusters[0].observation_version, ObservationVersion::V2);
}

#[test]
fn unknown_file_keys_and_bad_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.yaml");
    std::fs::write(
        &file,
        "CONNECT_RESTURL: http://typo\nconnect_name: lower-case keys are fine\n",
    )
    .unwrap();
    let problems = load(&["--config.file", file.to_str().unwrap()], &[]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "{}:1: CONNECT_RESTURL is not a setting of this exporter; did you mean CONNECT_REST_URL?",
            file.display()
        )]
    );

    let ini = dir.path().join("k.ini");
    std::fs::write(&ini, "x=1").unwrap();
    let problems = load(&["--config.file", ini.to_str().unwrap()], &[]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "{}: unknown file type; name it *.toml, *.yaml or *.yml",
            ini.display()
        )]
    );
}

// ---- TLS stores -------------------------------------------------------------------------

struct Stores {
    dir: tempfile::TempDir,
    ca_pem: String,
    client_pem: String,
}

fn stores() -> Stores {
    let ca = rcgen::generate_simple_self_signed(vec!["ca".to_string()]).unwrap();
    let client = rcgen::generate_simple_self_signed(vec!["client".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = ca.cert.pem();
    let client_pem = format!(
        "{}{}",
        client.signing_key.serialize_pem(),
        client.cert.pem()
    );
    std::fs::write(dir.path().join("ca.pem"), &ca_pem).unwrap();
    std::fs::write(dir.path().join("client.pem"), &client_pem).unwrap();

    let mut truststore = p12_keystore::KeyStore::new();
    truststore.add_entry(
        "ca",
        p12_keystore::KeyStoreEntry::Certificate(
            p12_keystore::Certificate::from_der(ca.cert.der()).unwrap(),
        ),
    );
    std::fs::write(
        dir.path().join("truststore.p12"),
        truststore.writer("changeit").write().unwrap(),
    )
    .unwrap();
    let mut keystore = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        b"1".to_vec(),
        p12_keystore::PrivateKey::from_der(&client.signing_key.serialize_der()).unwrap(),
        vec![p12_keystore::Certificate::from_der(client.cert.der()).unwrap()],
    );
    keystore.add_entry(
        "client",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    std::fs::write(
        dir.path().join("keystore.p12"),
        keystore.writer("changeit").write().unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("truststore.jks"),
        [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2],
    )
    .unwrap();
    Stores {
        dir,
        ca_pem,
        client_pem,
    }
}

#[test]
fn pem_and_pkcs12_stores_load() {
    let s = stores();
    let p = |f: &str| s.dir.path().join(f).to_str().unwrap().to_string();
    for (trust, trust_type, key, key_type) in [
        (p("ca.pem"), "", p("client.pem"), ""),
        (p("ca.pem"), "PEM", p("client.pem"), "PEM"),
        (p("truststore.p12"), "PKCS12", p("keystore.p12"), "PKCS12"),
        (p("truststore.p12"), "", p("keystore.p12"), ""),
    ] {
        let c = load(
            &[],
            &[
                ("CONNECT_SSL_TRUSTSTORE_LOCATION", trust.as_str()),
                ("CONNECT_SSL_TRUSTSTORE_TYPE", trust_type),
                ("CONNECT_SSL_TRUSTSTORE_PASSWORD", "changeit"),
                ("CONNECT_SSL_KEYSTORE_LOCATION", key.as_str()),
                ("CONNECT_SSL_KEYSTORE_TYPE", key_type),
                ("CONNECT_SSL_KEYSTORE_PASSWORD", "changeit"),
            ],
        )
        .unwrap_or_else(|e| panic!("{trust} {key}: {e:?}"));
        let k = &c.clusters[0];
        assert_eq!(k.client.trusted_certs.len(), 1, "{trust}");
        assert!(
            k.client
                .identity_pem
                .as_ref()
                .unwrap()
                .expose()
                .contains("-----BEGIN PRIVATE KEY-----")
        );
        let expected = if trust.ends_with(".pem") {
            StoreType::Pem
        } else {
            StoreType::Pkcs12
        };
        assert_eq!(k.truststore.as_ref().unwrap().kind, expected);
        assert_eq!(k.keystore.as_ref().unwrap().kind, expected);
    }
    assert!(s.ca_pem.contains("CERTIFICATE") && s.client_pem.contains("PRIVATE KEY"));
}

#[test]
fn bad_stores_get_clear_errors() {
    let s = stores();
    let p = |f: &str| s.dir.path().join(f).to_str().unwrap().to_string();
    let jks = p("truststore.jks");
    let problems = load(&[], &[("CONNECT_SSL_TRUSTSTORE_LOCATION", jks.as_str())]).unwrap_err();
    let stem = jks.trim_end_matches(".jks");
    assert_eq!(
        problems,
        [format!(
            "CONNECT_SSL_TRUSTSTORE_LOCATION: {jks} is a JKS store, which this exporter cannot read; convert it to PKCS12 with \
             `keytool -importkeystore -srckeystore {jks} -srcstoretype JKS -destkeystore {stem}.p12 -deststoretype PKCS12` \
             and point the variable at {stem}.p12 with its _TYPE set to PKCS12"
        )]
    );
    let p12 = p("keystore.p12");
    let problems = load(
        &[],
        &[
            ("CONNECT_SSL_KEYSTORE_LOCATION", p12.as_str()),
            ("CONNECT_SSL_KEYSTORE_PASSWORD", "wrong-password"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "CONNECT_SSL_KEYSTORE_LOCATION: {p12} is a PKCS12 store, and the password in CONNECT_SSL_KEYSTORE_PASSWORD does not open it"
        )]
    );
    let ca = p("ca.pem");
    let problems = load(&[], &[("CONNECT_SSL_KEYSTORE_LOCATION", ca.as_str())]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "CONNECT_SSL_KEYSTORE_LOCATION: {ca} holds no private key"
        )]
    );
}

#[test]
fn each_store_problem_names_its_cause() {
    let s = stores();
    let p = |f: &str| s.dir.path().join(f).to_str().unwrap().to_string();
    let write = |f: &str, data: &[u8]| {
        std::fs::write(s.dir.path().join(f), data).unwrap();
        p(f)
    };
    let text = write("notes.txt", b"trust the CA of connect-eu2\n");
    let der = write("ca.der", &pem::parse(&s.ca_pem).unwrap().into_contents());
    let empty = write("empty.p12", b"");
    let (ca, p12) = (p("ca.pem"), p("truststore.p12"));
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![("CONNECT_SSL_TRUSTSTORE_LOCATION", text.as_str())],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {text} is neither PEM text (no -----BEGIN line) nor a PKCS12 store"
            ),
        ),
        (
            vec![("CONNECT_SSL_TRUSTSTORE_LOCATION", der.as_str())],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {der} is neither PEM text (no -----BEGIN line) nor a PKCS12 store; \
                 it is one certificate in DER form: convert it to PEM with `openssl x509 -inform DER -in {der} -out {der}.pem`"
            ),
        ),
        (
            vec![
                ("CONNECT_SSL_TRUSTSTORE_LOCATION", der.as_str()),
                ("CONNECT_SSL_TRUSTSTORE_TYPE", "PEM"),
            ],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {der} is not PEM text (no -----BEGIN line), though CONNECT_SSL_TRUSTSTORE_TYPE says PEM; \
                 it is one certificate in DER form: convert it to PEM with `openssl x509 -inform DER -in {der} -out {der}.pem`"
            ),
        ),
        (
            vec![("CONNECT_SSL_TRUSTSTORE_LOCATION", empty.as_str())],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {empty} is empty; point the variable at the store's file"
            ),
        ),
        (
            vec![
                ("CONNECT_SSL_TRUSTSTORE_LOCATION", ca.as_str()),
                ("CONNECT_SSL_TRUSTSTORE_TYPE", "PKCS12"),
            ],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {ca} holds PEM text, but CONNECT_SSL_TRUSTSTORE_TYPE says PKCS12; set it to PEM, or leave it unset"
            ),
        ),
        (
            vec![("CONNECT_SSL_TRUSTSTORE_LOCATION", p12.as_str())],
            format!(
                "CONNECT_SSL_TRUSTSTORE_LOCATION: {p12} is a PKCS12 store protected by a password; set CONNECT_SSL_TRUSTSTORE_PASSWORD"
            ),
        ),
        (
            vec![
                ("CONNECT_RESOURCE_IDS", "EU2"),
                ("EU2_CONNECT_REST_URL", "https://connect-eu2:8443"),
                ("EU2_CONNECT_SSL_TRUSTSTORE_LOCATION", p12.as_str()),
                ("EU2_CONNECT_SSL_TRUSTSTORE_PASSWORD", "changeme"),
            ],
            format!(
                "EU2_CONNECT_SSL_TRUSTSTORE_LOCATION: {p12} is a PKCS12 store, and the password in EU2_CONNECT_SSL_TRUSTSTORE_PASSWORD does not open it"
            ),
        ),
    ];
    for (vars, expected) in cases {
        assert_eq!(load(&[], &vars).unwrap_err(), [expected], "{vars:?}");
    }
}

#[test]
fn describe_masks_secrets_and_uses_the_variable_names() {
    let c = load(
        &["--observation.interval=15s"],
        &[
            ("CONNECT_RESOURCE_IDS", "US1"),
            ("US1_CONNECT_REST_URL", "https://us1:8443"),
            ("US1_CONNECT_AUTH", "basic"),
            ("US1_CONNECT_BASIC_AUTH_USER", "monitor"),
            ("US1_CONNECT_BASIC_AUTH_PASS", "hunter2"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.describe(),
        "KCONNECT_WEB_LISTEN_ADDRESS=:9840
KCONNECT_WEB_TELEMETRY_PATH=/metrics
KCONNECT_WEB_MAX_REQUESTS=40
KCONNECT_OBSERVATION_INTERVAL=15s
KCONNECT_OBSERVATION_TIMEOUT=15s
KCONNECT_OBSERVATION_DETAILS_REFRESH=20
KCONNECT_OBSERVATION_PARALLELISM=8
KCONNECT_CONNECT_MAX_RESPONSE_BYTES=67108864
KCONNECT_METRICS_EXCLUDE=
KCONNECT_METRICS_TASK_STATES=all
KCONNECT_METRICS_CONNECTOR_STATES=all
KCONNECT_LOG_LEVEL=info
KCONNECT_LOG_FORMAT=text
KCONNECT_WEB_CONFIG_FILE=
CONNECT_RESOURCE_IDS=US1
# cluster US1: Apache Kafka Connect REST API
US1_CONNECT_NAME=US1
US1_CONNECT_REST_URL=https://us1:8443/
US1_CONNECT_CONFLUENT_CLOUD=false
US1_CONNECT_AUTH=BASIC
US1_CONNECT_BASIC_AUTH_USER=monitor
US1_CONNECT_BASIC_AUTH_PASS=********
US1_CONNECT_PERMISSIVE_SSL=false
US1_CONNECT_TIMEOUT_MS=5000
US1_CONNECT_STARTUP_VALIDATION=true
US1_CONNECT_OFFSET_STORAGE_TOPIC=
US1_CONNECT_GROUP_ID=
US1_CONNECT_OBSERVATION_VERSION=1
US1_CONNECT_OBSERVE_TOPICS=false
US1_CONNECT_CONNECTOR_INCLUDE=
US1_CONNECT_CONNECTOR_EXCLUDE=
US1_CONNECT_AUTO_RESTART=false
"
    );
    assert!(
        !format!("{c:?}").contains("hunter2"),
        "Debug output masks the password too"
    );
}

#[test]
fn a_syntax_error_names_file_line_column_and_key_never_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "k.toml",
            "CONNECT_REST_URL = \"http://c:8083\"\nCONNECT_BASIC_AUTH_PASS = \"hunter2 s3cr3t\nCONNECT_AUTH = \"BASIC\"\n",
            ":2:42: TOML syntax error in the line of CONNECT_BASIC_AUTH_PASS: invalid basic string, expected `\"` (the line is not shown: it may hold a secret)",
        ),
        (
            "k.toml",
            "CONNECT_BASIC_AUTH_PASS = hunter2\n",
            ":1:27: TOML syntax error in the line of CONNECT_BASIC_AUTH_PASS: string values must be quoted, expected literal string (the line is not shown: it may hold a secret)",
        ),
        (
            "k.yaml",
            "CONNECT_REST_URL: http://c:8083\nCONNECT_BASIC_AUTH_PASS: \"hunter2 s3cr3t\n",
            ":2:25: YAML syntax error in the line of CONNECT_BASIC_AUTH_PASS: while scanning a quoted scalar, found unexpected end of stream (the line is not shown: it may hold a secret)",
        ),
        (
            "k.yaml",
            "CONNECT_BASIC_AUTH_PASS: hunter2: s3cr3t\n",
            ":1:32: YAML syntax error in the line of CONNECT_BASIC_AUTH_PASS: mapping values are not allowed in this context (the line is not shown: it may hold a secret)",
        ),
    ];
    for (name, text, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let problems = load(&["--config.file", file.to_str().unwrap()], &[]).unwrap_err();
        assert_eq!(
            problems,
            [format!("{}{expected}", file.display())],
            "{text}"
        );
        let all = problems.join("\n");
        assert!(!all.contains("hunter2") && !all.contains("s3cr3t"), "{all}");
    }
}

#[test]
fn a_bad_value_is_named_as_the_user_set_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.toml");
    std::fs::write(
        &file,
        "\nKCONNECT_LOG_LEVEL = \"loud\"\nCONNECT_TIMEOUT_MS = \"soon\"\n",
    )
    .unwrap();
    let problems = load(
        &["--config.file", file.to_str().unwrap()],
        &[("KCONNECT_OBSERVATION_INTERVAL", "never")],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "KCONNECT_OBSERVATION_INTERVAL: \"never\" is not a duration from 1s to 1h, such as 30s or 1m".to_string(),
            format!("{}:2: KCONNECT_LOG_LEVEL: \"loud\" is not error, warn, info, debug or trace", file.display()),
            format!("{}:3: CONNECT_TIMEOUT_MS: \"soon\" is not a timeout; give milliseconds from 1 to 3600000", file.display()),
        ]
    );
}

#[test]
fn a_variable_of_ours_that_is_not_utf8_is_a_problem_not_a_panic() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let bad = OsString::from_vec(vec![b'h', 0xff, b'i']);
    let env: Vec<(OsString, OsString)> = vec![
        ("CONNECT_BASIC_AUTH_PASS".into(), bad.clone()),
        ("UNRELATED".into(), bad),
        ("CONNECT_REST_URL".into(), "http://c:8083".into()),
    ];
    let problems = Config::load(&args(&[]), env).unwrap_err().problems;
    assert_eq!(
        problems,
        ["CONNECT_BASIC_AUTH_PASS: the value is not UTF-8 text; set it as UTF-8"]
    );
}

#[test]
fn exporter_settings_of_their_own() {
    let c = load(
        &[
            "--web.max-requests=0",
            "--observation.timeout=10s",
            "--web.telemetry-path=/:x",
            "--metrics.task-states=current",
            "--metrics.exclude=kconnect_worker_.*",
            "--observation.details-refresh=1",
        ],
        &[
            ("KCONNECT_OBSERVATION_INTERVAL", "1m"),
            ("CONNECT_TIMEOUT_MS", "20000"),
        ],
    )
    .unwrap();
    assert_eq!(c.max_requests, 0);
    assert_eq!(c.interval, Duration::from_secs(60));
    assert_eq!(c.observation_timeout, Duration::from_secs(10));
    assert_eq!(c.telemetry_path, "/:x");
    assert_eq!(
        c.metrics.task_states,
        kconnect_exporter::metrics::TaskStates::Current
    );
    assert!(
        c.metrics
            .exclude
            .as_ref()
            .unwrap()
            .is_match("kconnect_worker_tasks")
    );
    assert_eq!(c.details_refresh, 1);
    assert_eq!(
        c.warnings,
        [
            "CONNECT_TIMEOUT_MS (20000 ms) is longer than the observation timeout (10s): a request to cluster default that times out is reported as reason deadline"
        ]
    );
    let problems = load(
        &[
            "--web.max-requests=-1",
            "--observation.timeout=0s",
            "--metrics.task-states=some",
            "--metrics.exclude=kconnect_(",
            "--observation.details-refresh=0",
        ],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "--web.max-requests: \"-1\" is not a whole number from 0 to 100000",
            "--observation.timeout: \"0s\" is not a duration from 1s to 1h, such as 30s or 1m",
            "--observation.details-refresh: \"0\" is not a whole number from 1 to 10000",
            "--metrics.exclude: \"kconnect_(\" is not a regular expression (error: unclosed group)",
            "--metrics.task-states: \"some\" is not all or current",
        ]
    );
}

#[test]
fn a_url_query_is_never_echoed() {
    let problems = load(
        &[],
        &[("CONNECT_REST_URL", "http://u:pw@c:8083/x?token=abc123#frag")],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_REST_URL: \"http://c:8083/x\" carries credentials; set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER and CONNECT_BASIC_AUTH_PASS instead"
        ]
    );
    let problems = load(&[], &[("CONNECT_REST_URL", "http://c:8083/x?token=abc123")]).unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_REST_URL: \"http://c:8083/x\" must not have a query or fragment (…?… or …#…, not shown here)"
        ]
    );
}

#[test]
fn a_region_without_a_url_is_an_msk_connect_region() {
    let c = load(
        &[],
        &[
            ("CONNECT_RESOURCE_IDS", "SELF,MSK"),
            ("SELF_CONNECT_REST_URL", "http://connect:8083"),
            ("MSK_CONNECT_AWS_REGION", "eu-west-1"),
            ("MSK_CONNECT_MSK_CLOUDWATCH", "true"),
            ("MSK_CONNECT_TIMEOUT_MS", "2000"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.clusters[0].flavour,
        kconnect_exporter::config::Flavour::Apache
    );
    let msk = &c.clusters[1];
    assert_eq!(msk.flavour, kconnect_exporter::config::Flavour::Msk);
    let settings = msk.msk.as_ref().unwrap();
    assert_eq!(
        (
            settings.region.as_str(),
            settings.cloudwatch_task_counts,
            settings.timeout
        ),
        ("eu-west-1", true, Duration::from_millis(2000))
    );
    assert_eq!(
        msk.display_url(),
        "https://kafkaconnect.eu-west-1.amazonaws.com/"
    );
    assert!(c.describe().contains(
        "# cluster MSK: Amazon MSK Connect\nMSK_CONNECT_NAME=MSK\nMSK_CONNECT_AWS_REGION=eu-west-1\nMSK_CONNECT_MSK_CLOUDWATCH=true\n"
    ));

    let problems = load(
        &[],
        &[
            ("CONNECT_REST_URL", "http://connect:8083"),
            ("CONNECT_AWS_REGION", "eu-west-1"),
            ("CONNECT_MSK_CLOUDWATCH", "sometimes"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_MSK_CLOUDWATCH: \"sometimes\" is not true or false",
            "CONNECT_AWS_REGION: is set together with CONNECT_REST_URL: a cluster is either a Connect REST API (the URL) or an MSK Connect region; remove one",
        ]
    );
    let c = load(
        &[],
        &[
            ("CONNECT_REST_URL", "http://connect:8083"),
            ("CONNECT_MSK_CLOUDWATCH", "true"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.warnings,
        [
            "CONNECT_MSK_CLOUDWATCH is ignored: cluster default is not an MSK Connect region (CONNECT_AWS_REGION)"
        ]
    );
}

#[test]
fn connector_include_and_exclude_are_anchored_regular_expressions() {
    let c = load(
        &[],
        &[
            ("CONNECT_CONNECTOR_INCLUDE", "orders-.*|payments-.*"),
            ("CONNECT_CONNECTOR_EXCLUDE", ".*-test"),
        ],
    )
    .unwrap();
    let f = &c.clusters[0].connectors;
    assert!(f.keeps("orders-jdbc-source") && !f.keeps("orders-jdbc-test") && !f.keeps("audit"));
    let problems = load(&[], &[("CONNECT_CONNECTOR_EXCLUDE", "(unclosed")]).unwrap_err();
    assert_eq!(
        problems,
        [
            "CONNECT_CONNECTOR_EXCLUDE: \"(unclosed\" is not a regular expression (error: unclosed group)"
        ]
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused_not_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bomb.yaml");
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, prev) in ('b'..='j').zip('a'..='i') {
        text.push_str(&format!(
            "{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    let problems = load(&["--config.file", file.to_str().unwrap()], &[]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "{}: holds more than 100000 values once aliases are expanded",
            file.display()
        )]
    );
}
