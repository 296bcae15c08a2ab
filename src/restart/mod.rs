//! Auto-restart: per cluster with `CONNECT_AUTO_RESTART=true`, a task that reads each snapshot
//! the observer publishes and restarts the FAILED connectors and the FAILED tasks of RUNNING
//! connectors, with a growing back-off per connector ([`book`]). It acts as the built-in
//! principal `auto-restart` through the [`Operator`], so access control decides which
//! connectors it may touch and every decision is audited like a user's. It never calls Connect
//! but to restart.

pub mod book;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::access::Principal;
use crate::config::AutoRestart;
use crate::observe::ClusterHandle;
use crate::operate::{ActError, Operation, Operator};
pub use book::{Attempt, Book, Entry, backoff};

/// Every cluster's auto-restart state, as the metrics show it. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RestartStatus {
    clusters: Arc<Mutex<BTreeMap<String, Vec<Entry>>>>,
}

impl RestartStatus {
    /// (cluster, entries) for every cluster with auto-restart on, in id order.
    pub fn entries(&self) -> Vec<(String, Vec<Entry>)> {
        let clusters = self.clusters.lock().unwrap_or_else(|e| e.into_inner());
        clusters
            .iter()
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect()
    }

    /// Replaces the entries of `cluster` (auto-restart does after each snapshot).
    pub fn publish(&self, cluster: &str, entries: Vec<Entry>) {
        let mut clusters = self.clusters.lock().unwrap_or_else(|e| e.into_inner());
        clusters.insert(cluster.to_string(), entries);
    }
}

/// The auto-restart of one cluster.
#[derive(Debug)]
pub struct AutoRestarter {
    cluster: String,
    handle: ClusterHandle,
    operator: Operator,
    operation: Operation,
    book: Book,
    status: RestartStatus,
}

impl AutoRestarter {
    /// The auto-restart of `cluster`, or `None` when its flavour has no restart (a warning says
    /// so).
    pub fn new(
        cluster: &str,
        settings: AutoRestart,
        operator: &Operator,
        status: &RestartStatus,
    ) -> Option<AutoRestarter> {
        let target = operator.target(cluster).ok()?;
        let Some(operation) = target.flavour.auto_restart() else {
            tracing::warn!(
                cluster,
                "auto-restart is on, but {} has no restart operation: nothing will be restarted",
                target.flavour.name()
            );
            return None;
        };
        status.publish(cluster, Vec::new());
        Some(AutoRestarter {
            cluster: cluster.to_string(),
            handle: target.handle.clone(),
            operator: operator.clone(),
            operation,
            book: Book::new(settings),
            status: status.clone(),
        })
    }

    /// Reads every new snapshot until `cancel` fires or the observer stops.
    pub async fn run(mut self, cancel: CancellationToken) {
        let principal = self.operator.with_roles(Principal::auto_restart());
        loop {
            if let Some(snapshot) = self.handle.latest()
                && let Ok(view) = &snapshot.outcome
            {
                let due = self.book.observe(&view.connectors, Instant::now());
                for connector in due {
                    let attempt = tokio::select! {
                        _ = cancel.cancelled() => return,
                        r = self.operator.act(&principal, &self.cluster, &connector, self.operation) => attempt(&r),
                    };
                    self.book
                        .record(&connector, attempt, Instant::now(), SystemTime::now());
                }
                self.status.publish(&self.cluster, self.book.entries());
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = self.handle.changed() => if !changed { return },
            }
        }
    }
}

fn attempt<T>(result: &Result<T, ActError>) -> Attempt {
    match result {
        Ok(_) => Attempt::Succeeded,
        Err(ActError::Denied { .. }) => Attempt::Denied,
        Err(ActError::NotFound { .. } | ActError::NotSupported { .. }) => Attempt::Skipped,
        Err(_) => Attempt::Failed,
    }
}
