//! The per-cluster observation loop: every interval, one pass over the cluster (v1 or v2), built
//! into an immutable [`Snapshot`] and published whole through a watch channel. Scrapes read the
//! latest snapshot and never call Connect. Talks to Connect only through [`crate::connect`].

mod collect;
mod snapshot;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use collect::Pass;
pub use snapshot::{ClusterMeta, ClusterView, Connector, DURATION_BUCKETS, Snapshot, Task, Totals};

use crate::config::{ClusterConfig, ObservationVersion};
use crate::connect::{ConnectClient, ConnectError, ServerInfo};

/// The read side of one cluster's observations: what the metrics encoder holds.
#[derive(Debug, Clone)]
pub struct ClusterHandle {
    pub meta: Arc<ClusterMeta>,
    latest: watch::Receiver<Option<Arc<Snapshot>>>,
}

impl ClusterHandle {
    /// A handle that always shows `snapshot`: for encoding a snapshot built elsewhere (golden
    /// files, benchmarks).
    pub fn from_snapshot(snapshot: Arc<Snapshot>) -> ClusterHandle {
        let (_, latest) = watch::channel(Some(snapshot.clone()));
        ClusterHandle {
            meta: snapshot.cluster.clone(),
            latest,
        }
    }

    /// The latest snapshot, or `None` before the first observation has finished.
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.latest.borrow().clone()
    }
}

/// Observes one Connect cluster.
#[derive(Debug)]
pub struct Observer {
    meta: Arc<ClusterMeta>,
    client: ConnectClient,
    interval: Duration,
    parallelism: usize,
    server: Option<ServerInfo>,
    fallback: bool,
    last_success: Option<SystemTime>,
    totals: Totals,
    publish: watch::Sender<Option<Arc<Snapshot>>>,
}

impl Observer {
    /// An observer of `cluster`. `server` is the answer to `GET /` from startup validation, if
    /// it came; without it the first observation asks again.
    pub fn new(
        cluster: &ClusterConfig,
        client: ConnectClient,
        interval: Duration,
        parallelism: usize,
        server: Option<ServerInfo>,
    ) -> (Observer, ClusterHandle) {
        let meta = Arc::new(ClusterMeta {
            id: cluster.id.clone(),
            name: cluster.name.clone(),
            rest_url: cluster.display_url(),
            group_id: cluster.group_id.clone(),
            offset_storage_topic: cluster.offset_storage_topic.clone(),
            observation_version: cluster.observation_version,
        });
        let (publish, latest) = watch::channel(None);
        let handle = ClusterHandle {
            meta: meta.clone(),
            latest,
        };
        let observer = Observer {
            meta,
            client,
            interval,
            parallelism,
            server,
            fallback: false,
            last_success: None,
            totals: Totals::default(),
            publish,
        };
        (observer, handle)
    }

    /// Observes every interval until `cancel` fires. An observation in flight when it fires is
    /// abandoned (its requests are dropped), not published.
    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            let started = tokio::time::Instant::now();
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.observe_once() => {}
            }
            // A pass longer than the interval is followed at once by the next, never overlapped.
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep_until(started + self.interval) => {}
            }
        }
        tracing::debug!(cluster = %self.meta.id, "observer stopped");
    }

    /// One observation: a pass over the cluster, published as the latest snapshot.
    pub async fn observe_once(&mut self) -> Arc<Snapshot> {
        let started = Instant::now();
        let outcome = self.pass().await;
        let duration = started.elapsed();
        let observed_at = SystemTime::now();
        let was_up = self.publish.borrow().as_ref().map(|s| s.is_up());

        self.totals.record_duration(duration);
        // The client is this cluster's alone, so its count includes startup validation's GET /.
        self.totals.requests = self.client.requests_sent();
        let outcome = match outcome {
            Ok(pass) => {
                self.totals.successes += 1;
                self.totals.skipped_connectors += pass.skipped;
                self.last_success = Some(observed_at);
                if was_up == Some(false) {
                    tracing::info!(cluster = %self.meta.id, connectors = pass.view.connectors.len(), "observation succeeded again");
                }
                Ok(pass.view)
            }
            Err(e) => {
                self.totals.failures += 1;
                self.totals.errors[e.reason.index()] += 1;
                // After a failure the cluster may come back as another version: ask `GET /` again.
                self.server = None;
                tracing::warn!(
                    cluster = %self.meta.id,
                    reason = %e.reason,
                    path = %e.path,
                    error = %e.detail,
                    "observation failed"
                );
                Err(e)
            }
        };
        let snapshot = Arc::new(Snapshot {
            cluster: self.meta.clone(),
            server: self.server.clone(),
            observed_at,
            duration,
            outcome,
            fallback: self.fallback,
            last_success: self.last_success,
            totals: self.totals.clone(),
        });
        self.publish.send_replace(Some(snapshot.clone()));
        snapshot
    }

    async fn pass(&mut self) -> Result<Pass, ConnectError> {
        if self.server.is_none() {
            self.server = Some(self.client.server_info().await?);
        }
        let pass = match (self.meta.observation_version, self.fallback) {
            (ObservationVersion::V2, false) => collect::v2(&self.client, self.parallelism).await?,
            _ => collect::v1(&self.client, self.parallelism).await?,
        };
        if pass.ignored_expand {
            self.fallback = true;
            tracing::warn!(
                cluster = %self.meta.id,
                "this Connect ignores ?expand (Kafka 2.2 or older): observing it with v1 from now on"
            );
        }
        Ok(pass)
    }
}
