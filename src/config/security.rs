//! Who may reach the exporter and what it may do to Connect: the web configuration file
//! (`--web.config.file`), access control (`ALLOW_CONNECT_*` or `RBAC_CONFIGURATION_FILE`, Kpow's
//! variables) and each cluster's auto-restart (`CONNECT_AUTO_RESTART` and its tuning, the
//! exporter's own variables, prefixed per cluster like every `CONNECT_*` variable). Read with the
//! rest of the configuration, so that every problem is reported at once.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::sources::Vars;
use super::{Problems, parse_bool};
use crate::access::{AccessControl, Action, RBAC_VARIABLE};
use crate::web::WebConfig;

/// The variable behind `--web.config.file`.
pub const WEB_CONFIG_VAR: &str = "KCONNECT_WEB_CONFIG_FILE";

/// The per-cluster auto-restart variables, without prefix, in the order `--config.check` prints
/// them.
pub const AUTO_RESTART_VARS: [&str; 4] = [
    "CONNECT_AUTO_RESTART",
    "CONNECT_AUTO_RESTART_MAX_ATTEMPTS",
    "CONNECT_AUTO_RESTART_RESET_AFTER",
    "CONNECT_AUTO_RESTART_BACKOFF_UNIT",
];

/// Attempts per connector before auto-restart gives up: with the default unit the waits are 2,
/// 6, 12, 20, 30 and 42 minutes, nearly two hours in all, long enough for a passing outage of a
/// database or a broker and short enough that a broken connector pages someone the same day.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 7;
/// How long a connector must run cleanly before its attempts are counted from zero again.
pub const DEFAULT_RESET_AFTER: Duration = Duration::from_secs(600);
/// The back-off unit: after attempt n the next waits n²+n units (Strimzi's schedule in minutes).
pub const DEFAULT_BACKOFF_UNIT: Duration = Duration::from_secs(60);

/// One cluster's auto-restart settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoRestart {
    pub enabled: bool,
    pub max_attempts: u32,
    pub reset_after: Duration,
    pub backoff_unit: Duration,
}

impl Default for AutoRestart {
    fn default() -> AutoRestart {
        AutoRestart {
            enabled: false,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            reset_after: DEFAULT_RESET_AFTER,
            backoff_unit: DEFAULT_BACKOFF_UNIT,
        }
    }
}

/// The protection and action settings of the whole exporter.
#[derive(Debug, Clone)]
pub struct Security {
    /// `--web.config.file` as given.
    pub web_config_file: Option<String>,
    /// The loaded web configuration; `None` serves plain HTTP without authentication.
    pub web: Option<WebConfig>,
    pub access: AccessControl,
    /// Auto-restart per cluster id, for every configured cluster.
    pub auto_restart: BTreeMap<String, AutoRestart>,
}

impl Default for Security {
    fn default() -> Security {
        Security {
            web_config_file: None,
            web: None,
            access: AccessControl::DenyAll,
            auto_restart: BTreeMap::new(),
        }
    }
}

impl Security {
    /// Whether the web configuration can tell who is asking (basic auth, or client certificates
    /// that are verified), so that a request without credentials is unauthenticated rather
    /// than anonymous by design.
    pub fn authenticates(&self) -> bool {
        self.web.as_ref().is_some_and(|w| {
            w.basic_auth.is_some()
                || w.tls
                    .as_ref()
                    .is_some_and(|t| t.client_auth_type().verifies())
        })
    }

    /// The auto-restart settings of a cluster (off for one not configured).
    pub fn auto_restart_of(&self, cluster: &str) -> AutoRestart {
        self.auto_restart.get(cluster).copied().unwrap_or_default()
    }

