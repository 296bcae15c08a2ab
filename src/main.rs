//! The `kconnect-exporter` binary: parse flags, load the configuration, run the exporter until
//! SIGTERM or SIGINT, and turn the outcome into an exit status (2: bad configuration,
//! 1: could not start or failed, 0: stopped cleanly).

use std::collections::HashMap;
use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use kconnect_exporter::app::{self, App};
use kconnect_exporter::config::{
    Args, Config, LogFormat, requested_log_format, requested_log_format_raw,
};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    // Only to tell the log format of messages before the configuration is valid.
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let args = match Args::parse_from_os(argv.clone()) {
        Ok(args) => args,
        Err(e) if e.use_stderr() && requested_log_format_raw(&argv, &env) == LogFormat::Json => {
            // clap's error and its tips, without the usage lines.
            let text = e.render().to_string();
            let said: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(|l| l.trim_start_matches("error: "))
                .collect();
            json_errors([format!("{} (see --help)", said.join("; "))]);
            return ExitCode::from(2);
        }
        // clap prints usage errors itself and exits 2 (0 for --help and --version).
        Err(e) => e.exit(),
    };
    let config = match Config::load(&args, std::env::vars_os()) {
        Ok(c) => c,
        Err(e) => {
            match requested_log_format(&args, &env) {
                LogFormat::Json => json_errors(
                    e.problems
                        .iter()
                        .map(|p| format!("invalid configuration: {p}")),
                ),
                LogFormat::Text => eprint!("kconnect-exporter: {e}"),
            }
            return ExitCode::from(2);
        }
    };
    if args.config_check {
        println!(
            "# kconnect-exporter {}: the configuration is valid",
            env!("CARGO_PKG_VERSION")
        );
        for w in &config.warnings {
            println!("# warning: {w}");
        }
        for line in config.security.summary() {
            println!("# {line}");
        }
        print!("{}", config.describe());
        return ExitCode::SUCCESS;
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) if config.log_format == LogFormat::Json => {
            json_errors([format!("cannot start the async runtime: {e}")]);
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("kconnect-exporter: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.healthcheck {
        return match runtime.block_on(app::healthcheck(&config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) if config.log_format == LogFormat::Json => {
                json_errors([format!("--healthcheck: unhealthy: {why}")]);
                ExitCode::FAILURE
            }
            Err(why) => {
                eprintln!("kconnect-exporter --healthcheck: unhealthy: {why}");
                ExitCode::FAILURE
            }
        };
    }

    app::init_logging(&config);
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let result = runtime.block_on(async {
        let shutdown = shutdown_signal();
        let app = App::start(config).await?;
        app.run(shutdown).await
    });
    // Connections still open after the drain are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Errors before logging is set up, as JSON log lines of the same shape as the exporter's logs.
fn json_errors(lines: impl IntoIterator<Item = String>) {
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(std::io::stderr)
        .try_init();
    for line in lines {
        tracing::error!(target: "kconnect_exporter", "{line}");
    }
}

/// Completes on the first SIGTERM or SIGINT; a second one ends the process at once, without
/// waiting for the drain. The handlers are installed when this is called, not when the future is
/// first polled: a signal that comes as soon as the exporter says it serves must not find the
/// default action (which ends the process without a drain) still in place.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut signals = Signals::install();
    async move {
        signals.next().await;
        tokio::spawn(async move {
            signals.next().await;
            tracing::warn!("a second signal: exiting now");
            std::process::exit(1);
        });
    }
}

/// SIGTERM and SIGINT, listened to from the moment this is made.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.term) => {}
                _ = recv(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
