//! The Connect actions API against the running binary, with Connect on wiremock (or the fault
//! server): the exact requests sent to Connect, the exact answers (401, 403, 404, 501, 502),
//! one audit line per decision, no retries, restart mapped by Connect's version, and principals
//! from client certificates. Reading (lists, inspection) is in `api_read.rs`.

mod common;
mod tls_support;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::api::{Api, changes};
use common::exporter::Exporter;
use common::faulty::{Fault, FaultyConnect, Scope};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

async fn start(vars: &[(&str, &str)], flags: &[&str]) -> (Exporter, Api) {
    common::api::start(BIN, vars, flags).await
}

const RBAC: &str = r#"
authorized_roles: ["*"]
policies:
  - resource: ["connect", "*"]
    effect: Allow
    actions: ["CONNECT_INSPECT"]
    roles: ["ops", "auditors"]
  - resource: ["connect", "default", "connector", "*"]
    effect: Allow
    actions: ["CONNECT_ALTER_STATE"]
    role: ops
  - resource: ["connect", "*", "connector", "payments-*"]
    effect: Deny
    actions: ["CONNECT_ALTER_STATE"]
    role: "*"
principal_roles:
  alice: [ops]
  bob: [viewer]
  carol: auditors
  ops-bot: [ops]
"#;

/// A directory with the RBAC file and a web configuration (basic auth for alice, bob and carol,
/// each with the password `<name>-pw`).
fn files(web: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rbac.yaml"), RBAC).unwrap();
    std::fs::write(dir.path().join("web.yml"), web).unwrap();
    dir
}

fn basic_users() -> String {
    let mut s = String::from("basic_auth_users:\n");
    for u in ["alice", "bob", "carol"] {
        s.push_str(&format!(
            "  {u}: {}\n",
            bcrypt::hash(format!("{u}-pw"), 4).unwrap()
        ));
    }
    s
}

fn connect_404(name: &str) -> ResponseTemplate {
    let body = fixture("error-404-connector-not-found.json").replace("orders-jdbc-source", name);
    status_json(404, &body)
}

/// The audit line of the next decision, with the fields a test compares.
fn audit(exporter: &mut Exporter) -> Value {
    let line = exporter.wait_log("access decision");
    json!({
        "principal": line["principal"], "principal_source": line["principal_source"],
        "operation": line["operation"], "action": line["action"], "resource": line["resource"],
        "decision": line["decision"], "reason": line["reason"], "outcome": line["outcome"],
        "requests": line["requests"],
    })
}

fn entry(
    principal: &str,
    op: &str,
    connector: &str,
    decision: (&str, &str),
    outcome: &str,
    requests: &str,
) -> Value {
    json!({
        "principal": principal, "principal_source": "basic_auth", "operation": op,
        "action": if op == "inspect" { "CONNECT_INSPECT" } else { "CONNECT_ALTER_STATE" },
        "resource": format!("connect/default/connector/{connector}"),
        "decision": decision.0, "reason": decision.1, "outcome": outcome, "requests": requests,
    })
}

