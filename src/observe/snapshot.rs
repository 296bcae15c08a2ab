//! What an observation saw, as immutable values: the connectors and tasks of one cluster, the
//! outcome and timing of the observation, and the cluster's running totals at that moment.
//! A [`Snapshot`] is built whole and then published; nothing changes it afterwards.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::config::{Flavour, ObservationVersion};
use crate::connect::{
    APACHE_STATES, CLOUD_STATES, ConnectError, ConnectorInfo, ConnectorStatus, MSK_STATES, Reason,
    ServerInfo, State,
};

/// Upper bounds of the observation duration histogram, in seconds: from one fast v2 request to
/// a slow v1 pass over thousands of connectors.
pub const DURATION_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The parts of a cluster's configuration that metrics show; fixed for the process's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMeta {
    pub id: String,
    pub name: String,
    /// `CONNECT_REST_URL` without credentials (or MSK Connect's regional endpoint), for the
    /// landing page and logs.
    pub rest_url: String,
    pub group_id: Option<String>,
    pub offset_storage_topic: Option<String>,
    pub observation_version: ObservationVersion,
    pub flavour: Flavour,
}

impl ClusterMeta {
    /// The connector states of this cluster's flavour, in the order the state sets list them.
    pub fn connector_states(&self) -> &'static [&'static str] {
        match self.flavour {
            Flavour::Apache => &APACHE_STATES,
            Flavour::ConfluentCloud => &CLOUD_STATES,
            Flavour::Msk => &MSK_STATES,
        }
    }

    /// The task states: Apache's everywhere (Confluent Cloud's tasks report them too; MSK
    /// Connect reports no tasks).
    pub fn task_states(&self) -> &'static [&'static str] {
        &APACHE_STATES
    }
}

/// One connector as the cluster reported it. What a flavour cannot know is `None` or empty,
/// never invented.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connector {
    pub name: String,
    pub state: State,
    /// The worker running it; empty where the service has no workers to show.
    pub worker_id: String,
    /// `source`, `sink` or `unknown`.
    pub kind: String,
    /// `connector.class`, when the config has it.
    pub class: Option<String>,
    pub tasks_max: Option<u32>,
    /// How many tasks the connector has (its task list; a status may briefly list more).
    pub task_count: Option<usize>,
    /// Exception class of the connector's trace (or the code of MSK Connect's state
    /// description), when there is one.
    pub exception: Option<String>,
    /// Sorted by id.
    pub tasks: Vec<Task>,
    /// Running and failed tasks where the service counts them without listing them (MSK
    /// Connect with CloudWatch).
    pub task_counts: Option<TaskCounts>,
    /// The service's own id: Confluent Cloud's `lcc-…`, MSK Connect's from the ARN.
    pub id: Option<String>,
    /// The plugin's version, where Connect reports it (Kafka 4.1+).
    pub version: Option<String>,
    /// The Kafka Connect version it runs on, where that is per connector (MSK Connect).
    pub connect_version: Option<String>,
    /// Its workers, where the service sizes each connector (MSK Connect).
    pub capacity: Option<Capacity>,
    /// The topics it has used (KIP-558), when they are observed.
    pub topics: Option<Vec<String>>,
    /// A sink's consumer group: `consumer.override.group.id`, else Connect's `connect-{name}`.
    pub consumer_group: Option<String>,
}

/// Tasks counted by state, for a service that does not list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskCounts {
    pub running: u64,
    pub failed: u64,
}

/// The workers a connector may run on, and the MSK Connect units (MCU) of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub min_workers: u64,
    pub max_workers: u64,
    pub mcu_per_worker: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: u32,
    pub state: State,
    pub worker_id: String,
    pub exception: Option<String>,
    pub version: Option<String>,
}

