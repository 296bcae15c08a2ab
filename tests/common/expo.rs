//! A small reader of the text exposition, for tests that compare what the exporter says with
//! what Connect says.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Every sample of a text exposition (comments skipped), label values unescaped.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Sample {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => panic!("not a sample line: {line}"),
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    if chars.peek() == Some(&'{') {
        chars.next();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            assert_eq!(chars.next(), Some('"'), "label {key} of {line}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(other) => value.push(other),
                        None => panic!("dangling escape in {line}"),
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.insert(key.trim_start_matches(',').to_string(), value);
            match chars.next() {
                Some(',') if chars.peek() == Some(&'}') => {
                    chars.next();
                    break;
                }
                Some(',') => continue,
                Some('}') => break,
                other => panic!("unexpected {other:?} in {line}"),
            }
        }
    }
    let value: String = chars.collect();
    let value = value.trim().split(' ').next().unwrap_or("");
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v
            .parse()
            .unwrap_or_else(|_| panic!("value {v:?} of {line}")),
    };
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

#[test]
fn parses_escaped_labels() {
    let s = parse("# HELP x y\nm{a=\"q \\\"n\\\" \\\\ \\n\",b=\"\"} 1\nn 2.5\n");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].label("a"), "q \"n\" \\ \n");
    assert_eq!(s[0].value, 1.0);
    assert_eq!((s[1].name.as_str(), s[1].value), ("n", 2.5));
}
