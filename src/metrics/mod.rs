//! Snapshots → Prometheus exposition. prometheus-client [`Collector`]s encode the latest snapshot
//! of every cluster, in OpenMetrics or the classic text format, plain or gzipped.
//! No I/O beyond reading `/proc/self` for the process metrics; never calls Connect.

mod cluster;
mod connectors;
mod gzip;
mod operations;
mod options;
mod process;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::observe::{ClusterHandle, ClusterMeta, Snapshot};

pub use connectors::CHUNK;
pub use options::{MetricsOptions, TaskStates};

/// The exporter's version and the commit it was built from (set by `build.rs`: the
/// `KCONNECT_BUILD_REVISION` of the build's environment, else the git commit of a clone, else
/// `unknown`).
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
///
/// A snapshot older than `stale_after` is shown as a failed observation (reason `deadline`): the
/// observer is due to have published a newer one long before, so its states are not current.
#[derive(Debug)]
pub struct Exposition {
    head: Registry,
    clusters: Vec<ClusterHandle>,
    scrapes: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
    stale_after: Duration,
    options: MetricsOptions,
    gzipped: Mutex<Option<GzipCache>>,
}

/// Which snapshot each cluster shows, and whether it is shown as stale.
type Key = Vec<Option<(Arc<Snapshot>, bool)>>;

fn same_key(a: &Key, b: &Key) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some((x, sx)), Some((y, sy))) => Arc::ptr_eq(x, y) && sx == sy,
            (None, None) => true,
            _ => false,
        })
}

/// The compressed clusters' part, per format, for the snapshots in `key`.
#[derive(Debug)]
struct GzipCache {
    key: Key,
    open_metrics: Option<gzip::Part>,
    text: Option<gzip::Part>,
}

/// The snapshot each cluster shows at one moment.
#[derive(Debug, Clone)]
struct Shown {
    meta: Arc<ClusterMeta>,
    snapshot: Option<Arc<Snapshot>>,
    /// The published snapshot and whether it is shown as stale: what the gzip cache is keyed
    /// by (holding it, so that its address cannot be reused by another).
    key: Option<(Arc<Snapshot>, bool)>,
}

impl Exposition {
    /// The exposition of `clusters`, observed every `interval` with `timeout` per observation.
    pub fn new(clusters: Vec<ClusterHandle>, interval: Duration, timeout: Duration) -> Exposition {
        let scrapes = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let mut head = Registry::default();
        head.register_collector(Box::new(HeadCollector {
            interval,
            scrapes: scrapes.clone(),
            refused: refused.clone(),
        }));
        Exposition {
            head,
            clusters,
            scrapes,
            refused,
            // A snapshot is due every interval and an observation may take up to its timeout;
            // one more interval of slack keeps a busy machine from flapping.
            stale_after: interval * 2 + timeout,
            options: MetricsOptions::default(),
            gzipped: Mutex::new(None),
        }
    }

    /// The same exposition with `options` for large estates.
    pub fn with_options(mut self, options: MetricsOptions) -> Exposition {
        self.options = options;
        self
    }

    /// Shows the access decisions counted in `decisions` and the auto-restart state of
    /// `restarts` too (they change between observations, so they are encoded on every scrape).
    pub fn with_operations(
        mut self,
        decisions: Arc<crate::operate::DecisionCounts>,
        restarts: crate::restart::RestartStatus,
    ) -> Exposition {
        self.head
            .register_collector(Box::new(operations::OperationsCollector {
                decisions,
                restarts,
            }));
        self
    }

