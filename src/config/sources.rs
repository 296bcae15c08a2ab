//! Where settings come from: command-line flags, the environment and an optional file, merged
//! with flags over environment over file. Every setting has one variable name (`CONNECT_…` for a
//! Connect cluster, `KCONNECT_…` for the exporter itself); the file uses the same names as keys.

use std::collections::HashMap;
use std::ffi::OsString;

use clap::Parser;

use super::file::FileValues;

/// The exporter's own flags, in the Prometheus exporter style. Each has an environment variable
/// (listed in [`FLAG_VARS`]); clap does not read them itself so that tests can pass an
/// environment in rather than mutate the process's.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "kconnect-exporter",
    version,
    about = "Prometheus exporter for Apache Kafka Connect, configured with Kpow's CONNECT_* variables.",
    after_help = "Connect clusters are configured with CONNECT_* environment variables (see README.md).\n\
                  Every flag can also be set with the variable named in brackets, or as that key in --config.file."
)]
pub struct Args {
    /// Address to serve /metrics on [KCONNECT_WEB_LISTEN_ADDRESS] (default :9840)
    #[arg(long = "web.listen-address", value_name = "ADDR")]
    pub listen_address: Option<String>,
    /// Path under which to expose metrics [KCONNECT_WEB_TELEMETRY_PATH] (default /metrics)
    #[arg(long = "web.telemetry-path", value_name = "PATH")]
    pub telemetry_path: Option<String>,
    /// Uncompressed scrapes served at once; beyond it 503, 0 for no limit [KCONNECT_WEB_MAX_REQUESTS] (default 40)
    #[arg(long = "web.max-requests", value_name = "N")]
    pub max_requests: Option<String>,
    /// How often each Connect cluster is observed [KCONNECT_OBSERVATION_INTERVAL] (default 30s)
    #[arg(long = "observation.interval", value_name = "DURATION")]
    pub interval: Option<String>,
    /// Longest an observation may take; a longer one fails with reason deadline [KCONNECT_OBSERVATION_TIMEOUT] (default: the interval)
    #[arg(long = "observation.timeout", value_name = "DURATION")]
    pub observation_timeout: Option<String>,
    /// v1: read each connector's info and tasks at least every N observations, and at once when its task set changes; 1 reads them every time, as Kpow does [KCONNECT_OBSERVATION_DETAILS_REFRESH] (default 20)
    #[arg(long = "observation.details-refresh", value_name = "N")]
    pub details_refresh: Option<String>,
    /// Observation v1: connectors read at once per cluster [KCONNECT_OBSERVATION_PARALLELISM] (default 8)
    #[arg(long = "observation.parallelism", value_name = "N")]
    pub parallelism: Option<String>,
    /// Largest response body accepted from Connect, in bytes [KCONNECT_CONNECT_MAX_RESPONSE_BYTES] (default 67108864)
    #[arg(long = "connect.max-response-bytes", value_name = "BYTES")]
    pub max_response_bytes: Option<String>,
    /// Families to leave out of /metrics: a regular expression matched against whole names as the text format has them, e.g. kconnect_task_info|kconnect_worker_.* [KCONNECT_METRICS_EXCLUDE]
    #[arg(long = "metrics.exclude", value_name = "REGEX")]
    pub metrics_exclude: Option<String>,
    /// all (a state set per task: one series per state) or current (one series per task, its state) [KCONNECT_METRICS_TASK_STATES] (default all)
    #[arg(long = "metrics.task-states", value_name = "all|current")]
    pub task_states: Option<String>,
    /// all (a state set per connector) or current (one series per connector, its state) [KCONNECT_METRICS_CONNECTOR_STATES] (default all)
    #[arg(long = "metrics.connector-states", value_name = "all|current")]
    pub connector_states: Option<String>,
    /// error, warn, info, debug or trace [KCONNECT_LOG_LEVEL] (default info)
    #[arg(long = "log.level", value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// text or json [KCONNECT_LOG_FORMAT] (default text)
    #[arg(long = "log.format", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// exporter-toolkit's web configuration file: TLS, client certificates, basic auth, headers [KCONNECT_WEB_CONFIG_FILE]
    #[arg(long = "web.config.file", value_name = "FILE")]
    pub web_config_file: Option<String>,
    /// A TOML or YAML file holding any of these settings and CONNECT_* variables [KCONNECT_CONFIG_FILE]
    #[arg(long = "config.file", value_name = "FILE")]
    pub config_file: Option<String>,
    /// Validate the configuration, print it with secrets masked, and exit
    #[arg(long = "config.check")]
    pub config_check: bool,
    /// Ask the running exporter's /-/healthy on the listen address; exit 0 if healthy (for
    /// container health checks)
    #[arg(long = "healthcheck")]
    pub healthcheck: bool,
}

