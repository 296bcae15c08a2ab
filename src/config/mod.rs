//! Configuration: the exporter's flags and Kpow's `CONNECT_*` variables, from flags, the
//! environment and an optional file, validated in one pass so that every problem is reported
//! at once. Reads files (the config file, TLS stores) but starts nothing.

mod cluster;
mod early;
mod file;
mod filter;
mod flavour;
mod security;
mod sources;
mod tls;
mod unknown;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

pub use cluster::{
    CLUSTER_VARS, ClusterConfig, DEFAULT_ID, DEFAULT_REST_URL, DEFAULT_TIMEOUT_MS,
    ObservationVersion, redact,
};
pub use filter::NameFilter;

use crate::metrics::{MetricsOptions, TaskStates};
pub use early::{requested_log_format, requested_log_format_raw};
pub use flavour::{Flavour, is_cloud_path};
pub use security::{
    AUTO_RESTART_VARS, AutoRestart, DEFAULT_BACKOFF_UNIT, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RESET_AFTER, Security, WEB_CONFIG_VAR,
};
pub use sources::{Args, FLAG_VARS, FLAGS, Vars};
pub use tls::{StoreSummary, StoreType};

pub const DEFAULT_LISTEN_ADDRESS: &str = ":9840";
pub const DEFAULT_TELEMETRY_PATH: &str = "/metrics";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_PARALLELISM: usize = 8;
pub const DEFAULT_MAX_REQUESTS: usize = 40;
/// v1 reads each connector's rarely-changing details at least every 20 observations: the
/// steady-state cost is then N+1 requests plus 2N/20, within 1.1 × (N+1), and at the 30 s
/// default interval they are never more than 10 minutes old (a change of the task set is read
/// at once).
pub const DEFAULT_DETAILS_REFRESH: u64 = 20;
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where to serve: `:PORT` is every interface, IPv6 and IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenAddress {
    AnyInterface(u16),
    Addr(SocketAddr),
}

impl ListenAddress {
    /// The address a client on this machine reaches it at.
    pub fn local(self) -> SocketAddr {
        match self {
            ListenAddress::AnyInterface(port) => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            ListenAddress::Addr(a) if a.ip().is_unspecified() => {
                let ip: IpAddr = if a.is_ipv4() {
                    Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                };
                SocketAddr::new(ip, a.port())
            }
            ListenAddress::Addr(a) => a,
        }
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddress::AnyInterface(port) => write!(f, ":{port}"),
            ListenAddress::Addr(a) => write!(f, "{a}"),
        }
    }
}

/// The validated configuration of the whole exporter.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_address: ListenAddress,
    pub telemetry_path: String,
    /// Uncompressed scrapes served at once; 0 for no limit.
    pub max_requests: usize,
    pub interval: Duration,
    /// Longest an observation may take.
    pub observation_timeout: Duration,
    /// v1: rarely-changing details at least every this many observations.
    pub details_refresh: u64,
    pub parallelism: usize,
    pub max_response_bytes: usize,
    /// `--metrics.exclude` and `--metrics.task-states`.
    pub metrics: MetricsOptions,
    pub log_level: tracing::Level,
    pub log_format: LogFormat,
    /// `CONNECT_RESOURCE_IDS` as given, or empty for the single `default` cluster.
    pub resource_ids: Vec<String>,
    pub clusters: Vec<ClusterConfig>,
    /// The web configuration, access control and auto-restart.
    pub security: Security,
    /// Settings that are accepted but probably not what was meant; logged at start.
    pub warnings: Vec<String>,
}

/// Every problem found in the configuration, one per line, each naming its variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invalid configuration ({} problem{}):",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// Collects problems as `VARIABLE: what is wrong` lines.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn push(&mut self, var: impl AsRef<str>, message: impl AsRef<str>) {
        self.0
            .push(format!("{}: {}", var.as_ref(), message.as_ref()));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `true`/`false`, as Kpow takes them (any case; `1`/`0` and `yes`/`no` too).
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

