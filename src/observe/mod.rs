//! The per-cluster observation loop: every interval, one pass over the cluster, bounded by the
//! observation deadline, built into an immutable [`Snapshot`] and published whole through a
//! watch channel. Scrapes read the latest snapshot and never call Connect.
//!
//! How a pass is made depends on the cluster's flavour, behind one seam ([`Source`]): each
//! flavour turns one observation into the same [`ClusterView`], so the loop and the metrics know
//! nothing of flavours.

mod apache;
mod cloud;
mod msk;
mod rest;
mod snapshot;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use apache::Apache;
pub use cloud::Cloud;
pub use msk::Msk;
pub use rest::{Fallback, Options};
pub use snapshot::{
    Capacity, ClusterMeta, ClusterView, Connector, DURATION_BUCKETS, Snapshot, Task, TaskCounts,
    Totals,
};

use crate::config::{ClusterConfig, Flavour, NameFilter};
use crate::connect::{ConnectClient, ConnectError, Reason, ServerInfo};
use crate::msk::MskClient;

/// What one pass over a cluster produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub view: ClusterView,
    /// Connectors that were listed but gone (404) before their details were read.
    pub skipped: u64,
}

/// What startup validation found: the version and Kafka cluster of an Apache Connect, the number
/// of connectors of a managed service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reached {
    pub version: Option<String>,
    pub kafka_cluster_id: Option<String>,
    pub connectors: Option<usize>,
}

impl Reached {
    fn connectors(n: usize) -> Reached {
        Reached {
            connectors: Some(n),
            ..Reached::default()
        }
    }
}

/// How one cluster is observed: the seam between the loop and the flavours.
#[derive(Debug)]
pub enum Source {
    /// Apache Kafka Connect's REST API.
    Apache(Apache),
    /// Confluent Cloud's managed connectors.
    Cloud(Cloud),
    /// Amazon MSK Connect.
    Msk(Msk),
}

impl Source {
    /// The source of `cluster`'s flavour, with its client; a message when the client cannot
    /// be built from the settings.
    pub async fn from_config(
        cluster: &ClusterConfig,
        parallelism: usize,
        details_every: u64,
    ) -> Result<Source, String> {
        if let Some(msk) = &cluster.msk {
            let client = MskClient::new(msk).await.map_err(|e| e.to_string())?;
            return Ok(Source::Msk(Msk::new(
                client,
                msk.cloudwatch_task_counts,
                cluster.connectors.clone(),
            )));
        }
        let client = ConnectClient::new(&cluster.client).map_err(|e| e.to_string())?;
        let options = Options {
            version: cluster.observation_version,
            parallelism,
            details_every,
            topics: cluster.observe_topics,
            connectors: cluster.connectors.clone(),
        };
        Ok(match cluster.flavour {
            Flavour::ConfluentCloud => Source::Cloud(Cloud::new(client, options)),
            Flavour::Apache | Flavour::Msk => Source::Apache(Apache::new(client, options, None)),
        })
    }

    /// Startup validation: what each flavour can ask to prove it is reachable and the
    /// credentials work. Says what it found, for the log.
    pub async fn validate(&mut self) -> Result<Reached, ConnectError> {
        match self {
            Source::Apache(a) => a.validate().await.map(|s| Reached {
                version: Some(s.version),
                kafka_cluster_id: s.kafka_cluster_id,
                connectors: None,
            }),
            Source::Cloud(c) => c.validate().await.map(Reached::connectors),
            Source::Msk(m) => m.validate().await.map(Reached::connectors),
        }
    }

    async fn observe(&mut self, cluster: &str) -> Result<Pass, ConnectError> {
        match self {
            Source::Apache(a) => a.observe(cluster).await,
            Source::Cloud(c) => c.observe(cluster).await,
            Source::Msk(m) => m.observe(cluster).await,
        }
    }

    fn failed(&mut self) {
        if let Source::Apache(a) = self {
            a.failed();
        }
    }

    fn server(&self) -> Option<&ServerInfo> {
        match self {
            Source::Apache(a) => a.server(),
            Source::Cloud(_) | Source::Msk(_) => None,
        }
    }

    fn fallback(&self) -> bool {
        match self {
            Source::Apache(a) => a.fallback().is_some(),
            Source::Cloud(c) => c.fallback().is_some(),
            Source::Msk(_) => false,
        }
    }