/// The variable behind each flag, with the flag, in the order `--config.check` prints them.
pub const FLAGS: [(&str, &str); 15] = [
    ("KCONNECT_WEB_LISTEN_ADDRESS", "--web.listen-address"),
    ("KCONNECT_WEB_TELEMETRY_PATH", "--web.telemetry-path"),
    ("KCONNECT_WEB_MAX_REQUESTS", "--web.max-requests"),
    ("KCONNECT_OBSERVATION_INTERVAL", "--observation.interval"),
    ("KCONNECT_OBSERVATION_TIMEOUT", "--observation.timeout"),
    (
        "KCONNECT_OBSERVATION_DETAILS_REFRESH",
        "--observation.details-refresh",
    ),
    (
        "KCONNECT_OBSERVATION_PARALLELISM",
        "--observation.parallelism",
    ),
    (
        "KCONNECT_CONNECT_MAX_RESPONSE_BYTES",
        "--connect.max-response-bytes",
    ),
    ("KCONNECT_METRICS_EXCLUDE", "--metrics.exclude"),
    ("KCONNECT_METRICS_TASK_STATES", "--metrics.task-states"),
    (
        "KCONNECT_METRICS_CONNECTOR_STATES",
        "--metrics.connector-states",
    ),
    ("KCONNECT_LOG_LEVEL", "--log.level"),
    ("KCONNECT_LOG_FORMAT", "--log.format"),
    ("KCONNECT_WEB_CONFIG_FILE", "--web.config.file"),
    ("KCONNECT_CONFIG_FILE", "--config.file"),
];

/// The variables behind the flags that take a value from the file too (all but the file's own).
pub const FLAG_VARS: [&str; 14] = [
    "KCONNECT_WEB_LISTEN_ADDRESS",
    "KCONNECT_WEB_TELEMETRY_PATH",
    "KCONNECT_WEB_MAX_REQUESTS",
    "KCONNECT_OBSERVATION_INTERVAL",
    "KCONNECT_OBSERVATION_TIMEOUT",
    "KCONNECT_OBSERVATION_DETAILS_REFRESH",
    "KCONNECT_OBSERVATION_PARALLELISM",
    "KCONNECT_CONNECT_MAX_RESPONSE_BYTES",
    "KCONNECT_METRICS_EXCLUDE",
    "KCONNECT_METRICS_TASK_STATES",
    "KCONNECT_METRICS_CONNECTOR_STATES",
    "KCONNECT_LOG_LEVEL",
    "KCONNECT_LOG_FORMAT",
    "KCONNECT_WEB_CONFIG_FILE",
];

impl Args {
    pub fn parse_from_os(args: impl IntoIterator<Item = OsString>) -> Result<Args, clap::Error> {
        Args::try_parse_from(args)
    }

