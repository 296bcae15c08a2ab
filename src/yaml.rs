//! Reading the exporter's small YAML files (the RBAC file, the web configuration) safely and
//! checking their shape by hand, so that every problem in a file is reported at once, each with
//! the path of the key it concerns (`policies[2].effect`), instead of stopping at the first.
//!
//! Any text is accepted without a panic: the document is first walked as a stream of events with
//! limits on nesting and on the number of values once aliases are expanded, so that neither a
//! deeply nested document nor a "billion laughs" of aliases can exhaust the stack or the memory.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::{Yaml, YamlLoader};

/// Files larger than this are refused before parsing: both files are a few kilobytes.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Deeper nesting than this is refused: both formats need four levels.
const MAX_DEPTH: usize = 64;
/// More values than this, counting every alias as a copy of its anchor, are refused.
const MAX_NODES: usize = 100_000;

/// Reads a file of at most [`MAX_FILE_BYTES`] as UTF-8 text.
pub(crate) fn read_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut data = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if data.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("is larger than {MAX_FILE_BYTES} bytes"));
    }
    String::from_utf8(data).map_err(|_| "is not UTF-8 text".to_string())
}

/// Parses one YAML document. An empty text is `Yaml::Null`.
pub(crate) fn parse(text: &str) -> Result<Yaml, String> {
    check_limits(text)?;
    let mut docs =
        YamlLoader::load_from_str(text).map_err(|e| format!("is not valid YAML: {e}"))?;
    match docs.len() {
        0 => Ok(Yaml::Null),
        1 => Ok(docs.remove(0)),
        n => Err(format!("holds {n} YAML documents; it must hold one")),
    }
}

/// One node still open during [`check_limits`]: where it started and how deep its content went.
struct Open {
    anchor: usize,
    start_count: usize,
    start_depth: usize,
    max_depth: usize,
}

/// Walks the event stream, counting values (an alias counts as its anchor's whole subtree) and
/// nesting (an alias nests as deep as its anchor), and refuses a document over the limits.
pub(crate) fn check_limits(text: &str) -> Result<(), String> {
    let mut parser = Parser::new_from_str(text);
    let mut count = 0usize;
    let mut open: Vec<Open> = Vec::new();
    // anchor id → (values, depth below the anchored node)
    let mut anchors: HashMap<usize, (usize, usize)> = HashMap::new();
    let too_deep = || format!("nests deeper than {MAX_DEPTH} levels");
    let too_big = || format!("holds more than {MAX_NODES} values once aliases are expanded");
    loop {
        let (event, _) = parser
            .next_token()
            .map_err(|e| format!("is not valid YAML: {e}"))?;
        let depth = open.len();
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(_, _, anchor, _) => {
                count += 1;
                if anchor > 0 {
                    anchors.insert(anchor, (1, 0));
                }
            }
            Event::Alias(anchor) => {
                let (size, below) = anchors.get(&anchor).copied().unwrap_or((1, 0));
                count += size;
                if depth + below > MAX_DEPTH {
                    return Err(too_deep());
                }
                if let Some(parent) = open.last_mut() {
                    parent.max_depth = parent.max_depth.max(depth + below);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                count += 1;
                if depth + 1 > MAX_DEPTH {
                    return Err(too_deep());
                }
                open.push(Open {
                    anchor,
                    start_count: count,
                    start_depth: depth,
                    max_depth: depth + 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(node) = open.pop() {
                    if node.anchor > 0 {
                        let size = count - node.start_count + 1;
                        anchors.insert(node.anchor, (size, node.max_depth - node.start_depth));
                    }
                    if let Some(parent) = open.last_mut() {
                        parent.max_depth = parent.max_depth.max(node.max_depth);
                    }
                }
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {}
        }
        if count > MAX_NODES {
            return Err(too_big());
        }
    }
}

/// Problems found in one file, each `FILE: KEY: message`, in the order found.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    list: Vec<String>,
}

impl Problems {
    pub(crate) fn new(file: &Path) -> Problems {
        Problems {
            file: file.display().to_string(),
            list: Vec::new(),
        }
    }

    /// A problem with the key at `path`.
    pub(crate) fn at(&mut self, path: &str, message: impl fmt::Display) {
        self.list.push(format!("{}: {path}: {message}", self.file));
    }

    /// A problem with the file as a whole.
    pub(crate) fn file(&mut self, message: impl fmt::Display) {
        self.list.push(format!("{} {message}", self.file));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        self.list
    }

    /// `FILE: KEY: message`, for a warning that takes the same shape as a problem.
    pub(crate) fn format(&self, path: &str, message: impl fmt::Display) -> String {
        format!("{}: {path}: {message}", self.file)
    }
}

/// What a value is, for messages ("must be a list, not a string").
pub(crate) fn kind(y: &Yaml) -> &'static str {
    match y {
        Yaml::Real(_) | Yaml::Integer(_) => "a number",
        Yaml::String(_) => "a string",
        Yaml::Boolean(_) => "true or false",
        Yaml::Array(_) => "a list",
        Yaml::Hash(_) => "a mapping",
        Yaml::Null => "empty",
        Yaml::Alias(_) | Yaml::BadValue => "an unreadable value",
    }
}

/// `path.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The entries of a mapping with string keys, in file order. Keys that are not strings are
/// reported and skipped; a value that is not a mapping is reported and gives `None`.
pub(crate) fn mapping<'y>(
    y: &'y Yaml,
    path: &str,
    problems: &mut Problems,
) -> Option<Vec<(&'y str, &'y Yaml)>> {
    let Yaml::Hash(hash) = y else {
        problems.at(path, format!("must be a mapping, not {}", kind(y)));
        return None;
    };
    let mut entries = Vec::with_capacity(hash.len());
    for (k, v) in hash {
        match k {
            Yaml::String(k) => entries.push((k.as_str(), v)),
            other => {
                let message = format!("has a key that is {}; keys must be strings", kind(other));
                if path.is_empty() {
                    problems.file(message);
                } else {
                    problems.at(path, message);
                }
            }
        }
    }
    Some(entries)
}