impl Config {
    /// A configuration observing `clusters` with every exporter setting at its default.
    pub fn with_clusters(clusters: Vec<ClusterConfig>) -> Config {
        Config {
            listen_address: ListenAddress::AnyInterface(9840),
            telemetry_path: DEFAULT_TELEMETRY_PATH.to_string(),
            max_requests: DEFAULT_MAX_REQUESTS,
            interval: DEFAULT_INTERVAL,
            observation_timeout: DEFAULT_INTERVAL,
            details_refresh: DEFAULT_DETAILS_REFRESH,
            parallelism: DEFAULT_PARALLELISM,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            metrics: MetricsOptions::default(),
            log_level: tracing::Level::INFO,
            log_format: LogFormat::Text,
            resource_ids: Vec::new(),
            clusters,
            security: Security::default(),
            warnings: Vec::new(),
        }
    }

    /// Builds the configuration from parsed flags and an environment (the process's, in `main`).
    /// A variable of the exporter's families whose value is not UTF-8 is a problem; any other is
    /// none of the exporter's business.
    pub fn load<K, V>(
        args: &Args,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Config, ConfigError>
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let mut problems = Problems::default();
        let mut vars = HashMap::new();
        for (k, v) in env {
            let (k, v): (OsString, OsString) = (k.into(), v.into());
            match (k.into_string(), v.into_string()) {
                (Ok(k), Ok(v)) => {
                    vars.insert(k, v);
                }
                (Ok(k), Err(_)) if is_ours(&k) => {
                    problems.push(&k, "the value is not UTF-8 text; set it as UTF-8")
                }
                (Err(k), _) if is_ours(&k.to_string_lossy()) => problems.push(
                    k.to_string_lossy(),
                    "the variable's name is not UTF-8 text; rename it",
                ),
                _ => {}
            }
        }
        let env = vars;
        let file_path = args.config_file.clone().or_else(|| {
            env.get("KCONNECT_CONFIG_FILE")
                .filter(|v| !v.trim().is_empty())
                .cloned()
        });
        let file = match &file_path {
            Some(path) => file::read(Path::new(path)).unwrap_or_else(|found| {
                for (place, what) in found {
                    problems.push(place, what);
                }
                Default::default()
            }),
            None => Default::default(),
        };
        let vars = Vars::new(args.clone(), env, file, file_path);
        let config = Self::from_vars(&vars, &mut problems);
        // The ids as far as they parse; their problems are reported by from_vars.
        let ids = parse_resource_ids(vars.get("CONNECT_RESOURCE_IDS"), &mut Problems::default());
        let unknown = unknown::check(vars.env_names(), &ids);
        match config {
            Some(mut c) if problems.is_empty() => {
                // First: a misspelt variable explains what the others may look like.
                let mut warnings: Vec<String> = unknown.iter().map(|f| f.sentence()).collect();
                warnings.append(&mut c.warnings);
                c.warnings = warnings;
                Ok(c)
            }
            _ => {
                // A misspelling is often why a value is missing: said among the problems.
                for f in unknown.iter().filter(|f| f.likely_mistake) {
                    problems.push(&f.name, &f.what);
                }
                Err(ConfigError {
                    problems: problems.0,
                })
            }
        }
    }