    fn flag(&self, var: &str) -> Option<&String> {
        match var {
            "KCONNECT_WEB_LISTEN_ADDRESS" => self.listen_address.as_ref(),
            "KCONNECT_WEB_TELEMETRY_PATH" => self.telemetry_path.as_ref(),
            "KCONNECT_WEB_MAX_REQUESTS" => self.max_requests.as_ref(),
            "KCONNECT_OBSERVATION_INTERVAL" => self.interval.as_ref(),
            "KCONNECT_OBSERVATION_TIMEOUT" => self.observation_timeout.as_ref(),
            "KCONNECT_OBSERVATION_DETAILS_REFRESH" => self.details_refresh.as_ref(),
            "KCONNECT_OBSERVATION_PARALLELISM" => self.parallelism.as_ref(),
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES" => self.max_response_bytes.as_ref(),
            "KCONNECT_METRICS_EXCLUDE" => self.metrics_exclude.as_ref(),
            "KCONNECT_METRICS_TASK_STATES" => self.task_states.as_ref(),
            "KCONNECT_METRICS_CONNECTOR_STATES" => self.connector_states.as_ref(),
            "KCONNECT_LOG_LEVEL" => self.log_level.as_ref(),
            "KCONNECT_LOG_FORMAT" => self.log_format.as_ref(),
            "KCONNECT_WEB_CONFIG_FILE" => self.web_config_file.as_ref(),
            "KCONNECT_CONFIG_FILE" => self.config_file.as_ref(),
            _ => None,
        }
    }
}

/// The merged view of every source: look a variable up by name and get the winning value, and
/// the name the user gave it by.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    args: Args,
    env: HashMap<String, String>,
    file: FileValues,
    file_path: Option<String>,
}

impl Vars {
    pub fn new(
        args: Args,
        env: HashMap<String, String>,
        file: FileValues,
        file_path: Option<String>,
    ) -> Vars {
        Vars {
            args,
            env,
            file,
            file_path,
        }
    }

    /// The value of `name`, flags first, then the environment, then the file. Empty values
    /// count as unset, as a container's `FOO=` usually means "not configured".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .flag(name)
            .or_else(|| self.env.get(name))
            .or_else(|| self.file.values.get(name))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The name the winning value of `name` was given by, for messages: the flag, the
    /// variable, or the file's key with its place (`kconnect.toml:3: KEY`).
    pub fn source_of(&self, name: &str) -> String {
        let set = |v: Option<&String>| v.is_some_and(|v| !v.trim().is_empty());
        if set(self.args.flag(name))
            && let Some((_, flag)) = FLAGS.iter().find(|(var, _)| *var == name)
        {
            return flag.to_string();
        }
        if set(self.env.get(name)) {
            return name.to_string();
        }
        match (&self.file_path, self.file.lines.get(name)) {
            (Some(path), Some(line)) if set(self.file.values.get(name)) => {
                format!("{path}:{line}: {name}")
            }
            (Some(path), None) if set(self.file.values.get(name)) => format!("{path}: {name}"),
            _ => name.to_string(),
        }
    }

    /// Keys of the file that are no setting at all (a typo would otherwise pass unnoticed), with
    /// the place to show them by.
    pub fn unknown_file_keys(&self, known: &dyn Fn(&str) -> bool) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self
            .file
            .values
            .keys()
            .filter(|k| !known(k))
            .map(|k| (self.source_of_file_key(k), k.clone()))
            .collect();
        keys.sort_unstable();
        keys
    }

    fn source_of_file_key(&self, key: &str) -> String {
        let path = self.file_path.as_deref().unwrap_or("--config.file");
        match self.file.lines.get(key) {
            Some(line) => format!("{path}:{line}"),
            None => path.to_string(),
        }
    }

    /// Every variable set in the environment (valid UTF-8), for spotting misspelt ones.
    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.env.keys().map(String::as_str)
    }

    /// Every variable set in the environment or the file, for spotting misspelt ones.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.env
            .keys()
            .chain(self.file.values.keys())
            .map(String::as_str)
    }
}
