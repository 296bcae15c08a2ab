//! The Amazon MSK Connect + CloudWatch stand-in as a process, for the end-to-end suite and
//! manual runs (dev only): ListConnectors, DescribeConnector and GetMetricData on one port, every
//! request's SigV4 signature verified.
//!
//! ```sh
//! cargo run --example msk_standin -- --connectors 250 --addr-file /tmp/msk.addr
//! AWS_ENDPOINT_URL=http://$(cat /tmp/msk.addr) AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
//!   AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY …
//! ```
//!
//! Prints `listening on 127.0.0.1:PORT` as its first line of stdout; stops on SIGTERM or SIGINT.
//! `GET /_standin/requests` shows what it received; see `tests/support/msk_standin.rs` for the
//! other control paths and the `--data` format.

#[path = "../tests/support/msk_standin.rs"]
mod msk_standin;
#[path = "../tests/support/running.rs"]
mod running;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use msk_standin::{MskData, MskStandin, MskStandinConfig, StaticCredentials};

#[derive(Debug, Parser)]
#[command(about = "A stand-in for Amazon MSK Connect and CloudWatch GetMetricData")]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Also write the bound address (`127.0.0.1:PORT`) to this file.
    #[arg(long)]
    addr_file: Option<PathBuf>,
    /// The region requests must be signed for.
    #[arg(long, default_value = "eu-west-1")]
    region: String,
    /// The access key id requests must be signed with.
    #[arg(long, default_value_t = StaticCredentials::default().access_key_id)]
    access_key_id: String,
    /// The secret access key requests must be signed with.
    #[arg(long, default_value_t = StaticCredentials::default().secret_access_key)]
    secret_access_key: String,
    /// A session token requests must carry (none by default).
    #[arg(long)]
    session_token: Option<String>,
    /// Serve this many generated connectors (cycling the fixture's four) instead of the fixture.
    #[arg(long)]
    connectors: Option<usize>,
    /// Serve this data: {"connectors": [...], "stateDescriptions": {...}, "taskCounts": {...}}.
    #[arg(long, conflicts_with = "connectors")]
    data: Option<PathBuf>,
    /// Throttle the first N API requests.
    #[arg(long, default_value_t = 0)]
    throttle_next: u32,
    /// Answer every API request as if the access key were unknown.
    #[arg(long)]
    reject_credentials: bool,
    /// Wait this long before answering each API request.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Split GetMetricData answers into pages of this many results.
    #[arg(long)]
    metric_results_per_page: Option<usize>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let data = match (&args.data, args.connectors) {
        (Some(path), _) => serde_json::from_slice::<MskData>(&std::fs::read(path)?)
            .map_err(|e| format!("{}: not MSK stand-in data: {e}", path.display()))?,
        (None, Some(n)) => MskData::generated(n, &args.region),
        (None, None) => MskData::fixture(),
    };
    let config = MskStandinConfig {
        region: args.region.clone(),
        credentials: StaticCredentials {
            access_key_id: args.access_key_id.clone(),
            secret_access_key: args.secret_access_key.clone(),
            session_token: args.session_token.clone(),
        },
    };
    let standin = MskStandin::new(config, data);
    standin.throttle_next(args.throttle_next);
    standin.reject_credentials(args.reject_credentials);
    standin.set_delay(Duration::from_millis(args.delay_ms));
    standin.set_metric_results_per_page(args.metric_results_per_page);
    running::serve_process(
        msk_standin::router(standin),
        args.port,
        args.addr_file.as_deref(),
    )?;
    Ok(())
}