    fn from_vars(vars: &Vars, problems: &mut Problems) -> Option<Config> {
        let mut warnings = Vec::new();
        let listen_address = parse_listen_address(
            vars.get("KCONNECT_WEB_LISTEN_ADDRESS")
                .unwrap_or(DEFAULT_LISTEN_ADDRESS),
        )
        .map_err(|e| problems.push(vars.source_of("KCONNECT_WEB_LISTEN_ADDRESS"), e))
        .ok();
        let telemetry_path = vars
            .get("KCONNECT_WEB_TELEMETRY_PATH")
            .unwrap_or(DEFAULT_TELEMETRY_PATH)
            .to_string();
        if let Err(e) = check_telemetry_path(&telemetry_path) {
            problems.push(vars.source_of("KCONNECT_WEB_TELEMETRY_PATH"), e);
        }
        let max_requests = number(
            vars,
            "KCONNECT_WEB_MAX_REQUESTS",
            DEFAULT_MAX_REQUESTS,
            0,
            100_000,
            problems,
        );
        let interval = duration(
            vars,
            "KCONNECT_OBSERVATION_INTERVAL",
            DEFAULT_INTERVAL,
            problems,
        );
        let observation_timeout =
            duration(vars, "KCONNECT_OBSERVATION_TIMEOUT", interval, problems);
        let details_refresh = number(
            vars,
            "KCONNECT_OBSERVATION_DETAILS_REFRESH",
            DEFAULT_DETAILS_REFRESH as usize,
            1,
            10_000,
            problems,
        ) as u64;
        let parallelism = number(
            vars,
            "KCONNECT_OBSERVATION_PARALLELISM",
            DEFAULT_PARALLELISM,
            1,
            256,
            problems,
        );
        let max_response_bytes = number(
            vars,
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES",
            DEFAULT_MAX_RESPONSE_BYTES,
            1024,
            4 * 1024 * 1024 * 1024,
            problems,
        );
        let mut metrics = MetricsOptions::default();
        if let Some(raw) = vars.get("KCONNECT_METRICS_EXCLUDE") {
            match NameFilter::new(None, Some(raw)) {
                Ok(_) => metrics.exclude = regex::Regex::new(&format!("^(?:{raw})$")).ok(),
                Err(e) => problems.push(vars.source_of("KCONNECT_METRICS_EXCLUDE"), e),
            }
        }
        for (var, slot) in [
            ("KCONNECT_METRICS_TASK_STATES", &mut metrics.task_states),
            (
                "KCONNECT_METRICS_CONNECTOR_STATES",
                &mut metrics.connector_states,
            ),
        ] {
            if let Some(raw) = vars.get(var) {
                match TaskStates::parse(raw) {
                    Some(t) => *slot = t,
                    None => problems.push(
                        vars.source_of(var),
                        format!("\"{raw}\" is not all or current"),
                    ),
                }
            }
        }
        let log_level = match vars
            .get("KCONNECT_LOG_LEVEL")
            .unwrap_or("info")
            .to_ascii_lowercase()
            .as_str()
        {
            "error" => tracing::Level::ERROR,
            "warn" => tracing::Level::WARN,
            "info" => tracing::Level::INFO,
            "debug" => tracing::Level::DEBUG,
            "trace" => tracing::Level::TRACE,
            other => {
                problems.push(
                    vars.source_of("KCONNECT_LOG_LEVEL"),
                    format!("\"{other}\" is not error, warn, info, debug or trace"),
                );
                tracing::Level::INFO
            }
        };
        let log_format = match vars
            .get("KCONNECT_LOG_FORMAT")
            .unwrap_or("text")
            .to_ascii_lowercase()
            .as_str()
        {
            "text" | "logfmt" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                problems.push(
                    vars.source_of("KCONNECT_LOG_FORMAT"),
                    format!("\"{other}\" is not text or json"),
                );
                LogFormat::Text
            }
        };

        let resource_ids = parse_resource_ids(vars.get("CONNECT_RESOURCE_IDS"), problems);
        let mut clusters = Vec::new();
        if resource_ids.is_empty() {
            clusters.extend(cluster::parse_cluster(
                DEFAULT_ID,
                "",
                vars,
                max_response_bytes,
                problems,
                &mut warnings,
            ));
        } else {
            for id in &resource_ids {
                let prefix = format!("{id}_");
                clusters.extend(cluster::parse_cluster(
                    id,
                    &prefix,
                    vars,
                    max_response_bytes,
                    problems,
                    &mut warnings,
                ));
            }
            for var in CLUSTER_VARS {
                if vars.get(var).is_some() {
                    warnings.push(format!("{var} is ignored: CONNECT_RESOURCE_IDS is set, so each cluster's variables need its id as prefix"));
                }
            }
        }

        let cluster_ids = if resource_ids.is_empty() {
            vec![DEFAULT_ID.to_string()]
        } else {
            resource_ids.clone()
        };
        let security = security::load(
            vars,
            &cluster_ids,
            !resource_ids.is_empty(),
            problems,
            &mut warnings,
        );
        let known = |key: &str| {
            security::is_known(key, &resource_ids)
                || FLAG_VARS.contains(&key)
                || key == "CONNECT_RESOURCE_IDS"
                || CLUSTER_VARS.iter().any(|v| {
                    key == *v
                        || resource_ids.iter().any(|id| {
                            key.strip_prefix(id.as_str())
                                .and_then(|k| k.strip_prefix('_'))
                                == Some(v)
                        })
                })
        };
        for (place, key) in vars.unknown_file_keys(&known) {
            let hint = unknown::suggestion(&key, &resource_ids)
                .map(|n| format!("; did you mean {n}?"))
                .unwrap_or_default();
            problems.push(
                place,
                format!("{key} is not a setting of this exporter{hint}"),
            );
        }
        for c in &clusters {
            let prefix = if resource_ids.is_empty() {
                String::new()
            } else {
                format!("{}_", c.id)
            };
            let var = format!("{prefix}CONNECT_TIMEOUT_MS");
            if vars.get(&var).is_some() && c.client.timeout > observation_timeout {
                warnings.push(format!(
                    "{} ({} ms) is longer than the observation timeout ({}): a request to cluster {} that times out is reported as reason deadline",
                    vars.source_of(&var),
                    c.client.timeout.as_millis(),
                    humantime::format_duration(observation_timeout),
                    c.id
                ));
            }
        }

