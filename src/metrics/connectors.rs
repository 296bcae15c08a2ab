//! The per-connector and per-task families, written as text directly, a piece at a time.
//!
//! They are nearly all of the exposition (at 10,000 connectors × 3 tasks, 280,000 of ~296,000
//! series), and every series of a connector repeats the same `connect_cluster` and `connector`
//! labels. prometheus-client escapes and writes each label through its encoders, series by series;
//! here each connector's labels are escaped once and its series are appended from that prefix,
//! which makes encoding several times faster (BENCHMARKS.md). The output is the same text the
//! library would write: the golden files in `tests/golden/` hold both.
//!
//! [`ConnectorText`] is a cursor over (family, cluster, connector): each call writes the next
//! piece of about [`CHUNK`] bytes, so a scrape is encoded as it is sent, without a thread or the
//! whole text held for it.

use std::sync::Arc;

use super::Format;
use super::options::{MetricsOptions, TaskStates};
use crate::config::Flavour;
use crate::connect::State;
use crate::observe::{Connector, Snapshot};

/// The size of the pieces [`ConnectorText::fill`] writes.
pub const CHUNK: usize = 64 * 1024;

enum Kind {
    Gauge,
    Info,
}

/// What a family's writer gets for one connector.
struct Out<'a> {
    buf: &'a mut String,
    /// A reusable buffer for per-task label prefixes.
    scratch: &'a mut String,
    /// `connect_cluster="…",connector="…"`, escaped.
    prefix: &'a str,
    /// The cluster's flavour, whose states the state sets list.
    flavour: Flavour,
    task_states: TaskStates,
    connector_states: TaskStates,
}

impl Out<'_> {
    /// `name{prefix,extra} value`; `extra` is `(label, raw value)`.
    fn sample(&mut self, name: &str, extra: &[(&str, &str)], value: u64) {
        let prefix = self.prefix;
        sample(self.buf, name, prefix, extra, value);
    }
}

fn sample(buf: &mut String, name: &str, prefix: &str, extra: &[(&str, &str)], value: u64) {
    buf.push_str(name);
    buf.push('{');
    buf.push_str(prefix);
    for (label, v) in extra {
        buf.push(',');
        buf.push_str(label);
        buf.push_str("=\"");
        escape_into(buf, v);
        buf.push('"');
    }
    buf.push_str("} ");
    push_u64(buf, value);
    buf.push('\n');
}

/// `name{prefix tail} value`, both already escaped.
fn sample_raw(buf: &mut String, name: &str, prefix: &str, tail: &str, value: u64) {
    buf.push_str(name);
    buf.push('{');
    buf.push_str(prefix);
    buf.push_str(tail);
    buf.push_str("} ");
    push_u64(buf, value);
    buf.push('\n');
}

/// One per-connector family: its header and how one connector's series are written.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    write: fn(&mut Out<'_>, &Connector),
}