    fn requests_sent(&self) -> u64 {
        match self {
            Source::Apache(a) => a.client().requests_sent(),
            Source::Cloud(c) => c.client().requests_sent(),
            Source::Msk(m) => m.client().requests_sent(),
        }
    }

    fn throttled_until(&self) -> Option<tokio::time::Instant> {
        match self {
            Source::Apache(a) => a.client().throttled_until(),
            Source::Cloud(c) => c.client().throttled_until(),
            Source::Msk(_) => None,
        }
    }
}

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

    /// Waits until a snapshot newer than the last one seen through this handle is published;
    /// `false` once the observer is gone.
    pub async fn changed(&mut self) -> bool {
        self.latest.changed().await.is_ok()
    }
}

/// Observes one Connect cluster.
#[derive(Debug)]
pub struct Observer {
    meta: Arc<ClusterMeta>,
    source: Source,
    /// The connectors observed and exported.
    connectors: NameFilter,
    interval: Duration,
    timeout: Duration,
    last_success: Option<SystemTime>,
    totals: Totals,
    publish: watch::Sender<Option<Arc<Snapshot>>>,
}

impl Observer {
    /// An observer of `cluster` through `source`, every `interval`, each observation given
    /// `timeout` to finish.
    pub fn new(
        cluster: &ClusterConfig,
        source: Source,
        interval: Duration,
        timeout: Duration,
    ) -> (Observer, ClusterHandle) {
        let meta = Arc::new(ClusterMeta {
            id: cluster.id.clone(),
            name: cluster.name.clone(),
            rest_url: cluster.display_url(),
            group_id: cluster.group_id.clone(),
            offset_storage_topic: cluster.offset_storage_topic.clone(),
            observation_version: cluster.observation_version,
            flavour: cluster.flavour,
        });
        let (publish, latest) = watch::channel(None);
        let handle = ClusterHandle {
            meta: meta.clone(),
            latest,
        };
        let observer = Observer {
            meta,
            source,
            connectors: cluster.connectors.clone(),
            interval,
            timeout,
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

    /// One observation: a pass over the cluster within the deadline, published as the latest
    /// snapshot.
    pub async fn observe_once(&mut self) -> Arc<Snapshot> {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let id = self.meta.id.clone();
        let source = &mut self.source;
        let outcome = tokio::time::timeout_at(deadline, async {
            // A cluster that asked to be left alone a little longer is waited for, within the
            // deadline; a longer wait fails this observation without a request.
            if let Some(until) = source.throttled_until()
                && until < deadline
            {
                tokio::time::sleep_until(until).await;
            }
            source.observe(&id).await
        })
        .await
        .unwrap_or_else(|_| {
            Err(ConnectError::new(
                Reason::Deadline,
                "the observation",
                format!(
                    "not finished within {} (--observation.timeout); its requests were dropped",
                    humantime::format_duration(self.timeout)
                ),
            ))
        });
        let duration = started.elapsed();
        let observed_at = SystemTime::now();
        let was_up = self.publish.borrow().as_ref().map(|s| s.is_up());

        self.totals.record_duration(duration);
        // The client is this cluster's alone, so its count includes startup validation's GET /.
        self.totals.requests = self.source.requests_sent();
        let outcome = match outcome {
            Ok(mut pass) => {
                // v1 and MSK Connect skip them before asking anything; v2 reads them in its
                // one listing; none is shown.
                if !self.connectors.is_empty() {
                    pass.view
                        .connectors
                        .retain(|c| self.connectors.keeps(&c.name));
                }
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
                self.source.failed();
                tracing::warn!(
                    cluster = %self.meta.id,
                    reason = %e.reason,
                    request = %e.request,
                    error = %e.detail,
                    "observation failed"
                );
                Err(e)
            }
        };
        let snapshot = Arc::new(Snapshot {
            cluster: self.meta.clone(),
            server: self.source.server().cloned(),
            observed_at,
            finished: Instant::now(),
            duration,
            outcome,
            fallback: self.source.fallback(),
            last_success: self.last_success,
            totals: self.totals.clone(),
        });
        self.publish.send_replace(Some(snapshot.clone()));
        snapshot
    }
}
