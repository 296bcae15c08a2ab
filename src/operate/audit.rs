//! The audit trail: every access decision is one log line (`access decision`, at info level
//! whatever `--log.level` says) with the principal, the action, the resource, whether it was
//! allowed and what came of it, and is counted for `kconnect_access_decisions_total`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::access::{Action, Decision, Principal, Resource};

/// The message of every audit line.
pub const AUDIT_MESSAGE: &str = "access decision";

/// The log target of audit lines, kept at info level by the logging set-up.
pub const AUDIT_TARGET: &str = "kconnect_exporter::audit";

/// What came of an allowed action (or `denied`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Access control refused it; nothing was sent.
    Denied,
    /// Connect accepted every request.
    Done,
    /// The cluster or Connect does not know the connector (or the task).
    NotFound,
    /// The cluster's flavour or version has no such operation; nothing was sent.
    NotSupported,
    /// Connect (or the way to it) failed; see the error.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Denied => "denied",
            Outcome::Done => "done",
            Outcome::NotFound => "not_found",
            Outcome::NotSupported => "not_supported",
            Outcome::Failed => "failed",
        }
    }
}

/// Decisions per action and verdict, for the metrics.
#[derive(Debug, Default)]
pub struct DecisionCounts {
    /// Indexed by the action's place in [`Action::ALL`], then allowed (0) or denied (1).
    counts: [[AtomicU64; 2]; Action::ALL.len()],
}

impl DecisionCounts {
    pub fn get(&self, action: Action, allowed: bool) -> u64 {
        self.counts[index(action)][usize::from(!allowed)].load(Ordering::Relaxed)
    }

    fn add(&self, action: Action, allowed: bool) {
        self.counts[index(action)][usize::from(!allowed)].fetch_add(1, Ordering::Relaxed);
    }
}

fn index(action: Action) -> usize {
    Action::ALL
        .iter()
        .position(|a| *a == action)
        .expect("ALL holds every action")
}

/// Writes audit lines and counts decisions. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    counts: Arc<DecisionCounts>,
}

/// One audited decision.
pub struct Entry<'a> {
    pub principal: &'a Principal,
    /// `pause`, `restart`, `inspect`, …
    pub operation: &'a str,
    pub action: Action,
    pub resource: &'a Resource,
    pub decision: &'a Decision,
    pub outcome: Outcome,
    /// The requests sent to Connect, in order.
    pub requests: &'a [String],
    /// Why it failed or was not done, when it was not.
    pub error: Option<&'a str>,
}

impl Audit {
    pub fn counts(&self) -> Arc<DecisionCounts> {
        self.counts.clone()
    }

    pub fn record(&self, e: Entry<'_>) {
        self.counts.add(e.action, e.decision.allowed);
        tracing::info!(
            target: AUDIT_TARGET,
            principal = e.principal.name(),
            principal_source = e.principal.source().as_str(),
            roles = %e.principal.roles().join(","),
            operation = e.operation,
            action = e.action.name(),
            resource = %e.resource,
            decision = if e.decision.allowed { "allowed" } else { "denied" },
            reason = e.decision.reason.as_str(),
            explanation = %e.decision.explanation,
            outcome = e.outcome.as_str(),
            requests = %e.requests.join(", "),
            error = e.error.unwrap_or(""),
            "access decision"
        );
    }
}