/// The families in exposition order.
const FAMILIES: [Family; 14] = [
    Family {
        name: "kconnect_connector_state",
        help: "The connector's state: one series per state, 1 for the current one, 0 for the others.",
        kind: Kind::Gauge,
        write: |o, c| match o.connector_states {
            TaskStates::All => state_set(
                o.buf,
                "kconnect_connector_state",
                o.prefix,
                connector_tails(o.flavour),
                &c.state,
            ),
            TaskStates::Current => o.sample(
                "kconnect_connector_state",
                &[("state", c.state.as_str())],
                1,
            ),
        },
    },
    Family {
        name: "kconnect_connector",
        help: "The connector's type, class, the worker running it, and where the service says them, its id, plugin version and Kafka Connect version; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            let class = c.class.as_deref().unwrap_or("");
            let mut labels = vec![
                ("type", c.kind.as_str()),
                ("class", class),
                ("worker_id", c.worker_id.as_str()),
            ];
            // Labels a flavour has no value for are left out, which Prometheus reads as empty.
            for (label, value) in [
                ("connector_id", &c.id),
                ("version", &c.version),
                ("connect_version", &c.connect_version),
            ] {
                if let Some(v) = value {
                    labels.push((label, v.as_str()));
                }
            }
            o.sample("kconnect_connector_info", &labels, 1)
        },
    },
    Family {
        name: "kconnect_connector_tasks",
        help: "How many tasks the connector has; absent where the service does not say.",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(n) = c.task_count {
                o.sample("kconnect_connector_tasks", &[], n as u64);
            }
        },
    },
    Family {
        name: "kconnect_connector_failed_tasks",
        help: "How many of the connector's tasks are FAILED; absent where the service does not say.",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(n) = c.failed_tasks() {
                o.sample("kconnect_connector_failed_tasks", &[], n);
            }
        },
    },
    Family {
        name: "kconnect_connector_tasks_max",
        help: "The connector's tasks.max setting; absent when it has none.",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(max) = c.tasks_max {
                o.sample("kconnect_connector_tasks_max", &[], u64::from(max));
            }
        },
    },
    Family {
        name: "kconnect_connector_failure",
        help: "The exception class of the trace Connect reports for the connector; present only while it has one; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            if let Some(e) = &c.exception {
                o.sample("kconnect_connector_failure_info", &[("exception", e)], 1);
            }
        },
    },
    Family {
        name: "kconnect_connector_topic",
        help: "A topic the connector has used (KIP-558), when topics are observed; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            for topic in c.topics.iter().flatten() {
                o.sample("kconnect_connector_topic_info", &[("topic", topic)], 1);
            }
        },
    },
    Family {
        name: "kconnect_connector_consumer_group",
        help: "A sink connector's consumer group (consumer.override.group.id, else connect-{name}), labelled consumergroup as kafka_exporter's lag series are; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            if let Some(g) = &c.consumer_group {
                o.sample(
                    "kconnect_connector_consumer_group_info",
                    &[("consumergroup", g)],
                    1,
                );
            }
        },
    },
    Family {
        name: "kconnect_connector_workers_min",
        help: "The fewest workers the connector runs on (MSK Connect: its provisioned or minimum autoscaling worker count).",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(cap) = c.capacity {
                o.sample("kconnect_connector_workers_min", &[], cap.min_workers);
            }
        },
    },
    Family {
        name: "kconnect_connector_workers_max",
        help: "The most workers the connector runs on (MSK Connect: its provisioned or maximum autoscaling worker count).",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(cap) = c.capacity {
                o.sample("kconnect_connector_workers_max", &[], cap.max_workers);
            }
        },
    },
    Family {
        name: "kconnect_connector_worker_mcu",
        help: "MSK Connect units (MCU) of each of the connector's workers.",
        kind: Kind::Gauge,
        write: |o, c| {
            if let Some(cap) = c.capacity {
                o.sample("kconnect_connector_worker_mcu", &[], cap.mcu_per_worker);
            }
        },
    },
    Family {
        name: "kconnect_task_state",
        help: "The task's state: one series per state, 1 for the current one, 0 for the others (with --metrics.task-states=current, the current one only).",
        kind: Kind::Gauge,
        write: |o, c| {
            for t in &c.tasks {
                task_prefix(o.scratch, o.prefix, t.id);
                match o.task_states {
                    TaskStates::All => state_set(
                        o.buf,
                        "kconnect_task_state",
                        o.scratch,
                        &APACHE_TAILS,
                        &t.state,
                    ),
                    TaskStates::Current => sample(
                        o.buf,
                        "kconnect_task_state",
                        o.scratch,
                        &[("state", t.state.as_str())],
                        1,
                    ),
                }
            }
        },
    },
    Family {
        name: "kconnect_task",
        help: "The worker running the task, and the plugin version where Connect says it; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            for t in &c.tasks {
                task_prefix(o.scratch, o.prefix, t.id);
                let mut labels = vec![("worker_id", t.worker_id.as_str())];
                if let Some(v) = &t.version {
                    labels.push(("version", v.as_str()));
                }
                sample(o.buf, "kconnect_task_info", o.scratch, &labels, 1);
            }
        },
    },
    Family {
        name: "kconnect_task_failure",
        help: "The exception class of the trace Connect reports for the task; present only while it has one; always 1.",
        kind: Kind::Info,
        write: |o, c| {
            for t in &c.tasks {
                if let Some(e) = &t.exception {
                    task_prefix(o.scratch, o.prefix, t.id);
                    sample(
                        o.buf,
                        "kconnect_task_failure_info",
                        o.scratch,
                        &[("exception", e)],
                        1,
                    );
                }
            }
        },
    },
];

