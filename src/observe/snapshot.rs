//! What an observation saw, as immutable values: the connectors and tasks of one cluster, the
//! outcome and timing of the observation, and the cluster's running totals at that moment.
//! A [`Snapshot`] is built whole and then published; nothing changes it afterwards.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::config::ObservationVersion;
use crate::connect::{ConnectError, ConnectorInfo, ConnectorStatus, Reason, ServerInfo, State};

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
    /// `CONNECT_REST_URL` without credentials, for the landing page and logs.
    pub rest_url: String,
    pub group_id: Option<String>,
    pub offset_storage_topic: Option<String>,
    pub observation_version: ObservationVersion,
}

/// One connector as the cluster reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    pub name: String,
    pub state: State,
    pub worker_id: String,
    /// `source`, `sink` or `unknown`.
    pub kind: String,
    /// `connector.class`, when the config has it.
    pub class: Option<String>,
    pub tasks_max: Option<u32>,
    /// How many tasks the connector has (its task list; a status may briefly list more).
    pub task_count: usize,
    /// Exception class of the connector's trace, when Connect reported one.
    pub exception: Option<String>,
    /// Sorted by id.
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: u32,
    pub state: State,
    pub worker_id: String,
    pub exception: Option<String>,
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
            })
            .collect();
        tasks.sort_by_key(|t| t.id);
        let task_count = task_count
            .or_else(|| info.map(|i| i.tasks.len()))
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
            task_count,
            exception: status.connector.exception,
            tasks,
        }
    }
}

/// The connectors of one successful observation, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterView {
    pub connectors: Vec<Connector>,
    /// Connectors the cluster lists but cannot serve by name, so their state is unknown.
    pub unreadable: u64,
}

impl ClusterView {
    pub fn new(mut connectors: Vec<Connector>, unreadable: u64) -> ClusterView {
        connectors.sort_by(|a, b| a.name.cmp(&b.name));
        ClusterView {
            connectors,
            unreadable,
        }
    }

    /// Connectors per state: every known state (0 when none), plus any unknown state seen.
    pub fn connectors_by_state(&self) -> BTreeMap<State, u64> {
        count_states(self.connectors.iter().map(|c| &c.state))
    }

    /// Tasks per state, as [`ClusterView::connectors_by_state`].
    pub fn tasks_by_state(&self) -> BTreeMap<State, u64> {
        count_states(
            self.connectors
                .iter()
                .flat_map(|c| c.tasks.iter().map(|t| &t.state)),
        )
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

fn count_states<'a>(states: impl Iterator<Item = &'a State>) -> BTreeMap<State, u64> {
    let mut known = [0u64; State::KNOWN.len()];
    let mut out: BTreeMap<State, u64> = BTreeMap::new();
    for s in states {
        match State::KNOWN.iter().position(|k| k == s) {
            Some(i) => known[i] += 1,
            None => *out.entry(s.clone()).or_default() += 1,
        }
    }
    out.extend(State::KNOWN.iter().cloned().zip(known));
    out
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
