//! The Confluent Cloud stand-in itself: the shapes it answers with equal the contract's
//! fixtures, it authenticates, throttles with the documented headers, and serves no `GET /`.
//! (The exporter's side against it is tested with the Cloud client.)

#[path = "support/cloud_standin.rs"]
mod cloud_standin;
#[path = "support/running.rs"]
mod running;

use std::sync::Arc;
use std::time::Duration;

use cloud_standin::{CloudStandin, CloudStandinConfig, RateLimit};
use running::Running;
use serde_json::{Value, json};

struct Standin {
    state: Arc<CloudStandin>,
    server: Running,
    http: reqwest::Client,
}

fn standin() -> Standin {
    let state = CloudStandin::new(
        CloudStandinConfig::default(),
        cloud_standin::fixture_connectors(),
    );
    let server = Running::start(cloud_standin::router(state.clone()));
    Standin {
        state,
        server,
        http: reqwest::Client::new(),
    }
}

impl Standin {
    fn url(&self, tail: &str) -> String {
        format!(
            "{}{}{tail}",
            self.server.url(),
            self.state.config.base_path()
        )
    }

    async fn send(&self, method: reqwest::Method, tail: &str) -> reqwest::Response {
        let c = &self.state.config;
        self.http
            .request(method, self.url(tail))
            .basic_auth(&c.api_key, Some(&c.api_secret))
            .send()
            .await
            .expect("the stand-in answers")
    }

    async fn get(&self, tail: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, tail).await
    }
}

async fn json_of(r: reqwest::Response) -> Value {
    let body = r.bytes().await.expect("a body");
    serde_json::from_slice(&body).expect("a JSON body")
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn the_expanded_listing_is_the_fixture_in_both_expand_forms() {
    let s = standin();
    let fixture: Value =
        serde_json::from_str(cloud_standin::EXPAND_FIXTURE).expect("the fixture is JSON");

    for query in [
        "?expand=info,status,id",
        "?expand=info&expand=status&expand=id",
        "?expand=info,status&expand=id",
    ] {
        let r = s.get(&format!("/connectors{query}")).await;
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(json_of(r).await, fixture, "{query}");
    }

    let status_only = json_of(s.get("/connectors?expand=status").await).await;
    let first = &status_only["clickstream-bq-sink"];
    assert_eq!(
        first,
        &json!({"status": fixture["clickstream-bq-sink"]["status"]})
    );
    let ids = json_of(s.get("/connectors?expand=id").await).await;
    assert_eq!(
        ids["orders-postgres-source"],
        json!({"id": {"id": "lcc-7k2m9q", "id_type": "ID"}})
    );
    assert_eq!(
        json_of(s.get("/connectors").await).await,
        json!([
            "clickstream-bq-sink",
            "datagen-orders-source",
            "inventory-mysql-source",
            "orders-postgres-source",
            "payments-s3-sink"
        ])
    );
}

#[tokio::test]
async fn per_connector_paths_and_lifecycle() {
    let s = standin();
    let fixture: Value =
        serde_json::from_str(cloud_standin::EXPAND_FIXTURE).expect("the fixture is JSON");
    let bq = &fixture["clickstream-bq-sink"];

    let info = json_of(s.get("/connectors/clickstream-bq-sink").await).await;
    assert_eq!(
        info,
        json!({
            "name": "clickstream-bq-sink",
            "config": bq["info"]["config"],
            "tasks": [
                {"connector": "clickstream-bq-sink", "task": 0},
                {"connector": "clickstream-bq-sink", "task": 1}
            ],
            "type": "sink"
        })
    );
    assert_eq!(info["config"]["keyfile"], "****************");
    let config = json_of(s.get("/connectors/clickstream-bq-sink/config").await).await;
    assert_eq!(config, bq["info"]["config"]);
    let status = json_of(s.get("/connectors/clickstream-bq-sink/status").await).await;
    assert_eq!(status, bq["status"]);
    let tasks = json_of(s.get("/connectors/clickstream-bq-sink/tasks").await).await;
    assert_eq!(
        tasks[1],
        json!({"id": {"connector": "clickstream-bq-sink", "task": 1}, "config": bq["info"]["config"]})
    );

    let r = s
        .send(
            reqwest::Method::PUT,
            "/connectors/clickstream-bq-sink/pause",
        )
        .await;
    assert_eq!(r.status(), 202);
    let status = json_of(s.get("/connectors/clickstream-bq-sink/status").await).await;
    assert_eq!(status["connector"]["state"], "PAUSED");
    assert_eq!(
        status["tasks"][1],
        json!({"id": 1, "state": "PAUSED", "worker_id": "clickstream-bq-sink", "msg": ""})
    );
    let r = s
        .send(
            reqwest::Method::PUT,
            "/connectors/clickstream-bq-sink/resume",
        )
        .await;
    assert_eq!(r.status(), 202);
    let r = s
        .send(
            reqwest::Method::POST,
            "/connectors/inventory-mysql-source/restart",
        )
        .await;
    assert_eq!(r.status(), 202);
    let states: Vec<(String, String)> = s
        .state
        .connectors()
        .into_iter()
        .map(|c| (c.name, c.state))
        .collect();
    assert_eq!(
        states[..3],
        [
            ("clickstream-bq-sink".to_string(), "RUNNING".to_string()),
            (
                "datagen-orders-source".to_string(),
                "PROVISIONING".to_string()
            ),
            ("inventory-mysql-source".to_string(), "RUNNING".to_string()),
        ]
    );

    let r = s.get("/connectors/no-such-connector/status").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        json_of(r).await,
        json!({"error": {"code": 404, "message": "resource not found"}})
    );
}

