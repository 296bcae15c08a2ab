//! The exposition's options for large estates: families left out (`--metrics.exclude`), and task
//! and connector state sets reduced to the current state (`--metrics.task-states=current`,
//! `--metrics.connector-states=current`).

use std::fmt;

use regex::Regex;

/// How task or connector states are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskStates {
    /// A state set: one series per state, 1 for the current one, 0 for the others.
    #[default]
    All,
    /// One series per task or connector: its current state, with value 1.
    Current,
}

impl TaskStates {
    pub fn parse(raw: &str) -> Option<TaskStates> {
        match raw.to_ascii_lowercase().as_str() {
            "all" => Some(TaskStates::All),
            "current" => Some(TaskStates::Current),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStates::All => "all",
            TaskStates::Current => "current",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MetricsOptions {
    /// Families to leave out, matched against the whole name a family has in the text format
    /// (`kconnect_task_info`, `kconnect_observations_total`).
    pub exclude: Option<Regex>,
    pub task_states: TaskStates,
    pub connector_states: TaskStates,
}

impl MetricsOptions {
    /// Whether the family whose metric or sample name is `name` is kept, in either format: an
    /// OpenMetrics counter or info is named without the `_total` or `_info` the text format
    /// gives it, and histogram samples carry `_bucket`, `_sum` and `_count`.
    pub fn keeps(&self, name: &str) -> bool {
        let Some(exclude) = &self.exclude else {
            return true;
        };
        let mut candidates = vec![
            name.to_string(),
            format!("{name}_total"),
            format!("{name}_info"),
        ];
        for suffix in ["_bucket", "_sum", "_count", "_created"] {
            if let Some(base) = name.strip_suffix(suffix) {
                candidates.push(base.to_string());
            }
        }
        !candidates.iter().any(|c| exclude.is_match(c))
    }
}

/// A `fmt::Write` that passes on whole lines of an exposition, leaving out those of excluded
/// families. For the small parts prometheus-client writes; the per-connector families are
/// left out at their source.
pub struct LineFilter<'a, W: fmt::Write> {
    out: &'a mut W,
    options: &'a MetricsOptions,
    line: String,
}

impl<'a, W: fmt::Write> LineFilter<'a, W> {
    pub fn new(out: &'a mut W, options: &'a MetricsOptions) -> Self {
        LineFilter {
            out,
            options,
            line: String::new(),
        }
    }

    fn emit(&mut self) -> fmt::Result {
        let body = self
            .line
            .strip_prefix("# HELP ")
            .or_else(|| self.line.strip_prefix("# TYPE "))
            .or_else(|| self.line.strip_prefix("# UNIT "))
            .unwrap_or(&self.line);
        let name = body.split(['{', ' ']).next().unwrap_or("");
        if self.line.starts_with("# EOF") || self.options.keeps(name) {
            self.out.write_str(&self.line)?;
        }
        self.line.clear();
        Ok(())
    }
}

impl<W: fmt::Write> fmt::Write for LineFilter<'_, W> {
    fn write_str(&mut self, mut s: &str) -> fmt::Result {
        while let Some(i) = s.find('\n') {
            self.line.push_str(&s[..=i]);
            self.emit()?;
            s = &s[i + 1..];
        }
        self.line.push_str(s);
        Ok(())
    }
}

impl<W: fmt::Write> Drop for LineFilter<'_, W> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            let _ = self.emit();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn families_are_left_out_by_their_text_name_in_either_format() {
        let options = MetricsOptions {
            exclude: Some(Regex::new("^(?:kconnect_observations_total|kconnect_cluster_info|kconnect_observation_duration_seconds)$").unwrap()),
            ..MetricsOptions::default()
        };
        let mut out = String::new();
        {
            let mut f = LineFilter::new(&mut out, &options);
            for piece in [
                "# HELP kconnect_observations Obs.\n# TYPE kconnect_observations counter\nkconnect_observations_total{a=\"1\"} 1\n",
                "# HELP kconnect_cluster C.\nkconnect_cluster_info{a=\"b\"} 1\n",
                "kconnect_observation_duration_seconds_bucket{le=\"1\"} 1\nkconnect_observation_duration_seconds_sum 1\n",
                "kconnect_up{a=",
                "\"1\"} 1\n# EOF\n",
            ] {
                f.write_str(piece).unwrap();
            }
        }
        assert_eq!(out, "kconnect_up{a=\"1\"} 1\n# EOF\n");
    }
}
