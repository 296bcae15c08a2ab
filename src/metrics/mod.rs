//! Snapshots → Prometheus exposition. prometheus-client [`Collector`]s encode the latest snapshot
//! of every cluster, in OpenMetrics or the classic text format, plain or gzipped.
//! No I/O beyond reading `/proc/self` for the process metrics; never calls Connect.

mod cluster;
mod connectors;
mod process;

use std::fmt;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::observe::{ClusterHandle, ClusterMeta, ClusterView, Snapshot};

/// The exporter's version and the commit it was built from (`KCONNECT_BUILD_REVISION` at build
/// time, `unknown` otherwise).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const REVISION: &str = match option_env!("KCONNECT_BUILD_REVISION") {
    Some(r) => r,
    None => "unknown",
};

/// The two exposition formats a scraper can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0, when the scraper's `Accept` names `application/openmetrics-text`.
    OpenMetrics,
    /// The classic Prometheus text format 0.0.4, for everyone else (curl, older scrapers).
    Text,
}

impl Format {
    /// The format an `Accept` header asks for.
    pub fn negotiate(accept: Option<&str>) -> Format {
        match accept {
            Some(a)
                if a.split(',').any(|part| {
                    let part = part.trim();
                    part.starts_with("application/openmetrics-text")
                        && !part.contains("q=0,")
                        && !part.ends_with("q=0")
                }) =>
            {
                Format::OpenMetrics
            }
            _ => Format::Text,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Everything `/metrics` shows.
///
/// It has two parts. The head (build info, scrape count, interval, process metrics) changes with
/// every scrape and is encoded per request; it is a few dozen lines. The clusters' part changes only
/// when an observation publishes a snapshot, and at thousands of connectors it is megabytes: its
/// gzip is built once per set of snapshots and shared by every scrape until the next observation.
#[derive(Debug)]
pub struct Exposition {
    head: Registry,
    clusters: Vec<ClusterHandle>,
    scrapes: Arc<AtomicU64>,
    gzipped: Mutex<Option<GzipCache>>,
}

/// The gzip of the clusters' part, per format, for the snapshots in `key`.
#[derive(Debug)]
struct GzipCache {
    key: Vec<Option<Arc<Snapshot>>>,
    open_metrics: Option<Bytes>,
    text: Option<Bytes>,
}

impl Exposition {
    pub fn new(clusters: Vec<ClusterHandle>, interval: Duration) -> Exposition {
        let scrapes = Arc::new(AtomicU64::new(0));
        let mut head = Registry::default();
        head.register_collector(Box::new(HeadCollector {
            interval,
            scrapes: scrapes.clone(),
        }));
        Exposition {
            head,
            clusters,
            scrapes,
            gzipped: Mutex::new(None),
        }
    }

    /// Counts one scrape of the telemetry path (it shows in `kconnect_exporter_scrapes_total`).
    pub fn record_scrape(&self) {
        self.scrapes.fetch_add(1, Ordering::Relaxed);
    }

    /// The whole exposition as text.
    pub fn encode(&self, format: Format) -> String {
        let mut out = String::with_capacity(64 * 1024);
        self.encode_into(format, &mut out)
            .expect("encoding into a String cannot fail");
        out
    }

    /// The whole exposition, written to `out` piece by piece; an error from `out` (a scraper
    /// that went away) stops it.
    pub fn encode_into(&self, format: Format, out: &mut impl fmt::Write) -> fmt::Result {
        encode_registry(out, &self.head, format)?;
        encode_clusters(out, &self.latest(), format)
    }

    /// The whole exposition, gzipped, as two gzip members (RFC 1952 allows a sequence; Go's
    /// reader, which Prometheus uses, reads them all): the head, compressed now, and the
    /// clusters' part, compressed once per set of snapshots. The plain text of the clusters'
    /// part is never held whole: it is encoded straight into the compressor.
    pub fn encode_gzip(&self, format: Format) -> [Bytes; 2] {
        let mut head = Gzip::new();
        encode_registry(&mut head, &self.head, format)
            .expect("compressing into memory cannot fail");
        let head = head.finish();

        let latest = self.latest();
        let key: Vec<Option<Arc<Snapshot>>> = latest.iter().map(|(_, s)| s.clone()).collect();
        // Scrapes that find the cache stale wait here while one of them rebuilds it.
        let mut cache = self
            .gzipped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = cache.as_ref().is_some_and(|c| same_snapshots(&c.key, &key));
        if !fresh {
            *cache = Some(GzipCache {
                key,
                open_metrics: None,
                text: None,
            });
        }
        let cache = cache.as_mut().expect("the cache was just filled");
        let slot = match format {
            Format::OpenMetrics => &mut cache.open_metrics,
            Format::Text => &mut cache.text,
        };
        let body = slot
            .get_or_insert_with(|| {
                let mut gz = Gzip::new();
                encode_clusters(&mut gz, &latest, format)
                    .expect("compressing into memory cannot fail");
                gz.finish()
            })
            .clone();
        [head, body]
    }

    /// One read of every cluster's latest snapshot, so an encoding is consistent per cluster.
    fn latest(&self) -> Vec<(Arc<ClusterMeta>, Option<Arc<Snapshot>>)> {
        self.clusters
            .iter()
            .map(|h| (h.meta.clone(), h.latest()))
            .collect()
    }
}

fn same_snapshots(a: &[Option<Arc<Snapshot>>], b: &[Option<Arc<Snapshot>>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Arc::ptr_eq(x, y),
            (None, None) => true,
            _ => false,
        })
}

/// The clusters' part: the families prometheus-client writes, then the per-connector and
/// per-task families written directly, then (OpenMetrics) the end of the exposition.
fn encode_clusters(
    out: &mut impl fmt::Write,
    latest: &[(Arc<ClusterMeta>, Option<Arc<Snapshot>>)],
    format: Format,
) -> fmt::Result {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ClustersCollector {
        latest: latest.to_vec(),
    }));
    encode_registry(out, &registry, format)?;
    let views: Vec<(&str, &ClusterView)> = latest
        .iter()
        .filter_map(|(meta, s)| {
            s.as_ref()?
                .outcome
                .as_ref()
                .ok()
                .map(|v| (meta.id.as_str(), v))
        })
        .collect();
    connectors::encode(out, &views, format)?;
    match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode_eof(out),
        Format::Text => Ok(()),
    }
}

