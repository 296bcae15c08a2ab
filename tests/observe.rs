//! Observers against a mocked Connect serving the REST API's real shapes: request counts, v1 and
//! v2 agreement, the fallback for old Connect, races, failures and odd connector names.

mod common;

use common::*;
use kconnect_exporter::config::ObservationVersion::{V1, V2};
use kconnect_exporter::connect::Reason;
use kconnect_exporter::metrics::Format;
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};

use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn v1_sends_3n_plus_1_requests_and_v2_sends_one_with_the_worker_s_health_besides() {
    let n = fixture_listing().as_object().unwrap().len();
    assert_eq!(n, 7);

    // Every observation also asks `GET /health` (Kafka 3.9+), one request.
    for (version, expected) in [(V1, 3 * n + 1 + 1), (V2, 1 + 1)] {
        let server = fixture_server().await;
        let cluster = cluster("default", &server.uri(), version);
        let (mut obs, _h) = observer(&cluster, 3);
        // The first observation also asks `GET /`; count a steady-state one.
        obs.observe_once().await;
        let before = request_count(&server).await;
        let snap = obs.observe_once().await;
        assert!(snap.is_up(), "{version:?}: {:?}", snap.outcome);
        assert_eq!(
            request_count(&server).await - before,
            expected,
            "{version:?}"
        );
        assert_eq!(
            snap.totals.requests,
            2 * expected as u64 + 1,
            "{version:?} counts its requests"
        );
    }
}

#[tokio::test]
async fn v1_and_v2_show_identical_connector_and_task_metrics() {
    let server = fixture_server().await;
    let v1 = observe(&cluster("default", &server.uri(), V1)).await;
    let v2 = observe(&cluster("default", &server.uri(), V2)).await;
    let t1 = exposition(&[v1], Format::Text);
    let t2 = exposition(&[v2], Format::Text);
    let lines = state_lines(&t1);
    assert_eq!(lines, state_lines(&t2));
    assert!(lines.len() > 100, "{lines:#?}");

    // The fixture's truth, exactly.
    let c = |name: &str, state: &str| {
        sample(
            &t1,
            &format!(
                "kconnect_connector_state{{connect_cluster=\"default\",connector=\"{name}\",state=\"{state}\"}}"
            ),
        )
    };
    assert_eq!(c("orders-jdbc-source", "RUNNING").as_deref(), Some("1"));
    assert_eq!(c("orders-jdbc-source", "FAILED").as_deref(), Some("0"));
    assert_eq!(c("payments-s3-sink", "PAUSED").as_deref(), Some("1"));
    assert_eq!(c("inventory-cdc-source", "FAILED").as_deref(), Some("1"));
    assert_eq!(c("audit-log-sink", "UNASSIGNED").as_deref(), Some("1"));
    assert_eq!(
        c("customers-mongo-source", "RESTARTING").as_deref(),
        Some("1")
    );
    assert_eq!(c("legacy-ftp-source", "STOPPED").as_deref(), Some("1"));
    assert_eq!(c("legacy-ftp-source", "RUNNING").as_deref(), Some("0"));
    let t = |name: &str, task: u32, state: &str| {
        sample(
            &t1,
            &format!(
                "kconnect_task_state{{connect_cluster=\"default\",connector=\"{name}\",task=\"{task}\",state=\"{state}\"}}"
            ),
        )
    };
    assert_eq!(t("clickstream-es-sink", 1, "FAILED").as_deref(), Some("1"));
    assert_eq!(t("clickstream-es-sink", 0, "RUNNING").as_deref(), Some("1"));
    assert_eq!(
        t("customers-mongo-source", 0, "RESTARTING").as_deref(),
        Some("1")
    );
    assert_eq!(
        t("customers-mongo-source", 1, "RUNNING").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &t1,
            "kconnect_connectors{connect_cluster=\"default\",state=\"RUNNING\"}"
        )
        .as_deref(),
        Some("2")
    );
    assert_eq!(
        sample(
            &t1,
            "kconnect_tasks{connect_cluster=\"default\",state=\"FAILED\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &t1,
            "kconnect_task_failure_info{connect_cluster=\"default\",connector=\"clickstream-es-sink\",task=\"1\",exception=\"org.apache.kafka.connect.errors.ConnectException\"}"
        )
        .as_deref(),
        Some("1")
    );
    // Config values never become labels.
    assert!(
        !t1.contains("orders-db.internal") && !t1.contains("s3cret") && !t1.contains("password")
    );
}

