//! Variables of the exporter's families (`CONNECT_*`, `KCONNECT_*` and `<ID>_CONNECT_*`) that it
//! does not know. A misspelt one would otherwise be ignored without a word while the exporter
//! quietly uses a default; a prefixed one whose id is missing from `CONNECT_RESOURCE_IDS` would
//! configure nothing. The known names come from [`FLAGS`] and [`CLUSTER_VARS`], so a setting
//! added there is known here too. Kpow's other variables (`ALLOW_CONNECT_*` among them) are not
//! the exporter's to judge.

use super::{AUTO_RESTART_VARS, CLUSTER_VARS, FLAGS};

/// Read when the exporter is built, not when it runs; set in a build's environment, it is no
/// mistake.
const BUILD_VARS: [&str; 1] = ["KCONNECT_BUILD_REVISION"];
const RESOURCE_IDS: &str = "CONNECT_RESOURCE_IDS";

/// One variable of the families that configures nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub name: String,
    /// What is wrong, as the rest of a sentence that starts with the name.
    pub what: String,
    /// A likely mistake (a misspelling, a missing id) rather than a variable meant for
    /// something else, such as Kafka Connect's own `CONNECT_*` worker settings.
    pub likely_mistake: bool,
}

impl Finding {
    /// `NAME what`, as a warning.
    pub fn sentence(&self) -> String {
        format!("{} {}", self.name, self.what)
    }
}

/// Every variable among `names` that belongs to the families and configures nothing, given the
/// clusters of `CONNECT_RESOURCE_IDS`. Sorted by name; the variables that look like no known one
/// (often a Kafka Connect worker's own settings in a shared environment) come last, as one.
pub fn check<'a>(names: impl IntoIterator<Item = &'a str>, ids: &[String]) -> Vec<Finding> {
    let known = known_names(ids);
    let mut names: Vec<&str> = names.into_iter().filter(|n| in_family(n)).collect();
    names.sort_unstable();
    names.dedup();
    let mut findings = Vec::new();
    let mut others = Vec::new();
    for name in names {
        if known.iter().any(|k| k == name) {
            continue;
        }
        match judge(name, &known, ids) {
            Some(f) => findings.push(f),
            None => others.push(name),
        }
    }
    if !others.is_empty() {
        let (what, name) = match others.as_slice() {
            [one] => (
                "is not a setting of this exporter and is ignored",
                one.to_string(),
            ),
            [rest @ .., last] => (
                "are not settings of this exporter and are ignored",
                format!("{} and {last}", rest.join(", ")),
            ),
            [] => unreachable!("others is not empty"),
        };
        findings.push(Finding {
            name,
            what: what.to_string(),
            likely_mistake: false,
        });
    }
    findings
}

/// The known name `name` most likely misspells, if any: for a file's unknown keys.
pub fn suggestion(name: &str, ids: &[String]) -> Option<String> {
    let known = known_names(ids);
    let upper = name.to_ascii_uppercase();
    nearest(&upper, &known).map(str::to_string)
}

/// `CONNECT_*`, `KCONNECT_*` and `<ID>_CONNECT_*`, in any case (a lower-case name is a mistake
/// worth a word too); not Kpow's access-control variables (`ALLOW_CONNECT_*`).
fn in_family(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("CONNECT_")
        || upper.starts_with("KCONNECT_")
        || (upper.contains("_CONNECT_") && !upper.starts_with("ALLOW_"))
}

/// Every per-cluster variable: Kpow's and ours, auto-restart's included.
fn cluster_vars() -> impl Iterator<Item = &'static str> {
    CLUSTER_VARS.iter().chain(AUTO_RESTART_VARS.iter()).copied()
}

/// Every name the exporter reads, in the order a suggestion prefers them.
fn known_names(ids: &[String]) -> Vec<String> {
    let mut known: Vec<String> = FLAGS.iter().map(|(var, _)| var.to_string()).collect();
    known.extend(BUILD_VARS.iter().map(|v| v.to_string()));
    known.push(RESOURCE_IDS.to_string());
    known.extend(cluster_vars().map(str::to_string));
    for id in ids {
        known.extend(cluster_vars().map(|v| format!("{id}_{v}")));
    }
    known
}

fn judge(name: &str, known: &[String], ids: &[String]) -> Option<Finding> {
    let finding = |what: String| {
        Some(Finding {
            name: name.to_string(),
            what,
            likely_mistake: true,
        })
    };
    let upper = name.to_ascii_uppercase();
    if upper != name && known.contains(&upper) {
        return finding(format!(
            "is not a setting of this exporter and is ignored; did you mean {upper}? (variable names are upper-case)"
        ));
    }
    let nearest = nearest(name, known);
    if let Some(id) = orphan_id(name) {
        let what = if ids.is_empty() {
            format!(
                "is ignored: it configures cluster {id}, but {RESOURCE_IDS} is not set; set {RESOURCE_IDS}={id} to observe it"
            )
        } else {
            format!(
                "is ignored: cluster {id} is not in {RESOURCE_IDS} ({}); add it there to observe it",
                ids.join(",")
            )
        };
        return finding(match nearest {
            Some(n) => format!("{what}, or did you mean {n}?"),
            None => what,
        });
    }
    nearest.and_then(|n| {
        finding(format!(
            "is not a setting of this exporter and is ignored; did you mean {n}?"
        ))
    })
}