/// Writes `registry` in `format`, without OpenMetrics' `# EOF`.
fn encode_registry(out: &mut impl fmt::Write, registry: &Registry, format: Format) -> fmt::Result {
    match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode_registry(out, registry),
        Format::Text => prometheus_client::encoding::prometheus_text::encode(out, registry),
    }
}

/// A `fmt::Write` into a gzip stream in memory.
struct Gzip(GzEncoder<Vec<u8>>);

impl Gzip {
    fn new() -> Gzip {
        // Fast compression: at 10,000 connectors the clusters' part is ~33 MB of text, rebuilt
        // every observation; level 1 already shrinks it about 30-fold.
        Gzip(GzEncoder::new(Vec::new(), Compression::fast()))
    }

    fn finish(self) -> Bytes {
        Bytes::from(
            self.0
                .finish()
                .expect("compressing into memory cannot fail"),
        )
    }
}

impl fmt::Write for Gzip {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write_all(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

/// The families that change with every scrape.
#[derive(Debug)]
struct HeadCollector {
    interval: Duration,
    scrapes: Arc<AtomicU64>,
}

impl Collector for HeadCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        info(
            &mut encoder,
            "kconnect_exporter_build",
            "The exporter's version and the commit it was built from; always 1.",
            &[("version", VERSION), ("revision", REVISION)],
        )?;
        let m = encoder.encode_descriptor(
            "kconnect_exporter_scrapes",
            "Requests served on the telemetry path.",
            None,
            MetricType::Counter,
        )?;
        counter(m, self.scrapes.load(Ordering::Relaxed))?;
        let mut m = encoder.encode_descriptor(
            "kconnect_observation_interval_seconds",
            "How often each Connect cluster is observed.",
            None,
            MetricType::Gauge,
        )?;
        m.encode_gauge(&self.interval.as_secs_f64())?;
        process::encode(&mut encoder)
    }
}

/// The families of the clusters, from one set of snapshots.
#[derive(Debug)]
struct ClustersCollector {
    latest: Vec<(Arc<ClusterMeta>, Option<Arc<Snapshot>>)>,
}

impl Collector for ClustersCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        cluster::encode(&mut encoder, &self.latest)
    }
}

/// Writes one sample of a gauge family.
fn gauge_sample<V: prometheus_client::encoding::EncodeGaugeValue>(
    m: &mut MetricEncoder,
    labels: &impl EncodeLabelSet,
    value: V,
) -> Result<(), fmt::Error> {
    m.encode_family(labels)?.encode_gauge(&value)
}

/// Writes one sample of a counter family.
fn counter_sample(
    m: &mut MetricEncoder,
    labels: &impl EncodeLabelSet,
    value: u64,
) -> Result<(), fmt::Error> {
    m.encode_family(labels)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

fn counter(mut m: MetricEncoder, value: u64) -> Result<(), fmt::Error> {
    m.encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// An info metric with a single sample (`name_info{labels} 1`).
fn info(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    labels: &[(&str, &str)],
) -> Result<(), fmt::Error> {
    let mut m = encoder.encode_descriptor(name, help, None, MetricType::Info)?;
    m.encode_info(&labels)
}

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn openmetrics_only_when_asked_for() {
        assert_eq!(Format::negotiate(None), Format::Text);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Text);
        assert_eq!(
            Format::negotiate(Some(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            )),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::negotiate(Some("text/plain;version=0.0.4")),
            Format::Text
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Text
        );
    }
}
