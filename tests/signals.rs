//! What an SRE reaches for next, against a mocked Connect: each connector's topics (KIP-558,
//! opt-in, refreshed as rarely as v1's details, silent after a 403 or 404), the worker's health
//! (KIP-1017), a sink's consumer group derived without a request, and plugin versions.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use kconnect_exporter::config::ClusterConfig;
use kconnect_exporter::config::ObservationVersion::{V1, V2};
use kconnect_exporter::metrics::Format;
use kconnect_exporter::observe::{ClusterHandle, Observer, Source};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

async fn observer_of(c: &ClusterConfig, details_every: u64) -> (Observer, ClusterHandle) {
    let source = Source::from_config(c, 4, details_every).await.unwrap();
    let interval = Duration::from_secs(30);
    Observer::new(c, source, interval, interval)
}

/// Requests received since `skip`, counted by path.
async fn paths_since(server: &MockServer, skip: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .skip(skip)
    {
        *out.entry(r.url.path().to_string()).or_default() += 1;
    }
    out
}

fn topics_requests(paths: &BTreeMap<String, usize>) -> usize {
    paths
        .iter()
        .filter(|(p, _)| p.ends_with("/topics"))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn topics_are_read_when_asked_and_refreshed_every_k_observations() {
    let server = fixture_server().await;
    mount_topics(&server, &fixture_listing()).await;
    let mut c = cluster("default", &server.uri(), V2);
    c.observe_topics = true;
    let (mut obs, _h) = observer_of(&c, 3).await;

    let snap = obs.observe_once().await;
    let first = paths_since(&server, 0).await;
    assert_eq!(topics_requests(&first), 7, "every new connector: {first:?}");
    let text = exposition(&[snap], Format::Text);
    let topic_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("kconnect_connector_topic_info{"))
        .collect();
    assert_eq!(
        topic_lines,
        [
            "kconnect_connector_topic_info{connect_cluster=\"default\",connector=\"orders-jdbc-source\",topic=\"shop.order_lines\"} 1",
            "kconnect_connector_topic_info{connect_cluster=\"default\",connector=\"orders-jdbc-source\",topic=\"shop.orders\"} 1",
        ]
    );

    // The next three observations ask each connector's topics exactly once between them, and
    // every one of them still shows the topics.
    let before = request_count(&server).await;
    for _ in 0..3 {
        let text = exposition(&[obs.observe_once().await], Format::Text);
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("kconnect_connector_topic_info{"))
                .count(),
            2
        );
    }
    let three = paths_since(&server, before).await;
    for name in fixture_listing().as_object().unwrap().keys() {
        assert_eq!(
            three.get(&connector_path(name, "/topics")),
            Some(&1),
            "{name}: {three:?}"
        );
    }
    assert_eq!(three.get("/connectors"), Some(&3));
    assert_eq!(
        three.get("/health"),
        Some(&3),
        "the health once per observation"
    );

    // Off (the default): never asked.
    let server = fixture_server().await;
    let (mut obs, _h) = observer_of(&cluster("default", &server.uri(), V2), 3).await;
    obs.observe_once().await;
    assert_eq!(topics_requests(&paths_since(&server, 0).await), 0);
}

#[tokio::test]
async fn a_connect_without_topics_is_said_once_and_costs_nothing_after() {
    for (status, body) in [
        (403, fixture("error-403-topic-tracking.json")),
        (404, fixture("error-404-unknown-path.json")),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::path_regex("/topics$"))
            .respond_with(status_json(status, &body))
            .mount(&server)
            .await;
        mount_cluster(&server, &fixture_listing()).await;
        let mut c = cluster("default", &server.uri(), V1);
        c.observe_topics = true;
        let (mut obs, _h) = observer_of(&c, 1).await;
        let first = obs.observe_once().await;
        assert!(first.is_up(), "{status}: {:?}", first.outcome);
        let asked = topics_requests(&paths_since(&server, 0).await);
        assert!((1..=7).contains(&asked), "{status}: {asked}");
        let before = request_count(&server).await;
        let second = obs.observe_once().await;
        assert!(second.is_up());
        assert_eq!(
            topics_requests(&paths_since(&server, before).await),
            0,
            "{status}: asked no more"
        );
        let text = exposition(&[second], Format::Text);
        assert!(!text.contains("kconnect_connector_topic_info{"));
    }
}

