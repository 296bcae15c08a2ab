//! The per-connector and per-task families, written as text directly.
//!
//! They are nearly all of the exposition (at 10,000 connectors × 3 tasks, 280,000 of ~296,000
//! series), and every series of a connector repeats the same `connect_cluster` and `connector`
//! labels. prometheus-client escapes and writes each label through its encoders, series by series;
//! here each connector's labels are escaped once and its series are appended from that prefix,
//! which makes encoding several times faster (BENCHMARKS.md). The output is the same text the
//! library would write: the golden files in `tests/golden/` hold both.

use std::fmt::{self, Write as _};

use super::Format;
use crate::connect::State;
use crate::observe::ClusterView;

/// Flush to the writer once this much is buffered, so that encoding into a compressor never
/// holds the whole text.
const CHUNK: usize = 64 * 1024;

enum Kind {
    Gauge,
    Info,
}

struct Out<'w, W: fmt::Write> {
    out: &'w mut W,
    buf: String,
    format: Format,
}

impl<W: fmt::Write> Out<'_, W> {
    fn family(&mut self, name: &str, help: &str, kind: Kind) -> fmt::Result {
        self.flush_if_full()?;
        let (shown, kind) = match (kind, self.format) {
            (Kind::Gauge, _) => (name.to_string(), "gauge"),
            (Kind::Info, Format::OpenMetrics) => (name.to_string(), "info"),
            (Kind::Info, Format::Text) => (format!("{name}_info"), "gauge"),
        };
        write!(self.buf, "# HELP {shown} {help}\n# TYPE {shown} {kind}\n")
    }

    /// `name{prefix,extra} value`: `prefix` is already escaped; `extra` is `(label, raw value)`.
    fn sample(
        &mut self,
        name: &str,
        prefix: &str,
        extra: &[(&str, &str)],
        value: u64,
    ) -> fmt::Result {
        self.buf.push_str(name);
        self.buf.push('{');
        self.buf.push_str(prefix);
        for (label, v) in extra {
            self.buf.push(',');
            self.buf.push_str(label);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, v);
            self.buf.push('"');
        }
        self.buf.push_str("} ");
        push_u64(&mut self.buf, value);
        self.buf.push('\n');
        self.flush_if_full()
    }

    /// `name{prefix tail} value`, both already escaped.
    fn sample_raw(&mut self, name: &str, prefix: &str, tail: &str, value: u64) -> fmt::Result {
        self.buf.push_str(name);
        self.buf.push('{');
        self.buf.push_str(prefix);
        self.buf.push_str(tail);
        self.buf.push_str("} ");
        push_u64(&mut self.buf, value);
        self.buf.push('\n');
        self.flush_if_full()
    }

    fn flush_if_full(&mut self) -> fmt::Result {
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> fmt::Result {
        self.out.write_str(&self.buf)?;
        self.buf.clear();
        Ok(())
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

/// Writes the connector and task families of every successfully observed cluster.
pub(super) fn encode(
    out: &mut impl fmt::Write,
    views: &[(&str, &ClusterView)],
    format: Format,
) -> fmt::Result {
    if views.is_empty() {
        return Ok(());
    }
    // `connect_cluster="…",connector="…"` of every connector, escaped once.
    let prefixes: Vec<Vec<String>> = views
        .iter()
        .map(|(id, view)| {
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
        })
        .collect();
    let connectors = || {
        views
            .iter()
            .zip(&prefixes)
            .flat_map(|((_, view), prefixes)| {
                view.connectors
                    .iter()
                    .zip(prefixes.iter().map(String::as_str))
            })
    };
    let mut o = Out {
        out,
        buf: String::with_capacity(CHUNK + 4096),
        format,
    };

    o.family(
        "kconnect_connector_state",
        "The connector's state: one series per state, 1 for the current one, 0 for the others.",
        Kind::Gauge,
    )?;
    for (c, prefix) in connectors() {
        state_set(&mut o, "kconnect_connector_state", prefix, &c.state)?;
    }
    o.family(
        "kconnect_connector",
        "The connector's type, class and the worker running it; always 1.",
        Kind::Info,
    )?;
    for (c, prefix) in connectors() {
        let class = c.class.as_deref().unwrap_or("");
        o.sample(
            "kconnect_connector_info",
            prefix,
            &[
                ("type", &c.kind),
                ("class", class),
                ("worker_id", &c.worker_id),
            ],
            1,
        )?;
    }
    o.family(
        "kconnect_connector_tasks",
        "How many tasks the connector has.",
        Kind::Gauge,
    )?;
    for (c, prefix) in connectors() {
        o.sample("kconnect_connector_tasks", prefix, &[], c.task_count as u64)?;
    }
    o.family(
        "kconnect_connector_tasks_max",
        "The connector's tasks.max setting; absent when it has none.",
        Kind::Gauge,
    )?;
    for (c, prefix) in connectors() {
        if let Some(max) = c.tasks_max {
            o.sample("kconnect_connector_tasks_max", prefix, &[], u64::from(max))?;
        }
    }
    o.family(
        "kconnect_connector_failure",
        "The exception class of the trace Connect reports for the connector; present only while it has one; always 1.",
        Kind::Info,
    )?;
    for (c, prefix) in connectors() {
        if let Some(e) = &c.exception {
            o.sample(
                "kconnect_connector_failure_info",
                prefix,
                &[("exception", e)],
                1,
            )?;
        }
    }

    // Each task's `connect_cluster="…",connector="…",task="…"`, rendered once per family.
    let mut task = String::new();
    let task_prefix = |task: &mut String, prefix: &str, id: u32| {
        task.clear();
        task.push_str(prefix);
        task.push_str(",task=\"");
        push_u64(task, u64::from(id));
        task.push('"');
    };
    o.family(
        "kconnect_task_state",
        "The task's state: one series per state, 1 for the current one, 0 for the others.",
        Kind::Gauge,
    )?;
    for (c, prefix) in connectors() {
        for t in &c.tasks {
            task_prefix(&mut task, prefix, t.id);
            state_set(&mut o, "kconnect_task_state", &task, &t.state)?;
        }
    }
    o.family(
        "kconnect_task",
        "The worker running the task; always 1.",
        Kind::Info,
    )?;
    for (c, prefix) in connectors() {
        for t in &c.tasks {
            task_prefix(&mut task, prefix, t.id);
            o.sample(
                "kconnect_task_info",
                &task,
                &[("worker_id", &t.worker_id)],
                1,
            )?;
        }
    }
    o.family(
        "kconnect_task_failure",
        "The exception class of the trace Connect reports for the task; present only while it has one; always 1.",
        Kind::Info,
    )?;
    for (c, prefix) in connectors() {
        for t in &c.tasks {
            if let Some(e) = &t.exception {
                task_prefix(&mut task, prefix, t.id);
                o.sample("kconnect_task_failure_info", &task, &[("exception", e)], 1)?;
            }
        }
    }
    o.flush()
}

/// `,state="…"` of every known state, in [`State::KNOWN`] order.
const STATE_TAILS: [&str; 6] = [
    ",state=\"UNASSIGNED\"",
    ",state=\"RUNNING\"",
    ",state=\"PAUSED\"",
    ",state=\"FAILED\"",
    ",state=\"RESTARTING\"",
    ",state=\"STOPPED\"",
];

/// One series per known state, 1 for `current` and 0 for the rest, and one more for `current`
/// when it is a state this exporter does not know. `prefix` holds every other label, escaped.
fn state_set<W: fmt::Write>(
    o: &mut Out<'_, W>,
    name: &str,
    prefix: &str,
    current: &State,
) -> fmt::Result {
    for (state, tail) in State::KNOWN.iter().zip(STATE_TAILS) {
        o.sample_raw(name, prefix, tail, u64::from(state == current))?;
    }
    if let State::Other(s) = current {
        o.sample(name, prefix, &[("state", s)], 1)?;
    }
    Ok(())
}
