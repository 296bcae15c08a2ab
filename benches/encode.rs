//! `/metrics` encoding: the time to encode one cluster's snapshot of N connectors × 3 tasks, in
//! both formats, and the size of the result. The snapshot comes from one v2 observation of the
//! in-process simulator; the encoding is `Exposition::encode`, what every scrape runs (it includes
//! the process metrics, read from /proc/self).
//!
//! Sizes: `BENCH_N` (default `100,1000,10000`; `100` under `cargo test --benches`). Criterion: 10 samples, 3 s of measurement, 1 s
//! of warm-up. Bytes and series are written to `$BENCH_OUT/encode_nN_FORMAT.json`.

#[path = "support/common.rs"]
mod common;
#[path = "support/sim.rs"]
mod sim;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use kconnect_exporter::config::ObservationVersion;
use kconnect_exporter::metrics::{Exposition, Format};
use serde_json::json;

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .without_plots()
        .configure_from_args();
    let rt = common::runtime();
    let sizes: &[u64] = if common::benchmarking() {
        &[100, 1_000, 10_000]
    } else {
        &[100]
    };
    for n in common::list_env("BENCH_N", sizes) {
        let n = n as usize;
        let running = sim::spawn(sim::SimConfig {
            connectors: n,
            tasks: 3,
            latency: Duration::ZERO,
            max_concurrent: 64,
        });
        let mut obs = common::observer(&running.url(), ObservationVersion::V2, 8);
        let snapshot = rt.block_on(obs.observe_once());
        common::check(&snapshot, n);
        let exposition = Exposition::new(vec![common::handle(snapshot)], Duration::from_secs(30));

        let mut g = c.benchmark_group(format!("encode_n{n}"));
        g.sampling_mode(SamplingMode::Flat);
        for (id, format) in [("text", Format::Text), ("openmetrics", Format::OpenMetrics)] {
            let body = exposition.encode(format);
            let series = body
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .count();
            common::write_json(
                &format!("encode_n{n}_{id}"),
                &json!({"connectors": n, "format": id, "bytes": body.len(), "series": series}),
            );
            eprintln!("encode_n{n}/{id}: {} bytes, {series} series", body.len());
            drop(body);
            g.bench_function(id, |b| b.iter(|| black_box(exposition.encode(format))));
        }
        g.finish();
    }
    c.final_summary();
}