/// A task's `connect_cluster="…",connector="…",task="…"`.
fn task_prefix(out: &mut String, prefix: &str, id: u32) {
    out.clear();
    out.push_str(prefix);
    out.push_str(",task=\"");
    push_u64(out, u64::from(id));
    out.push('"');
}

/// The connector and task families of the given snapshots (each one a successful observation),
/// written piece by piece.
pub struct ConnectorText {
    snapshots: Vec<Arc<Snapshot>>,
    /// `connect_cluster="…",connector="…"` of every connector, escaped once, per snapshot;
    /// made on the first call.
    prefixes: Vec<Vec<String>>,
    format: Format,
    family: usize,
    cluster: usize,
    connector: usize,
    header_written: bool,
    scratch: String,
    options: MetricsOptions,
}

impl ConnectorText {
    pub fn new(
        snapshots: Vec<Arc<Snapshot>>,
        format: Format,
        options: MetricsOptions,
    ) -> ConnectorText {
        ConnectorText {
            snapshots,
            prefixes: Vec::new(),
            format,
            options,
            family: 0,
            cluster: 0,
            connector: 0,
            header_written: false,
            scratch: String::new(),
        }
    }

    /// Appends the next piece to `buf`, until `buf` holds at least [`CHUNK`] bytes or the end is
    /// reached. Returns false once everything has been written.
    pub fn fill(&mut self, buf: &mut String) -> bool {
        if self.snapshots.is_empty() {
            return false;
        }
        if self.prefixes.is_empty() {
            self.prefixes = self.snapshots.iter().map(|s| prefixes(s)).collect();
        }
        while buf.len() < CHUNK {
            let Some(family) = FAMILIES.get(self.family) else {
                return false;
            };
            if !self.options.keeps(family.name) {
                self.family += 1;
                continue;
            }
            if !self.header_written {
                header(buf, family, self.format);
                self.header_written = true;
            }
            let Some(snapshot) = self.snapshots.get(self.cluster) else {
                self.family += 1;
                self.cluster = 0;
                self.header_written = false;
                continue;
            };
            let connectors = match &snapshot.outcome {
                Ok(view) => view.connectors.as_slice(),
                Err(_) => &[],
            };
            let Some(connector) = connectors.get(self.connector) else {
                self.cluster += 1;
                self.connector = 0;
                continue;
            };
            let mut out = Out {
                buf,
                scratch: &mut self.scratch,
                prefix: &self.prefixes[self.cluster][self.connector],
                flavour: snapshot.cluster.flavour,
                task_states: self.options.task_states,
                connector_states: self.options.connector_states,
            };
            (family.write)(&mut out, connector);
            self.connector += 1;
        }
        true
    }
}

fn prefixes(snapshot: &Snapshot) -> Vec<String> {
    let id = snapshot.cluster.id.as_str();
    let Ok(view) = &snapshot.outcome else {
        return Vec::new();
    };
    view.connectors
        .iter()
        .map(|c| {
            let mut p = String::with_capacity(40 + id.len() + c.name.len());
            p.push_str("connect_cluster=\"");
            escape_into(&mut p, id);
            p.push_str("\",connector=\"");
            escape_into(&mut p, &c.name);
            p.push('"');
            p
        })
        .collect()
}

