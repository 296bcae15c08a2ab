//! Reading through the actions API against the running binary: the lists served from the
//! snapshots without calling Connect, a connector's configuration read at that moment with its
//! secrets redacted, and the landing page saying why a cluster is down without what it answered.

mod common;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::api::Api;
use common::exporter::Exporter;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

async fn start(vars: &[(&str, &str)], flags: &[&str]) -> (Exporter, Api) {
    common::api::start(BIN, vars, flags).await
}

#[tokio::test]
async fn inspect_reads_the_configuration_now_with_secrets_redacted() {
    let connect = fixture_server().await;
    let mut config: Value =
        serde_json::from_str(&fixture("connector-orders-jdbc-source-config.json")).unwrap();
    config["producer.override.sasl.jaas.config"] = json!(
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"connect\" password=\"pl41n-s3cret\";"
    );
    config["connection.url"] =
        json!("jdbc:postgresql://orders-db.internal:5432/shop?user=connect&password=pl41n-s3cret");
    config["db.api.key"] = json!("pl41n-s3cret");
    Mock::given(method("GET"))
        .and(path("/connectors/orders-jdbc-source/config"))
        .respond_with(json(&config.to_string()))
        .mount(&connect)
        .await;
    let (mut exporter, api) = start(
        &[
            ("CONNECT_REST_URL", &connect.uri()),
            ("ALLOW_CONNECT_INSPECT", "true"),
            ("KCONNECT_LOG_LEVEL", "debug"),
        ],
        &["--observation.interval=1h"],
    )
    .await;
    let before = request_count(&connect).await;
    let (status, body) = api
        .get(
            "/api/v1/clusters/default/connectors/orders-jdbc-source",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "cluster": "default", "connector": "orders-jdbc-source", "type": "source",
            "state": "RUNNING", "worker_id": "10.0.1.11:8083", "exception": null,
            "tasks": [
                {"id": 0, "state": "RUNNING", "worker_id": "10.0.1.11:8083", "exception": null},
                {"id": 1, "state": "RUNNING", "worker_id": "10.0.1.12:8083", "exception": null}
            ],
            "config": {
                "name": "orders-jdbc-source",
                "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                "tasks.max": "2",
                "connection.url": "jdbc:postgresql://orders-db.internal:5432/shop?user=connect&password=[redacted]",
                "connection.user": "connect",
                "connection.password": "${file:/etc/kafka/secrets.properties:orders.db.password}",
                "mode": "timestamp+incrementing",
                "incrementing.column.name": "id",
                "timestamp.column.name": "updated_at",
                "table.whitelist": "shop.orders,shop.order_lines",
                "topic.prefix": "shop.",
                "producer.override.sasl.jaas.config": "[redacted]",
                "db.api.key": "[redacted]"
            }
        })
    );
    // Read at that moment: the status and the configuration.
    assert_eq!(request_count(&connect).await, before + 2);
    let line = exporter.wait_log("access decision");
    assert_eq!(
        (&line["operation"], &line["outcome"]),
        (&json!("inspect"), &json!("done"))
    );
    assert!(
        exporter.seen.iter().all(|l| !l.contains("pl41n-s3cret")),
        "no secret in any log line"
    );

    // Altering state is another action.
    let (status, body) = api
        .post("/default/connectors/orders-jdbc-source/pause", None)
        .await;
    assert_eq!(
        (status, &body["reason"]),
        (403, &json!("action_not_allowed"))
    );
    assert_eq!(exporter.sigterm(), 0);
}

#[tokio::test]
async fn lists_come_from_the_snapshots_and_never_call_connect() {
    let connect = fixture_server().await;
    let refusing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string("User cannot access the resource. token=abc123"),
        )
        .mount(&refusing)
        .await;
    let (mut exporter, api) = start(
        &[
            ("CONNECT_RESOURCE_IDS", "US1,EU2"),
            ("US1_CONNECT_REST_URL", &connect.uri()),
            ("US1_CONNECT_AUTO_RESTART", "true"),
            ("EU2_CONNECT_REST_URL", &refusing.uri()),
            ("EU2_CONNECT_STARTUP_VALIDATION", "false"),
        ],
        &["--observation.interval=1h"],
    )
    .await;
    let before = request_count(&connect).await;
    let (status, body) = api.get("/api/v1/clusters", None).await;
    assert_eq!(status, 200);
    let observed_at = body["clusters"][0]["observed_at"].clone();
    assert_eq!(
        body,
        json!({"clusters": [
            {"id": "US1", "name": "US1", "flavour": "Apache Kafka Connect",
             "rest_url": format!("{}/", connect.uri()), "auto_restart": true, "observed": true,
             "up": true, "observed_at": observed_at, "version": "3.9.0", "connectors": 7},
            {"id": "EU2", "name": "EU2", "flavour": "Apache Kafka Connect",
             "rest_url": format!("{}/", refusing.uri()), "auto_restart": false, "observed": true,
             "up": false, "observed_at": body["clusters"][1]["observed_at"], "version": null,
             "error": {"reason": "auth", "request": "GET /"}}
        ]})
    );
    let (status, body) = api.get("/api/v1/clusters/US1/connectors", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "audit-log-sink",
            "clickstream-es-sink",
            "customers-mongo-source",
            "inventory-cdc-source",
            "legacy-ftp-source",
            "orders-jdbc-source",
            "payments-s3-sink"
        ]
    );
    assert_eq!(
        body["connectors"][1],
        json!({"name": "clickstream-es-sink", "state": "RUNNING", "type": "sink",
               "class": "com.example.connect.es.EsSinkConnector",
               "worker_id": "10.0.1.13:8083", "exception": null, "tasks_max": 3,
               "tasks": [
                   {"id": 0, "state": "RUNNING", "worker_id": "10.0.1.11:8083", "exception": null},
                   {"id": 1, "state": "FAILED", "worker_id": "10.0.1.12:8083",
                    "exception": "org.apache.kafka.connect.errors.ConnectException"},
                   {"id": 2, "state": "RUNNING", "worker_id": "10.0.1.13:8083", "exception": null}]})
    );
    assert_eq!(
        request_count(&connect).await,
        before,
        "no request to Connect"
    );

    let (status, body) = api.get("/api/v1/clusters/EU2/connectors", None).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"error": "cluster_down", "message": "the latest observation of cluster EU2 failed (auth on GET /), so the state of its connectors is not known"})
        )
    );
    let (status, body) = api.get("/api/v1/clusters/XX/connectors", None).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error": "not_found", "message": "no Connect cluster \"XX\"; the clusters are US1, EU2"})
        )
    );
    let (status, body) = api.get("/api/v2/anything", None).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error": "not_found", "message": "no API endpoint /api/v2/anything; see /api/v1/clusters"})
        )
    );
    let (status, body) = api.call("DELETE", "/api/v1/clusters", None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );

    // The landing page says why EU2 is down, without what its server answered.
    let (status, landing) = api.get("/", None).await;
    assert_eq!(status, 200);
    let landing = landing.as_str().unwrap().to_string();
    assert!(landing.contains("auth on GET /<"), "{landing}");
    assert!(
        !landing.contains("abc123") && !landing.contains("cannot access"),
        "{landing}"
    );
    assert_eq!(exporter.sigterm(), 0);
}
