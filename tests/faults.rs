//! Every way Connect can fail, for observation v1 and v2, as `/metrics` shows it: the failing
//! cluster goes to `kconnect_up 0` with the right `reason`, a second, healthy cluster observed by
//! the same exporter keeps `kconnect_up 1` and all its connector series throughout, and the
//! failing one is back with every connector series within two observation intervals of the
//! fault being lifted.
//!
//! The full matrix runs observers in-process and reads the exposition they publish; a subset
//! runs the binary and reads its `/metrics` as Prometheus asks for it (OpenMetrics, gzipped).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::expo::{self, Sample};
use common::exporter::Exporter;
use common::faulty::{Fault, FaultyConnect, Scope};
use common::*;
use kconnect_exporter::config::ObservationVersion::{self, V1, V2};
use kconnect_exporter::metrics::{Exposition, Format};
use tokio_util::sync::CancellationToken;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

/// In-process observers: the exporter's shortest interval, so that a machine busy with other
/// work (a slow observation, a late poll) does not blur "within two intervals".
const INTERVAL: Duration = Duration::from_secs(1);
/// The failing cluster's request timeout: a hung request fails well within one interval, so
/// recovery takes at most one interval plus one observation. The healthy cluster keeps the
/// default timeout: it never meets a fault, and a loaded machine must not make it time out.
const TIMEOUT: Duration = Duration::from_millis(500);
const MAX_BODY: usize = 64 * 1024;
/// Bodies over the cap; the fixture's largest (the expanded listing) is about 10 kB.
const OVERSIZED: usize = 2 * MAX_BODY;
/// Waits that should end far sooner fail after this, with what was seen.
const PATIENCE: Duration = Duration::from_secs(15);

const BAD: &str = "BAD";
const GOOD: &str = "GOOD";

/// The families that describe connectors, tasks and workers: those a failed observation hides.
fn is_connector_family(name: &str) -> bool {
    ["kconnect_connector", "kconnect_task", "kconnect_worker_"]
        .iter()
        .any(|p| name.starts_with(p))
        || name == "kconnect_connectors"
        || name == "kconnect_tasks"
}

/// What one scrape says of one cluster.
#[derive(Debug, PartialEq)]
struct Seen {
    up: Option<f64>,
    /// Reasons of `kconnect_observation_error` samples at 1.
    errors: Vec<String>,
    /// Every connector, task and worker series with its value, as `name{labels} value`.
    series: BTreeSet<String>,
}

impl Seen {
    fn of(samples: &[Sample], cluster: &str) -> Seen {
        let mine = samples
            .iter()
            .filter(|s| s.label("connect_cluster") == cluster);
        let mut seen = Seen {
            up: None,
            errors: Vec::new(),
            series: BTreeSet::new(),
        };
        for s in mine {
            match s.name.as_str() {
                "kconnect_up" => seen.up = Some(s.value),
                "kconnect_observation_error" if s.value == 1.0 => {
                    seen.errors.push(s.label("reason").to_string())
                }
                n if is_connector_family(n) => {
                    seen.series.insert(format!("{n}{:?} {}", s.labels, s.value));
                }
                _ => {}
            }
        }
        seen
    }

    fn connectors(&self) -> usize {
        self.series
            .iter()
            .filter(|s| s.starts_with("kconnect_connector_info{"))
            .count()
    }
}

/// Where the exposition comes from: observers in this process, or the binary's `/metrics`.
enum Source {
    InProcess {
        exposition: Box<Exposition>,
        cancel: CancellationToken,
    },
    Binary {
        _exporter: Exporter,
        metrics_url: String,
    },
}

impl Source {
    async fn scrape(&self) -> Vec<Sample> {
        match self {
            Source::InProcess { exposition, .. } => {
                expo::parse(&exposition.encode(Format::OpenMetrics))
            }
            Source::Binary { metrics_url, .. } => {
                // The raw body, decoded below as curl does: one gzip member.
                let r = reqwest::Client::builder()
                    .no_gzip()
                    .build()
                    .unwrap()
                    .get(metrics_url)
                    .header(
                        "accept",
                        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
                    )
                    .header("accept-encoding", "gzip")
                    .send()
                    .await
                    .expect("the exporter answers /metrics");
                assert_eq!(r.status(), 200);
                let gz = r.bytes().await.unwrap();
                let mut text = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&gz[..]),
                    &mut text,
                )
                .expect("a gzipped exposition");
                expo::parse(&text)
            }
        }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if let Source::InProcess { cancel, .. } = self {
            cancel.cancel();
        }
    }
}