#[tokio::test]
async fn there_is_no_get_at_the_cluster_path_and_other_paths_are_404() {
    let s = standin();

    for tail in [
        "",
        "/",
        "/connectorsx",
        "/health",
        "/connectors/payments-s3-sink/topics",
    ] {
        let r = s.get(tail).await;
        assert_eq!(r.status(), 404, "{tail:?}");
        assert_eq!(
            json_of(r).await,
            serde_json::from_str::<Value>(cloud_standin::NOT_FOUND_FIXTURE).expect("JSON"),
            "{tail:?}"
        );
    }
    let other_cluster = s
        .http
        .get(format!(
            "{}/connect/v1/environments/env-a1b2c3/clusters/lkc-other/connectors",
            s.server.url()
        ))
        .basic_auth(&s.state.config.api_key, Some(&s.state.config.api_secret))
        .send()
        .await
        .expect("answer");
    assert_eq!(other_cluster.status(), 404);

    let base = s.state.config.base_path();
    let root: Vec<_> = s
        .state
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == base)
        .map(|r| r.status)
        .collect();
    assert_eq!(root, [404]);
}

#[tokio::test]
async fn requests_without_the_cloud_api_key_are_401() {
    let s = standin();

    let none = s
        .http
        .get(s.url("/connectors"))
        .send()
        .await
        .expect("answer");
    assert_eq!(none.status(), 401);
    assert_eq!(
        json_of(none).await,
        json!({"error": {"code": 401, "message": "Unauthorized"}})
    );
    let wrong = s
        .http
        .get(s.url("/connectors"))
        .basic_auth(&s.state.config.api_key, Some("kafka-cluster-secret"))
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 401);
    let statuses: Vec<u16> = s.state.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401]);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_and_rate_limit_headers() {
    let s = standin();

    let ok = s.get("/connectors").await;
    assert_eq!(
        (
            header(&ok, "x-ratelimit-limit"),
            header(&ok, "x-ratelimit-remaining"),
            header(&ok, "x-ratelimit-reset")
        ),
        ("1000", "999", "60")
    );

    s.state.throttle_next(1, Duration::from_secs(7));
    let r = s.get("/connectors").await;
    assert_eq!(r.status(), 429);
    assert_eq!(
        (
            header(&r, "retry-after"),
            header(&r, "x-ratelimit-limit"),
            header(&r, "x-ratelimit-remaining"),
            header(&r, "x-ratelimit-reset")
        ),
        ("7", "1000", "0", "7")
    );
    assert_eq!(
        json_of(r).await,
        json!({"error": {"code": 429, "message": "Too Many Requests"}})
    );
    // Coming straight back is what a client must not do.
    assert_eq!(s.get("/connectors").await.status(), 200);
    let early: Vec<(String, u16)> = s
        .state
        .early_requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(early, [(s.state.config.base_path() + "/connectors", 200)]);

    s.state.set_rate_limit(RateLimit {
        requests: 2,
        window: Duration::from_secs(30),
    });
    assert_eq!(s.get("/connectors").await.status(), 200);
    let second = s.get("/connectors").await;
    assert_eq!(header(&second, "x-ratelimit-remaining"), "0");
    let third = s.get("/connectors").await;
    assert_eq!(third.status(), 429);
    let retry_after: u64 = header(&third, "retry-after").parse().expect("seconds");
    assert!((29..=30).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&third, "x-ratelimit-reset"), retry_after.to_string());
}
