//! MSK Connect task counts from CloudWatch: `RunningTaskCount` and `ErroredTaskCount` of the
//! `AWS/KafkaConnect` namespace (dimension `ConnectorName`), read with GetMetricData in as few
//! calls as its limit of 500 queries a call allows.
//!
//! The window is the last five minutes in one-minute periods, statistic `Maximum`, newest
//! datapoint first. MSK Connect publishes these once a minute and CloudWatch shows them a minute
//! or two late, so five minutes always holds the latest value of a live connector, and a
//! connector whose metrics stopped longer ago than that has none (its counts are then unknown,
//! not zero). `Maximum` of a one-minute period is the published count itself, and, should two
//! samples land in one period, it neither adds them up (`Sum`) nor averages them into a
//! fraction (`Average`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat, ScanBy,
};

use super::{MskClient, error};
use crate::connect::{ConnectError, Reason};

/// GetMetricData's limit on queries in one call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
const NAMESPACE: &str = "AWS/KafkaConnect";
const RUNNING: &str = "RunningTaskCount";
const ERRORED: &str = "ErroredTaskCount";
const PERIOD_SECS: i32 = 60;
const WINDOW: Duration = Duration::from_secs(5 * 60);

/// A connector's latest task counts. A metric with no datapoint in the window is `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskCounts {
    pub running: Option<f64>,
    pub errored: Option<f64>,
}

impl MskClient {
    /// The latest task counts of `connector_names` (duplicates are asked once). A connector
    /// with no datapoint for either metric is absent from the map. Without CloudWatch task
    /// counts in the settings, the map is empty and nothing is sent.
    pub async fn task_counts(
        &self,
        connector_names: &[String],
    ) -> Result<HashMap<String, TaskCounts>, ConnectError> {
        let Some(cloudwatch) = &self.cloudwatch else {
            return Ok(HashMap::new());
        };
        let mut names: Vec<&str> = connector_names.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let (start, end) = window(SystemTime::now());
        let mut counts = HashMap::new();
        for batch in names.chunks(MAX_QUERIES_PER_CALL / 2) {
            let mut latest = Latest::new(batch.len());
            let mut next_token: Option<String> = None;
            let mut pages = 0usize;
            loop {
                let page = cloudwatch
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries(batch)))
                    .start_time(DateTime::from(start))
                    .end_time(DateTime::from(end))
                    .scan_by(ScanBy::TimestampDescending)
                    .set_next_token(next_token.take())
                    .send()
                    .await
                    .map_err(|e| error::from_sdk_error("GetMetricData", &e))?;
                for result in page.metric_data_results() {
                    latest.add(result);
                }
                pages += 1;
                match page.next_token().filter(|t| !t.is_empty()) {
                    None => break,
                    // A window of 6 datapoints × 500 queries fits in one page; a service that
                    // keeps paging past that is answering something else.
                    Some(_) if pages >= 100 => {
                        return Err(ConnectError::new(
                            Reason::Decode,
                            "GetMetricData",
                            "more than 100 pages for one batch of queries",
                        ));
                    }
                    Some(token) => next_token = Some(token.to_string()),
                }
            }
            for (i, name) in batch.iter().enumerate() {
                if let Some(c) = latest.counts(i) {
                    counts.insert(name.to_string(), c);
                }
            }
        }
        Ok(counts)
    }
}

/// `[start, end)` of the query: the five whole minutes before the current one, plus the
/// current one. Aligned to the period, as GetMetricData recommends.
fn window(now: SystemTime) -> (SystemTime, SystemTime) {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let period = PERIOD_SECS as u64;
    let end = UNIX_EPOCH + Duration::from_secs(secs - secs % period + period);
    (end - WINDOW - Duration::from_secs(period), end)
}

