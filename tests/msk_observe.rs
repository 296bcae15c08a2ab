//! The MSK Connect flavour through the observer and the exposition, against the MSK Connect +
//! CloudWatch stand-in (signatures verified by the stand-in): MSK's states in the state sets, a
//! FAILED connector's state description code, capacity, task counts only when CloudWatch is
//! asked (never invented), a state description asked once per failure, and throttling and
//! refused credentials as their reasons.

mod common;
#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use common::*;
use kconnect_exporter::config::{ClusterConfig, Flavour};
use kconnect_exporter::connect::Reason;
use kconnect_exporter::metrics::Format;
use kconnect_exporter::msk::{MskClient, MskSettings};
use kconnect_exporter::observe::{ClusterHandle, Msk, Observer, Source};
use msk_standin::{MskData, MskStandin, MskStandinConfig, Operation};
use running::Running;

const REGION: &str = "eu-west-1";

struct Standin {
    state: Arc<MskStandin>,
    server: Running,
}

fn standin() -> Standin {
    let state = MskStandin::new(MskStandinConfig::default(), MskData::fixture());
    let server = Running::start(msk_standin::router(state.clone()));
    Standin { state, server }
}

async fn msk_observer(s: &Standin, cloudwatch: bool) -> (Observer, ClusterHandle) {
    let settings = MskSettings {
        region: REGION.into(),
        timeout: Duration::from_secs(10),
        cloudwatch_task_counts: cloudwatch,
    };
    let c = &s.state.config.credentials;
    let creds = Credentials::new(
        &c.access_key_id,
        &c.secret_access_key,
        c.session_token.clone(),
        None,
        "test",
    );
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .credentials_provider(creds)
        .endpoint_url(s.server.url());
    let client = MskClient::from_loader(&settings, loader).await.unwrap();
    let mut cluster = ClusterConfig::new(
        "MSK",
        url::Url::parse(&format!("https://kafkaconnect.{REGION}.amazonaws.com/")).unwrap(),
    );
    cluster.flavour = Flavour::Msk;
    cluster.msk = Some(settings.clone());
    let interval = Duration::from_secs(30);
    Observer::new(
        &cluster,
        Source::Msk(Msk::new(client, cloudwatch, Default::default())),
        interval,
        interval,
    )
}

fn lines(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn connectors_in_msk_s_vocabulary_with_capacity_and_failure_code_and_no_invented_tasks() {
    let s = standin();
    let (mut obs, _h) = msk_observer(&s, false).await;
    let snap = obs.observe_once().await;
    assert!(snap.is_up(), "{:?}", snap.outcome);
    let text = exposition(&[snap], Format::Text);
    assert_eq!(
        lines(&text, "kconnect_connector_state{")
            .iter()
            .filter(|l| l.ends_with(" 1"))
            .cloned()
            .collect::<Vec<_>>(),
        [
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"audit-log-sink\",state=\"CREATING\"} 1",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"inventory-cdc-source\",state=\"FAILED\"} 1",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"RUNNING\"} 1",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"payments-s3-sink\",state=\"UPDATING\"} 1",
        ]
    );
    assert_eq!(
        lines(
            &text,
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\""
        ),
        [
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"CREATING\"} 0",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"RUNNING\"} 1",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"UPDATING\"} 0",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"DELETING\"} 0",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"FAILED\"} 0",
            "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\",state=\"RESTARTING\"} 0",
        ]
    );
    assert_eq!(
        lines(
            &text,
            "kconnect_connector_info{connect_cluster=\"MSK\",connector=\"payments-s3-sink\""
        ),
        [
            "kconnect_connector_info{connect_cluster=\"MSK\",connector=\"payments-s3-sink\",type=\"unknown\",class=\"\",worker_id=\"\",connector_id=\"8b2d4f6a-1c3e-4a5b-8d7f-0123456789ab-4\",connect_version=\"3.7.x\"} 1"
        ]
    );
    assert_eq!(
        lines(&text, "kconnect_connector_failure_info{"),
        [
            "kconnect_connector_failure_info{connect_cluster=\"MSK\",connector=\"inventory-cdc-source\",exception=\"UnknownError.ConnectorStartFailed\"} 1"
        ]
    );
    for (family, value) in [
        ("kconnect_connector_workers_min", "2"),
        ("kconnect_connector_workers_max", "2"),
        ("kconnect_connector_worker_mcu", "2"),
    ] {
        assert_eq!(
            sample(
                &text,
                &format!("{family}{{connect_cluster=\"MSK\",connector=\"payments-s3-sink\"}}")
            )
            .as_deref(),
            Some(value),
            "{family}"
        );
    }
    assert_eq!(
        sample(&text, "kconnect_connector_workers_max{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\"}").as_deref(),
        Some("4")
    );
    // MSK Connect says nothing of tasks or workers without CloudWatch: nothing is shown.
    for absent in [
        "kconnect_task_state{",
        "kconnect_tasks{",
        "kconnect_connector_tasks{",
        "kconnect_connector_failed_tasks{",
        "kconnect_worker_connectors{",
    ] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    assert!(text.contains("kconnect_cluster_info{connect_cluster=\"MSK\",flavour=\"msk\","));
    // One ListConnectors and one DescribeConnector (the FAILED one), signed.
    let ops: Vec<Operation> = s.state.requests().iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [Operation::ListConnectors, Operation::DescribeConnector]
    );
    assert_eq!(s.state.signature_counts(), (2, 0));
    // The next observation does not describe the same failure again.
    s.state.clear_requests();
    assert!(obs.observe_once().await.is_up());
    let ops: Vec<Operation> = s.state.requests().iter().map(|r| r.operation).collect();
    assert_eq!(ops, [Operation::ListConnectors]);
}