    /// Counts one scrape of the telemetry path (it shows in `kconnect_exporter_scrapes_total`).
    pub fn record_scrape(&self) {
        self.scrapes.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one scrape refused because `--web.max-requests` uncompressed scrapes were in
    /// flight.
    pub fn record_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The whole exposition as text.
    pub fn encode(&self, format: Format) -> String {
        self.text(format).collect()
    }

    /// The whole exposition as text, in pieces of about [`CHUNK`] bytes, each encoded when it
    /// is asked for.
    pub fn text(&self, format: Format) -> TextBody {
        let shown = self.shown();
        let mut first = String::new();
        self.registry(&mut first, &self.head, format)
            .and_then(|()| self.cluster_families(&mut first, &shown, format))
            .expect("encoding into a String cannot fail");
        TextBody {
            first: Some(first),
            connectors: connectors::ConnectorText::new(up(&shown), format, self.options.clone()),
            end: (format == Format::OpenMetrics).then_some("# EOF\n"),
        }
    }

    /// The whole exposition as one gzip member, in three pieces: the header with the head,
    /// compressed now; the clusters' part, compressed once per set of snapshots and shared; the
    /// trailer.
    pub fn encode_gzip(&self, format: Format) -> [Bytes; 3] {
        let mut head = gzip::Deflater::new();
        self.registry(&mut head, &self.head, format)
            .expect("compressing into memory cannot fail");
        let head = head.finish();

        let shown = self.shown();
        let key: Key = shown.iter().map(|s| s.key.clone()).collect();
        // Scrapes that find the cache stale wait here while one of them rebuilds it.
        let mut cache = self
            .gzipped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.as_ref().is_none_or(|c| !same_key(&c.key, &key)) {
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
        let clusters = slot.get_or_insert_with(|| {
            let mut gz = gzip::Deflater::new();
            let mut text = TextBody {
                first: None,
                connectors: connectors::ConnectorText::new(
                    up(&shown),
                    format,
                    self.options.clone(),
                ),
                end: (format == Format::OpenMetrics).then_some("# EOF\n"),
            };
            self.cluster_families(&mut gz, &shown, format)
                .expect("compressing into memory cannot fail");
            for piece in &mut text {
                fmt::Write::write_str(&mut gz, &piece)
                    .expect("compressing into memory cannot fail");
            }
            gz.finish()
        });
        gzip::member(&head, clusters)
    }

    /// One read of every cluster's latest snapshot, so an encoding is consistent per cluster;
    /// a stale one is replaced by its failed form.
    fn shown(&self) -> Vec<Shown> {
        self.clusters
            .iter()
            .map(|h| {
                let latest = h.latest();
                let (snapshot, key) = match latest {
                    None => (None, None),
                    Some(s) => {
                        let age = s.finished.elapsed();
                        if age > self.stale_after {
                            (Some(Arc::new(s.as_stale(age))), Some((s, true)))
                        } else {
                            (Some(s.clone()), Some((s, false)))
                        }
                    }
                };
                Shown {
                    meta: h.meta.clone(),
                    snapshot,
                    key,
                }
            })
            .collect()
    }
}

/// The snapshots of the clusters whose latest observation succeeded.
fn up(shown: &[Shown]) -> Vec<Arc<Snapshot>> {
    shown
        .iter()
        .filter_map(|s| s.snapshot.clone())
        .filter(|s| s.is_up())
        .collect()
}

/// The exposition, a piece at a time (see [`Exposition::text`]).
pub struct TextBody {
    first: Option<String>,
    connectors: connectors::ConnectorText,
    end: Option<&'static str>,
}

impl Iterator for TextBody {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        let mut buf = String::new();
        if !self.connectors.fill(&mut buf)
            && let Some(end) = self.end.take()
        {
            buf.push_str(end);
        }
        (!buf.is_empty()).then_some(buf)
    }
}

impl Exposition {
    /// The per-cluster families prometheus-client writes (reachability, observation health,
    /// state counts, workers).
    fn cluster_families(
        &self,
        out: &mut impl fmt::Write,
        shown: &[Shown],
        format: Format,
    ) -> fmt::Result {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ClustersCollector {
            latest: shown
                .iter()
                .map(|s| (s.meta.clone(), s.snapshot.clone()))
                .collect(),
        }));
        self.registry(out, &registry, format)
    }

    /// `registry` in `format`, less the families `--metrics.exclude` leaves out.
    fn registry(
        &self,
        out: &mut impl fmt::Write,
        registry: &Registry,
        format: Format,
    ) -> fmt::Result {
        if self.options.exclude.is_none() {
            return encode_registry(out, registry, format);
        }
        let mut filtered = options::LineFilter::new(out, &self.options);
        encode_registry(&mut filtered, registry, format)
    }
}

/// Writes `registry` in `format`, without OpenMetrics' `# EOF`.
fn encode_registry(out: &mut impl fmt::Write, registry: &Registry, format: Format) -> fmt::Result {
    match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode_registry(out, registry),
        Format::Text => prometheus_client::encoding::prometheus_text::encode(out, registry),
    }
}

/// The families that change with every scrape.
#[derive(Debug)]
struct HeadCollector {
    interval: Duration,
    scrapes: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
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
        let m = encoder.encode_descriptor(
            "kconnect_exporter_scrapes_refused",
            "Uncompressed scrapes refused with 503 because --web.max-requests of them were in flight.",
            None,
            MetricType::Counter,
        )?;
        counter(m, self.refused.load(Ordering::Relaxed))?;
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