/// The id of `<ID>_<cluster variable>` (`US1` of `US1_CONNECT_REST_URL`).
fn orphan_id(name: &str) -> Option<&str> {
    name.match_indices("_CONNECT_").find_map(|(i, _)| {
        let (id, var) = (&name[..i], &name[i + 1..]);
        (!id.is_empty() && cluster_vars().any(|v| v == var)).then_some(id)
    })
}

/// The known name `name` most likely misspells: within a few edits, or one it starts with (`CONNECT_BASIC_AUTH_PASSWORD` for `CONNECT_BASIC_AUTH_PASS`).
fn nearest<'k>(name: &str, known: &'k [String]) -> Option<&'k str> {
    let extended = known
        .iter()
        .filter(|k| k.len() >= 12 && name.starts_with(k.as_str()))
        .max_by_key(|k| k.len());
    if let Some(k) = extended {
        return Some(k);
    }
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        // Three edits for a long name, two for a short one: a whole word apart
        // (CONNECT_CONFIG_STORAGE_TOPIC, a worker's own, and CONNECT_OFFSET_STORAGE_TOPIC) is
        // not a misspelling.
        .filter(|(d, k)| *d <= if k.len() >= 15 { 3 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn sentences(names: &[&str], resource_ids: &[&str]) -> Vec<String> {
        check(names.iter().copied(), &ids(resource_ids))
            .iter()
            .map(Finding::sentence)
            .collect()
    }

    #[test]
    fn known_variables_and_other_families_pass() {
        let names = [
            "CONNECT_REST_URL",
            "KCONNECT_LOG_LEVEL",
            "KCONNECT_CONFIG_FILE",
            "KCONNECT_BUILD_REVISION",
            "CONNECT_RESOURCE_IDS",
            "US1_CONNECT_AUTH",
            "ALLOW_CONNECT_INSPECT",
            "PATH",
            "KAFKA_HEAP_OPTS",
        ];
        assert_eq!(sentences(&names, &["US1"]), Vec::<String>::new());
    }

    #[test]
    fn a_misspelt_variable_gets_the_nearest_known_one() {
        assert_eq!(
            sentences(
                &[
                    "CONNECT_REST_URI",
                    "CONNECT_BASIC_AUTH_PASSWORD",
                    "KCONNECT_LOG_LEVLE",
                    "connect_rest_url",
                    "US1_CONNECT_TIMEOUT",
                ],
                &["US1"]
            ),
            [
                "CONNECT_BASIC_AUTH_PASSWORD is not a setting of this exporter and is ignored; did you mean CONNECT_BASIC_AUTH_PASS?",
                "CONNECT_REST_URI is not a setting of this exporter and is ignored; did you mean CONNECT_REST_URL?",
                "KCONNECT_LOG_LEVLE is not a setting of this exporter and is ignored; did you mean KCONNECT_LOG_LEVEL?",
                "US1_CONNECT_TIMEOUT is not a setting of this exporter and is ignored; did you mean US1_CONNECT_TIMEOUT_MS?",
                "connect_rest_url is not a setting of this exporter and is ignored; did you mean CONNECT_REST_URL? (variable names are upper-case)",
            ]
        );
    }

    #[test]
    fn a_prefixed_variable_of_a_cluster_not_listed_is_named() {
        assert_eq!(
            sentences(
                &["EU1_CONNECT_REST_URL", "US1_CONNECT_REST_URL"],
                &["US1", "EU2"]
            ),
            [
                "EU1_CONNECT_REST_URL is ignored: cluster EU1 is not in CONNECT_RESOURCE_IDS (US1,EU2); add it there to observe it, or did you mean EU2_CONNECT_REST_URL?"
            ]
        );
        assert_eq!(
            sentences(&["PROD_EU_CONNECT_AUTH"], &[]),
            [
                "PROD_EU_CONNECT_AUTH is ignored: it configures cluster PROD_EU, but CONNECT_RESOURCE_IDS is not set; set CONNECT_RESOURCE_IDS=PROD_EU to observe it"
            ]
        );
    }

    #[test]
    fn variables_like_no_known_one_are_named_together() {
        // A sidecar sharing a Connect worker's environment (Confluent's image).
        assert_eq!(
            sentences(
                &[
                    "CONNECT_PLUGIN_PATH",
                    "CONNECT_BOOTSTRAP_SERVERS",
                    "CONNECT_CONFIG_STORAGE_TOPIC",
                    "CONNECT_GROUP_ID",
                ],
                &[]
            ),
            [
                "CONNECT_BOOTSTRAP_SERVERS, CONNECT_CONFIG_STORAGE_TOPIC and CONNECT_PLUGIN_PATH are not settings of this exporter and are ignored"
            ]
        );
        let one = check(["KCONNECT_SOMETHING_ELSE_ENTIRELY"], &[]);
        assert_eq!(
            one,
            [Finding {
                name: "KCONNECT_SOMETHING_ELSE_ENTIRELY".to_string(),
                what: "is not a setting of this exporter and is ignored".to_string(),
                likely_mistake: false
            }]
        );
    }
}
