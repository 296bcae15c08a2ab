//! Snapshots → Prometheus exposition. A prometheus-client [`Collector`] reads the latest snapshot
//! of every cluster at scrape time and encodes it, in OpenMetrics or the classic text format.
//! No I/O beyond reading `/proc/self` for the process metrics; never calls Connect.

mod cluster;
mod process;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::observe::ClusterHandle;

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

/// Everything `/metrics` shows, encoded on demand.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
    scrapes: Arc<AtomicU64>,
}

impl Exposition {
    pub fn new(clusters: Vec<ClusterHandle>, interval: Duration) -> Exposition {
        let scrapes = Arc::new(AtomicU64::new(0));
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ExporterCollector {
            clusters,
            interval,
            scrapes: scrapes.clone(),
        }));
        Exposition { registry, scrapes }
    }

    /// Counts one scrape of the telemetry path (it shows in `kconnect_exporter_scrapes_total`).
    pub fn record_scrape(&self) {
        self.scrapes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn encode(&self, format: Format) -> String {
        let mut out = String::with_capacity(64 * 1024);
        let result = match format {
            Format::OpenMetrics => {
                prometheus_client::encoding::text::encode(&mut out, &self.registry)
            }
            Format::Text => {
                prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            }
        };
        result.expect("writing to a String cannot fail");
        out
    }
}

#[derive(Debug)]
struct ExporterCollector {
    clusters: Vec<ClusterHandle>,
    interval: Duration,
    scrapes: Arc<AtomicU64>,
}

impl Collector for ExporterCollector {
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

        // One read of every cluster's latest snapshot, so a scrape is consistent per cluster.
        let latest: Vec<_> = self
            .clusters
            .iter()
            .map(|h| (h.meta.clone(), h.latest()))
            .collect();
        cluster::encode(&mut encoder, &latest)?;
        process::encode(&mut encoder)
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