/// A mapping whose keys must all be in `known`: unknown keys are reported, naming the known ones.
/// Keys whose value is empty (`key:` with nothing after it) are left out, as if absent.
pub(crate) fn fields<'y>(
    y: &'y Yaml,
    path: &str,
    known: &[&str],
    problems: &mut Problems,
) -> Option<HashMap<&'y str, &'y Yaml>> {
    let entries = mapping(y, path, problems)?;
    let mut out = HashMap::new();
    for (k, v) in entries {
        if !known.contains(&k) {
            problems.at(
                &join(path, k),
                format!("unknown key; the keys here are {}", known.join(", ")),
            );
        } else if !v.is_null() {
            out.insert(k, v);
        }
    }
    Some(out)
}

/// A string value. Numbers and booleans are refused with a hint to quote them, so that `yes`
/// or `0123` never turn silently into something else.
pub(crate) fn string(y: &Yaml, path: &str, problems: &mut Problems) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(_) | Yaml::Real(_) | Yaml::Boolean(_) => {
            problems.at(
                path,
                format!("must be a string, not {}; put it in quotes", kind(y)),
            );
            None
        }
        _ => {
            problems.at(path, format!("must be a string, not {}", kind(y)));
            None
        }
    }
}

/// A list of strings; each bad element is reported with its index.
pub(crate) fn string_list(y: &Yaml, path: &str, problems: &mut Problems) -> Option<Vec<String>> {
    let Yaml::Array(items) = y else {
        problems.at(path, format!("must be a list, not {}", kind(y)));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match string(item, &format!("{path}[{i}]"), problems) {
            Some(s) => out.push(s),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `true` or `false`.
pub(crate) fn boolean(y: &Yaml, path: &str, problems: &mut Problems) -> Option<bool> {
    match y {
        Yaml::Boolean(b) => Some(*b),
        _ => {
            problems.at(path, format!("must be true or false, not {}", kind(y)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_hostile_documents_without_panicking() {
        let deep_flow = "[".repeat(100);
        let deep_block = "- ".repeat(100_000) + "x";
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n\
                      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
                      f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        let mut nested_alias = "a: &a0 [x]\n".to_string();
        for i in 1..40 {
            nested_alias += &format!("a{i}: &a{i} [[*a{}]]\n", i - 1);
        }
        let rows: [(&str, &str); 6] = [
            (&deep_flow, "nests deeper than 64 levels"),
            (&deep_block, "nests deeper than 64 levels"),
            (
                laughs,
                "holds more than 100000 values once aliases are expanded",
            ),
            (&nested_alias, "nests deeper than 64 levels"),
            (
                "a: 1\n---\nb: 2\n",
                "holds 2 YAML documents; it must hold one",
            ),
            ("a: [1, 2\n", "is not valid YAML"),
        ];
        for (text, want) in rows {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(want), "{err:?} should start with {want:?}");
        }
    }

    #[test]
    fn ordinary_documents_and_aliases_within_limits_parse() {
        assert_eq!(parse("").unwrap(), Yaml::Null);
        let y = parse("roles: &r [a, b]\nagain: *r\n").unwrap();
        assert_eq!(y["again"], y["roles"]);
        let wide = format!("[{}]", vec!["x"; 5000].join(", "));
        assert!(parse(&wide).is_ok());
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(err.contains("duplicated key in mapping"), "{err}");
    }
}
