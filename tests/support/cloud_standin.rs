//! A stand-in for Confluent Cloud's managed connectors API (`connect/v1`) for one environment and
//! Kafka cluster, for tests and the end-to-end suite. Answers follow
//! `tests/fixtures/confluent-cloud-*.json` and Confluent's API reference: basic auth with a Cloud
//! API key, `{"error": {"code", "message"}}` errors, states NONE … DELETED, task `msg` instead of
//! `trace`, `worker_id` = the connector's name, masked secrets, rate limits with `Retry-After`
//! and `X-RateLimit-*`, and no `GET /` at the cluster path.
//!
//! `expand` is read in both forms: the documented comma list (`expand=info,status,id`) and the
//! repeated form the OpenAPI's form/explode style also allows (`expand=info&expand=status`);
//! mixed, the values add up. Unknown values are ignored. Any `expand` answers with the object
//! keyed by name, each value holding only the expansions asked for.
//!
//! Lifecycle calls (`pause`, `resume`, `restart`) answer 202 and take effect at once (the real
//! service applies them asynchronously).
//!
//! Every request is recorded with its arrival time, and every 429 with the `Retry-After` it
//! announced, so a test can check that no request came back early. Used in-process through
//! [`router`] and as a process by `examples/cloud_standin.rs`; control paths under `/_standin/`
//! (never authenticated, never recorded) serve the record and change the data.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde_json::{Map, Value, json};

#[path = "cloud_data.rs"]
mod data;
#[allow(unused_imports)]
pub use data::{
    CloudConnector, CloudTask, EXPAND_FIXTURE, MASK, connectors_from_expand, fixture_connectors,
    generated_connectors,
};

pub const NOT_FOUND_FIXTURE: &str = include_str!("../fixtures/confluent-cloud-error-404.json");

/// A fixed window of `requests` per `window`, counted over every authenticated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct CloudStandinConfig {
    pub environment: String,
    pub cluster: String,
    pub api_key: String,
    pub api_secret: String,
    pub rate_limit: RateLimit,
}

impl Default for CloudStandinConfig {
    fn default() -> Self {
        CloudStandinConfig {
            environment: "env-a1b2c3".into(),
            cluster: "lkc-x9y8z7".into(),
            api_key: "CLOUDAPIKEY2X7Q4".into(),
            api_secret: "cLoUdSeCrEt+standin/0123456789abcdefABCDEF0123456789abcdefABCDEF01".into(),
            // Generous: the real numbers are not published; tests that want throttling set
            // their own.
            rate_limit: RateLimit {
                requests: 1000,
                window: Duration::from_secs(60),
            },
        }
    }
}

