//! The Confluent Cloud flavour against a stand-in that speaks connect/v1 as Confluent documents
//! it: recognised from Kpow's URL, no `GET /` ever sent, v1 and v2 giving the same metrics with
//! Cloud's states, connector ids and no workers, Cloud's error envelope read, and nothing sent
//! before a 429's `Retry-After` has passed.

#[path = "support/cloud_standin.rs"]
mod cloud_standin;
mod common;
#[path = "support/running.rs"]
mod running;

use std::sync::Arc;
use std::time::Duration;

use cloud_standin::{CloudStandin, CloudStandinConfig};
use common::*;
use kconnect_exporter::config::ObservationVersion::{self, V1, V2};
use kconnect_exporter::config::{ClusterConfig, Config, Flavour};
use kconnect_exporter::connect::{BasicAuth, Reason};
use kconnect_exporter::metrics::Format;
use kconnect_exporter::secret::Secret;
use running::Running;

struct Cloud {
    state: Arc<CloudStandin>,
    server: Running,
}

fn cloud() -> Cloud {
    let state = CloudStandin::new(
        CloudStandinConfig::default(),
        cloud_standin::fixture_connectors(),
    );
    let server = Running::start(cloud_standin::router(state.clone()));
    Cloud { state, server }
}

impl Cloud {
    /// `CONNECT_REST_URL` as Kpow documents it for Confluent Cloud.
    fn url(&self) -> String {
        format!("{}{}", self.server.url(), self.state.config.base_path())
    }

    fn cluster(&self, version: ObservationVersion) -> ClusterConfig {
        let mut c = cluster("CLOUD", &self.url(), version);
        c.client.basic_auth = Some(BasicAuth {
            user: self.state.config.api_key.clone(),
            password: Secret::new(self.state.config.api_secret.clone()),
        });
        c
    }

