//! The `kconnect-exporter` binary: parse flags, load the configuration, run the exporter until
//! SIGTERM or SIGINT, and turn the outcome into an exit status (2: bad configuration,
//! 1: could not start or failed, 0: stopped cleanly).

use std::process::ExitCode;
use std::time::Duration;

use kconnect_exporter::app::{self, App};
use kconnect_exporter::config::{Args, Config};

fn main() -> ExitCode {
    let args = match Args::parse_from_os(std::env::args_os()) {
        Ok(args) => args,
        // clap prints usage errors itself and exits 2 (0 for --help and --version).
        Err(e) => e.exit(),
    };
    let config = match Config::load(&args, std::env::vars_os()) {
        Ok(c) => c,
        Err(e) => {
            eprint!("kconnect-exporter: {e}");
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
        Err(e) => {
            eprintln!("kconnect-exporter: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.healthcheck {
        return match runtime.block_on(app::healthcheck(&config)) {
            Ok(()) => ExitCode::SUCCESS,
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
        let app = App::start(config).await?;
        app.run(shutdown_signal()).await
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

/// Completes on the first SIGTERM or SIGINT; a second one ends the process at once, without
/// waiting for the drain.
async fn shutdown_signal() {
    signal().await;
    tokio::spawn(async {
        signal().await;
        tracing::warn!("a second signal: exiting now");
        std::process::exit(1);
    });
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
