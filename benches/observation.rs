//! One observation, v2 and v1 (parallelism 1, 8, 32), against the in-process Connect simulator,
//! next to the physical limit measured in the same run on the same simulator:
//!
//! * `get`: a bare GET of the v2 body (reqwest, whole body read);
//! * `get_parse`: that GET plus `serde_json::from_slice::<serde_json::Value>`;
//! * `v1_floor_pP`: the 3N+1 GETs of a v1 pass, P in flight, bodies read and not parsed: the
//!   limit at 0 ms, where ⌈(3N+1)/P⌉ × latency is 0; at 2 ms, what the simulator and loopback add
//!   to that computed limit (not measured where it is over 20 s).
//!
//! Sizes: `BENCH_N` (default `100,1000,10000`) connectors × 3 tasks, `BENCH_LATENCY_MS` (default
//! `0,2`); under `cargo test --benches`, which runs each case once, `100` and `0` only. Criterion runs with 10 samples, 3 s of measurement and 1 s of warm-up per case (flat
//! sampling). A case whose first observation takes longer than `BENCH_ONESHOT_SECS` (default 0.5 s)
//! is not given to criterion: it is timed directly, 2 more runs after that first one, or only the
//! first when it took more than 5 s (v1 with P = 1 at 10,000 × 2 ms is ≈ 60 s a run). Those
//! figures are written to `$BENCH_OUT/oneshot/`.

#[path = "support/common.rs"]
mod common;
#[path = "support/sim.rs"]
mod sim;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};
use futures_util::{StreamExt, stream};
use kconnect_exporter::config::ObservationVersion;
use kconnect_exporter::observe::Observer;
use serde_json::json;

const PARALLELISM: [usize; 3] = [1, 8, 32];

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .without_plots()
        .configure_from_args();
    let rt = common::runtime();
    let full = common::benchmarking();
    // Under `cargo test --benches` every case runs once through criterion, nothing directly.
    let oneshot_after = if full {
        Duration::from_secs_f64(
            std::env::var("BENCH_ONESHOT_SECS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.5),
        )
    } else {
        Duration::MAX
    };
    let (sizes, latencies): (&[u64], &[u64]) = if full {
        (&[100, 1_000, 10_000], &[0, 2])
    } else {
        (&[100], &[0])
    };

    for n in common::list_env("BENCH_N", sizes) {
        for latency_ms in common::list_env("BENCH_LATENCY_MS", latencies) {
            let n = n as usize;
            let running = sim::spawn(sim::SimConfig {
                connectors: n,
                tasks: 3,
                latency: Duration::from_millis(latency_ms),
                // Above the largest parallelism measured, so the bound never queues a v1 pass.
                max_concurrent: 64,
            });
            let base = running.url();
            common::write_json(
                &format!("body_n{n}"),
                &json!({"connectors": n, "tasks": 3, "v2_body_bytes": running.sim.v2_body_len()}),
            );
            let group_name = format!("observe_n{n}_{latency_ms}ms");
            eprintln!(
                "== {group_name}: v2 body {} bytes",
                running.sim.v2_body_len()
            );
            let mut g = c.benchmark_group(&group_name);
            g.sampling_mode(SamplingMode::Flat);

            // The physical limit of v2: one GET of the same body, with and without a parse.
            let http = reqwest::Client::new();
            let v2_url = format!("{base}/connectors?expand=status&expand=info");
            g.bench_function("get", |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(get(&http, &v2_url).await);
                        }
                        start.elapsed()
                    })
                })
            });
            g.bench_function("get_parse", |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let body = get(&http, &v2_url).await;
                            let v: serde_json::Value =
                                serde_json::from_slice(&body).expect("the v2 body is JSON");
                            black_box(v);
                        }
                        start.elapsed()
                    })
                })
            });

            // v2 as the exporter does it.
            let mut obs = common::observer(&base, ObservationVersion::V2, 8);
            common::check(&rt.block_on(obs.observe_once()), n);
            g.bench_function("v2", |b| {
                b.iter_custom(|iters| rt.block_on(observe_times(&mut obs, iters)))
            });

            // v1 at each parallelism; long passes are timed directly.
            for p in PARALLELISM {
                let id = format!("v1_p{p}");
                let mut obs = common::observer(&base, ObservationVersion::V1, p);
                let start = Instant::now();
                common::check(&rt.block_on(obs.observe_once()), n);
                let first = start.elapsed();
                if first > oneshot_after {
                    let runs = more_runs(first, || {
                        let start = Instant::now();
                        common::check(&rt.block_on(obs.observe_once()), n);
                        start.elapsed()
                    });
                    oneshot(&group_name, &id, &runs);
                } else {
                    g.bench_function(&id, |b| {
                        b.iter_custom(|iters| rt.block_on(observe_times(&mut obs, iters)))
                    });
                }
            }

            // The floor of v1: the same 3N+1 GETs with the same parallelism, bodies read, nothing
            // parsed or built. At 0 ms it is the limit (⌈(3N+1)/P⌉ × latency is 0); at 2 ms it
            // shows what the simulator and loopback add to the computed limit. Not measured where
            // the computed limit is over 20 s (P = 1 at 10,000 × 2 ms).
            let paths: Vec<String> = running
                .sim
                .names
                .iter()
                .flat_map(|name| {
                    ["", "/status", "/tasks"]
                        .map(|suffix| format!("{base}/connectors/{name}{suffix}"))
                })
                .collect();
            let names_url = format!("{base}/connectors");
            for p in PARALLELISM {
                let computed = (3 * n as u64 + 1).div_ceil(p as u64) * latency_ms;
                if computed > 20_000 {
                    continue;
                }
                let id = format!("v1_floor_p{p}");
                let pass = || {
                    rt.block_on(async {
                        let start = Instant::now();
                        v1_floor(&http, &names_url, &paths, p).await;
                        start.elapsed()
                    })
                };
                let first = pass();
                if first > oneshot_after {
                    let runs = more_runs(first, pass);
                    oneshot(&group_name, &id, &runs);
                } else {
                    bench_floor(&mut g, &id, &rt, &http, &names_url, &paths, p);
                }
            }
            g.finish();
        }
    }
    c.final_summary();
}