    fn paths(&self) -> Vec<String> {
        self.state
            .requests()
            .into_iter()
            .map(|r| match r.query {
                Some(q) => format!("{} {}?{q}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }
}

#[test]
fn kpow_s_url_is_recognised_and_our_variable_forces_or_disables_it() {
    let load = |vars: &[(&str, &str)]| Config::load(&Default::default(), env(vars)).unwrap();
    let url = "https://api.confluent.cloud/connect/v1/environments/env-a1b2c3/clusters/lkc-x9y8z7";
    let c = load(&[
        ("CONNECT_REST_URL", url),
        ("CONNECT_AUTH", "BASIC"),
        ("CONNECT_BASIC_AUTH_USER", "KEY"),
        ("CONNECT_BASIC_AUTH_PASS", "SECRET"),
    ]);
    assert_eq!(c.clusters[0].flavour, Flavour::ConfluentCloud);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(
        c.describe()
            .contains("# cluster default: Confluent Cloud managed connectors (connect/v1)\n")
    );
    let c = load(&[
        ("CONNECT_REST_URL", url),
        ("CONNECT_CONFLUENT_CLOUD", "false"),
    ]);
    assert_eq!(c.clusters[0].flavour, Flavour::Apache);
    let c = load(&[
        ("CONNECT_REST_URL", "http://cloud-proxy:8080/"),
        ("CONNECT_CONFLUENT_CLOUD", "true"),
        ("CONNECT_AUTH", "BASIC"),
        ("CONNECT_BASIC_AUTH_USER", "KEY"),
        ("CONNECT_BASIC_AUTH_PASS", "SECRET"),
    ]);
    assert_eq!(c.clusters[0].flavour, Flavour::ConfluentCloud);
    // Without a Cloud API key every request would be refused.
    let c = load(&[("CONNECT_REST_URL", url)]);
    assert_eq!(
        c.warnings,
        [
            "cluster default is Confluent Cloud, which needs a Cloud API key: set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER (the key) and CONNECT_BASIC_AUTH_PASS (its secret)"
        ]
    );
}

/// The fixture's truth, as the exporter must show it.
const STATES: [&str; 5] = [
    "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",state=\"DEGRADED\"} 1",
    "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"datagen-orders-source\",state=\"PROVISIONING\"} 1",
    "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"inventory-mysql-source\",state=\"FAILED\"} 1",
    "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"orders-postgres-source\",state=\"RUNNING\"} 1",
    "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"payments-s3-sink\",state=\"PAUSED\"} 1",
];

fn ones(text: &str, family: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(family) && l.ends_with(" 1"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn v1_and_v2_show_the_same_metrics_in_cloud_s_vocabulary_without_get_root() {
    let cloud = cloud();
    let mut texts = Vec::new();
    for version in [V1, V2] {
        cloud.state.clear_requests();
        let c = cloud.cluster(version);
        let (mut obs, _h) = observer(&c, 4);
        let snap = obs.observe_once().await;
        assert!(snap.is_up(), "{version:?}: {:?}", snap.outcome);
        let text = exposition(&[snap], Format::Text);
        let base = cloud.state.config.base_path();
        let paths = cloud.paths();
        assert!(
            paths
                .iter()
                .all(|p| p.starts_with(&format!("GET {base}/connectors"))),
            "{version:?}: every request under Cloud's path, none to GET /: {paths:#?}"
        );
        match version {
            V2 => assert_eq!(
                paths,
                [format!("GET {base}/connectors?expand=info,status,id")]
            ),
            V1 => {
                assert_eq!(paths[0], format!("GET {base}/connectors?expand=id"));
                assert_eq!(paths.len(), 3 * 5 + 1);
            }
        }
        texts.push(text);
    }
    let (v1, v2) = (&texts[0], &texts[1]);
    assert_eq!(state_lines(v1), state_lines(v2));
    assert_eq!(ones(v1, "kconnect_connector_state{"), STATES);
    // Cloud's full vocabulary is in every state set.
    assert_eq!(
        v1.lines()
            .filter(|l| l.starts_with(
                "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"orders-postgres-source\""
            ))
            .map(|l| l.split("state=").nth(1).unwrap().to_string())
            .collect::<Vec<_>>(),
        [
            "\"NONE\"} 0",
            "\"PROVISIONING\"} 0",
            "\"RUNNING\"} 1",
            "\"DEGRADED\"} 0",
            "\"FAILED\"} 0",
            "\"PAUSED\"} 0",
            "\"DELETED\"} 0"
        ]
    );
    assert_eq!(
        sample(
            v1,
            "kconnect_connector_info{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",type=\"sink\",class=\"BigQuerySink\",worker_id=\"\",connector_id=\"lcc-9p4r6t\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(
        ones(
            v1,
            "kconnect_task_state{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\""
        ),
        [
            "kconnect_task_state{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",task=\"0\",state=\"RUNNING\"} 1",
            "kconnect_task_state{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",task=\"1\",state=\"FAILED\"} 1"
        ]
    );
    // The task's error comes from `msg`: free text, so its kind is `unknown` (never the text).
    assert_eq!(
        sample(
            v1,
            "kconnect_task_failure_info{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",task=\"1\",exception=\"unknown\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(!v1.contains("BigQuery insert failed"));
    assert_eq!(
        sample(
            v1,
            "kconnect_connector_failed_tasks{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\"}"
        )
        .as_deref(),
        Some("1")
    );
    // Cloud's worker_id is the connector's name: no worker families.
    assert!(!v1.contains("kconnect_worker_connectors{"), "{v1}");
    assert!(!v1.contains("kconnect_worker_tasks{"));
    assert_eq!(
        sample(
            v1,
            "kconnect_connectors{connect_cluster=\"CLOUD\",state=\"DEGRADED\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert!(
        v1.contains("kconnect_cluster_info{connect_cluster=\"CLOUD\",flavour=\"confluent_cloud\",")
    );
}

#[tokio::test]
async fn a_429_holds_every_request_back_until_retry_after() {
    let cloud = cloud();
    let c = cloud.cluster(V2);
    let (mut obs, _h) = observer(&c, 4);
    assert!(obs.observe_once().await.is_up());
    cloud.state.throttle_next(1, Duration::from_secs(2));
    let throttled = obs.observe_once().await;
    let err = throttled.outcome.as_ref().expect_err("429");
    assert_eq!(err.reason, Reason::RateLimited);
    // Twice more at once: the first waits for Retry-After, within its deadline.
    let next = obs.observe_once().await;
    assert!(next.is_up(), "{:?}", next.outcome);
    assert!(obs.observe_once().await.is_up());
    assert_eq!(
        cloud.state.early_requests().len(),
        0,
        "{:#?}",
        cloud.state.requests()
    );
    let statuses: Vec<u16> = cloud.state.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [200, 429, 200, 200],
        "one request per observation, no burst"
    );
}

#[tokio::test]
async fn a_wrong_key_reads_cloud_s_error_envelope() {
    let cloud = cloud();
    let mut c = cloud.cluster(V2);
    c.client.basic_auth = Some(BasicAuth {
        user: "KAFKA-CLUSTER-KEY".into(),
        password: Secret::new("wrong"),
    });
    let snap = observe(&c).await;
    let err = snap.outcome.as_ref().expect_err("refused");
    assert_eq!(err.reason, Reason::Auth);
    let message = cloud.state.requests()[0].status;
    assert_eq!(message, 401);
    assert!(err.detail.starts_with("HTTP 401: "), "{}", err.detail);
    assert!(
        !err.detail.contains('{'),
        "the envelope's message, not the JSON: {}",
        err.detail
    );
}