#[tokio::test]
async fn allowed_users_act_once_and_the_rest_get_exact_refusals_each_audited() {
    let connect = fixture_server().await;
    let orders = "/connectors/orders-jdbc-source";
    Mock::given(method("PUT"))
        .and(path(format!("{orders}/pause")))
        .respond_with(ResponseTemplate::new(202))
        .mount(&connect)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{orders}/resume")))
        .respond_with(status_json(409, &fixture("error-409.json")))
        .mount(&connect)
        .await;
    Mock::given(method("PUT"))
        .and(path("/connectors/ghost/pause"))
        .respond_with(connect_404("ghost"))
        .mount(&connect)
        .await;
    let dir = files(&basic_users());
    let rbac = dir.path().join("rbac.yaml").display().to_string();
    let web = format!("--web.config.file={}", dir.path().join("web.yml").display());
    let (mut exporter, api) = common::api::start_as(
        BIN,
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("RBAC_CONFIGURATION_FILE", &rbac),
        ],
        &[&web],
        Some("carol"),
    )
    .await;

    let (status, body) = api
        .post(
            "/default/connectors/orders-jdbc-source/pause",
            Some("alice"),
        )
        .await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"cluster": "default", "connector": "orders-jdbc-source", "operation": "pause",
               "requests": ["PUT /connectors/orders-jdbc-source/pause"], "result": null})
    );
    assert_eq!(
        changes(&connect).await,
        ["PUT /connectors/orders-jdbc-source/pause"]
    );
    assert_eq!(
        audit(&mut exporter),
        entry(
            "alice",
            "pause",
            "orders-jdbc-source",
            ("allowed", "allowed_by_policy"),
            "done",
            "PUT /connectors/orders-jdbc-source/pause"
        )
    );

    let (status, body) = api
        .post("/default/connectors/orders-jdbc-source/pause", Some("bob"))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "forbidden", "action": "CONNECT_ALTER_STATE",
               "resource": "connect/default/connector/orders-jdbc-source", "reason": "no_policy",
               "message": "no policy allows CONNECT_ALTER_STATE on connect/default/connector/orders-jdbc-source to bob (basic_auth, roles: viewer)"})
    );
    assert_eq!(
        audit(&mut exporter),
        entry(
            "bob",
            "pause",
            "orders-jdbc-source",
            ("denied", "no_policy"),
            "denied",
            ""
        )
    );

    let (status, body) = api
        .post("/default/connectors/payments-s3-sink/pause", Some("alice"))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["reason"], "denied_by_policy");
    assert_eq!(
        body["message"],
        "policies[2] (Deny CONNECT_ALTER_STATE on connect/*/connector/payments-* for every role) \
         denies CONNECT_ALTER_STATE on connect/default/connector/payments-s3-sink to alice \
         (basic_auth, roles: ops)"
    );
    assert_eq!(
        audit(&mut exporter),
        entry(
            "alice",
            "pause",
            "payments-s3-sink",
            ("denied", "denied_by_policy"),
            "denied",
            ""
        )
    );

    // No credentials, or a wrong password: 401 before anything is decided.
    let (status, body) = api
        .post("/default/connectors/orders-jdbc-source/pause", None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );

    let (status, body) = api
        .post("/EU9/connectors/orders-jdbc-source/pause", Some("alice"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": "not_found", "message": "no Connect cluster \"EU9\"; the clusters are default"})
    );

    let (status, body) = api
        .post("/default/connectors/ghost/pause", Some("alice"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": "not_found", "message": "cluster default has no connector \"ghost\" or no such task: PUT /connectors/ghost/pause answered HTTP 404: Connector ghost not found"})
    );
    assert_eq!(
        audit(&mut exporter),
        entry(
            "alice",
            "pause",
            "ghost",
            ("allowed", "allowed_by_policy"),
            "not_found",
            ""
        )
    );

    // Connect's own error: 502 with its reason, and the request is not sent again.
    let (status, body) = api
        .post(
            "/default/connectors/orders-jdbc-source/resume",
            Some("alice"),
        )
        .await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        json!({"error": "connect_error", "reason": "rebalance", "status": 409,
               "request": "PUT /connectors/orders-jdbc-source/resume",
               "message": "HTTP 409: Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)",
               "requests": ["PUT /connectors/orders-jdbc-source/resume"]})
    );
    assert_eq!(
        audit(&mut exporter),
        entry(
            "alice",
            "resume",
            "orders-jdbc-source",
            ("allowed", "allowed_by_policy"),
            "failed",
            "PUT /connectors/orders-jdbc-source/resume"
        )
    );
    assert_eq!(
        changes(&connect).await,
        [
            "PUT /connectors/orders-jdbc-source/pause",
            "PUT /connectors/ghost/pause",
            "PUT /connectors/orders-jdbc-source/resume"
        ]
    );

    // Unknown operations and bad parameters are the caller's mistake, decided nothing.
    let (status, body) = api
        .post(
            "/default/connectors/orders-jdbc-source/delete",
            Some("alice"),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error": "not_found", "message": "no operation \"delete\"; the operations are pause, resume, stop and restart"})
        )
    );
    let (status, body) = api
        .post(
            "/default/connectors/orders-jdbc-source/restart?includeTasks=true",
            Some("alice"),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "bad_request", "message": "unknown parameter \"includeTasks\"; restart takes include_tasks and only_failed"})
        )
    );

    let (_, metrics) = api.get("/metrics", Some("carol")).await;
    let metrics = metrics.as_str().unwrap().to_string();
    for (series, value) in [
        (
            "kconnect_access_decisions_total{action=\"CONNECT_ALTER_STATE\",decision=\"allowed\"}",
            "3",
        ),
        (
            "kconnect_access_decisions_total{action=\"CONNECT_ALTER_STATE\",decision=\"denied\"}",
            "2",
        ),
        (
            "kconnect_access_decisions_total{action=\"CONNECT_INSPECT\",decision=\"allowed\"}",
            "0",
        ),
        (
            "kconnect_access_decisions_total{action=\"CONNECT_INSPECT\",decision=\"denied\"}",
            "0",
        ),
    ] {
        assert_eq!(sample(&metrics, series).as_deref(), Some(value), "{series}");
    }
    assert_eq!(exporter.sigterm(), 0);
}