async fn get(http: &reqwest::Client, url: &str) -> axum::body::Bytes {
    let response = http.get(url).send().await.expect("the simulator answers");
    assert!(response.status().is_success());
    response.bytes().await.expect("the body is read")
}

async fn observe_times(obs: &mut Observer, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(obs.observe_once().await);
    }
    start.elapsed()
}

async fn v1_floor(http: &reqwest::Client, names_url: &str, paths: &[String], p: usize) {
    black_box(get(http, names_url).await);
    stream::iter(paths)
        .map(|path| get(http, path))
        .buffer_unordered(p)
        .for_each(|body| async move {
            black_box(body);
        })
        .await;
}

fn bench_floor(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    names_url: &str,
    paths: &[String],
    p: usize,
) {
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    v1_floor(http, names_url, paths, p).await;
                }
                start.elapsed()
            })
        })
    });
}

/// The runs of a long case: the first alone when it took more than 5 s, else 2 more after it
/// (the first carries the connection set-up and `GET /`, a few milliseconds).
fn more_runs(first: Duration, mut run: impl FnMut() -> Duration) -> Vec<Duration> {
    if first > Duration::from_secs(5) {
        vec![first]
    } else {
        (0..2).map(|_| run()).collect()
    }
}

fn oneshot(group: &str, id: &str, runs: &[Duration]) {
    let ns: Vec<u128> = runs.iter().map(|d| d.as_nanos()).collect();
    eprintln!(
        "{group}/{id}: timed directly, {} run(s): {:?}",
        runs.len(),
        runs
    );
    std::fs::create_dir_all(common::out_dir().join("oneshot")).expect("results directory");
    common::write_json(
        &format!("oneshot/{group}__{id}"),
        &json!({"group": group, "id": id, "runs_ns": ns}),
    );
}