#[tokio::test]
async fn the_worker_s_health_healthy_starting_and_not_there() {
    for (status, body, shown) in [
        (200, fixture("health.json"), Some("1")),
        (
            503,
            json!({"status": "starting", "message": "Worker is still starting up."}).to_string(),
            Some("0"),
        ),
        (
            500,
            json!({"status": "unhealthy", "message": "Worker was unable to handle this request and may be unable to handle other requests."}).to_string(),
            Some("0"),
        ),
        (404, fixture("error-404-unknown-path.json"), None),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/health"))
            .respond_with(status_json(status, &body))
            .with_priority(1)
            .mount(&server)
            .await;
        mount_cluster(&server, &fixture_listing()).await;
        let (mut obs, _h) = observer_of(&cluster("default", &server.uri(), V2), 1).await;
        let snap = obs.observe_once().await;
        assert!(snap.is_up(), "{status}: {:?}", snap.outcome);
        let text = exposition(&[snap], Format::Text);
        assert_eq!(
            sample(&text, "kconnect_worker_health{connect_cluster=\"default\"}").as_deref(),
            shown,
            "{status}"
        );
        let before = request_count(&server).await;
        obs.observe_once().await;
        let health = paths_since(&server, before).await.get("/health").copied();
        assert_eq!(
            health,
            if status == 404 { None } else { Some(1) },
            "{status}: asked again only where it exists"
        );
    }
}

#[tokio::test]
async fn a_sink_s_consumer_group_and_the_plugin_versions() {
    let entry = |name: &str, kind: &str, config: serde_json::Value| {
        json!({
            "status": {"name": name, "connector": {"state": "RUNNING", "worker_id": "w1:8083", "version": "10.7.4"},
                       "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w1:8083", "version": "10.7.4"}], "type": kind},
            "info": {"name": name, "config": config, "tasks": [{"connector": name, "task": 0}], "type": kind}
        })
    };
    let listing = json!({
        "orders-sink": entry("orders-sink", "sink", json!({"connector.class": "a.Sink", "consumer.override.group.id": "orders-loader"})),
        "audit-sink": entry("audit-sink", "sink", json!({"connector.class": "a.Sink"})),
        "orders-source": entry("orders-source", "source", json!({"connector.class": "a.Source", "consumer.override.group.id": "ignored"})),
    });
    let server = MockServer::start().await;
    mount_cluster(&server, &listing).await;
    for version in [V1, V2] {
        let snap = observe(&cluster("default", &server.uri(), version)).await;
        let text = exposition(&[snap], Format::Text);
        let groups: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("kconnect_connector_consumer_group_info{"))
            .collect();
        assert_eq!(
            groups,
            [
                "kconnect_connector_consumer_group_info{connect_cluster=\"default\",connector=\"audit-sink\",consumergroup=\"connect-audit-sink\"} 1",
                "kconnect_connector_consumer_group_info{connect_cluster=\"default\",connector=\"orders-sink\",consumergroup=\"orders-loader\"} 1",
            ],
            "{version:?}: a source has none"
        );
        assert_eq!(
            sample(&text, "kconnect_connector_info{connect_cluster=\"default\",connector=\"orders-source\",type=\"source\",class=\"a.Source\",worker_id=\"w1:8083\",version=\"10.7.4\"}").as_deref(),
            Some("1"),
            "{version:?}"
        );
        assert_eq!(
            sample(&text, "kconnect_task_info{connect_cluster=\"default\",connector=\"orders-source\",task=\"0\",worker_id=\"w1:8083\",version=\"10.7.4\"}").as_deref(),
            Some("1"),
            "{version:?}"
        );
    }
}