impl CloudStandinConfig {
    /// `/connect/v1/environments/{env}/clusters/{lkc}`: the `CONNECT_REST_URL` path.
    pub fn base_path(&self) -> String {
        format!(
            "/connect/v1/environments/{}/clusters/{}",
            self.environment, self.cluster
        )
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Milliseconds since the stand-in started.
    pub at_ms: f64,
    #[serde(skip)]
    pub at: Instant,
    pub status: u16,
    /// On a 429, the `Retry-After` it announced, in seconds.
    pub retry_after_secs: Option<u64>,
}

struct Window {
    started: Instant,
    count: u32,
}

struct Inner {
    connectors: Vec<CloudConnector>,
    rate_limit: RateLimit,
    window: Option<Window>,
    throttle_next: u32,
    throttle_retry_after: Duration,
    requests: Vec<Recorded>,
}

pub struct CloudStandin {
    pub config: CloudStandinConfig,
    started: Instant,
    inner: Mutex<Inner>,
}

impl CloudStandin {
    pub fn new(config: CloudStandinConfig, connectors: Vec<CloudConnector>) -> Arc<CloudStandin> {
        Arc::new(CloudStandin {
            started: Instant::now(),
            inner: Mutex::new(Inner {
                connectors,
                rate_limit: config.rate_limit,
                window: None,
                throttle_next: 0,
                throttle_retry_after: Duration::from_secs(1),
                requests: Vec::new(),
            }),
            config,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_connectors(&self, connectors: Vec<CloudConnector>) {
        self.lock().connectors = connectors;
    }

    pub fn update_connectors(&self, change: impl FnOnce(&mut Vec<CloudConnector>)) {
        change(&mut self.lock().connectors);
    }

    pub fn connectors(&self) -> Vec<CloudConnector> {
        self.lock().connectors.clone()
    }

    /// A new fixed window, starting at the next request.
    pub fn set_rate_limit(&self, limit: RateLimit) {
        let mut inner = self.lock();
        inner.rate_limit = limit;
        inner.window = None;
    }

    /// The next `n` authenticated requests answer 429 with `Retry-After: retry_after` (whole
    /// seconds, rounded up).
    pub fn throttle_next(&self, n: u32, retry_after: Duration) {
        let mut inner = self.lock();
        inner.throttle_next = n;
        inner.throttle_retry_after = retry_after;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Requests that arrived before an earlier 429's `Retry-After` had passed.
    pub fn early_requests(&self) -> Vec<Recorded> {
        let requests = self.requests();
        let mut not_before: Option<Instant> = None;
        let mut early = Vec::new();
        for r in requests {
            if not_before.is_some_and(|t| r.at < t) {
                early.push(r.clone());
            }
            if let Some(secs) = r.retry_after_secs {
                let until = r.at + Duration::from_secs(secs);
                not_before = Some(not_before.map_or(until, |t| t.max(until)));
            }
        }
        early
    }
}

pub fn router(standin: Arc<CloudStandin>) -> Router {
    Router::new().fallback(handle).with_state(standin)
}

/// Cloud's error envelope.
pub fn cloud_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"code": status.as_u16(), "message": message}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    let v: Value = serde_json::from_str(NOT_FOUND_FIXTURE).expect("the 404 fixture is JSON");
    cloud_error(
        StatusCode::NOT_FOUND,
        v["error"]["message"]
            .as_str()
            .unwrap_or("resource not found"),
    )
}

fn json_ok(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn authorized(config: &CloudStandinConfig, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(decoded) = B64.decode(encoded.trim()) else {
        return false;
    };
    decoded == format!("{}:{}", config.api_key, config.api_secret).as_bytes()
}

async fn handle(State(s): State<Arc<CloudStandin>>, request: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 4 << 20).await.unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    if let Some(control) = path.strip_prefix("/_standin/") {
        return control_api(&s, &parts.method, control, query.as_deref(), &body);
    }
    let mut retry_after_secs = None;
    let mut response = if authorized(&s.config, &parts.headers) {
        let mut inner = s.lock();
        match admit(&mut inner, at) {
            Err(retry_after) => {
                retry_after_secs = Some(retry_after);
                let mut r = cloud_error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                let limit = inner.rate_limit.requests;
                rate_headers(&mut r, limit, 0, retry_after);
                r
            }
            Ok((remaining, reset)) => {
                let mut r = route(
                    &s.config,
                    &mut inner,
                    &parts.method,
                    &path,
                    query.as_deref(),
                );
                let limit = inner.rate_limit.requests;
                rate_headers(&mut r, limit, remaining, reset);
                r
            }
        }
    } else {
        cloud_error(StatusCode::UNAUTHORIZED, "Unauthorized")
    };
    let n = s.lock().requests.len();
    response.headers_mut().insert(
        "x-request-id",
        HeaderValue::from_str(&format!("standin-{n:08}")).expect("ASCII"),
    );
    s.lock().requests.push(Recorded {
        method: parts.method.to_string(),
        path,
        query,
        at_ms: at.duration_since(s.started).as_secs_f64() * 1000.0,
        at,
        status: response.status().as_u16(),
        retry_after_secs,
    });
    response
}

/// Counts the request in the window. `Ok((remaining, reset secs))`, or `Err(retry-after secs)`.
fn admit(inner: &mut Inner, now: Instant) -> Result<(u32, u64), u64> {
    let limit = inner.rate_limit;
    let window = match &mut inner.window {
        Some(w) if now.duration_since(w.started) < limit.window => w,
        slot => slot.insert(Window {
            started: now,
            count: 0,
        }),
    };
    window.count = window.count.saturating_add(1);
    let left = limit
        .window
        .saturating_sub(now.duration_since(window.started));
    let reset = ceil_secs(left);
    if inner.throttle_next > 0 {
        inner.throttle_next -= 1;
        return Err(ceil_secs(inner.throttle_retry_after));
    }
    if window.count > limit.requests {
        return Err(reset.max(1));
    }
    Ok((limit.requests - window.count, reset))
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn rate_headers(r: &mut Response, limit: u32, remaining: u32, reset: u64) {
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
}

/// The `expand` values asked for, in either form.
pub fn expansions(query: Option<&str>) -> Option<Vec<String>> {
    let mut any = false;
    let mut values = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k == "expand" {
            any = true;
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if !values.iter().any(|x| x == part) {
                    values.push(part.to_string());
                }
            }
        }
    }
    any.then_some(values)
}

fn route(
    config: &CloudStandinConfig,
    inner: &mut Inner,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Response {
    let base = config.base_path();
    let rest = path
        .strip_prefix(&base)
        .and_then(|r| r.strip_prefix("/connectors"))
        .filter(|r| r.is_empty() || r.starts_with('/'));
    let Some(rest) = rest else {
        // Includes the cluster path itself: Cloud has no `GET /`.
        return not_found();
    };
    let segments: Vec<String> = rest
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    match (method, segments.as_slice()) {
        (&Method::GET, []) => list(&inner.connectors, query),
        (_, [name, tail @ ..]) => {
            let Some(c) = inner.connectors.iter_mut().find(|c| &c.name == name) else {
                return not_found();
            };
            let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
            match (method, tail.as_slice()) {
                (&Method::GET, []) => json_ok(StatusCode::OK, &c.info()),
                (&Method::GET, ["config"]) => json_ok(StatusCode::OK, &c.masked_config()),
                (&Method::GET, ["status"]) => json_ok(StatusCode::OK, &c.status()),
                (&Method::GET, ["tasks"]) => json_ok(StatusCode::OK, &c.task_configs()),
                (&Method::PUT, ["pause"]) => {
                    c.set_all("PAUSED");
                    StatusCode::ACCEPTED.into_response()
                }
                (&Method::PUT, ["resume"]) => {
                    if c.state == "PAUSED" {
                        c.set_all("RUNNING");
                    }
                    StatusCode::ACCEPTED.into_response()
                }
                (&Method::POST, ["restart"]) => {
                    c.set_all("RUNNING");
                    StatusCode::ACCEPTED.into_response()
                }
                _ => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn list(connectors: &[CloudConnector], query: Option<&str>) -> Response {
    let Some(expand) = expansions(query) else {
        let names: Vec<&str> = connectors.iter().map(|c| c.name.as_str()).collect();
        return json_ok(StatusCode::OK, &json!(names));
    };
    let wants = |x: &str| expand.iter().any(|e| e == x);
    let mut out = Map::new();
    for c in connectors {
        let mut entry = Map::new();
        if wants("id") {
            entry.insert("id".into(), c.id_expansion());
        }
        if wants("info") {
            entry.insert("info".into(), c.info_expansion());
        }
        if wants("status") {
            entry.insert("status".into(), c.status());
        }
        out.insert(c.name.clone(), Value::Object(entry));
    }
    json_ok(StatusCode::OK, &Value::Object(out))
}

fn param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET requests`, `DELETE requests`, `POST throttle?next=N&retry_after=S`,
/// `POST rate-limit?requests=N&window_secs=S`, `PUT connectors` (an expand-shaped object).
fn control_api(
    s: &CloudStandin,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response {
    let number = |name: &str| param(query, name).and_then(|v| v.parse::<u64>().ok());
    let done = || StatusCode::NO_CONTENT.into_response();
    match (method, path) {
        (&Method::GET, "requests") => json_ok(StatusCode::OK, &json!(s.requests())),
        (&Method::DELETE, "requests") => {
            s.clear_requests();
            done()
        }
        (&Method::POST, "throttle") => match number("next") {
            Some(n) => {
                let secs = number("retry_after").unwrap_or(1);
                s.throttle_next(
                    u32::try_from(n).unwrap_or(u32::MAX),
                    Duration::from_secs(secs),
                );
                done()
            }
            None => (StatusCode::BAD_REQUEST, "next=N is required\n").into_response(),
        },
        (&Method::POST, "rate-limit") => match (number("requests"), number("window_secs")) {
            (Some(requests), Some(secs)) if secs > 0 => {
                s.set_rate_limit(RateLimit {
                    requests: u32::try_from(requests).unwrap_or(u32::MAX),
                    window: Duration::from_secs(secs),
                });
                done()
            }
            _ => (
                StatusCode::BAD_REQUEST,
                "requests=N&window_secs=S are required\n",
            )
                .into_response(),
        },
        (&Method::PUT, "connectors") => {
            let parsed = serde_json::from_slice::<Value>(body)
                .map_err(|e| e.to_string())
                .and_then(|v| connectors_from_expand(&v));
            match parsed {
                Ok(connectors) => {
                    s.set_connectors(connectors);
                    done()
                }
                Err(e) => {
                    (StatusCode::BAD_REQUEST, format!("not connectors: {e}\n")).into_response()
                }
            }
        }
        _ => (StatusCode::NOT_FOUND, "unknown control path\n").into_response(),
    }
}
