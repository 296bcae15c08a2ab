//! The bookkeeping of auto-restart for one cluster, pure: given each snapshot's connectors and
//! the time, which connectors are due for a restart, and after each attempt, when the next may
//! be made.
//!
//! A connector is *failing* when it is FAILED, or RUNNING with a FAILED task; *clean* when it is
//! RUNNING with every task RUNNING. A failing connector is due when its attempts are not used up
//! and its back-off has passed: after attempt n the next waits n²+n units (Strimzi's schedule;
//! with the default unit of a minute: 2, 6, 12, 20, … minutes). Once it has been clean for
//! `reset_after`, its attempts count from zero again. A connector access control refused is not
//! asked about again until it has been clean. A connector that is gone is forgotten.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use crate::config::AutoRestart;
use crate::connect::State;
use crate::observe::Connector;

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Connect accepted the restart.
    Succeeded,
    /// The restart was sent, or meant to be, and failed.
    Failed,
    /// Access control does not allow it; nothing was sent.
    Denied,
    /// Nothing was sent and nothing counts: the connector is gone, or the service has no
    /// restart.
    Skipped,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Track {
    /// Attempts made since the count was last cleared.
    attempts: u32,
    /// When the next attempt may be made (monotonic, and the same moment on the wall clock).
    next_at: Option<(Instant, SystemTime)>,
    /// Since when the connector has been clean.
    clean_since: Option<Instant>,
    denied: bool,
    succeeded: u64,
    failed: u64,
}

/// One connector's auto-restart state, for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub connector: String,
    pub attempts: u32,
    pub attempts_left: u32,
    /// When the next attempt may be made, while attempts are left and some were made.
    pub next_attempt: Option<SystemTime>,
    pub succeeded: u64,
    pub failed: u64,
}

#[derive(Debug, Clone)]
pub struct Book {
    settings: AutoRestart,
    tracks: BTreeMap<String, Track>,
}

/// How long to wait after attempt `n` (1-based): n²+n units.
pub fn backoff(unit: Duration, n: u32) -> Duration {
    let n = u64::from(n);
    let units = n.saturating_mul(n).saturating_add(n);
    unit.saturating_mul(u32::try_from(units).unwrap_or(u32::MAX))
}

impl Book {
    pub fn new(settings: AutoRestart) -> Book {
        Book {
            settings,
            tracks: BTreeMap::new(),
        }
    }

    /// Takes in one successful observation at `now`; returns the connectors due for a restart,
    /// in name order.
    pub fn observe(&mut self, connectors: &[Connector], now: Instant) -> Vec<String> {
        let mut due = Vec::new();
        let mut seen = Vec::with_capacity(self.tracks.len());
        for c in connectors {
            let failing = c.state == State::Failed
                || (c.state == State::Running && c.tasks.iter().any(|t| t.state == State::Failed));
            let clean =
                c.state == State::Running && c.tasks.iter().all(|t| t.state == State::Running);
            if failing {
                let track = self.tracks.entry(c.name.clone()).or_default();
                track.clean_since = None;
                let waited = track.next_at.is_none_or(|(at, _)| now >= at);
                if !track.denied && track.attempts < self.settings.max_attempts && waited {
                    due.push(c.name.clone());
                }
            } else if let Some(track) = self.tracks.get_mut(&c.name) {
                if clean {
                    let since = *track.clean_since.get_or_insert(now);
                    if now.saturating_duration_since(since) >= self.settings.reset_after {
                        track.attempts = 0;
                        track.next_at = None;
                        track.denied = false;
                    }
                } else {
                    // Paused, stopped, restarting: neither failing nor running cleanly.
                    track.clean_since = None;
                }
            }
            seen.push(c.name.as_str());
        }
        self.tracks.retain(|name, _| seen.contains(&name.as_str()));
        due.sort();
        due
    }

    /// Records what became of the attempt on `connector` made at `now` (`wall` on the wall
    /// clock).
    pub fn record(&mut self, connector: &str, attempt: Attempt, now: Instant, wall: SystemTime) {
        let Some(track) = self.tracks.get_mut(connector) else {
            return;
        };
        match attempt {
            Attempt::Succeeded | Attempt::Failed => {
                track.attempts += 1;
                let wait = backoff(self.settings.backoff_unit, track.attempts);
                track.next_at = Some((now + wait, wall + wait));
                if attempt == Attempt::Succeeded {
                    track.succeeded += 1;
                } else {
                    track.failed += 1;
                }
            }
            Attempt::Denied => track.denied = true,
            Attempt::Skipped => {}
        }
    }

    /// Every connector with a history, in name order.
    pub fn entries(&self) -> Vec<Entry> {
        let max = self.settings.max_attempts;
        self.tracks
            .iter()
            .filter(|(_, t)| t.attempts > 0 || t.succeeded + t.failed > 0)
            .map(|(name, t)| Entry {
                connector: name.clone(),
                attempts: t.attempts,
                attempts_left: max.saturating_sub(t.attempts),
                next_attempt: t
                    .next_at
                    .filter(|_| t.attempts > 0 && t.attempts < max)
                    .map(|(_, wall)| wall),
                succeeded: t.succeeded,
                failed: t.failed,
            })
            .collect()
    }
}