/// A faulty cluster and a healthy one, observed together.
struct Rig {
    bad: FaultyConnect,
    _good: FaultyConnect,
    source: Source,
    interval: Duration,
    /// Each cluster's connector series while healthy.
    baseline: (BTreeSet<String>, BTreeSet<String>),
}

impl Rig {
    async fn in_process(version: ObservationVersion) -> Rig {
        let bad = FaultyConnect::start().await;
        let good = FaultyConnect::start().await;
        let cancel = CancellationToken::new();
        let mut handles = Vec::new();
        for (id, server) in [(BAD, &bad), (GOOD, &good)] {
            let mut config = cluster(id, &server.uri(), version);
            if id == BAD {
                config.client.timeout = TIMEOUT;
            }
            config.client.max_response_bytes = MAX_BODY;
            let (observer, handle) = observer_timed(&config, 4, INTERVAL, INTERVAL);
            tokio::spawn(observer.run(cancel.clone()));
            handles.push(handle);
        }
        let source = Source::InProcess {
            exposition: Box::new(Exposition::new(handles, INTERVAL, INTERVAL)),
            cancel,
        };
        Rig::healthy(bad, good, source, INTERVAL).await
    }

    /// The binary with `flags` besides the interval and body cap, and the failing cluster's
    /// request timeout at `bad_timeout_ms`.
    async fn binary(version: ObservationVersion, flags: &[&str], bad_timeout_ms: &str) -> Rig {
        let bad = FaultyConnect::start().await;
        let good = FaultyConnect::start().await;
        let version = version.as_str();
        let max_body = format!("--connect.max-response-bytes={MAX_BODY}");
        let mut all_flags = vec!["--observation.interval=1s", max_body.as_str()];
        all_flags.extend_from_slice(flags);
        let mut exporter = Exporter::start(
            BIN,
            &all_flags,
            &[
                ("CONNECT_RESOURCE_IDS", "BAD,GOOD"),
                ("BAD_CONNECT_REST_URL", &bad.uri()),
                ("BAD_CONNECT_TIMEOUT_MS", bad_timeout_ms),
                ("BAD_CONNECT_OBSERVATION_VERSION", version),
                ("GOOD_CONNECT_REST_URL", &good.uri()),
                ("GOOD_CONNECT_OBSERVATION_VERSION", version),
            ],
        );
        let metrics_url = format!("http://{}/metrics", exporter.address());
        let source = Source::Binary {
            _exporter: exporter,
            metrics_url,
        };
        Rig::healthy(bad, good, source, Duration::from_secs(1)).await
    }

    /// Waits for both clusters' first successful observation and keeps what they show.
    async fn healthy(
        bad: FaultyConnect,
        good: FaultyConnect,
        source: Source,
        interval: Duration,
    ) -> Rig {
        let mut rig = Rig {
            bad,
            _good: good,
            source,
            interval,
            baseline: Default::default(),
        };
        let (b, g) = rig
            .wait("both clusters up", |b, g| {
                b.up == Some(1.0) && g.up == Some(1.0)
            })
            .await;
        for seen in [&b, &g] {
            assert_eq!(seen.connectors(), 7, "{:#?}", seen.series);
            assert!(seen.errors.is_empty());
        }
        assert_eq!(
            b.series,
            g.series.iter().map(|s| s.replace(GOOD, BAD)).collect()
        );
        rig.baseline = (b.series, g.series);
        rig
    }