fn header(buf: &mut String, family: &Family, format: Format) {
    let (suffix, kind) = match (&family.kind, format) {
        (Kind::Gauge, _) => ("", "gauge"),
        (Kind::Info, Format::OpenMetrics) => ("", "info"),
        (Kind::Info, Format::Text) => ("_info", "gauge"),
    };
    for (what, text) in [("HELP", family.help), ("TYPE", kind)] {
        buf.push_str("# ");
        buf.push_str(what);
        buf.push(' ');
        buf.push_str(family.name);
        buf.push_str(suffix);
        buf.push(' ');
        buf.push_str(text);
        buf.push('\n');
    }
}

/// Decimal digits of `v`, without going through `fmt`.
fn push_u64(buf: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits are UTF-8"));
}

/// Label value escaping of both exposition formats: backslash, double quote, line feed.
fn escape_into(buf: &mut String, value: &str) {
    if !value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        buf.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => buf.push_str("\\\\"),
            '"' => buf.push_str("\\\""),
            '\n' => buf.push_str("\\n"),
            c => buf.push(c),
        }
    }
}

/// `,state="…"` of every state of a flavour, in the order of its vocabulary
/// (`crate::connect::APACHE_STATES` and its siblings).
const APACHE_TAILS: [&str; 6] = [
    ",state=\"UNASSIGNED\"",
    ",state=\"RUNNING\"",
    ",state=\"PAUSED\"",
    ",state=\"FAILED\"",
    ",state=\"RESTARTING\"",
    ",state=\"STOPPED\"",
];
const CLOUD_TAILS: [&str; 7] = [
    ",state=\"NONE\"",
    ",state=\"PROVISIONING\"",
    ",state=\"RUNNING\"",
    ",state=\"DEGRADED\"",
    ",state=\"FAILED\"",
    ",state=\"PAUSED\"",
    ",state=\"DELETED\"",
];
const MSK_TAILS: [&str; 6] = [
    ",state=\"CREATING\"",
    ",state=\"RUNNING\"",
    ",state=\"UPDATING\"",
    ",state=\"DELETING\"",
    ",state=\"FAILED\"",
    ",state=\"RESTARTING\"",
];

fn connector_tails(flavour: Flavour) -> &'static [&'static str] {
    match flavour {
        Flavour::Apache => &APACHE_TAILS,
        Flavour::ConfluentCloud => &CLOUD_TAILS,
        Flavour::Msk => &MSK_TAILS,
    }
}

/// One series per state of `tails`, 1 for `current` and 0 for the rest, and one more for
/// `current` when it is not among them. `prefix` holds every other label, escaped.
fn state_set(buf: &mut String, name: &str, prefix: &str, tails: &[&str], current: &State) {
    let current = current.as_str();
    let mut listed = false;
    for tail in tails {
        // `,state="X"`: the state is between the quotes.
        let state = &tail[8..tail.len() - 1];
        let is = state == current;
        listed |= is;
        sample_raw(buf, name, prefix, tail, u64::from(is));
    }
    if !listed {
        sample(buf, name, prefix, &[("state", current)], 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::{APACHE_STATES, CLOUD_STATES, MSK_STATES};

    #[test]
    fn tails_follow_the_vocabularies() {
        for (tails, states) in [
            (&APACHE_TAILS[..], &APACHE_STATES[..]),
            (&CLOUD_TAILS[..], &CLOUD_STATES[..]),
            (&MSK_TAILS[..], &MSK_STATES[..]),
        ] {
            let from_tails: Vec<&str> = tails.iter().map(|t| &t[8..t.len() - 1]).collect();
            assert_eq!(from_tails, states);
        }
    }
}
