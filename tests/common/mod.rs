//! Shared test support: the fixture Connect cluster on wiremock, observers built from it,
//! certificates and TLS servers made on the spot.
#![allow(dead_code)]

pub mod api;
pub mod expo;
pub mod exporter;
pub mod faulty;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kconnect_exporter::config::{ClusterConfig, Flavour, ObservationVersion};
use kconnect_exporter::connect::ConnectClient;
use kconnect_exporter::metrics::{Exposition, Format};
use kconnect_exporter::observe::{
    Apache, Cloud, ClusterHandle, Observer, Options, Snapshot, Source,
};
use serde_json::Value;
use url::Url;
use wiremock::matchers::{method, path, query_param_is_missing};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    let p = fixture_path(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

pub fn status_json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

/// Matches a request whose raw query string is exactly this.
pub struct RawQuery(pub &'static str);

impl Match for RawQuery {
    fn matches(&self, request: &Request) -> bool {
        request.url.query() == Some(self.0)
    }
}

/// The path of a connector's resource as the client sends it (percent-encoded).
pub fn connector_path(name: &str, suffix: &str) -> String {
    let mut url = Url::parse("http://x/connectors/").unwrap();
    url.path_segments_mut().unwrap().pop_if_empty().push(name);
    format!("{}{suffix}", url.path())
}

/// A Connect cluster whose connectors are those of `expanded` (the shape of
/// `GET /connectors?expand=status&expand=info`), served for both v1 and v2.
pub async fn mount_cluster(server: &MockServer, expanded: &Value) {
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(json(&fixture("health.json")))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(RawQuery("expand=status&expand=info"))
        .respond_with(json(&expanded.to_string()))
        .mount(server)
        .await;
    let names: Vec<&String> = expanded
        .as_object()
        .expect("expanded listing is an object")
        .keys()
        .collect();
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(query_param_is_missing("expand"))
        .respond_with(json(&serde_json::to_string(&names).unwrap()))
        .mount(server)
        .await;
    for (name, entry) in expanded.as_object().unwrap() {
        let info = &entry["info"];
        let tasks: Vec<Value> = info["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| serde_json::json!({"id": id, "config": {"task.class": "x", "connection.password": "s3cret"}}))
            .collect();
        for (suffix, body) in [
            ("", info.clone()),
            ("/status", entry["status"].clone()),
            ("/tasks", Value::Array(tasks)),
        ] {
            Mock::given(method("GET"))
                .and(path(connector_path(name, suffix).as_str()))
                .respond_with(json(&body.to_string()))
                .mount(server)
                .await;
        }
    }
}

/// `GET /connectors/{name}/topics` for every connector of `expanded`: the contract's fixture for
/// `orders-jdbc-source`, none yet for the others (Connect's answer for a connector that has not
/// used a topic).
pub async fn mount_topics(server: &MockServer, expanded: &Value) {
    for name in expanded.as_object().unwrap().keys() {
        let body = if name == "orders-jdbc-source" {
            fixture("connector-orders-jdbc-source-topics.json")
        } else {
            serde_json::json!({ name: {"topics": []} }).to_string()
        };
        Mock::given(method("GET"))
            .and(path(connector_path(name, "/topics").as_str()))
            .respond_with(json(&body))
            .mount(server)
            .await;
    }
}

/// An expanded listing of `n` RUNNING sink connectors with one RUNNING task each, in the shape
/// of `connectors-expand-status-info.json`: for expositions far larger than a socket's buffers.
pub fn big_listing(n: usize) -> Value {
    let mut listing = serde_json::Map::new();
    for i in 0..n {
        let name = format!("connector-{i:05}");
        listing.insert(
            name.clone(),
            serde_json::json!({
                "status": {"name": name, "connector": {"state": "RUNNING", "worker_id": "w1:8083"},
                           "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w2:8083"}], "type": "sink"},
                "info": {"name": name, "config": {"connector.class": "a.B", "tasks.max": "1"},
                         "tasks": [{"connector": name, "task": 0}], "type": "sink"}
            }),
        );
    }
    Value::Object(listing)
}

/// The fixture cluster of `tests/fixtures/connectors-expand-status-info.json`.
pub fn fixture_listing() -> Value {
    serde_json::from_str(&fixture("connectors-expand-status-info.json")).unwrap()
}

pub async fn fixture_server() -> MockServer {
    let server = MockServer::start().await;
    mount_cluster(&server, &fixture_listing()).await;
    server
}

pub fn cluster(id: &str, uri: &str, version: ObservationVersion) -> ClusterConfig {
    let mut c = ClusterConfig::new(id, Url::parse(uri).unwrap());
    c.observation_version = version;
    c.client.timeout = Duration::from_secs(5);
    c
}

pub fn observer(cluster: &ClusterConfig, parallelism: usize) -> (Observer, ClusterHandle) {
    let interval = Duration::from_secs(30);
    observer_timed(cluster, parallelism, interval, interval)
}

/// An observer with its interval and observation timeout.
pub fn observer_timed(
    cluster: &ClusterConfig,
    parallelism: usize,
    interval: Duration,
    timeout: Duration,
) -> (Observer, ClusterHandle) {
    let client = ConnectClient::new(&cluster.client).expect("client builds");
    let options = Options::new(cluster.observation_version, parallelism);
    let source = match cluster.flavour {
        Flavour::ConfluentCloud => Source::Cloud(Cloud::new(client, options)),
        _ => Source::Apache(Apache::new(client, options, None)),
    };
    Observer::new(cluster, source, interval, timeout)
}

/// One observation of `cluster`, returned as its snapshot.
pub async fn observe(cluster: &ClusterConfig) -> Arc<Snapshot> {
    let (mut obs, _handle) = observer(cluster, 4);
    obs.observe_once().await
}

pub fn exposition(snapshots: &[Arc<Snapshot>], format: Format) -> String {
    let handles = snapshots
        .iter()
        .cloned()
        .map(ClusterHandle::from_snapshot)
        .collect();
    let interval = Duration::from_secs(30);
    Exposition::new(handles, interval, interval).encode(format)
}

/// The lines of an exposition that describe connectors, tasks and workers.
pub fn state_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            [
                "kconnect_connector",
                "kconnect_task",
                "kconnect_worker_",
                "kconnect_connectors",
                "kconnect_tasks",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(str::to_string)
        .collect()
}

/// The value of the one sample whose line starts with `series` (name and labels, exactly).
pub fn sample(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::to_string)
    })
}

pub async fn request_count(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .len()
}

pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
