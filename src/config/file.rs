//! `--config.file`: a flat TOML or YAML table whose keys are the variable names.
//!
//! The file often holds passwords, so no message made here repeats the file's text: a syntax
//! error is told by file, line, column and the key on that line, with the parser's description
//! stripped of anything the file's values contain. The parsers are `toml` and `yaml-rust2`, used
//! directly so that their positions are at hand.

use std::collections::HashMap;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

/// What reading the file found: the values by upper-case key, and where each key is.
#[derive(Debug, Clone, Default)]
pub struct FileValues {
    pub values: HashMap<String, String>,
    pub lines: HashMap<String, usize>,
}

/// Reads `path`. Keys are matched case-insensitively; values may be strings, numbers, booleans or
/// (for `CONNECT_RESOURCE_IDS`) a list. Every problem is returned, each as `(where, what)`.
pub fn read(path: &Path) -> Result<FileValues, Vec<(String, String)>> {
    let shown = path.display().to_string();
    let yaml = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("toml") => false,
        Some("yaml" | "yml") => true,
        _ => {
            return Err(vec![(
                shown,
                "unknown file type; name it *.toml, *.yaml or *.yml".to_string(),
            )]);
        }
    };
    let bytes = std::fs::read(path).map_err(|e| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => format!("cannot read it: {e}"),
        };
        vec![(shown.clone(), what)]
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| vec![(shown.clone(), "is not UTF-8 text".to_string())])?;
    if yaml {
        read_yaml(&shown, &text)
    } else {
        read_toml(&shown, &text)
    }
}

fn read_toml(shown: &str, text: &str) -> Result<FileValues, Vec<(String, String)>> {
    let table = text.parse::<toml::Table>().map_err(|e| {
        let at = e.span().map(|s| s.start).unwrap_or(0);
        let (line, col) = line_col(text, at);
        vec![syntax_error(shown, text, line, col, e.message(), "TOML")]
    })?;
    let mut out = FileValues::default();
    let mut problems = Vec::new();
    for (key, value) in table {
        let upper = key.to_ascii_uppercase();
        let line = key_line(text, &key);
        let scalar = |v: &toml::Value| match v {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            toml::Value::Boolean(b) => Some(b.to_string()),
            toml::Value::Datetime(d) => Some(d.to_string()),
            toml::Value::Array(_) | toml::Value::Table(_) => None,
        };
        let text = match &value {
            toml::Value::Array(items) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join(",")),
            v => scalar(v),
        };
        record(&mut out, &mut problems, shown, upper, line, text);
    }
    finish(out, problems)
}

fn read_yaml(shown: &str, text: &str) -> Result<FileValues, Vec<(String, String)>> {
    // Nesting and aliases are bounded before the document is built ("billion laughs").
    if let Err(e) = crate::yaml::check_limits(text)
        && !e.contains("is not valid YAML")
    {
        return Err(vec![(shown.to_string(), e)]);
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        let m = e.marker();
        vec![syntax_error(
            shown,
            text,
            m.line(),
            m.col(),
            e.info(),
            "YAML",
        )]
    })?;
    let root = match docs.as_slice() {
        [] | [Yaml::Null] => return Ok(FileValues::default()),
        [Yaml::Hash(h)] => h,
        [_] => {
            return Err(vec![(
                shown.to_string(),
                "must be a table of VARIABLE: value pairs".to_string(),
            )]);
        }
        _ => {
            return Err(vec![(
                shown.to_string(),
                "holds several YAML documents; keep one".to_string(),
            )]);
        }
    };
    let mut out = FileValues::default();
    let mut problems = Vec::new();
    let scalar = |v: &Yaml| match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    };
    for (key, value) in root {
        let Some(key) = (match key {
            Yaml::String(s) => Some(s.clone()),
            Yaml::Integer(i) => Some(i.to_string()),
            _ => None,
        }) else {
            problems.push((
                shown.to_string(),
                "has a key that is not a name; keys are variable names such as CONNECT_REST_URL"
                    .to_string(),
            ));
            continue;
        };
        let line = key_line(text, &key);
        let text = match value {
            Yaml::Array(items) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join(",")),
            v => scalar(v),
        };
        record(
            &mut out,
            &mut problems,
            shown,
            key.to_ascii_uppercase(),
            line,
            text,
        );
    }
    finish(out, problems)
}