    /// Scrapes until `done` holds for (BAD, GOOD), checking at every scrape that GOOD is up
    /// with every connector series it had while healthy.
    async fn wait(&self, what: &str, done: impl Fn(&Seen, &Seen) -> bool) -> (Seen, Seen) {
        let until = Instant::now() + PATIENCE;
        loop {
            let samples = self.source.scrape().await;
            let (bad, good) = (Seen::of(&samples, BAD), Seen::of(&samples, GOOD));
            if !self.baseline.1.is_empty() {
                assert_eq!(good.up, Some(1.0), "{GOOD} stays up while {BAD} fails");
                assert!(good.errors.is_empty(), "{:?}", good.errors);
                assert_eq!(good.series, self.baseline.1, "{GOOD} keeps every series");
            }
            if done(&bad, &good) {
                return (bad, good);
            }
            assert!(
                Instant::now() < until,
                "not {what} within {PATIENCE:?}; {BAD}: {bad:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sets `fault`, expects BAD down with `reason` and no connector series, lifts it, expects
    /// BAD back whole within two intervals.
    async fn fault_and_recovery(&self, fault: Fault, scope: Scope, reason: &str) {
        let case = format!("{fault:?} on {scope:?}");
        self.bad.set(fault, scope.clone()).await;
        let (bad, _) = self
            .wait(&format!("down after {case}"), |b, _| b.up == Some(0.0))
            .await;
        assert_eq!(bad.errors, [reason], "{case}");
        assert!(
            bad.series.is_empty(),
            "{case}: no stale states: {:#?}",
            bad.series
        );
        if let Scope::Path(path) = &scope {
            assert!(self.bad.requests_to_path(path) > 0, "{case} was hit");
        }

        self.bad.clear().await;
        let lifted = Instant::now();
        self.wait(&format!("back after {case}"), |b, _| {
            b.up == Some(1.0) && b.errors.is_empty() && b.series == self.baseline.0
        })
        .await;
        let took = lifted.elapsed();
        assert!(
            took <= 2 * self.interval,
            "{case}: back after {took:?}, more than two intervals of {:?}",
            self.interval
        );
    }
}

/// The path of one fixture connector's resource.
fn of(connector: &str, suffix: &str) -> Scope {
    Scope::path(format!("/connectors/{connector}{suffix}"))
}

/// Each fault once for v1 (in the middle of a pass where a single path can fail) and once for
/// v2 (its one request), concurrently.
async fn both_versions(fault: Fault, v1_scope: Scope, v2_scope: Scope, reason: &str) {
    let v1 = async {
        Rig::in_process(V1)
            .await
            .fault_and_recovery(fault.clone(), v1_scope, reason)
            .await
    };
    let v2 = async {
        Rig::in_process(V2)
            .await
            .fault_and_recovery(fault.clone(), v2_scope, reason)
            .await
    };
    tokio::join!(v1, v2);
}

#[tokio::test]
async fn timeout() {
    both_versions(
        Fault::Timeout,
        of("orders-jdbc-source", "/status"),
        Scope::Everywhere,
        "timeout",
    )
    .await;
}

#[tokio::test]
async fn refused() {
    both_versions(
        Fault::Refused,
        Scope::Everywhere,
        Scope::Everywhere,
        "connect",
    )
    .await;
}

#[tokio::test]
async fn reset_mid_body() {
    both_versions(
        Fault::ResetMidBody,
        of("clickstream-es-sink", "/tasks"),
        Scope::Everywhere,
        "connect",
    )
    .await;
}

#[tokio::test]
async fn unauthorized() {
    both_versions(
        Fault::Unauthorized,
        Scope::Everywhere,
        Scope::Everywhere,
        "auth",
    )
    .await;
}

#[tokio::test]
async fn forbidden() {
    both_versions(
        Fault::Forbidden,
        of("payments-s3-sink", ""),
        Scope::Everywhere,
        "auth",
    )
    .await;
}

#[tokio::test]
async fn not_found_on_the_listing() {
    let listing = Scope::path("/connectors");
    both_versions(Fault::NotFound, listing.clone(), listing, "not_found").await;
}

#[tokio::test]
async fn conflict() {
    both_versions(
        Fault::Conflict,
        of("orders-jdbc-source", ""),
        Scope::Everywhere,
        "rebalance",
    )
    .await;
}

#[tokio::test]
async fn rebalance_expected() {
    both_versions(
        Fault::RebalanceExpected,
        of("audit-log-sink", ""),
        Scope::Everywhere,
        "rebalance",
    )
    .await;
}

#[tokio::test]
async fn request_timed_out() {
    both_versions(
        Fault::RequestTimedOut,
        of("legacy-ftp-source", "/tasks"),
        Scope::Everywhere,
        "server_error",
    )
    .await;
}

#[tokio::test]
async fn unavailable_with_an_html_page() {
    both_versions(
        Fault::Unavailable,
        Scope::Everywhere,
        Scope::Everywhere,
        "server_error",
    )
    .await;
}

#[tokio::test]
async fn too_many_requests() {
    both_versions(
        Fault::TooManyRequests,
        of("customers-mongo-source", "/status"),
        Scope::Everywhere,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn malformed_json() {
    both_versions(
        Fault::MalformedJson,
        of("inventory-cdc-source", "/status"),
        Scope::Everywhere,
        "decode",
    )
    .await;
}

#[tokio::test]
async fn truncated_body() {
    both_versions(
        Fault::Truncated,
        of("payments-s3-sink", "/status"),
        Scope::Everywhere,
        "connect",
    )
    .await;
}

#[tokio::test]
async fn oversized_body_declared() {
    let fault = Fault::Oversized {
        bytes: OVERSIZED,
        chunked: false,
    };
    both_versions(
        fault,
        Scope::path("/connectors"),
        Scope::Everywhere,
        "too_large",
    )
    .await;
}

#[tokio::test]
async fn oversized_body_streamed() {
    let fault = Fault::Oversized {
        bytes: OVERSIZED,
        chunked: true,
    };
    both_versions(
        fault,
        of("audit-log-sink", "/status"),
        Scope::Everywhere,
        "too_large",
    )
    .await;
}

#[tokio::test]
async fn redirect() {
    both_versions(
        Fault::Redirect,
        of("legacy-ftp-source", ""),
        Scope::Everywhere,
        "unexpected_status",
    )
    .await;
}

#[tokio::test]
async fn slow_drip() {
    let fault = Fault::SlowDrip {
        every: Duration::from_millis(40),
    };
    both_versions(
        fault,
        of("orders-jdbc-source", "/tasks"),
        Scope::Everywhere,
        "timeout",
    )
    .await;
}

/// The binary, through one fault after another, as Prometheus scrapes it. (Multi-threaded: the
/// exporter's log is read with blocking calls while the fault servers must keep answering.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_through_faults_v1() {
    let rig = Rig::binary(V1, &[], "500").await;
    for (fault, scope, reason) in [
        (Fault::Timeout, Scope::Everywhere, "timeout"),
        (
            Fault::ResetMidBody,
            of("clickstream-es-sink", "/status"),
            "connect",
        ),
        (Fault::Unauthorized, Scope::Everywhere, "auth"),
        (
            Fault::Oversized {
                bytes: OVERSIZED,
                chunked: true,
            },
            Scope::path("/connectors"),
            "too_large",
        ),
    ] {
        rig.fault_and_recovery(fault, scope, reason).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_through_faults_v2() {
    let rig = Rig::binary(V2, &[], "500").await;
    for (fault, scope, reason) in [
        (Fault::Refused, Scope::Everywhere, "connect"),
        (Fault::RebalanceExpected, Scope::Everywhere, "rebalance"),
        (
            Fault::SlowDrip {
                every: Duration::from_millis(40),
            },
            Scope::path("/connectors"),
            "timeout",
        ),
        (Fault::Redirect, Scope::Everywhere, "unexpected_status"),
    ] {
        rig.fault_and_recovery(fault, scope, reason).await;
    }
}

/// Each request answers within the request timeout, but the whole observation does not
/// finish within `--observation.timeout`: reason `deadline`. v1 (one request at a time) meets
/// it in the middle of a pass; v2 within its one request, slower than the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_when_the_whole_observation_is_too_slow() {
    let flags = ["--observation.timeout=1s", "--observation.parallelism=1"];
    let (v1, v2) = tokio::join!(
        Rig::binary(V1, &flags, "5000"),
        Rig::binary(V2, &flags, "5000")
    );
    // About 0.6 s a connector resource, 11 s the expanded listing; every request under 5 s
    // but for the listing, which the deadline cuts first.
    let drip = Fault::SlowDrip {
        every: Duration::from_millis(1),
    };
    tokio::join!(
        v1.fault_and_recovery(drip.clone(), Scope::Everywhere, "deadline"),
        v2.fault_and_recovery(drip, Scope::Everywhere, "deadline")
    );
}

/// `kconnect_cluster_info` says which Connect the exporter talks to; a failed observation does
/// not make it forget the version, commit and Kafka cluster id it last saw.
#[tokio::test]
async fn cluster_info_survives_a_failed_observation() {
    let rig = Rig::in_process(V1).await;
    rig.bad.set(Fault::Unauthorized, Scope::Everywhere).await;
    rig.wait("down", |b, _| b.up == Some(0.0)).await;
    // Several failed observations, each of which asks `GET /` again and fails.
    let asked = rig.bad.requests("/");
    rig.wait("`GET /` asked again", |_, _| {
        rig.bad.requests("/") >= asked + 2
    })
    .await;
    let samples = rig.source.scrape().await;
    let info: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "kconnect_cluster_info" && s.label("connect_cluster") == BAD)
        .collect();
    assert_eq!(info.len(), 1, "{info:#?}");
    assert_eq!(
        (
            info[0].label("version"),
            info[0].label("commit"),
            info[0].label("kafka_cluster_id")
        ),
        ("3.9.0", "5e2c1f8a9b3d4c70", "h7R2kQm9Tq-5vXcYb3LwZA")
    );
}
