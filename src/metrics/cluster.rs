//! The per-cluster families: reachability and observation health for every cluster, then
//! the state counts and worker families for the clusters whose latest observation succeeded (the
//! per-connector and per-task families are in `connectors.rs`).
//! A failed observation shows no connector state at all: the last good states are not current.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder};
use prometheus_client::metrics::MetricType;

use super::{counter_sample, gauge_sample};
use crate::connect::Reason;
use crate::observe::{ClusterMeta, ClusterView, DURATION_BUCKETS, Snapshot};

type Latest = (Arc<ClusterMeta>, Option<Arc<Snapshot>>);

const CLUSTER: &str = "connect_cluster";

pub(super) fn encode(enc: &mut DescriptorEncoder, latest: &[Latest]) -> Result<(), fmt::Error> {
    let observed: Vec<&Snapshot> = latest.iter().filter_map(|(_, s)| s.as_deref()).collect();

    let mut m = family(
        enc,
        "kconnect_up",
        "1 if the latest observation of the Connect cluster succeeded, 0 if it failed.",
        MetricType::Gauge,
    )?;
    for s in &observed {
        gauge_sample(
            &mut m,
            &[(CLUSTER, s.cluster.id.as_str())],
            i64::from(s.is_up()),
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_cluster",
        "The Connect cluster: its flavour, configured name, group and offsets topic, the version, commit and Kafka cluster id its REST API reports, and the observation version; always 1.",
        MetricType::Info,
    )?;
    for (meta, snapshot) in latest {
        let server = snapshot
            .as_ref()
            .and_then(|s| s.server.clone())
            .unwrap_or_default();
        m.encode_info(&[
            (CLUSTER, meta.id.as_str()),
            ("flavour", meta.flavour.as_str()),
            ("name", meta.name.as_str()),
            ("version", server.version.as_str()),
            ("commit", server.commit.as_str()),
            (
                "kafka_cluster_id",
                server.kafka_cluster_id.as_deref().unwrap_or(""),
            ),
            ("group_id", meta.group_id.as_deref().unwrap_or("")),
            (
                "offset_storage_topic",
                meta.offset_storage_topic.as_deref().unwrap_or(""),
            ),
            ("observation_version", meta.observation_version.as_str()),
        ])?;
    }

    let mut m = family(
        enc,
        "kconnect_observation_fallback",
        "1 when observation v2 is configured but the cluster ignores ?expand (Kafka 2.2 or older), so it is observed with v1.",
        MetricType::Gauge,
    )?;
    for s in &observed {
        gauge_sample(
            &mut m,
            &[(CLUSTER, s.cluster.id.as_str())],
            i64::from(s.fallback),
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_observation_duration_seconds",
        "How long observations of the cluster took, failed ones included.",
        MetricType::Histogram,
    )?;
    for s in &observed {
        let t = &s.totals;
        let buckets: Vec<(f64, u64)> = DURATION_BUCKETS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(t.duration_buckets.iter().copied())
            .collect();
        m.encode_family(&[(CLUSTER, s.cluster.id.as_str())])?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            t.duration_sum,
            t.observations(),
            &buckets,
            None,
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_observations",
        "Observations of the cluster by result (success or failure).",
        MetricType::Counter,
    )?;
    for s in &observed {
        let id = s.cluster.id.as_str();
        counter_sample(
            &mut m,
            &[(CLUSTER, id), ("result", "success")],
            s.totals.successes,
        )?;
        counter_sample(
            &mut m,
            &[(CLUSTER, id), ("result", "failure")],
            s.totals.failures,
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_observation_errors",
        "Failed observations of the cluster by reason.",
        MetricType::Counter,
    )?;
    for s in &observed {
        for reason in Reason::ALL {
            counter_sample(
                &mut m,
                &[
                    (CLUSTER, s.cluster.id.as_str()),
                    ("reason", reason.as_str()),
                ],
                s.totals.errors[reason.index()],
            )?;
        }
    }

    let mut m = family(
        enc,
        "kconnect_observation_error",
        "Why the latest observation of the cluster failed (1, with the reason); absent while kconnect_up is 1.",
        MetricType::Gauge,
    )?;
    for s in &observed {
        if let Err(e) = &s.outcome {
            gauge_sample(
                &mut m,
                &[
                    (CLUSTER, s.cluster.id.as_str()),
                    ("reason", e.reason.as_str()),
                ],
                1,
            )?;
        }
    }

    let mut m = family(
        enc,
        "kconnect_observation_last_success_timestamp_seconds",
        "When the latest successful observation of the cluster finished, in seconds since the Unix epoch.",
        MetricType::Gauge,
    )?;
    for s in &observed {
        if let Some(t) = s.last_success {
            gauge_sample(&mut m, &[(CLUSTER, s.cluster.id.as_str())], unix_seconds(t))?;
        }
    }

    let mut m = family(
        enc,
        "kconnect_observation_last_attempt_timestamp_seconds",
        "When the latest observation of the cluster finished, successful or not, in seconds since the Unix epoch.",
        MetricType::Gauge,
    )?;
    for s in &observed {
        gauge_sample(
            &mut m,
            &[(CLUSTER, s.cluster.id.as_str())],
            unix_seconds(s.observed_at),
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_observation_connectors_skipped",
        "Connectors that were listed but gone (404) before their details were read; they are left out of that observation.",
        MetricType::Counter,
    )?;
    for s in &observed {
        counter_sample(
            &mut m,
            &[(CLUSTER, s.cluster.id.as_str())],
            s.totals.skipped_connectors,
        )?;
    }

    let mut m = family(
        enc,
        "kconnect_connect_requests",
        "HTTP requests sent to the cluster's REST API.",
        MetricType::Counter,
    )?;
    for s in &observed {
        counter_sample(
            &mut m,
            &[(CLUSTER, s.cluster.id.as_str())],
            s.totals.requests,
        )?;
    }

    let views: Vec<(&ClusterMeta, &ClusterView)> = observed
        .iter()
        .filter_map(|s| s.outcome.as_ref().ok().map(|v| (&*s.cluster, v)))
        .collect();
    if !views.is_empty() {
        encode_views(enc, &views)?;
    }
    Ok(())
}

fn encode_views(
    enc: &mut DescriptorEncoder,
    views: &[(&ClusterMeta, &ClusterView)],
) -> Result<(), fmt::Error> {
    counts_by_state(
        enc,
        "kconnect_connectors",
        "Connectors of the cluster in each state.",
        views,
        |meta, view| Some(view.connectors_by_state(meta.connector_states())),
    )?;
    counts_by_state(
        enc,
        "kconnect_tasks",
        "Tasks of the cluster in each state; absent where the service does not say.",
        views,
        |meta, view| view.tasks_by_state(meta.task_states()),
    )?;

    let mut m = family(
        enc,
        "kconnect_worker_health",
        "1 if the worker that answered GET /health is healthy, 0 if it is starting or unhealthy; absent on Connect before 3.9.",
        MetricType::Gauge,
    )?;
    for (meta, view) in views {
        if let Some(healthy) = view.worker_health {
            gauge_sample(&mut m, &[(CLUSTER, meta.id.as_str())], i64::from(healthy))?;
        }
    }

    let mut m = family(
        enc,
        "kconnect_observation_connectors_unreadable",
        "Connectors the cluster lists but cannot serve by name (a 400 for their path, or a name such as `..`), so their state is not shown.",
        MetricType::Gauge,
    )?;
    for (meta, view) in views {
        gauge_sample(&mut m, &[(CLUSTER, meta.id.as_str())], view.unreadable)?;
    }

    let by_worker: Vec<_> = views
        .iter()
        .map(|(meta, v)| (meta.id.as_str(), v.by_worker()))
        .collect();
    let mut m = family(
        enc,
        "kconnect_worker_connectors",
        "Connectors the worker runs, as the cluster reports them.",
        MetricType::Gauge,
    )?;
    for (id, workers) in &by_worker {
        for (worker, (connectors, _)) in workers {
            gauge_sample(
                &mut m,
                &[(CLUSTER, *id), ("worker_id", *worker)],
                *connectors,
            )?;
        }
    }
    let mut m = family(
        enc,
        "kconnect_worker_tasks",
        "Tasks the worker runs, as the cluster reports them.",
        MetricType::Gauge,
    )?;
    for (id, workers) in &by_worker {
        for (worker, (_, tasks)) in workers {
            gauge_sample(&mut m, &[(CLUSTER, *id), ("worker_id", *worker)], *tasks)?;
        }
    }
    Ok(())
}

/// A gauge family of counts by `state`, per cluster.
fn counts_by_state(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    views: &[(&ClusterMeta, &ClusterView)],
    counts: impl Fn(&ClusterMeta, &ClusterView) -> Option<Vec<(String, u64)>>,
) -> Result<(), fmt::Error> {
    let mut m = family(enc, name, help, MetricType::Gauge)?;
    for (meta, view) in views {
        for (state, n) in counts(meta, view).unwrap_or_default() {
            gauge_sample(
                &mut m,
                &[(CLUSTER, meta.id.as_str()), ("state", state.as_str())],
                n,
            )?;
        }
    }
    Ok(())
}

fn family<'e>(
    enc: &'e mut DescriptorEncoder,
    name: &'e str,
    help: &str,
    metric_type: MetricType,
) -> Result<MetricEncoder<'e>, fmt::Error> {
    enc.encode_descriptor(name, help, None, metric_type)
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
