//! The Confluent Cloud `connect/v1` stand-in as a process, for the end-to-end suite and manual
//! runs (dev only).
//!
//! ```sh
//! cargo run --example cloud_standin -- --rate-limit 100 --addr-file /tmp/cloud.addr
//! CONNECT_REST_URL=http://$(cat /tmp/cloud.addr)/connect/v1/environments/env-a1b2c3/clusters/lkc-x9y8z7 …
//! ```
//!
//! Prints `listening on 127.0.0.1:PORT` as its first line of stdout; stops on SIGTERM or SIGINT.
//! `GET /_standin/requests` shows what it received; see `tests/support/cloud_standin.rs` for the
//! other control paths.

#[path = "../tests/support/cloud_standin.rs"]
mod cloud_standin;
#[path = "../tests/support/running.rs"]
mod running;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use cloud_standin::{CloudStandin, CloudStandinConfig, RateLimit};

#[derive(Debug, Parser)]
#[command(about = "A stand-in for Confluent Cloud's managed connectors API (connect/v1)")]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Also write the bound address (`127.0.0.1:PORT`) to this file.
    #[arg(long)]
    addr_file: Option<PathBuf>,
    #[arg(long, default_value_t = CloudStandinConfig::default().environment)]
    environment: String,
    #[arg(long, default_value_t = CloudStandinConfig::default().cluster)]
    cluster: String,
    /// The Cloud API key requests must carry (basic auth user).
    #[arg(long, default_value_t = CloudStandinConfig::default().api_key)]
    api_key: String,
    /// The Cloud API secret requests must carry (basic auth password).
    #[arg(long, default_value_t = CloudStandinConfig::default().api_secret)]
    api_secret: String,
    /// Serve this many generated connectors (cycling the fixture's five) instead of the fixture.
    #[arg(long)]
    connectors: Option<usize>,
    /// Serve the connectors of this file, shaped like `GET …/connectors?expand=info,status,id`.
    #[arg(long, conflicts_with = "connectors")]
    data: Option<PathBuf>,
    /// Requests allowed per window; the next get 429.
    #[arg(long, default_value_t = CloudStandinConfig::default().rate_limit.requests)]
    rate_limit: u32,
    /// The rate limit's window, in seconds.
    #[arg(long, default_value_t = 60)]
    rate_window_secs: u64,
    /// Answer the first N requests with 429.
    #[arg(long, default_value_t = 0)]
    throttle_next: u32,
    /// The Retry-After of those 429s, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let connectors = match (&args.data, args.connectors) {
        (Some(path), _) => serde_json::from_slice(&std::fs::read(path)?)
            .map_err(|e| e.to_string())
            .and_then(|v| cloud_standin::connectors_from_expand(&v))
            .map_err(|e| format!("{}: not connectors: {e}", path.display()))?,
        (None, Some(n)) => cloud_standin::generated_connectors(n),
        (None, None) => cloud_standin::fixture_connectors(),
    };
    let config = CloudStandinConfig {
        environment: args.environment.clone(),
        cluster: args.cluster.clone(),
        api_key: args.api_key.clone(),
        api_secret: args.api_secret.clone(),
        rate_limit: RateLimit {
            requests: args.rate_limit,
            window: Duration::from_secs(args.rate_window_secs.max(1)),
        },
    };
    let standin = CloudStandin::new(config, connectors);
    standin.throttle_next(
        args.throttle_next,
        Duration::from_secs(args.retry_after_secs),
    );
    running::serve_process(
        cloud_standin::router(standin),
        args.port,
        args.addr_file.as_deref(),
    )?;
    Ok(())
}