#[tokio::test]
async fn cloudwatch_task_counts_reach_the_task_count_metrics() {
    let s = standin();
    let (mut obs, _h) = msk_observer(&s, true).await;
    let snap = obs.observe_once().await;
    assert!(snap.is_up(), "{:?}", snap.outcome);
    let text = exposition(&[snap], Format::Text);
    let ops: Vec<Operation> = s.state.requests().iter().map(|r| r.operation).collect();
    assert_eq!(
        ops,
        [
            Operation::ListConnectors,
            Operation::GetMetricData,
            Operation::DescribeConnector
        ]
    );
    assert_eq!(
        lines(&text, "kconnect_tasks{"),
        [
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"UNASSIGNED\"} 0",
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"RUNNING\"} 4",
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"PAUSED\"} 0",
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"FAILED\"} 1",
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"RESTARTING\"} 0",
            "kconnect_tasks{connect_cluster=\"MSK\",state=\"STOPPED\"} 0",
        ]
    );
    assert_eq!(
        lines(&text, "kconnect_connector_failed_tasks{"),
        [
            "kconnect_connector_failed_tasks{connect_cluster=\"MSK\",connector=\"inventory-cdc-source\"} 1",
            "kconnect_connector_failed_tasks{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\"} 0",
            "kconnect_connector_failed_tasks{connect_cluster=\"MSK\",connector=\"payments-s3-sink\"} 0",
        ],
        "CREATING has no datapoint yet, so no figure"
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_connector_tasks{connect_cluster=\"MSK\",connector=\"orders-jdbc-source\"}"
        )
        .as_deref(),
        Some("2")
    );
    assert!(
        !text.contains("kconnect_task_state{"),
        "no per-task states on MSK"
    );
}

#[tokio::test]
async fn throttling_and_refused_credentials_are_their_reasons() {
    let s = standin();
    let (mut obs, _h) = msk_observer(&s, false).await;
    s.state.throttle_next(1);
    let snap = obs.observe_once().await;
    let err = snap.outcome.as_ref().expect_err("throttled");
    assert_eq!(
        (err.reason, err.request.as_str()),
        (Reason::RateLimited, "ListConnectors")
    );
    assert_eq!(s.state.requests().len(), 1, "one attempt, no SDK retries");
    s.state.reject_credentials(true);
    let snap = obs.observe_once().await;
    assert_eq!(snap.outcome.as_ref().unwrap_err().reason, Reason::Auth);
    let text = exposition(&[snap], Format::Text);
    assert_eq!(
        sample(
            &text,
            "kconnect_observation_error{connect_cluster=\"MSK\",reason=\"auth\"}"
        )
        .as_deref(),
        Some("1")
    );
    s.state.reject_credentials(false);
    assert!(obs.observe_once().await.is_up());
}