#[tokio::test]
async fn v2_falls_back_to_v1_when_connect_ignores_expand() {
    // Kafka 2.2 and older answer `?expand=…` with the plain list of names.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(RawQuery("expand=status&expand=info"))
        .respond_with(json(r#"["orders-jdbc-source"]"#))
        .mount(&server)
        .await;
    let mut listing = fixture_listing();
    listing
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "orders-jdbc-source");
    mount_cluster(&server, &listing).await;

    let cluster = cluster("OLD", &server.uri(), V2);
    let (mut obs, _h) = observer(&cluster, 2);
    let first = obs.observe_once().await;
    assert!(first.is_up(), "{:?}", first.outcome);
    assert!(first.fallback);
    assert_eq!(
        first.outcome.as_ref().unwrap().connectors[0].name,
        "orders-jdbc-source"
    );
    // From then on the cluster is observed with v1: 3N+1 requests, no more `expand` (and the
    // worker's health).
    let before = request_count(&server).await;
    let second = obs.observe_once().await;
    assert_eq!(request_count(&server).await - before, 4 + 1);
    let text = exposition(&[second], Format::Text);
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_fallback{connect_cluster=\"OLD\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"OLD\",connector=\"orders-jdbc-source\",state=\"RUNNING\"}")
            .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn a_connector_deleted_between_list_and_details_is_left_out() {
    let server = MockServer::start().await;
    // Mounted first, so it wins over the fixture's mock for the same path.
    Mock::given(method("GET"))
        .and(path(connector_path("payments-s3-sink", "/status").as_str()))
        .respond_with(status_json(404, &fixture("error-404.json")))
        .mount(&server)
        .await;
    mount_cluster(&server, &fixture_listing()).await;
    let snap = observe(&cluster("default", &server.uri(), V1)).await;
    let view = snap.outcome.as_ref().expect("a 404 race is not a failure");
    assert_eq!(view.connectors.len(), 6);
    assert!(view.connectors.iter().all(|c| c.name != "payments-s3-sink"));
    assert_eq!(snap.totals.skipped_connectors, 1);
    let text = exposition(&[snap], Format::Text);
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_connectors_skipped_total{connect_cluster=\"default\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(!text.contains("payments-s3-sink"));
}

#[tokio::test]
async fn a_failure_mid_observation_fails_it_and_hides_stale_states() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connector_path("audit-log-sink", "/tasks").as_str()))
        .respond_with(status_json(500, &fixture("error-500-timeout.json")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_cluster(&server, &fixture_listing()).await;
    let cluster = cluster("default", &server.uri(), V1);
    let (mut obs, _h) = observer(&cluster, 1);

    let failed = obs.observe_once().await;
    let err = failed
        .outcome
        .as_ref()
        .expect_err("the 500 fails the observation");
    assert_eq!(err.reason, Reason::ServerError);
    assert_eq!(err.request, "GET /connectors/audit-log-sink/tasks");
    assert_eq!(
        err.detail,
        "HTTP 500: Request timed out. The worker is currently reading to the end of the config topic, which began at 2024-11-24T10:15:02.118Z."
    );
    let text = exposition(&[failed], Format::Text);
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("0")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_error{connect_cluster=\"default\",reason=\"server_error\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_errors_total{connect_cluster=\"default\",reason=\"server_error\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(
        state_lines(&text).is_empty(),
        "no connector state is shown for a failed observation"
    );

    let recovered = obs.observe_once().await;
    assert!(recovered.is_up());
    let text = exposition(&[recovered], Format::Text);
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("1")
    );
    assert!(!text.contains("kconnect_observation_error{"));
    assert_eq!(
        sample(
            &text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"failure\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}"
        )
        .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn malformed_json_fails_with_reason_decode() {
    for (version, body) in [
        (V2, "{\"a\": {\"status\": 17}}"),
        (V1, "[\"a\", "),
        (V2, "<html>proxy</html>"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/"))
            .respond_with(json(&fixture("root.json")))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/connectors"))
            .respond_with(json(body))
            .mount(&server)
            .await;
        let snap = observe(&cluster("default", &server.uri(), version)).await;
        let err = snap.outcome.as_ref().expect_err("malformed body");
        assert_eq!(err.reason, Reason::Decode, "{body}");
        assert!(
            err.detail.starts_with("unexpected response body: "),
            "{}",
            err.detail
        );
    }
}

#[tokio::test]
async fn rebalance_answers_fail_with_reason_rebalance() {
    for (status, file) in [
        (409, "error-409.json"),
        (500, "error-500-rebalance-expected.json"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(connector_path("orders-jdbc-source", "").as_str()))
            .respond_with(status_json(status, &fixture(file)))
            .mount(&server)
            .await;
        mount_cluster(&server, &fixture_listing()).await;
        let snap = observe(&cluster("default", &server.uri(), V1)).await;
        assert_eq!(
            snap.outcome.as_ref().unwrap_err().reason,
            Reason::Rebalance,
            "{file}"
        );
    }
}

#[tokio::test]
async fn names_needing_percent_encoding_and_escaping() {
    let odd = "quoted \"name\" \\ sink/ü?#%";
    let listing = json!({
        odd: {
            "status": {"name": odd, "connector": {"state": "RUNNING", "worker_id": "w1:8083"},
                       "tasks": [{"id": 0, "state": "FAILED", "worker_id": "w\"2:8083",
                                  "trace": "java.lang.IllegalStateException: boom\n\tat x"}], "type": "sink"},
            "info": {"name": odd, "config": {"connector.class": "a.B", "tasks.max": "1"},
                     "tasks": [{"connector": odd, "task": 0}], "type": "sink"}
        }
    });
    let server = MockServer::start().await;
    mount_cluster(&server, &listing).await;
    for version in [V1, V2] {
        let snap = observe(&cluster("default", &server.uri(), version)).await;
        assert!(snap.is_up(), "{version:?}: {:?}", snap.outcome);
        for format in [Format::Text, Format::OpenMetrics] {
            let text = exposition(std::slice::from_ref(&snap), format);
            let escaped = r#"quoted \"name\" \\ sink/ü?#%"#;
            assert_eq!(
                sample(&text, &format!("kconnect_connector_state{{connect_cluster=\"default\",connector=\"{escaped}\",state=\"RUNNING\"}}"))
                    .as_deref(),
                Some("1"),
                "{text}"
            );
            assert_eq!(
                sample(
                    &text,
                    &format!("kconnect_task_info{{connect_cluster=\"default\",connector=\"{escaped}\",task=\"0\",worker_id=\"w\\\"2:8083\"}}")
                )
                .as_deref(),
                Some("1")
            );
        }
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(
        paths.contains(
            &"/connectors/quoted%20%22name%22%20%5C%20sink%2F%C3%BC%3F%23%25/status".to_string()
        ),
        "{paths:?}"
    );
}

#[tokio::test]
async fn unknown_states_are_shown_not_hidden() {
    let listing = json!({
        "c": {"status": {"name": "c", "connector": {"state": "DEGRADED", "worker_id": "w"}, "tasks": [], "type": "source"},
              "info": {"name": "c", "config": {}, "tasks": [], "type": "source"}}
    });
    let server = MockServer::start().await;
    mount_cluster(&server, &listing).await;
    let text = exposition(
        &[observe(&cluster("default", &server.uri(), V2)).await],
        Format::Text,
    );
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"default\",connector=\"c\",state=\"DEGRADED\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"default\",connector=\"c\",state=\"RUNNING\"}").as_deref(),
        Some("0")
    );
}

#[tokio::test]
async fn v1_never_has_more_requests_in_flight_than_the_parallelism() {
    // Every response is delayed; with parallelism 2 the 22 requests of 7 connectors take at
    // least ceil(21 / 2) + 1 delays, which only holds if no more than 2 run at once.
    let server = MockServer::start().await;
    let delay = std::time::Duration::from_millis(40);
    let listing = fixture_listing();
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")))
        .mount(&server)
        .await;
    let names: Vec<&String> = listing.as_object().unwrap().keys().collect();
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(json(&serde_json::to_string(&names).unwrap()).set_delay(delay))
        .mount(&server)
        .await;
    for (name, entry) in listing.as_object().unwrap() {
        for (suffix, body) in [
            ("", entry["info"].clone()),
            ("/status", entry["status"].clone()),
            ("/tasks", json!([])),
        ] {
            Mock::given(method("GET"))
                .and(path(connector_path(name, suffix).as_str()))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(body)
                        .set_delay(delay),
                )
                .mount(&server)
                .await;
        }
    }
    let cluster = cluster("default", &server.uri(), V1);
    let (mut obs, _h) = observer(&cluster, 2);
    obs.observe_once().await;
    let snap = obs.observe_once().await;
    assert!(snap.is_up());
    assert!(snap.duration >= delay * 12, "took {:?}", snap.duration);
}

#[tokio::test]
async fn a_pass_longer_than_the_observation_timeout_fails_with_reason_deadline() {
    let server = MockServer::start().await;
    // Every answer comes just under the request timeout: no request fails, the pass is slow.
    // (Each connector answers 404 to its first request, 300 ms late, and is left out.)
    Mock::given(method("GET"))
        .respond_with(
            status_json(404, &fixture("error-404-connector-not-found.json"))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    mount_slowly(&server).await;
    let mut c = cluster("default", &server.uri(), V1);
    c.client.timeout = Duration::from_millis(400);
    let timeout = Duration::from_secs(1);
    let (mut obs, _h) = observer_timed(&c, 1, Duration::from_secs(30), timeout);
    let started = Instant::now();
    let snap = obs.observe_once().await;
    let took = started.elapsed();
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(500),
        "took {took:?}"
    );
    let err = snap.outcome.as_ref().expect_err("over the deadline");
    assert_eq!(
        (err.reason, err.request.as_str(), err.detail.as_str()),
        (
            Reason::Deadline,
            "the observation",
            "not finished within 1s (--observation.timeout); its requests were dropped"
        )
    );
    let text = exposition(&[snap], Format::Text);
    assert_eq!(
        sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
        Some("0")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_error{connect_cluster=\"default\",reason=\"deadline\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(state_lines(&text).is_empty());
}

/// `GET /` and the listing of the fixture cluster, 300 ms late (v1 at parallelism 1: 9 requests,
/// 2.7 s).
async fn mount_slowly(server: &MockServer) {
    let listing = fixture_listing();
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(json(&fixture("root.json")).set_delay(Duration::from_millis(300)))
        .with_priority(1)
        .mount(server)
        .await;
    let names: Vec<&String> = listing.as_object().unwrap().keys().collect();
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(
            json(&serde_json::to_string(&names).unwrap()).set_delay(Duration::from_millis(300)),
        )
        .with_priority(1)
        .mount(server)
        .await;
}

/// Answers with `template` and notes when each request arrived.
#[derive(Clone)]
struct Timed(
    std::sync::Arc<std::sync::Mutex<Vec<Instant>>>,
    ResponseTemplate,
);

impl wiremock::Respond for Timed {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        self.0.lock().unwrap().push(Instant::now());
        self.1.clone()
    }
}

#[tokio::test]
async fn a_429_holds_every_request_back_until_retry_after() {
    let server = MockServer::start().await;
    let throttled_at = Timed(
        Default::default(),
        status_json(429, "{\"error_code\":429,\"message\":\"slow down\"}")
            .insert_header("retry-after", "2"),
    );
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(throttled_at.clone())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let arrivals = Timed(Default::default(), json(&fixture("root.json")));
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(arrivals.clone())
        .with_priority(1)
        .mount(&server)
        .await;
    mount_cluster(&server, &fixture_listing()).await;
    let (mut obs, _h) = observer(&cluster("default", &server.uri(), V2), 2);
    let throttled = obs.observe_once().await;
    let err = throttled.outcome.as_ref().expect_err("429");
    assert_eq!(
        (err.reason, err.detail.as_str()),
        (Reason::RateLimited, "HTTP 429: slow down")
    );
    let requests_before = request_count(&server).await;

    // Within the observation's deadline, the next observation waits for Retry-After, then sends
    // `GET /` (asked again after any failure), the listing and the health: not a burst.
    let next = obs.observe_once().await;
    assert!(next.is_up(), "{:?}", next.outcome);
    assert_eq!(request_count(&server).await, requests_before + 3);
    let limited = throttled_at.0.lock().unwrap()[0];
    let resumed = *arrivals.0.lock().unwrap().last().unwrap();
    assert!(
        resumed - limited >= Duration::from_secs(2),
        "the next request came {:?} after the 429",
        resumed - limited
    );

    // Longer than the deadline: the observation fails at once, without a request.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status_json(429, "").insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let c = cluster("default", &server.uri(), V2);
    let (mut obs, _h) = observer_timed(&c, 2, Duration::from_secs(1), Duration::from_secs(1));
    obs.observe_once().await;
    let sent = request_count(&server).await;
    let started = Instant::now();
    let snap = obs.observe_once().await;
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(
        request_count(&server).await,
        sent,
        "nothing sent while held back"
    );
    let err = snap.outcome.as_ref().expect_err("still held back");
    assert_eq!(err.reason, Reason::RateLimited);
    assert!(
        err.detail
            .starts_with("not sent: the cluster asked to wait (Retry-After) another "),
        "{}",
        err.detail
    );
}