/// A Connect at `version` serving the fixture cluster, answering every restart with 204.
async fn connect_at(version: &str) -> MockServer {
    let server = MockServer::start().await;
    let root = fixture("root.json").replace("3.9.0", version);
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&root))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_cluster(&server, &fixture_listing()).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn restart_is_one_call_from_kafka_3_and_one_call_per_task_before() {
    let new = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")))
        .mount(&new)
        .await;
    mount_cluster(&new, &fixture_listing()).await;
    // KIP-745's answer: the status with what is being restarted as RESTARTING.
    let mut restarting: Value =
        serde_json::from_str(&fixture("connector-clickstream-es-sink-status.json")).unwrap();
    restarting["tasks"][1]["state"] = json!("RESTARTING");
    restarting["tasks"][1]
        .as_object_mut()
        .unwrap()
        .remove("trace");
    Mock::given(method("POST"))
        .and(path("/connectors/clickstream-es-sink/restart"))
        .and(query_param("includeTasks", "true"))
        .and(query_param("onlyFailed", "true"))
        .respond_with(status_json(202, &restarting.to_string()))
        .mount(&new)
        .await;
    let old = connect_at("2.8.1").await;
    let (mut exporter, api) = start(
        &[
            ("CONNECT_RESOURCE_IDS", "NEW,OLD"),
            ("NEW_CONNECT_REST_URL", &new.uri()),
            ("OLD_CONNECT_REST_URL", &old.uri()),
            ("ALLOW_CONNECT_ALTER_STATE", "true"),
        ],
        &[],
    )
    .await;

    let failed_only = "/connectors/clickstream-es-sink/restart?include_tasks=true&only_failed=true";
    let (status, body) = api.post(&format!("/NEW{failed_only}"), None).await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        json!({"cluster": "NEW", "connector": "clickstream-es-sink", "operation": "restart",
               "requests": ["POST /connectors/clickstream-es-sink/restart?includeTasks=true&onlyFailed=true"],
               "result": restarting})
    );
    assert_eq!(
        changes(&new).await,
        ["POST /connectors/clickstream-es-sink/restart?includeTasks=true&onlyFailed=true"]
    );

    // Before 3.0 Connect ignores the parameters: the failed task alone, by its own endpoint.
    let (status, body) = api.post(&format!("/OLD{failed_only}"), None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["requests"],
        json!(["POST /connectors/clickstream-es-sink/tasks/1/restart"])
    );
    let (_, body) = api
        .post(
            "/OLD/connectors/clickstream-es-sink/restart?include_tasks=true",
            None,
        )
        .await;
    assert_eq!(
        body["requests"],
        json!([
            "POST /connectors/clickstream-es-sink/restart",
            "POST /connectors/clickstream-es-sink/tasks/0/restart",
            "POST /connectors/clickstream-es-sink/tasks/1/restart",
            "POST /connectors/clickstream-es-sink/tasks/2/restart"
        ])
    );
    let (_, body) = api
        .post(
            "/OLD/connectors/inventory-cdc-source/restart?only_failed=true",
            None,
        )
        .await;
    assert_eq!(
        body["requests"],
        json!(["POST /connectors/inventory-cdc-source/restart"])
    );
    let (status, body) = api
        .post("/OLD/connectors/clickstream-es-sink/tasks/2/restart", None)
        .await;
    assert_eq!(
        (status, &body["requests"]),
        (
            202,
            &json!(["POST /connectors/clickstream-es-sink/tasks/2/restart"])
        )
    );

    // Stop came with 3.5: refused without a request.
    let (status, body) = api
        .post("/OLD/connectors/orders-jdbc-source/stop", None)
        .await;
    assert_eq!(
        (status, body),
        (
            501,
            json!({"error": "not_supported", "message": "stopping a connector needs Kafka Connect 3.5 or later; this cluster reports version \"2.8.1\""})
        )
    );
    assert_eq!(
        changes(&old).await,
        [
            "POST /connectors/clickstream-es-sink/tasks/1/restart",
            "POST /connectors/clickstream-es-sink/restart",
            "POST /connectors/clickstream-es-sink/tasks/0/restart",
            "POST /connectors/clickstream-es-sink/tasks/1/restart",
            "POST /connectors/clickstream-es-sink/tasks/2/restart",
            "POST /connectors/inventory-cdc-source/restart",
            "POST /connectors/clickstream-es-sink/tasks/2/restart",
        ]
    );
    let line = exporter.wait_log("access decision");
    assert_eq!(
        (
            &line["principal"],
            &line["principal_source"],
            &line["reason"]
        ),
        (
            &json!("anonymous"),
            &json!("anonymous"),
            &json!("allowed_by_setting")
        )
    );
    assert_eq!(exporter.sigterm(), 0);
}