/// Two queries a connector: `r{i}` for running and `e{i}` for errored tasks, `i` its index in
/// the batch (query ids must start with a lower-case letter and be unique in the call).
fn queries(batch: &[&str]) -> Vec<MetricDataQuery> {
    let mut out = Vec::with_capacity(batch.len() * 2);
    for (i, name) in batch.iter().enumerate() {
        for (prefix, metric) in [('r', RUNNING), ('e', ERRORED)] {
            out.push(
                MetricDataQuery::builder()
                    .id(format!("{prefix}{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace(NAMESPACE)
                                    .metric_name(metric)
                                    .dimensions(
                                        Dimension::builder()
                                            .name("ConnectorName")
                                            .value(*name)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .period(PERIOD_SECS)
                            .stat("Maximum")
                            .build(),
                    )
                    .return_data(true)
                    .build(),
            );
        }
    }
    out
}

/// The newest (time, value) of each query of a batch, across pages.
struct Latest {
    running: Vec<Option<(DateTime, f64)>>,
    errored: Vec<Option<(DateTime, f64)>>,
}

impl Latest {
    fn new(n: usize) -> Latest {
        Latest {
            running: vec![None; n],
            errored: vec![None; n],
        }
    }

    fn add(&mut self, result: &MetricDataResult) {
        let Some(id) = result.id() else { return };
        let (slots, index) = match (id.get(..1), id.get(1..).map(str::parse::<usize>)) {
            (Some("r"), Some(Ok(i))) => (&mut self.running, i),
            (Some("e"), Some(Ok(i))) => (&mut self.errored, i),
            _ => return,
        };
        let Some(slot) = slots.get_mut(index) else {
            return;
        };
        for (t, v) in result.timestamps().iter().zip(result.values()) {
            if slot.is_none_or(|(seen, _)| t.secs() > seen.secs()) {
                *slot = Some((*t, *v));
            }
        }
    }

    fn counts(&self, i: usize) -> Option<TaskCounts> {
        let running = self.running[i].map(|(_, v)| v);
        let errored = self.errored[i].map(|(_, v)| v);
        (running.is_some() || errored.is_some()).then_some(TaskCounts { running, errored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_six_whole_minutes_ending_after_now() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_123);
        let (start, end) = window(now);
        assert_eq!(end, UNIX_EPOCH + Duration::from_secs(1_700_000_160));
        assert_eq!(start, UNIX_EPOCH + Duration::from_secs(1_700_000_160 - 360));
        let on_the_minute = UNIX_EPOCH + Duration::from_secs(1_700_000_100);
        assert_eq!(
            window(on_the_minute).1,
            UNIX_EPOCH + Duration::from_secs(1_700_000_160)
        );
    }

    #[test]
    fn each_connector_gets_a_running_and_an_errored_query() {
        let q = queries(&["orders", "payments"]);
        let ids: Vec<_> = q.iter().map(|q| q.id().unwrap_or("")).collect();
        assert_eq!(ids, ["r0", "e0", "r1", "e1"]);
        let stat = q[3].metric_stat().expect("a metric stat");
        let metric = stat.metric().expect("a metric");
        assert_eq!(metric.namespace(), Some("AWS/KafkaConnect"));
        assert_eq!(metric.metric_name(), Some("ErroredTaskCount"));
        let dims: Vec<_> = metric
            .dimensions()
            .iter()
            .map(|d| (d.name().unwrap_or(""), d.value().unwrap_or("")))
            .collect();
        assert_eq!(dims, [("ConnectorName", "payments")]);
        assert_eq!((stat.period(), stat.stat()), (Some(60), Some("Maximum")));
        assert_eq!(q[3].return_data(), Some(true));
    }

    #[test]
    fn the_newest_datapoint_wins_and_empty_results_stay_unknown() {
        let result = |id: &str, points: &[(i64, f64)]| {
            let mut b = MetricDataResult::builder().id(id);
            for (t, v) in points {
                b = b.timestamps(DateTime::from_secs(*t)).values(*v);
            }
            b.build()
        };
        let mut latest = Latest::new(3);
        latest.add(&result("r0", &[(180, 3.0), (120, 2.0)]));
        latest.add(&result("r0", &[(240, 4.0)]));
        latest.add(&result("e0", &[(60, 1.0), (240, 0.0)]));
        latest.add(&result("e1", &[(240, 2.0)]));
        latest.add(&result("r2", &[]));
        latest.add(&result("r9", &[(240, 7.0)]));
        latest.add(&result("x0", &[(240, 7.0)]));
        assert_eq!(
            latest.counts(0),
            Some(TaskCounts {
                running: Some(4.0),
                errored: Some(0.0)
            })
        );
        assert_eq!(
            latest.counts(1),
            Some(TaskCounts {
                running: None,
                errored: Some(2.0)
            })
        );
        assert_eq!(latest.counts(2), None);
    }
}
