//! `/metrics` encoding of one cluster's snapshot of N connectors × 3 tasks, in both formats, and
//! the size of the result. The snapshot comes from one v2 observation of the in-process simulator.
//! Three cases per format: `Exposition::encode`, the whole exposition as a scrape without gzip
//! gets it; `_gzip_scrape`, `Exposition::encode_gzip` with the clusters' part already cached, as
//! a scrape by Prometheus (gzip) gets it between observations; `_gzip_snapshot`, the same on a
//! fresh exposition, i.e. encoding and compressing the clusters' part once per observation. All
//! include the process metrics, read from /proc/self.
//!
//! Sizes: `BENCH_N` (default `100,1000,10000`; `100` under `cargo test --benches`). Criterion: 10 samples, 3 s of measurement, 1 s
//! of warm-up. Bytes and series are written to `$BENCH_OUT/encode_nN_FORMAT.json`.

#[path = "support/common.rs"]
mod common;
#[path = "support/sim.rs"]
mod sim;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode};
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
        let handle = common::handle(snapshot);
        let exposition = Exposition::new(vec![handle.clone()], INTERVAL, INTERVAL);

        let mut g = c.benchmark_group(format!("encode_n{n}"));
        g.sampling_mode(SamplingMode::Flat);
        for (id, format) in [("text", Format::Text), ("openmetrics", Format::OpenMetrics)] {
            let body = exposition.encode(format);
            let series = body
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .count();
            let gzip_bytes: usize = exposition.encode_gzip(format).iter().map(|b| b.len()).sum();
            common::write_json(
                &format!("encode_n{n}_{id}"),
                &json!({"connectors": n, "format": id, "bytes": body.len(), "series": series,
                        "gzip_bytes": gzip_bytes}),
            );
            eprintln!(
                "encode_n{n}/{id}: {} bytes, {series} series, {gzip_bytes} bytes gzipped",
                body.len()
            );
            drop(body);
            // Without gzip: the whole exposition encoded on every request, a 64 KiB piece at a
            // time as the HTTP server takes them, as `/metrics` answers a scraper that does not
            // ask for gzip ...
            g.bench_function(id, |b| {
                b.iter(|| {
                    black_box(
                        exposition
                            .text(format)
                            .map(|piece| piece.len())
                            .sum::<usize>(),
                    )
                })
            });
            // ... and into one String, as `Exposition::encode` does for tests and tools.
            g.bench_function(format!("{id}_string"), |b| {
                b.iter(|| black_box(exposition.encode(format)))
            });
            // With gzip, as Prometheus asks: a scrape while the clusters' part is cached (the
            // head encoded and compressed, the cached part cloned) ...
            g.bench_function(format!("{id}_gzip_scrape"), |b| {
                b.iter(|| black_box(exposition.encode_gzip(format)))
            });
            // ... and the first scrape after an observation, which encodes and compresses the
            // clusters' part (a fresh exposition has an empty cache).
            g.bench_function(format!("{id}_gzip_snapshot"), |b| {
                b.iter_batched(
                    || Exposition::new(vec![handle.clone()], INTERVAL, INTERVAL),
                    |e| black_box(e.encode_gzip(format)),
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
    c.final_summary();
}

const INTERVAL: Duration = Duration::from_secs(30);