fn record(
    out: &mut FileValues,
    problems: &mut Vec<(String, String)>,
    shown: &str,
    key: String,
    line: Option<usize>,
    value: Option<String>,
) {
    let place = match line {
        Some(l) => format!("{shown}:{l}"),
        None => shown.to_string(),
    };
    match value {
        Some(v) => {
            if out.values.contains_key(&key) {
                problems.push((
                    place,
                    format!("{key} is set twice (keys are case-insensitive)"),
                ));
                return;
            }
            if let Some(l) = line {
                out.lines.insert(key.clone(), l);
            }
            out.values.insert(key, v);
        }
        None => problems.push((
            place,
            format!("{key} must be a string, number, boolean or a list of them, not a table"),
        )),
    }
}

fn finish(
    out: FileValues,
    mut problems: Vec<(String, String)>,
) -> Result<FileValues, Vec<(String, String)>> {
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort();
        Err(problems)
    }
}

/// `(where, what)` for a syntax error at `line`:`col`, naming the key on that line if there is
/// one, and the parser's description with every value of the file taken out.
fn syntax_error(
    shown: &str,
    text: &str,
    line: usize,
    col: usize,
    message: &str,
    language: &str,
) -> (String, String) {
    let key = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(key_of_line)
        .map(|k| format!(" in the line of {k}"))
        .unwrap_or_default();
    let description = scrub(message.lines().next().unwrap_or(""), text);
    (
        format!("{shown}:{line}:{col}"),
        format!(
            "{language} syntax error{key}: {description} (the line is not shown: it may hold a secret)"
        ),
    )
}

/// `KEY` of a `KEY = …` or `KEY: …` line, when it looks like a name.
fn key_of_line(line: &str) -> Option<&str> {
    let head = line
        .split(['=', ':'])
        .next()?
        .trim()
        .trim_matches(['"', '\'']);
    let is_name = !head.is_empty()
        && head.len() <= 100
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (is_name && head != line.trim()).then_some(head)
}

/// The line a key is set on (the first line whose key it is).
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| key_of_line(l).is_some_and(|k| k.eq_ignore_ascii_case(key)))
        .map(|i| i + 1)
}

/// `message` with every fragment of the file's values (anything after a key's `=` or `:`, and
/// lines without a key, such as the inside of a multi-line string) taken out.
fn scrub(message: &str, text: &str) -> String {
    let mut out: String = message.chars().take(160).collect();
    for line in text.lines() {
        let value = match key_of_line(line) {
            Some(_) => line.split_once(['=', ':']).map(|(_, v)| v).unwrap_or(""),
            None => line,
        };
        for token in value.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`')) {
            if token.chars().count() >= 3 && out.contains(token) {
                out = out.replace(token, "…");
            }
        }
    }
    out
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_lines() {
        assert_eq!(key_of_line("CONNECT_NAME = \"x\""), Some("CONNECT_NAME"));
        assert_eq!(key_of_line("  connect_name: x"), Some("connect_name"));
        assert_eq!(key_of_line("\"QUOTED\" = 1"), Some("QUOTED"));
        assert_eq!(key_of_line("just text"), None);
        assert_eq!(key_of_line("NAME"), None);
    }

    #[test]
    fn scrub_takes_out_every_value() {
        let text = "PASS = \"hunter2 with spaces\nmore = `s3cr3t`\n  continued line\n";
        assert_eq!(
            scrub("invalid string hunter2 near s3cr3t and continued", text),
            "invalid string … near … and …"
        );
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
