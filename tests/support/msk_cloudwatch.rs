//! The stand-in's CloudWatch GetMetricData, in Smithy RPC v2 CBOR: the request's queries are
//! validated as CloudWatch does (at most 500, ids unique and well formed), and each
//! `AWS/KafkaConnect` task-count query is answered from the data, newest datapoint a minute
//! before now, one a period before that for each older value.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{MskData, aws_error, cbor, page_token, token_offset};

/// One query's answer: (epoch seconds, value) datapoints in the order asked for.
struct MetricResult {
    id: String,
    label: String,
    points: Vec<(f64, f64)>,
}

pub(super) fn get_metric_data(
    data: &MskData,
    body: &[u8],
    per_page: Option<usize>,
    metric_queries: &mut usize,
) -> Response {
    let invalid = |m: &str| aws_error(true, StatusCode::BAD_REQUEST, "ValidationError", m);
    let request = match cbor::to_json(body) {
        Ok(v) => v,
        Err(e) => return invalid(&format!("The request body is not CBOR: {e}")),
    };
    let Some(queries) = request["MetricDataQueries"].as_array() else {
        return invalid("The parameter MetricDataQueries is required.");
    };
    *metric_queries = queries.len();
    if queries.is_empty() || queries.len() > 500 {
        return invalid("The collection MetricDataQueries must not have a size greater than 500.");
    }
    let mut ids = HashSet::new();
    for q in queries {
        let id = q["Id"].as_str().unwrap_or("");
        let well_formed = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed || !ids.insert(id) {
            return invalid(&format!(
                "The value {id} for parameter MetricDataQueries.member.Id is not valid or not unique."
            ));
        }
    }
    let (Some(start), Some(end)) = (request["StartTime"].as_f64(), request["EndTime"].as_f64())
    else {
        return invalid("The parameters StartTime and EndTime are required.");
    };
    let ascending = request["ScanBy"] == "TimestampAscending";
    let offset = match request["NextToken"].as_str() {
        None => 0,
        Some(t) => match token_offset(t) {
            Some(o) => o,
            None => {
                return aws_error(
                    true,
                    StatusCode::BAD_REQUEST,
                    "InvalidNextToken",
                    "The service cannot process the nextToken.",
                );
            }
        },
    };
    // CloudWatch shows a minute's datapoint about a minute after it ends.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let newest = ((now.min(end) / 60.0).floor() - 1.0) * 60.0;
    let results: Vec<MetricResult> = queries
        .iter()
        .map(|q| {
            let metric = &q["MetricStat"]["Metric"];
            let name = metric["MetricName"].as_str().unwrap_or("").to_string();
            let period = q["MetricStat"]["Period"].as_f64().unwrap_or(60.0);
            let connector = metric["Dimensions"]
                .as_array()
                .and_then(|d| d.iter().find(|d| d["Name"] == "ConnectorName"))
                .and_then(|d| d["Value"].as_str());
            let series = connector
                .filter(|_| metric["Namespace"] == "AWS/KafkaConnect")
                .and_then(|c| data.task_counts.get(c));
            let values: &[f64] = match (series, name.as_str()) {
                (Some(s), "RunningTaskCount") => &s.running,
                (Some(s), "ErroredTaskCount") => &s.errored,
                _ => &[],
            };
            let mut points: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (newest - i as f64 * period, *v))
                .filter(|(t, _)| *t >= start && *t < end)
                .collect();
            if ascending {
                points.reverse();
            }
            MetricResult {
                id: q["Id"].as_str().unwrap_or("").to_string(),
                label: name,
                points,
            }
        })
        .collect();
    let take = per_page.unwrap_or(usize::MAX).max(1);
    let page: Vec<_> = results.iter().skip(offset).take(take).collect();
    let more = offset.saturating_add(take) < results.len();
    let mut w = cbor::Writer::new();
    w.map(if more { 3 } else { 2 });
    w.str("MetricDataResults").array(page.len());
    for r in page {
        w.map(5);
        w.str("Id").str(&r.id).str("Label").str(&r.label);
        w.str("Timestamps").array(r.points.len());
        for (t, _) in &r.points {
            w.timestamp(*t);
        }
        w.str("Values").array(r.points.len());
        for (_, v) in &r.points {
            w.double(*v);
        }
        w.str("StatusCode").str("Complete");
    }
    w.str("Messages").array(0);
    if more {
        w.str("NextToken").str(&page_token(offset + take));
    }
    (
        [
            (header::CONTENT_TYPE, "application/cbor"),
            (
                header::HeaderName::from_static("smithy-protocol"),
                "rpc-v2-cbor",
            ),
        ],
        w.into_bytes(),
    )
        .into_response()
}
