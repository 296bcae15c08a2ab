//! Where settings come from: command-line flags, the environment and an optional file, merged
//! with flags over environment over file. Every setting has one variable name (`CONNECT_…` for a
//! Connect cluster, `KCONNECT_…` for the exporter itself); the file uses the same names as keys.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use clap::Parser;

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
    /// How often each Connect cluster is observed [KCONNECT_OBSERVATION_INTERVAL] (default 30s)
    #[arg(long = "observation.interval", value_name = "DURATION")]
    pub interval: Option<String>,
    /// Observation v1: connectors read at once per cluster [KCONNECT_OBSERVATION_PARALLELISM] (default 8)
    #[arg(long = "observation.parallelism", value_name = "N")]
    pub parallelism: Option<String>,
    /// Largest response body accepted from Connect, in bytes [KCONNECT_CONNECT_MAX_RESPONSE_BYTES] (default 67108864)
    #[arg(long = "connect.max-response-bytes", value_name = "BYTES")]
    pub max_response_bytes: Option<String>,
    /// error, warn, info, debug or trace [KCONNECT_LOG_LEVEL] (default info)
    #[arg(long = "log.level", value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// text or json [KCONNECT_LOG_FORMAT] (default text)
    #[arg(long = "log.format", value_name = "FORMAT")]
    pub log_format: Option<String>,
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

/// The variable behind each flag, in the order `--config.check` prints them.
pub const FLAG_VARS: [&str; 7] = [
    "KCONNECT_WEB_LISTEN_ADDRESS",
    "KCONNECT_WEB_TELEMETRY_PATH",
    "KCONNECT_OBSERVATION_INTERVAL",
    "KCONNECT_OBSERVATION_PARALLELISM",
    "KCONNECT_CONNECT_MAX_RESPONSE_BYTES",
    "KCONNECT_LOG_LEVEL",
    "KCONNECT_LOG_FORMAT",
];

impl Args {
    pub fn parse_from_os(args: impl IntoIterator<Item = OsString>) -> Result<Args, clap::Error> {
        Args::try_parse_from(args)
    }

    fn flag(&self, var: &str) -> Option<&String> {
        match var {
            "KCONNECT_WEB_LISTEN_ADDRESS" => self.listen_address.as_ref(),
            "KCONNECT_WEB_TELEMETRY_PATH" => self.telemetry_path.as_ref(),
            "KCONNECT_OBSERVATION_INTERVAL" => self.interval.as_ref(),
            "KCONNECT_OBSERVATION_PARALLELISM" => self.parallelism.as_ref(),
            "KCONNECT_CONNECT_MAX_RESPONSE_BYTES" => self.max_response_bytes.as_ref(),
            "KCONNECT_LOG_LEVEL" => self.log_level.as_ref(),
            "KCONNECT_LOG_FORMAT" => self.log_format.as_ref(),
            _ => None,
        }
    }
}

/// The merged view of every source: look a variable up by name and get the winning value.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    args: Args,
    env: HashMap<String, String>,
    file: HashMap<String, String>,
}

impl Vars {
    pub fn new(args: Args, env: HashMap<String, String>, file: HashMap<String, String>) -> Vars {
        Vars { args, env, file }
    }

    /// The value of `name`, flags first, then the environment, then the file. Empty values
    /// count as unset, as a container's `FOO=` usually means "not configured".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .flag(name)
            .or_else(|| self.env.get(name))
            .or_else(|| self.file.get(name))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Keys of the file that are no setting at all (a typo would otherwise pass unnoticed).
    pub fn unknown_file_keys<'a>(&'a self, known: &'a dyn Fn(&str) -> bool) -> Vec<&'a str> {
        let mut keys: Vec<&str> = self
            .file
            .keys()
            .map(String::as_str)
            .filter(|k| !known(k))
            .collect();
        keys.sort_unstable();
        keys
    }
}

/// Reads `--config.file`: a flat table whose keys are the variable names. Keys are matched
/// case-insensitively; values may be strings, numbers, booleans or (for `CONNECT_RESOURCE_IDS`)
/// a list.
pub fn read_file(path: &Path) -> Result<HashMap<String, String>, String> {
    let format = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(ext) if ext == "toml" => config::FileFormat::Toml,
        Some(ext) if ext == "yaml" || ext == "yml" => config::FileFormat::Yaml,
        _ => {
            return Err(format!(
                "{}: unknown file type; name it *.toml, *.yaml or *.yml",
                path.display()
            ));
        }
    };
    if !path.is_file() {
        return Err(format!("{}: no such file", path.display()));
    }
    let table: HashMap<String, config::Value> = config::Config::builder()
        .add_source(config::File::from(path).format(format))
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = HashMap::new();
    let mut problems = Vec::new();
    for (key, value) in table {
        let key = key.to_ascii_uppercase();
        let text = match value.clone().into_array() {
            Ok(items) => items
                .into_iter()
                .map(|v| v.into_string())
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join(",")),
            Err(_) => value.into_string(),
        };
        match text {
            Ok(t) => {
                out.insert(key, t);
            }
            Err(_) => problems.push(format!(
                "{}: {key} must be a string, number or boolean, not a table",
                path.display()
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort();
        Err(problems.join("\n"))
    }
}