impl Connector {
    /// Joins a connector's status with its info; `task_count` comes from `/tasks` in v1 and
    /// from the info's task list in v2.
    pub fn from_parts(
        status: ConnectorStatus,
        info: Option<&ConnectorInfo>,
        task_count: Option<usize>,
    ) -> Connector {
        let mut tasks: Vec<Task> = status
            .tasks
            .into_iter()
            .map(|t| Task {
                id: t.id,
                state: t.state,
                worker_id: t.worker_id,
                exception: t.exception,
                version: t.version,
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        let task_count = task_count
            .or_else(|| info.and_then(|i| i.tasks.as_ref()).map(Vec::len))
            .unwrap_or(tasks.len());
        Connector {
            name: status.name,
            state: status.connector.state,
            worker_id: status.connector.worker_id,
            kind: status
                .kind
                .or_else(|| info.and_then(|i| i.kind.clone()))
                .unwrap_or_else(|| "unknown".to_string()),
            class: info.and_then(|i| i.config.class.clone()),
            tasks_max: info
                .and_then(|i| i.config.tasks_max.as_deref())
                .and_then(|t| t.trim().parse().ok()),
            task_count: Some(task_count),
            exception: status.connector.exception,
            tasks,
            version: status.connector.version,
            ..Connector::default()
        }
        .with_consumer_group(info)
    }

    /// A sink's consumer group, derived from its config without a request: its
    /// `consumer.override.group.id`, else `connect-{name}`, as Connect names it.
    fn with_consumer_group(mut self, info: Option<&ConnectorInfo>) -> Connector {
        if self.kind == "sink"
            && let Some(info) = info
        {
            self.consumer_group = Some(
                info.config
                    .consumer_group
                    .clone()
                    .filter(|g| !g.trim().is_empty())
                    .unwrap_or_else(|| format!("connect-{}", self.name)),
            );
        }
        self
    }

    /// Tasks in state FAILED: counted from the task list, or as the service counts them;
    /// `None` where neither is known.
    pub fn failed_tasks(&self) -> Option<u64> {
        match self.task_counts {
            Some(c) => Some(c.failed),
            None if self.task_count.is_some() => Some(
                self.tasks
                    .iter()
                    .filter(|t| t.state == State::Failed)
                    .count() as u64,
            ),
            None => None,
        }
    }
}

/// The connectors of one successful observation, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterView {
    pub connectors: Vec<Connector>,
    /// Connectors the cluster lists but cannot serve by name, so their state is unknown.
    pub unreadable: u64,
    /// What `GET /health` said of the worker that answered (Kafka 3.9+): healthy or not.
    pub worker_health: Option<bool>,
}

impl ClusterView {
    pub fn new(mut connectors: Vec<Connector>, unreadable: u64) -> ClusterView {
        connectors.sort_by(|a, b| a.name.cmp(&b.name));
        ClusterView {
            connectors,
            unreadable,
            worker_health: None,
        }
    }

