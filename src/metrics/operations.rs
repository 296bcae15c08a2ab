//! The families of what the exporter does to Connect: access decisions on Connect actions, and
//! auto-restart's restarts, attempts left and next attempt per connector. Encoded from the state
//! the operator and auto-restart keep, on every scrape.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::{counter_sample, gauge_sample};
use crate::access::Action;
use crate::operate::DecisionCounts;
use crate::restart::RestartStatus;

/// The actions the exporter takes, whose decisions are shown from the start (at 0).
const ACTIONS: [Action; 2] = [Action::ConnectInspect, Action::ConnectAlterState];

#[derive(Debug)]
pub(super) struct OperationsCollector {
    pub(super) decisions: Arc<DecisionCounts>,
    pub(super) restarts: RestartStatus,
}

impl Collector for OperationsCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), fmt::Error> {
        let mut m = enc.encode_descriptor(
            "kconnect_access_decisions",
            "Access decisions on Kpow's Connect actions, by action and decision (allowed or denied); each is one audit log line.",
            None,
            MetricType::Counter,
        )?;
        for action in ACTIONS {
            for (decision, allowed) in [("allowed", true), ("denied", false)] {
                counter_sample(
                    &mut m,
                    &[("action", action.name()), ("decision", decision)],
                    self.decisions.get(action, allowed),
                )?;
            }
        }

        let clusters = self.restarts.entries();
        let mut m = enc.encode_descriptor(
            "kconnect_auto_restarts",
            "Restarts auto-restart made, by connector and result (success: Connect accepted it; failure: it failed).",
            None,
            MetricType::Counter,
        )?;
        for (cluster, entries) in &clusters {
            for e in entries {
                for (result, n) in [("success", e.succeeded), ("failure", e.failed)] {
                    counter_sample(
                        &mut m,
                        &[
                            ("connect_cluster", cluster.as_str()),
                            ("connector", e.connector.as_str()),
                            ("result", result),
                        ],
                        n,
                    )?;
                }
            }
        }
        let mut m = enc.encode_descriptor(
            "kconnect_auto_restart_attempts_left",
            "Restart attempts auto-restart has left for a connector it has restarted; 0 when they are used up and it has given up.",
            None,
            MetricType::Gauge,
        )?;
        for (cluster, entries) in &clusters {
            for e in entries.iter().filter(|e| e.attempts > 0) {
                gauge_sample(
                    &mut m,
                    &[
                        ("connect_cluster", cluster.as_str()),
                        ("connector", e.connector.as_str()),
                    ],
                    i64::from(e.attempts_left),
                )?;
            }
        }
        let mut m = enc.encode_descriptor(
            "kconnect_auto_restart_next_attempt_timestamp_seconds",
            "Unix time from which auto-restart may restart the connector again, should it still be failing.",
            None,
            MetricType::Gauge,
        )?;
        for (cluster, entries) in &clusters {
            for e in entries {
                if let Some(at) = e.next_attempt {
                    gauge_sample(
                        &mut m,
                        &[
                            ("connect_cluster", cluster.as_str()),
                            ("connector", e.connector.as_str()),
                        ],
                        unix_seconds(at),
                    )?;
                }
            }
        }
        Ok(())
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