    /// `VARIABLE=value` lines for `--config.check`, after the clusters': the access control
    /// variables that are set and each cluster's auto-restart.
    pub fn describe(&self, prefixed: bool, out: &mut String) {
        match &self.access {
            AccessControl::DenyAll => {}
            AccessControl::Simple(simple) => {
                for action in simple.allowed() {
                    let _ = writeln!(out, "{}=true", action.allow_variable());
                }
            }
            AccessControl::Rbac(rbac) => {
                let _ = writeln!(out, "{RBAC_VARIABLE}={}", rbac.file);
            }
        }
        for (id, auto) in &self.auto_restart {
            let prefix = if prefixed {
                format!("{id}_")
            } else {
                String::new()
            };
            let _ = writeln!(out, "{prefix}CONNECT_AUTO_RESTART={}", auto.enabled);
            if auto.enabled {
                let _ = writeln!(
                    out,
                    "{prefix}CONNECT_AUTO_RESTART_MAX_ATTEMPTS={}",
                    auto.max_attempts
                );
                for (var, d) in [
                    ("CONNECT_AUTO_RESTART_RESET_AFTER", auto.reset_after),
                    ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", auto.backoff_unit),
                ] {
                    let _ = writeln!(out, "{prefix}{var}={}", humantime::format_duration(d));
                }
            }
        }
    }

    /// Comment lines for `--config.check`: what the web configuration and access control do.
    pub fn summary(&self) -> Vec<String> {
        let web = match (&self.web, &self.web_config_file) {
            (Some(web), Some(file)) => format!("web configuration {file}: {}", web.describe()),
            _ => "web configuration: none (plain HTTP, no authentication)".to_string(),
        };
        vec![web, self.access.describe()]
    }
}

/// Whether `key` is one of this module's variables (for the unknown keys of `--config.file`).
pub fn is_known(key: &str, resource_ids: &[String]) -> bool {
    key == WEB_CONFIG_VAR
        || key == RBAC_VARIABLE
        || Action::ALL.iter().any(|a| a.allow_variable() == key)
        || AUTO_RESTART_VARS.iter().any(|v| {
            key == *v
                || resource_ids.iter().any(|id| {
                    key.strip_prefix(id.as_str())
                        .and_then(|k| k.strip_prefix('_'))
                        == Some(v)
                })
        })
}