    /// Connectors per state: every state of `known` (0 when none), then any other state seen.
    pub fn connectors_by_state(&self, known: &[&'static str]) -> Vec<(String, u64)> {
        count_states(known, self.connectors.iter().map(|c| &c.state))
    }

    /// Tasks per state, as [`ClusterView::connectors_by_state`]; counted tasks (MSK Connect
    /// with CloudWatch) add to RUNNING and FAILED. `None` when no connector says anything of
    /// its tasks.
    pub fn tasks_by_state(&self, known: &[&'static str]) -> Option<Vec<(String, u64)>> {
        if self
            .connectors
            .iter()
            .all(|c| c.task_count.is_none() && c.task_counts.is_none())
        {
            return None;
        }
        let mut counts = count_states(
            known,
            self.connectors
                .iter()
                .flat_map(|c| c.tasks.iter().map(|t| &t.state)),
        );
        for c in &self.connectors {
            if let Some(t) = c.task_counts {
                for (state, n) in counts.iter_mut() {
                    match state.as_str() {
                        "RUNNING" => *n += t.running,
                        "FAILED" => *n += t.failed,
                        _ => {}
                    }
                }
            }
        }
        Some(counts)
    }

    /// (connectors, tasks) per worker id.
    pub fn by_worker(&self) -> BTreeMap<&str, (u64, u64)> {
        // A hash map for the per-task lookups (tens of thousands), sorted once at the end.
        let mut out: HashMap<&str, (u64, u64)> = HashMap::new();
        for c in &self.connectors {
            if !c.worker_id.is_empty() {
                out.entry(&c.worker_id).or_default().0 += 1;
            }
            for t in &c.tasks {
                if !t.worker_id.is_empty() {
                    out.entry(&t.worker_id).or_default().1 += 1;
                }
            }
        }
        out.into_iter().collect()
    }
}

fn count_states<'a>(
    known: &[&'static str],
    states: impl Iterator<Item = &'a State>,
) -> Vec<(String, u64)> {
    let mut counts = vec![0u64; known.len()];
    let mut other: BTreeMap<&str, u64> = BTreeMap::new();
    for s in states {
        let s = s.as_str();
        match known.iter().position(|k| *k == s) {
            Some(i) => counts[i] += 1,
            None => *other.entry(s).or_default() += 1,
        }
    }
    known
        .iter()
        .map(|k| k.to_string())
        .zip(counts)
        .chain(other.into_iter().map(|(s, n)| (s.to_string(), n)))
        .collect()
}

/// A cluster's running totals since the exporter started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    pub successes: u64,
    pub failures: u64,
    /// Failures per [`Reason`], indexed by [`Reason::index`].
    pub errors: [u64; Reason::ALL.len()],
    /// Connectors listed but gone before their details were read.
    pub skipped_connectors: u64,
    /// Requests sent to the cluster.
    pub requests: u64,
    /// Observations per [`DURATION_BUCKETS`] bucket (not cumulative), then the +Inf bucket.
    pub duration_buckets: [u64; DURATION_BUCKETS.len() + 1],
    pub duration_sum: f64,
}

impl Totals {
    pub fn record_duration(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(DURATION_BUCKETS.len());
        self.duration_buckets[bucket] += 1;
        self.duration_sum += secs;
    }

    pub fn observations(&self) -> u64 {
        self.successes + self.failures
    }
}

/// Everything the metrics show of one cluster, as of its latest observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub cluster: Arc<ClusterMeta>,
    /// `GET /` of the cluster, once it has answered.
    pub server: Option<ServerInfo>,
    /// When the observation finished.
    pub observed_at: SystemTime,
    /// The same moment on the monotonic clock, for telling a stale snapshot whatever the wall
    /// clock does.
    pub finished: Instant,
    pub duration: Duration,
    pub outcome: Result<ClusterView, ConnectError>,
    /// The cluster ignores `expand` (Kafka 2.2 or older), so v2 fell back to v1.
    pub fallback: bool,
    pub last_success: Option<SystemTime>,
    pub totals: Totals,
}

impl Snapshot {
    pub fn is_up(&self) -> bool {
        self.outcome.is_ok()
    }

    /// This snapshot as a failed observation: what a scrape shows when no observation has
    /// finished for `age`, longer than one is ever allowed to take.
    pub fn as_stale(&self, age: Duration) -> Snapshot {
        Snapshot {
            cluster: self.cluster.clone(),
            server: self.server.clone(),
            observed_at: self.observed_at,
            finished: self.finished,
            duration: self.duration,
            outcome: Err(ConnectError::new(
                Reason::Deadline,
                "the observation",
                format!(
                    "no observation has finished for {} s, so the latest is not current",
                    age.as_secs()
                ),
            )),
            fallback: self.fallback,
            last_success: self.last_success,
            totals: self.totals.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_their_bucket() {
        let mut t = Totals::default();
        t.record_duration(Duration::from_millis(5));
        t.record_duration(Duration::from_millis(6));
        t.record_duration(Duration::from_secs(61));
        assert_eq!(t.duration_buckets[0], 1);
        assert_eq!(t.duration_buckets[1], 1);
        assert_eq!(t.duration_buckets[DURATION_BUCKETS.len()], 1);
        assert!((t.duration_sum - 61.011).abs() < 1e-9);
    }
}
