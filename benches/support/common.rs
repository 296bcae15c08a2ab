//! What the criterion benches share: the runtime they measure on, clusters pointed at the
//! simulator, the sizes to run (overridable for quick runs) and where figures that criterion does
//! not keep are written for `scripts/bench`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kconnect_exporter::config::{ClusterConfig, ObservationVersion};
use kconnect_exporter::connect::ConnectClient;
use kconnect_exporter::observe::{Apache, ClusterHandle, Observer, Options, Snapshot, Source};
use url::Url;

/// The runtime the exporter's binary runs on: multi-threaded, one worker per core (2 here).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime builds")
}

/// Whether criterion runs as a benchmark (`cargo bench` passes `--bench`) rather than as a quick
/// test of the benches (`cargo test --benches`, which runs each case once): the sizes then
/// default to the smallest, so a test run takes seconds.
pub fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A comma-separated list of numbers from `var`, or `default`.
pub fn list_env(var: &str, default: &[u64]) -> Vec<u64> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{var}: {s:?} is not a number"))
            })
            .collect(),
        _ => default.to_vec(),
    }
}

/// Where figures are written: `$BENCH_OUT`, or `target/bench`.
pub fn out_dir() -> PathBuf {
    let dir = std::env::var_os("BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench"));
    std::fs::create_dir_all(&dir).expect("the results directory can be created");
    dir
}

pub fn write_json(name: &str, value: &serde_json::Value) {
    let path = out_dir().join(format!("{name}.json"));
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(value).expect("JSON serialises"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

pub fn cluster(url: &str, version: ObservationVersion) -> ClusterConfig {
    let mut c = ClusterConfig::new("default", Url::parse(url).expect("simulator URL"));
    c.observation_version = version;
    c.client.timeout = Duration::from_secs(30);
    c
}

/// An observer of the cluster at `url`, as the binary builds one.
pub fn observer(url: &str, version: ObservationVersion, parallelism: usize) -> Observer {
    let cluster = cluster(url, version);
    let client = ConnectClient::new(&cluster.client).expect("client builds");
    let source = Source::Apache(Apache::new(
        client,
        Options::new(version, parallelism),
        None,
    ));
    let interval = Duration::from_secs(30);
    let (observer, _handle) = Observer::new(&cluster, source, interval, interval);
    observer
}

/// Panics unless `snapshot` is a successful observation of `connectors` connectors.
pub fn check(snapshot: &Snapshot, connectors: usize) {
    match &snapshot.outcome {
        Ok(view) => assert_eq!(
            view.connectors.len(),
            connectors,
            "the observation saw every connector"
        ),
        Err(e) => panic!("observation failed: {e}"),
    }
}

pub fn handle(snapshot: Arc<Snapshot>) -> ClusterHandle {
    ClusterHandle::from_snapshot(snapshot)
}
