//! Configuration: the exporter's flags and Kpow's `CONNECT_*` variables, from flags, the
//! environment and an optional file, validated in one pass so that every problem is reported
//! at once. Reads files (the config file, TLS stores) but starts nothing.

mod cluster;
mod sources;
mod tls;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

pub use cluster::{
    CLUSTER_VARS, ClusterConfig, DEFAULT_ID, DEFAULT_REST_URL, DEFAULT_TIMEOUT_MS,
    ObservationVersion, redact,
};
pub use sources::{Args, FLAG_VARS, Vars};
pub use tls::{StoreSummary, StoreType};

pub const DEFAULT_LISTEN_ADDRESS: &str = ":9840";
pub const DEFAULT_TELEMETRY_PATH: &str = "/metrics";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_PARALLELISM: usize = 8;
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration of the whole exporter.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen_address: SocketAddr,
    pub telemetry_path: String,
    pub interval: Duration,
    pub parallelism: usize,
    pub max_response_bytes: usize,
    pub log_level: tracing::Level,
    pub log_format: LogFormat,
    /// `CONNECT_RESOURCE_IDS` as given, or empty for the single `default` cluster.
    pub resource_ids: Vec<String>,
    pub clusters: Vec<ClusterConfig>,
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
            listen_address: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9840),
            telemetry_path: DEFAULT_TELEMETRY_PATH.to_string(),
            interval: DEFAULT_INTERVAL,
            parallelism: DEFAULT_PARALLELISM,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            log_level: tracing::Level::INFO,
            log_format: LogFormat::Text,
            resource_ids: Vec::new(),
            clusters,
            warnings: Vec::new(),
        }
    }

    /// Builds the configuration from parsed flags and an environment (the process's, in `main`).
    pub fn load(args: &Args, env: HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut problems = Problems::default();
        let file_path = args.config_file.clone().or_else(|| {
            env.get("KCONNECT_CONFIG_FILE")
                .filter(|v| !v.trim().is_empty())
                .cloned()
        });
        let file = match &file_path {
            Some(path) => sources::read_file(Path::new(path)).unwrap_or_else(|e| {
                for line in e.lines() {
                    problems.push("--config.file", line);
                }
                HashMap::new()
            }),
            None => HashMap::new(),
        };
        let vars = Vars::new(args.clone(), env, file);
        let config = Self::from_vars(&vars, &mut problems);
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(ConfigError {
                problems: problems.0,
            }),
        }
    }

    fn from_vars(vars: &Vars, problems: &mut Problems) -> Option<Config> {
        let mut warnings = Vec::new();
        let listen_address = parse_listen_address(
            vars.get("KCONNECT_WEB_LISTEN_ADDRESS")
                .unwrap_or(DEFAULT_LISTEN_ADDRESS),
        )
        .map_err(|e| problems.push("--web.listen-address", e))
        .ok();
        let telemetry_path = vars
            .get("KCONNECT_WEB_TELEMETRY_PATH")
            .unwrap_or(DEFAULT_TELEMETRY_PATH)
            .to_string();
        if !telemetry_path.starts_with('/')
            || telemetry_path == "/"
            || telemetry_path.starts_with("/-/")
        {
            problems.push(
                "--web.telemetry-path",
                format!(
                    "\"{telemetry_path}\" must be a path such as /metrics (not /, not under /-/)"
                ),
            );
        }
        let interval = match vars.get("KCONNECT_OBSERVATION_INTERVAL") {
            None => DEFAULT_INTERVAL,
            Some(raw) => match humantime::parse_duration(raw) {
                Ok(d) if d >= Duration::from_secs(1) && d <= Duration::from_secs(3600) => d,
                _ => {
                    problems.push(
                        "--observation.interval",
                        format!("\"{raw}\" is not a duration from 1s to 1h, such as 30s or 1m"),
                    );
                    DEFAULT_INTERVAL
                }
            },
        };
        let parallelism = number(
            vars,
            "KCONNECT_OBSERVATION_PARALLELISM",
            "--observation.parallelism",
            DEFAULT_PARALLELISM,
            1,
            256,
            problems,
        );
        let max_response_bytes = number(
            vars,
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES",
            "--connect.max-response-bytes",
            DEFAULT_MAX_RESPONSE_BYTES,
            1024,
            4 * 1024 * 1024 * 1024,
            problems,
        );
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
                    "--log.level",
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
                problems.push("--log.format", format!("\"{other}\" is not text or json"));
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

        let known = |key: &str| {
            FLAG_VARS.contains(&key)
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
        for key in vars.unknown_file_keys(&known) {
            problems.push(
                "--config.file",
                format!("{key} is not a setting of this exporter"),
            );
        }

        Some(Config {
            listen_address: listen_address?,
            telemetry_path,
            interval,
            parallelism,
            max_response_bytes,
            log_level,
            log_format,
            resource_ids,
            clusters,
            warnings,
        })
    }

    /// The effective configuration as `VARIABLE=value` lines, secrets masked: what
    /// `--config.check` prints.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "KCONNECT_WEB_LISTEN_ADDRESS={}", self.listen_address);
        let _ = writeln!(out, "KCONNECT_WEB_TELEMETRY_PATH={}", self.telemetry_path);
        let _ = writeln!(
            out,
            "KCONNECT_OBSERVATION_INTERVAL={}",
            humantime::format_duration(self.interval)
        );
        let _ = writeln!(out, "KCONNECT_OBSERVATION_PARALLELISM={}", self.parallelism);
        let _ = writeln!(
            out,
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES={}",
            self.max_response_bytes
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
        out
    }
}

fn number(
    vars: &Vars,
    var: &str,
    flag: &str,
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
                    flag,
                    format!("\"{raw}\" is not a whole number from {min} to {max}"),
                );
                default
            }
        },
    }
}

/// `:9840` (every interface), `127.0.0.1:9840`, `[::1]:9840` or `localhost:9840`.
fn parse_listen_address(raw: &str) -> Result<SocketAddr, String> {
    let bad = || format!("\"{raw}\" is not an address such as :9840 or 127.0.0.1:9840");
    let (host, port) = raw.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip = match host.trim_start_matches('[').trim_end_matches(']') {
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => h.parse().map_err(|_| bad())?,
    };
    Ok(SocketAddr::new(ip, port))
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
            "0.0.0.0:9840".parse().unwrap()
        );
        assert_eq!(
            parse_listen_address("localhost:1").unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(
            parse_listen_address("[::1]:9840").unwrap(),
            "[::1]:9840".parse().unwrap()
        );
        assert!(parse_listen_address("9840").is_err());
        assert!(parse_listen_address("host:99999").is_err());
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("no"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
