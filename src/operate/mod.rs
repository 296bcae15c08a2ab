//! Acting on Connect for a principal: inspecting a connector's configuration and pausing,
//! resuming, stopping and restarting connectors and tasks. One path for the actions API and
//! auto-restart alike: access control decides (pure, in [`crate::access`]), the cluster's
//! flavour and version choose the calls ([`flavour`]), the Connect client sends them once each,
//! and the decision with its outcome is audited ([`audit`]).

pub mod audit;
mod flavour;
mod run;

use std::sync::Arc;

use crate::access::{AccessControl, Action, Principal, Resource};
use crate::connect::{ConnectClient, ConnectError};
use crate::observe::ClusterHandle;

pub use audit::{AUDIT_MESSAGE, AUDIT_TARGET, Audit, DecisionCounts, Outcome};
pub use flavour::{Flavour, KafkaVersion, Step, needs_version, plan};

/// What a principal asks for, on one connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Read the connector's status and configuration (secrets redacted).
    Inspect,
    Pause,
    Resume,
    Stop,
    /// Restart the connector; with `include_tasks` its tasks too; with `only_failed` only what
    /// has FAILED (Connect's `includeTasks` and `onlyFailed`).
    Restart {
        include_tasks: bool,
        only_failed: bool,
    },
    RestartTask(u32),
}

impl Operation {
    /// The Kpow action it needs.
    pub fn action(self) -> Action {
        match self {
            Operation::Inspect => Action::ConnectInspect,
            _ => Action::ConnectAlterState,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::Inspect => "inspect",
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Stop => "stop",
            Operation::Restart { .. } => "restart",
            Operation::RestartTask(_) => "restart_task",
        }
    }
}

/// One cluster the exporter can act on.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub flavour: Flavour,
    /// The REST client for actions (its own, so that observation's request count and
    /// `Retry-After` are the observer's); `None` where the flavour has no REST API for them.
    pub client: Option<ConnectClient>,
    pub handle: ClusterHandle,
}

/// What an operation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    /// The connector's status and redacted configuration, as JSON.
    Inspected(serde_json::Value),
    /// Connect accepted the requests (202 or 204); the last JSON body it sent, if any.
    Acted {
        requests: Vec<String>,
        body: Option<serde_json::Value>,
    },
}

/// Why an operation was not done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ActError {
    #[error("no Connect cluster \"{id}\"; the clusters are {known}")]
    UnknownCluster { id: String, known: String },
    /// The web configuration authenticates, and this request carried no credentials.
    #[error("authentication required to {operation}")]
    Unauthenticated { operation: &'static str },
    #[error("{}", decision.explanation)]
    Denied {
        action: Action,
        resource: Resource,
        decision: crate::access::Decision,
    },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    NotSupported { message: String },
    #[error("{error}")]
    Connect {
        error: ConnectError,
        /// The requests sent before (and including) the one that failed.
        requests: Vec<String>,
    },
}

/// Decides, acts and audits, for every configured cluster.
#[derive(Debug, Clone)]
pub struct Operator {
    targets: Arc<Vec<Target>>,
    access: Arc<AccessControl>,
    authenticates: bool,
    audit: Audit,
}

impl Operator {
    /// `authenticates`: whether the web configuration can tell who is asking, so that a request
    /// without credentials is refused (401) before access control is asked.
    pub fn new(
        targets: Vec<Target>,
        access: AccessControl,
        authenticates: bool,
        audit: Audit,
    ) -> Operator {
        Operator {
            targets: Arc::new(targets),
            access: Arc::new(access),
            authenticates,
            audit,
        }
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn target(&self, id: &str) -> Result<&Target, ActError> {
        self.targets
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| ActError::UnknownCluster {
                id: id.to_string(),
                known: self
                    .targets
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// The principal with the roles access control gives it.
    pub fn with_roles(&self, principal: Principal) -> Principal {
        self.access.with_roles(principal)
    }

    /// Takes `op` on connector `name` of cluster `cluster` for `principal` (roles resolved):
    /// unknown cluster, then authentication, then access control, then the flavour, then
    /// Connect. Every decision made is audited once, with its outcome.
    pub async fn act(
        &self,
        principal: &Principal,
        cluster: &str,
        name: &str,
        op: Operation,
    ) -> Result<Done, ActError> {
        let target = self.target(cluster)?;
        if self.authenticates && !principal.is_authenticated() {
            tracing::info!(
                target: AUDIT_TARGET,
                operation = op.name(),
                cluster,
                "refused without credentials"
            );
            return Err(ActError::Unauthenticated {
                operation: op.name(),
            });
        }
        let action = op.action();
        let resource = Resource::connector(cluster, name);
        let decision = self.access.decide(principal, action, &resource);
        let result = if decision.allowed {
            run::run(target, name, op).await
        } else {
            Err(ActError::Denied {
                action,
                resource: resource.clone(),
                decision: decision.clone(),
            })
        };
        let (outcome, requests, error) = match &result {
            Ok(Done::Acted { requests, .. }) => (Outcome::Done, requests.clone(), None),
            Ok(Done::Inspected(_)) => (Outcome::Done, Vec::new(), None),
            Err(ActError::Denied { .. }) => (Outcome::Denied, Vec::new(), None),
            Err(e @ ActError::NotFound { .. }) => {
                (Outcome::NotFound, Vec::new(), Some(e.to_string()))
            }
            Err(e @ ActError::NotSupported { .. }) => {
                (Outcome::NotSupported, Vec::new(), Some(e.to_string()))
            }
            Err(ActError::Connect { error, requests }) => {
                (Outcome::Failed, requests.clone(), Some(error.to_string()))
            }
            Err(e) => (Outcome::Failed, Vec::new(), Some(e.to_string())),
        };
        self.audit.record(audit::Entry {
            principal,
            operation: op.name(),
            action,
            resource: &resource,
            decision: &decision,
            outcome,
            requests: &requests,
            error: error.as_deref(),
        });
        result
    }
}

/// A target per configured cluster, in order, each with its own client built from the
/// cluster's settings. Fails with the cluster's id when a client cannot be built.
pub fn targets(
    clusters: &[crate::config::ClusterConfig],
    handles: &[ClusterHandle],
) -> Result<Vec<Target>, (String, crate::connect::BuildError)> {
    clusters
        .iter()
        .zip(handles)
        .map(|(cluster, handle)| {
            let flavour = cluster.flavour;
            let client = match flavour {
                Flavour::Apache | Flavour::ConfluentCloud => {
                    Some(ConnectClient::new(&cluster.client).map_err(|e| (cluster.id.clone(), e))?)
                }
                Flavour::Msk => None,
            };
            Ok(Target {
                id: cluster.id.clone(),
                flavour,
                client,
                handle: handle.clone(),
            })
        })
        .collect()
}
