//! The controls for large estates: connectors included and excluded per cluster (the others
//! cost no detail request and are not exported), families left out of the exposition, and task
//! states as the current state only.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use kconnect_exporter::config::ObservationVersion::{V1, V2};
use kconnect_exporter::config::{ClusterConfig, NameFilter};
use kconnect_exporter::metrics::{Exposition, Format, MetricsOptions, TaskStates};
use kconnect_exporter::observe::{ClusterHandle, Observer, Source};

async fn observer_of(c: &ClusterConfig) -> (Observer, ClusterHandle) {
    let source = Source::from_config(c, 4, 1).await.unwrap();
    let interval = Duration::from_secs(30);
    Observer::new(c, source, interval, interval)
}

fn connectors_shown(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("kconnect_connector_info{"))
        .map(|l| {
            l.split("connector=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn excluded_connectors_are_neither_read_nor_shown() {
    for version in [V1, V2] {
        let server = fixture_server().await;
        let mut c = cluster("default", &server.uri(), version);
        c.connectors =
            NameFilter::new(Some("orders-.*|payments-.*|audit-.*"), Some(".*-sink")).unwrap();
        let (mut obs, _h) = observer_of(&c).await;
        let snap = obs.observe_once().await;
        let text = exposition(&[snap], Format::Text);
        assert_eq!(
            connectors_shown(&text),
            ["orders-jdbc-source"],
            "{version:?}"
        );
        assert_eq!(
            sample(
                &text,
                "kconnect_connectors{connect_cluster=\"default\",state=\"RUNNING\"}"
            )
            .as_deref(),
            Some("1"),
            "{version:?}: the counts are of what is shown"
        );
        let mut paths: BTreeMap<String, usize> = BTreeMap::new();
        for r in server.received_requests().await.unwrap() {
            *paths.entry(r.url.path().to_string()).or_default() += 1;
        }
        let details: Vec<&String> = paths
            .keys()
            .filter(|p| p.starts_with("/connectors/"))
            .collect();
        match version {
            V1 => assert_eq!(
                details,
                [
                    "/connectors/orders-jdbc-source",
                    "/connectors/orders-jdbc-source/status",
                    "/connectors/orders-jdbc-source/tasks"
                ],
                "no request for an excluded connector"
            ),
            V2 => assert!(details.is_empty()),
        }
    }
}

/// The fixture cluster's exposition with `options`.
async fn exposition_with(options: MetricsOptions, format: Format) -> String {
    let server = fixture_server().await;
    let snap = observe(&cluster("default", &server.uri(), V2)).await;
    let interval = Duration::from_secs(30);
    Exposition::new(vec![ClusterHandle::from_snapshot(snap)], interval, interval)
        .with_options(options)
        .encode(format)
}

#[tokio::test]
async fn families_left_out_in_both_formats() {
    let exclude = "kconnect_task_info|kconnect_worker_.*|kconnect_observation_duration_seconds|kconnect_cluster_info|kconnect_observations_total|process_.*";
    for format in [Format::Text, Format::OpenMetrics] {
        let text = exposition_with(
            MetricsOptions {
                exclude: Some(regex::Regex::new(&format!("^(?:{exclude})$")).unwrap()),
                ..MetricsOptions::default()
            },
            format,
        )
        .await;
        for gone in [
            "kconnect_task_info",
            "kconnect_worker_connectors",
            "kconnect_worker_tasks",
            "kconnect_observation_duration_seconds",
            "kconnect_cluster",
            "kconnect_observations",
            "process_",
        ] {
            assert!(
                !text.lines().any(|l| l.starts_with(gone)
                    || l.starts_with(&format!("# HELP {gone}"))
                    || l.starts_with(&format!("# TYPE {gone}"))),
                "{format:?}: {gone} left in\n{text}"
            );
        }
        // Everything else is still there, whole.
        assert_eq!(
            sample(&text, "kconnect_up{connect_cluster=\"default\"}").as_deref(),
            Some("1")
        );
        assert!(text.contains("kconnect_task_state{") && text.contains("kconnect_connector_info{"));
        assert!(text.contains("# TYPE kconnect_observation_errors"));
        if format == Format::OpenMetrics {
            assert!(text.ends_with("# EOF\n"));
        }
    }
}

#[tokio::test]
async fn task_states_as_the_current_state_only() {
    let text = exposition_with(
        MetricsOptions {
            task_states: TaskStates::Current,
            ..MetricsOptions::default()
        },
        Format::Text,
    )
    .await;
    let tasks: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with(
                "kconnect_task_state{connect_cluster=\"default\",connector=\"clickstream-es-sink\"",
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            "kconnect_task_state{connect_cluster=\"default\",connector=\"clickstream-es-sink\",task=\"0\",state=\"RUNNING\"} 1",
            "kconnect_task_state{connect_cluster=\"default\",connector=\"clickstream-es-sink\",task=\"1\",state=\"FAILED\"} 1",
            "kconnect_task_state{connect_cluster=\"default\",connector=\"clickstream-es-sink\",task=\"2\",state=\"RUNNING\"} 1",
        ]
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("kconnect_task_state{"))
            .count(),
        10,
        "one series per task"
    );
}

#[tokio::test]
async fn the_lean_exposition_has_four_series_per_connector_of_one_task() {
    // Both state sets as the current state, and the per-connector families the alerts can do
    // without left out: what one connector with one task then costs.
    let text = exposition_with(
        MetricsOptions {
            exclude: Some(
                regex::Regex::new(
                    "^(?:kconnect_connector_tasks|kconnect_connector_tasks_max|kconnect_connector_failed_tasks|kconnect_connector_consumer_group_info)$",
                )
                .unwrap(),
            ),
            task_states: TaskStates::Current,
            connector_states: TaskStates::Current,
        },
        Format::Text,
    )
    .await;
    let of = |connector: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#') && l.contains(&format!("connector=\"{connector}\"")))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("payments-s3-sink"),
        [
            "kconnect_connector_state{connect_cluster=\"default\",connector=\"payments-s3-sink\",state=\"PAUSED\"} 1",
            "kconnect_connector_info{connect_cluster=\"default\",connector=\"payments-s3-sink\",type=\"sink\",class=\"io.confluent.connect.s3.S3SinkConnector\",worker_id=\"10.0.1.12:8083\"} 1",
            "kconnect_task_state{connect_cluster=\"default\",connector=\"payments-s3-sink\",task=\"0\",state=\"PAUSED\"} 1",
            "kconnect_task_state{connect_cluster=\"default\",connector=\"payments-s3-sink\",task=\"1\",state=\"PAUSED\"} 1",
            "kconnect_task_info{connect_cluster=\"default\",connector=\"payments-s3-sink\",task=\"0\",worker_id=\"10.0.1.12:8083\"} 1",
            "kconnect_task_info{connect_cluster=\"default\",connector=\"payments-s3-sink\",task=\"1\",worker_id=\"10.0.1.13:8083\"} 1",
        ],
        "2 per connector and 2 per task"
    );
}
