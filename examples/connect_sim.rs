//! A simulated Kafka Connect REST API for benchmarks and manual runs (dev only).
//!
//! ```sh
//! cargo run --release --example connect_sim -- --connectors 1000 --tasks 3 --latency-ms 2 --max-concurrent 200 --port 8083
//! ```
//!
//! Serves `GET /`, `GET /connectors` (with or without `expand=status` / `expand=info`),
//! `GET /connectors/{name}`, `/status` and `/tasks` on 127.0.0.1, plus `GET /_sim/stats` (requests
//! served, by kind). Prints one line `connect_sim listening on http://ADDR …` on stdout once it
//! accepts connections. The implementation is `benches/support/sim.rs`, shared with the benches.

#[path = "../benches/support/sim.rs"]
mod sim;

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "A simulated Kafka Connect REST API (N connectors × T tasks)")]
struct Args {
    /// Connectors in the cluster.
    #[arg(long, default_value_t = 100)]
    connectors: usize,
    /// Tasks per connector (FAILED and STOPPED connectors have none).
    #[arg(long, default_value_t = 3)]
    tasks: usize,
    /// Time every request takes, in milliseconds (fractions allowed).
    #[arg(long, default_value_t = 0.0)]
    latency_ms: f64,
    /// Requests answered at once; the rest queue (Connect's Jetty pool has 200 threads).
    #[arg(long, default_value_t = 200)]
    max_concurrent: usize,
    /// Port on 127.0.0.1; 0 picks a free one (printed on stdout).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = sim::SimConfig {
        connectors: args.connectors,
        tasks: args.tasks,
        latency: Duration::from_secs_f64(args.latency_ms.max(0.0) / 1000.0),
        max_concurrent: args.max_concurrent,
    };
    let sim = Arc::new(sim::Sim::new(config));
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "connect_sim listening on http://{addr} connectors={} tasks={} latency_ms={} max_concurrent={} v2_body_bytes={}",
            args.connectors,
            args.tasks,
            args.latency_ms,
            args.max_concurrent,
            sim.v2_body_len()
        )?;
        out.flush()?;
        drop(out);
        sim::serve(listener, sim).await
    })
}