// The fault server runs on the test's runtime, which must go on while the test waits for the
// exporter's log lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_is_sent_once_whatever_befalls_it() {
    let connect = FaultyConnect::start().await;
    let (mut exporter, api) = start(
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("CONNECT_TIMEOUT_MS", "2000"),
            ("ALLOW_CONNECT_ALTER_STATE", "true"),
        ],
        &["--observation.interval=1h"],
    )
    .await;
    for (fault, reason, op) in [
        (Fault::ResetMidBody, "connect", "pause"),
        (Fault::Timeout, "timeout", "resume"),
        (Fault::Unavailable, "server_error", "stop"),
    ] {
        let target = format!("/connectors/orders-jdbc-source/{op}");
        connect
            .set(fault.clone(), Scope::path(target.clone()))
            .await;
        let (status, body) = api
            .post(
                &format!("/default/connectors/orders-jdbc-source/{op}"),
                None,
            )
            .await;
        assert_eq!(
            (status, &body["reason"]),
            (502, &json!(reason)),
            "{fault:?}: {body}"
        );
        assert_eq!(
            body["requests"],
            json!([format!("PUT {target}")]),
            "{fault:?}"
        );
        assert_eq!(
            connect.requests_to_path(&target),
            1,
            "{fault:?} is not retried"
        );
    }
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn client_certificate_principals_act_under_their_roles() {
    use tls_support::{Ca, Files};
    let connect = fixture_server().await;
    Mock::given(method("PUT"))
        .and(path("/connectors/orders-jdbc-source/pause"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&connect)
        .await;
    let ca = Ca::new("CA");
    let files = Files::new(&ca.server("kconnect"), &ca);
    files.write(
        "web.yml",
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
         client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: clients.pem\n",
    );
    files.write("rbac.yaml", RBAC);
    let web = format!("--web.config.file={}", files.path("web.yml").display());
    let rbac = files.path("rbac.yaml").display().to_string();
    let mut exporter = Exporter::start(
        BIN,
        &[&web],
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("RBAC_CONFIGURATION_FILE", &rbac),
        ],
    );
    let port = exporter.address().rsplit_once(':').unwrap().1.to_string();
    let url = format!(
        "https://localhost:{port}/api/v1/clusters/default/connectors/orders-jdbc-source/pause"
    );
    let client = |leaf: Option<&tls_support::Leaf>| {
        let mut b = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()]);
        if let Some(l) = leaf {
            b = b.identity(
                reqwest::Identity::from_pem(format!("{}{}", l.cert_pem, l.key_pem).as_bytes())
                    .unwrap(),
            );
        }
        b.build().unwrap()
    };
    let r = client(None).post(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
        json!({"error": "unauthorized", "message": "authentication required to pause: present a client certificate that the web configuration's client CA signed"})
    );
    let bot = ca.client(Some("ops-bot"), &[]);
    let r = client(Some(&bot)).post(&url).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let line = exporter.wait_log("access decision");
    assert_eq!(
        (
            &line["principal"],
            &line["principal_source"],
            &line["roles"],
            &line["decision"]
        ),
        (
            &json!("ops-bot"),
            &json!("client_certificate"),
            &json!("ops"),
            &json!("allowed")
        )
    );
    assert_eq!(
        changes(&connect).await,
        ["PUT /connectors/orders-jdbc-source/pause"]
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn any_connector_name_reaches_connect_as_one_exact_segment() {
    let connect = fixture_server().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&connect)
        .await;
    let (mut exporter, api) = start(
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("ALLOW_CONNECT_ALTER_STATE", "true"),
        ],
        &["--observation.interval=1h"],
    )
    .await;
    // The API's path segment is percent-decoded, the name re-encoded whole for Connect.
    let (status, body) = api
        .post(
            "/default/connectors/a%2Fb%20%22c%22%3F%23%25na%C3%AFve/pause",
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let line = exporter.wait_log("access decision");
    assert_eq!(
        line["resource"],
        "connect/default/connector/a/b \"c\"?#%naïve"
    );
    assert_eq!(
        changes(&connect).await,
        ["PUT /connectors/a%2Fb%20%22c%22%3F%23%25na%C3%AFve/pause"]
    );
    assert_eq!(exporter.sigterm(), 0);
}
