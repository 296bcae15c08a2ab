//! The log format the user asked for, as far as it can be told before (or without) a valid
//! configuration: so that even a bad flag or a bad value is reported in JSON when JSON was asked
//! for, and every line on stderr is then JSON.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use super::{Args, LogFormat, file};

const VAR: &str = "KCONNECT_LOG_FORMAT";
const FLAG: &str = "--log.format";

/// From parsed flags: `--log.format`, else `KCONNECT_LOG_FORMAT`, else that key of the
/// configuration file when the file reads.
pub fn requested_log_format(args: &Args, env: &HashMap<String, String>) -> LogFormat {
    let file = || {
        let path = args
            .config_file
            .clone()
            .or_else(|| env.get("KCONNECT_CONFIG_FILE").cloned())?;
        file::read(Path::new(&path)).ok()?.values.get(VAR).cloned()
    };
    let chosen = args
        .log_format
        .clone()
        .or_else(|| env.get(VAR).cloned())
        .or_else(file);
    format_of(chosen.as_deref())
}

/// From a command line that did not parse: `--log.format=FORMAT` or `--log.format FORMAT`, else
/// `KCONNECT_LOG_FORMAT`.
pub fn requested_log_format_raw(argv: &[OsString], env: &HashMap<String, String>) -> LogFormat {
    let args: Vec<&str> = argv.iter().filter_map(|a| a.to_str()).collect();
    let flag = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix(FLAG) {
            Some(v) if v.starts_with('=') => Some(v[1..].to_string()),
            Some("") => args.get(i + 1).map(|v| v.to_string()),
            _ => None,
        });
    format_of(flag.or_else(|| env.get(VAR).cloned()).as_deref())
}

fn format_of(value: Option<&str>) -> LogFormat {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if v == "json" => LogFormat::Json,
        _ => LogFormat::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn argv(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn from_a_command_line_that_does_not_parse() {
        let none = env(&[]);
        for (line, want) in [
            (&["x", "--log.format=json", "--bad"][..], LogFormat::Json),
            (&["x", "--log.format", "JSON", "--bad"][..], LogFormat::Json),
            (&["x", "--log.format=text", "--bad"][..], LogFormat::Text),
            (&["x", "--bad"][..], LogFormat::Text),
            (&["x", "--log.format"][..], LogFormat::Text),
        ] {
            assert_eq!(
                requested_log_format_raw(&argv(line), &none),
                want,
                "{line:?}"
            );
        }
        assert_eq!(
            requested_log_format_raw(&argv(&["x", "--bad"]), &env(&[(VAR, "json")])),
            LogFormat::Json
        );
    }

    #[test]
    fn the_flag_wins_over_the_variable_which_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.toml");
        std::fs::write(
            &path,
            "KCONNECT_LOG_FORMAT = \"json\"\nCONNECT_TIMEOUT_MS = \"soon\"\n",
        )
        .unwrap();
        let with_file = Args {
            config_file: Some(path.display().to_string()),
            ..Args::default()
        };
        assert_eq!(requested_log_format(&with_file, &env(&[])), LogFormat::Json);
        assert_eq!(
            requested_log_format(&with_file, &env(&[(VAR, "text")])),
            LogFormat::Text
        );
        let flag = Args {
            log_format: Some("text".to_string()),
            ..with_file
        };
        assert_eq!(
            requested_log_format(&flag, &env(&[(VAR, "json")])),
            LogFormat::Text
        );
    }
}