        Some(Config {
            listen_address: listen_address?,
            telemetry_path,
            max_requests,
            interval,
            observation_timeout,
            details_refresh,
            parallelism,
            max_response_bytes,
            metrics,
            log_level,
            log_format,
            resource_ids,
            clusters,
            security,
            warnings,
        })
    }

    /// The effective configuration as `VARIABLE=value` lines, secrets masked: what
    /// `--config.check` prints.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "KCONNECT_WEB_LISTEN_ADDRESS={}", self.listen_address);
        let _ = writeln!(out, "KCONNECT_WEB_TELEMETRY_PATH={}", self.telemetry_path);
        let _ = writeln!(out, "KCONNECT_WEB_MAX_REQUESTS={}", self.max_requests);
        let _ = writeln!(
            out,
            "KCONNECT_OBSERVATION_INTERVAL={}",
            humantime::format_duration(self.interval)
        );
        let _ = writeln!(
            out,
            "KCONNECT_OBSERVATION_TIMEOUT={}",
            humantime::format_duration(self.observation_timeout)
        );
        let _ = writeln!(
            out,
            "KCONNECT_OBSERVATION_DETAILS_REFRESH={}",
            self.details_refresh
        );
        let _ = writeln!(out, "KCONNECT_OBSERVATION_PARALLELISM={}", self.parallelism);
        let _ = writeln!(
            out,
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES={}",
            self.max_response_bytes
        );
        let _ = writeln!(
            out,
            "KCONNECT_METRICS_EXCLUDE={}",
            self.metrics
                .exclude
                .as_ref()
                .map(|r| {
                    let s = r.as_str();
                    s.strip_prefix("^(?:")
                        .and_then(|s| s.strip_suffix(")$"))
                        .unwrap_or(s)
                        .to_string()
                })
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "KCONNECT_METRICS_TASK_STATES={}",
            self.metrics.task_states.as_str()
        );
        let _ = writeln!(
            out,
            "KCONNECT_METRICS_CONNECTOR_STATES={}",
            self.metrics.connector_states.as_str()
        );
        let _ = writeln!(
            out,
            "KCONNECT_LOG_LEVEL={}",
            self.log_level.as_str().to_ascii_lowercase()
        );
        let _ = writeln!(
            out,
            "KCONNECT_LOG_FORMAT={}",
            match self.log_format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            }
        );
        let _ = writeln!(
            out,
            "{WEB_CONFIG_VAR}={}",
            self.security.web_config_file.as_deref().unwrap_or("")
        );
        if !self.resource_ids.is_empty() {
            let _ = writeln!(out, "CONNECT_RESOURCE_IDS={}", self.resource_ids.join(","));
        }
        for c in &self.clusters {
            let prefix = if self.resource_ids.is_empty() {
                String::new()
            } else {
                format!("{}_", c.id)
            };
            c.describe(&prefix, &mut out);
        }
        self.security
            .describe(!self.resource_ids.is_empty(), &mut out);
        out
    }
}

fn number(
    vars: &Vars,
    var: &str,
    default: usize,
    min: usize,
    max: usize,
    problems: &mut Problems,
) -> usize {
    match vars.get(var) {
        None => default,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                problems.push(
                    vars.source_of(var),
                    format!("\"{raw}\" is not a whole number from {min} to {max}"),
                );
                default
            }
        },
    }
}