/// Reads the web configuration file, access control and every cluster's auto-restart, adding
/// each problem to `problems` and each harmless oddity to `warnings`.
pub fn load(
    vars: &Vars,
    cluster_ids: &[String],
    prefixed: bool,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Security {
    let web_config_file = vars.get(WEB_CONFIG_VAR).map(str::to_string);
    let web = web_config_file
        .as_ref()
        .and_then(|file| match WebConfig::load(Path::new(file)) {
            Ok(web) => {
                warnings.extend(web.warnings.iter().cloned());
                Some(web)
            }
            Err(e) => {
                let source = vars.source_of(WEB_CONFIG_VAR);
                for p in e.problems {
                    problems.push(&source, p);
                }
                None
            }
        });

    // Access control reads Kpow's variables from the environment or the file.
    let mut env = HashMap::new();
    for var in Action::ALL
        .iter()
        .map(|a| a.allow_variable())
        .chain([RBAC_VARIABLE.to_string()])
    {
        if let Some(v) = vars.get(&var) {
            env.insert(var, v.to_string());
        }
    }
    let access = match AccessControl::load(&env) {
        Ok(loaded) => {
            warnings.extend(loaded.warnings);
            loaded.control
        }
        Err(e) => {
            problems.0.extend(e.problems);
            AccessControl::DenyAll
        }
    };

    let mut auto_restart = BTreeMap::new();
    for id in cluster_ids {
        let prefix = if prefixed {
            format!("{id}_")
        } else {
            String::new()
        };
        auto_restart.insert(
            id.clone(),
            parse_auto_restart(vars, &prefix, problems, warnings),
        );
    }
    if prefixed {
        for var in AUTO_RESTART_VARS {
            if vars.get(var).is_some() {
                warnings.push(format!(
                    "{var} is ignored: CONNECT_RESOURCE_IDS is set, so each cluster's variables \
                     need its id as prefix"
                ));
            }
        }
    }

    let security = Security {
        web_config_file,
        web,
        access,
        auto_restart,
    };
    warn_about_reach(&security, vars, warnings);
    security
}

fn parse_auto_restart(
    vars: &Vars,
    prefix: &str,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> AutoRestart {
    let var = |name: &str| format!("{prefix}{name}");
    let mut auto = AutoRestart::default();
    if let Some(raw) = vars.get(&var("CONNECT_AUTO_RESTART")) {
        match parse_bool(raw) {
            Some(b) => auto.enabled = b,
            None => problems.push(
                vars.source_of(&var("CONNECT_AUTO_RESTART")),
                format!("\"{raw}\" is not true or false"),
            ),
        }
    }
    let max_var = var("CONNECT_AUTO_RESTART_MAX_ATTEMPTS");
    if let Some(raw) = vars.get(&max_var) {
        match raw.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => auto.max_attempts = n,
            _ => problems.push(
                vars.source_of(&max_var),
                format!("\"{raw}\" is not a whole number of attempts from 1 to 100"),
            ),
        }
    }
    for (name, slot) in [
        ("CONNECT_AUTO_RESTART_RESET_AFTER", &mut auto.reset_after),
        ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", &mut auto.backoff_unit),
    ] {
        let v = var(name);
        if let Some(raw) = vars.get(&v) {
            match humantime::parse_duration(raw) {
                Ok(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(86_400) => {
                    *slot = d
                }
                _ => problems.push(
                    vars.source_of(&v),
                    format!("\"{raw}\" is not a duration from 1s to 24h, such as 30s or 10m"),
                ),
            }
        }
    }
    if !auto.enabled {
        for name in &AUTO_RESTART_VARS[1..] {
            if vars.get(&var(name)).is_some() {
                warnings.push(format!(
                    "{} has no effect: {} is not true",
                    vars.source_of(&var(name)),
                    var("CONNECT_AUTO_RESTART")
                ));
            }
        }
    }
    auto
}

/// Warnings for settings that let more, or less, through than was probably meant.
fn warn_about_reach(security: &Security, vars: &Vars, warnings: &mut Vec<String>) {
    let acting = [Action::ConnectInspect, Action::ConnectAlterState];
    match &security.access {
        AccessControl::Simple(simple) if !security.authenticates() => {
            let open: Vec<String> = acting
                .iter()
                .filter_map(|a| simple.granted_by(*a))
                .map(|a| format!("{}=true", a.allow_variable()))
                .collect();
            if !open.is_empty() {
                let mut open = open;
                open.dedup();
                warnings.push(format!(
                    "{} with no authentication in the web configuration ({}): anyone who can \
                     reach the exporter may use the actions API",
                    open.join(", "),
                    vars.source_of(WEB_CONFIG_VAR)
                ));
            }
        }
        AccessControl::Rbac(_) if !security.authenticates() => warnings.push(format!(
            "{RBAC_VARIABLE} is set but the web configuration ({}) authenticates nobody: RBAC \
             admits authenticated principals only, so no user can act (auto-restart can)",
            vars.source_of(WEB_CONFIG_VAR)
        )),
        _ => {}
    }
    let alter_possible = match &security.access {
        AccessControl::DenyAll => false,
        AccessControl::Simple(simple) => simple.granted_by(Action::ConnectAlterState).is_some(),
        AccessControl::Rbac(_) => true,
    };
    if !alter_possible {
        for (id, auto) in &security.auto_restart {
            if auto.enabled {
                warnings.push(format!(
                    "auto-restart of cluster {id} is on but access control allows no \
                     CONNECT_ALTER_STATE: it restarts nothing; set ALLOW_CONNECT_ALTER_STATE=true, \
                     or give the principal auto-restart a role in {RBAC_VARIABLE}"
                ));
            }
        }
    }
}