/// A duration from 1s to 1h, such as `30s` or `1m`.
fn duration(vars: &Vars, var: &str, default: Duration, problems: &mut Problems) -> Duration {
    match vars.get(var) {
        None => default,
        Some(raw) => match humantime::parse_duration(raw) {
            Ok(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(3600) => d,
            _ => {
                problems.push(
                    vars.source_of(var),
                    format!("\"{raw}\" is not a duration from 1s to 1h, such as 30s or 1m"),
                );
                default
            }
        },
    }
}

/// A path the telemetry can be served on: absolute, not `/` (the landing page), not under `/-/`
/// or `/api/` (the exporter's own), and made of the characters a URL path holds as they are.
fn check_telemetry_path(path: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@%".contains(c);
    if !path.starts_with('/')
        || path == "/"
        || path.starts_with("/-/")
        || path == "/api"
        || path.starts_with("/api/")
        || !path.chars().all(allowed)
    {
        let shown: String = path
            .chars()
            .flat_map(char::escape_default)
            .take(100)
            .collect();
        return Err(format!(
            "\"{shown}\" must be a URL path such as /metrics (not /, not under /-/ or /api/, no spaces, ? or #)"
        ));
    }
    Ok(())
}

/// Whether a variable belongs to the exporter's families.
fn is_ours(name: &str) -> bool {
    name.starts_with("CONNECT_")
        || name.starts_with("KCONNECT_")
        || name.contains("_CONNECT_")
        || name.starts_with("ALLOW_CONNECT_")
        || name == "RBAC_CONFIGURATION_FILE"
}

/// `:9840` (every interface, IPv6 and IPv4), `127.0.0.1:9840`, `[::1]:9840` or `localhost:9840`.
fn parse_listen_address(raw: &str) -> Result<ListenAddress, String> {
    let bad = || format!("\"{raw}\" is not an address such as :9840 or 127.0.0.1:9840");
    let (host, port) = raw.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip = match host {
        "" => return Ok(ListenAddress::AnyInterface(port)),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(h)
            .parse()
            .map_err(|_| bad())?,
    };
    Ok(ListenAddress::Addr(SocketAddr::new(ip, port)))
}

/// Kpow's `CONNECT_RESOURCE_IDS`: upper-case ids, each the prefix of its cluster's variables.
fn parse_resource_ids(raw: Option<&str>, problems: &mut Problems) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    let mut ids: Vec<String> = Vec::new();
    for id in raw.split(',').map(str::trim) {
        if id.is_empty() {
            problems.push(
                "CONNECT_RESOURCE_IDS",
                format!("\"{raw}\" has an empty id; give ids such as US1,EU2"),
            );
        } else if id.chars().any(|c| c.is_ascii_lowercase()) {
            problems.push(
                "CONNECT_RESOURCE_IDS",
                format!(
                    "\"{id}\" must be upper-case ({}), as Kpow requires",
                    id.to_ascii_uppercase()
                ),
            );
        } else if !id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            problems.push(
                "CONNECT_RESOURCE_IDS",
                format!("\"{id}\" may hold only A-Z, 0-9 and _"),
            );
        } else if ids.iter().any(|i| i == id) {
            problems.push("CONNECT_RESOURCE_IDS", format!("\"{id}\" is listed twice"));
        } else {
            ids.push(id.to_string());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen_address(":9840").unwrap(),
            ListenAddress::AnyInterface(9840)
        );
        assert_eq!(
            parse_listen_address("localhost:1").unwrap(),
            ListenAddress::Addr("127.0.0.1:1".parse().unwrap())
        );
        assert_eq!(
            parse_listen_address("[::1]:9840").unwrap(),
            ListenAddress::Addr("[::1]:9840".parse().unwrap())
        );
        assert_eq!(
            parse_listen_address("0.0.0.0:9840").unwrap(),
            ListenAddress::Addr("0.0.0.0:9840".parse().unwrap())
        );
        assert!(parse_listen_address("9840").is_err());
        assert!(parse_listen_address("host:99999").is_err());
    }

    #[test]
    fn telemetry_paths() {
        for ok in ["/metrics", "/x/y-z_1.2", "/:x", "/a%20b"] {
            assert_eq!(check_telemetry_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "metrics", "/", "/-/m", "/api", "/api/v1", "/a b", "/m?x", "/m#x", "/\u{7}",
        ] {
            assert!(check_telemetry_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("no"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
