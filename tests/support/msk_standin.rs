//! A stand-in for Amazon MSK Connect (`kafkaconnect`, REST-JSON) and CloudWatch's GetMetricData
//! (Smithy RPC v2 CBOR, as the pinned `aws-sdk-cloudwatch` speaks it) on one port, for tests and
//! the end-to-end suite. Point the AWS SDK at it with `AWS_ENDPOINT_URL` (or the loader's
//! `endpoint_url`).
//!
//! Every API request's SigV4 signature is verified against the stand-in's own static
//! credentials, region and signing name (`kafkaconnect` or `monitoring`); a bad or missing one
//! gets AWS's 403. Answers follow the shapes of `tests/fixtures/msk-*.json`. Everything received
//! is recorded (operation, query, arrival, signature verdict, status) for assertions.
//!
//! One implementation, used two ways: tests `#[path]`-include it and serve [`router`] in-process;
//! `examples/msk_standin.rs` serves it as a process. Control paths under `/_standin/` (never
//! signed, never recorded) let a process's owner read the record and change the data.
#![allow(dead_code)]

#[path = "cbor.rs"]
pub mod cbor;
#[path = "msk_cloudwatch.rs"]
mod cloudwatch;
#[path = "msk_data.rs"]
mod data;
#[path = "sigv4_check.rs"]
pub mod sigv4_check;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde_json::{Value, json};

#[allow(unused_imports)]
pub use data::{ACCOUNT, DESCRIBE_FIXTURE, LIST_FIXTURE, MskData, TaskSeries, arn};
pub use sigv4_check::StaticCredentials;

/// CloudWatch's RPC v2 path prefix (its Smithy service shape is `GraniteServiceVersion20100801`).
pub const CLOUDWATCH_PATH: &str = "/service/GraniteServiceVersion20100801/operation/";

/// The region and credentials the stand-in accepts.
#[derive(Debug, Clone)]
pub struct MskStandinConfig {
    pub region: String,
    pub credentials: StaticCredentials,
}

impl Default for MskStandinConfig {
    fn default() -> Self {
        MskStandinConfig {
            region: "eu-west-1".into(),
            credentials: StaticCredentials::default(),
        }
    }
}

/// Which API a request called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Operation {
    ListConnectors,
    DescribeConnector,
    GetMetricData,
    Unknown,
}

/// The signature check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Signature {
    Verified { region: String, service: String },
    Refused { code: String, message: String },
}

/// One request as the stand-in received it.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub operation: Operation,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Milliseconds since the stand-in started.
    pub at_ms: f64,
    #[serde(skip)]
    pub at: Instant,
    pub signature: Signature,
    /// GetMetricData: the number of queries in the request.
    pub metric_queries: usize,
    pub status: u16,
}

impl Recorded {
    /// The value of query parameter `name`, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn verified(&self) -> bool {
        matches!(self.signature, Signature::Verified { .. })
    }
}

struct Inner {
    data: MskData,
    throttle_next: u32,
    reject_credentials: bool,
    delay: Duration,
    metric_results_per_page: Option<usize>,
    requests: Vec<Recorded>,
}

/// The stand-in's state, shared by its handlers and the test that owns it.
pub struct MskStandin {
    pub config: MskStandinConfig,
    started: Instant,
    inner: Mutex<Inner>,
}

impl MskStandin {
    pub fn new(config: MskStandinConfig, data: MskData) -> Arc<MskStandin> {
        Arc::new(MskStandin {
            config,
            started: Instant::now(),
            inner: Mutex::new(Inner {
                data,
                throttle_next: 0,
                reject_credentials: false,
                delay: Duration::ZERO,
                metric_results_per_page: None,
                requests: Vec::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_data(&self, data: MskData) {
        self.lock().data = data;
    }

    pub fn update_data(&self, change: impl FnOnce(&mut MskData)) {
        change(&mut self.lock().data);
    }

    /// The next `n` API requests (either service) are throttled.
    pub fn throttle_next(&self, n: u32) {
        self.lock().throttle_next = n;
    }

    /// Answer every API request as if the access key were unknown.
    pub fn reject_credentials(&self, on: bool) {
        self.lock().reject_credentials = on;
    }

    /// Wait this long before answering each API request.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// Split GetMetricData answers into pages of this many results (default: one page).
    pub fn set_metric_results_per_page(&self, n: Option<usize>) {
        self.lock().metric_results_per_page = n;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// (verified, refused) signatures among the requests received.
    pub fn signature_counts(&self) -> (usize, usize) {
        let requests = self.lock();
        let verified = requests.requests.iter().filter(|r| r.verified()).count();
        (verified, requests.requests.len() - verified)
    }
}

/// The stand-in's routes: everything goes through one handler, which verifies, answers and
/// records.
pub fn router(standin: Arc<MskStandin>) -> Router {
    Router::new().fallback(handle).with_state(standin)
}

async fn handle(State(s): State<Arc<MskStandin>>, request: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 4 << 20).await.unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    if let Some(control) = path.strip_prefix("/_standin/") {
        return control_api(&s, &parts.method, control, query.as_deref(), &body);
    }
    let (operation, service) = route(&parts.method, &path);
    let delay = s.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let target = parts
        .uri
        .path_and_query()
        .map_or(path.as_str(), |pq| pq.as_str());
    let received = sigv4_check::Received {
        method: parts.method.as_str(),
        path_and_query: target,
        headers: &parts.headers,
        body: &body,
    };
    let signature = match sigv4_check::verify(
        &received,
        &s.config.credentials,
        &s.config.region,
        service,
        SystemTime::now(),
    ) {
        Ok(scope) => Signature::Verified {
            region: scope.region,
            service: scope.service,
        },
        Err(f) => Signature::Refused {
            code: f.code.to_string(),
            message: f.message,
        },
    };
    let mut metric_queries = 0;
    let call = Call {
        operation,
        service,
        signature: &signature,
        path: &path,
        query: query.as_deref(),
        headers: &parts.headers,
        body: &body,
    };
    let response = answer(&s, &call, &mut metric_queries);
    s.lock().requests.push(Recorded {
        operation,
        method: parts.method.to_string(),
        path,
        query,
        at_ms: at.duration_since(s.started).as_secs_f64() * 1000.0,
        at,
        signature,
        metric_queries,
        status: response.status().as_u16(),
    });
    response
}

fn route(method: &Method, path: &str) -> (Operation, &'static str) {
    if let Some(operation) = path.strip_prefix(CLOUDWATCH_PATH) {
        let op = match (method, operation) {
            (&Method::POST, "GetMetricData") => Operation::GetMetricData,
            _ => Operation::Unknown,
        };
        return (op, "monitoring");
    }
    let op = match (method, path.strip_prefix("/v1/connectors")) {
        (&Method::GET, Some("" | "/")) => Operation::ListConnectors,
        (&Method::GET, Some(rest)) if rest.len() > 1 && !rest[1..].contains('/') => {
            Operation::DescribeConnector
        }
        _ => Operation::Unknown,
    };
    (op, "kafkaconnect")
}

/// An API request, routed and checked.
struct Call<'a> {
    operation: Operation,
    service: &'static str,
    signature: &'a Signature,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

fn answer(s: &MskStandin, call: &Call<'_>, metric_queries: &mut usize) -> Response {
    let cbor = call.service == "monitoring";
    if let Signature::Refused { code, message } = call.signature {
        return aws_error(cbor, StatusCode::FORBIDDEN, code, message);
    }
    let mut inner = s.lock();
    if inner.reject_credentials {
        let code = if cbor {
            "InvalidClientTokenId"
        } else {
            "UnrecognizedClientException"
        };
        let message = "The security token included in the request is invalid.";
        return aws_error(cbor, StatusCode::FORBIDDEN, code, message);
    }
    if inner.throttle_next > 0 {
        inner.throttle_next -= 1;
        // REST services throttle with a 429; CloudWatch with a 400 and its query code.
        return if cbor {
            aws_error(true, StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
        } else {
            aws_error(
                false,
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate exceeded",
            )
        };
    }
    match call.operation {
        Operation::ListConnectors => list_connectors(&inner.data, call.query),
        Operation::DescribeConnector => describe_connector(&inner.data, call.path),
        Operation::GetMetricData => {
            if call
                .headers
                .get("smithy-protocol")
                .and_then(|v| v.to_str().ok())
                != Some("rpc-v2-cbor")
            {
                return aws_error(
                    true,
                    StatusCode::BAD_REQUEST,
                    "ValidationError",
                    "The smithy-protocol header must be rpc-v2-cbor.",
                );
            }
            let per_page = inner.metric_results_per_page;
            cloudwatch::get_metric_data(&inner.data, call.body, per_page, metric_queries)
        }
        Operation::Unknown => aws_error(
            cbor,
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "Unknown operation",
        ),
    }
}

/// AWS's error answer: REST-JSON puts the code in `x-amzn-ErrorType` and `{"message"}` in the
/// body; RPC v2 CBOR puts `__type` and `message` in a CBOR body, and CloudWatch, being
/// query-compatible, also sends the code in `x-amzn-query-error`.
pub fn aws_error(cbor: bool, status: StatusCode, code: &str, message: &str) -> Response {
    if cbor {
        let mut w = cbor::Writer::new();
        w.map(2)
            .str("__type")
            .str(&format!("com.amazonaws.cloudwatch#{code}"))
            .str("message")
            .str(message);
        let body = w.into_bytes();
        (
            status,
            [
                (header::CONTENT_TYPE, "application/cbor".to_string()),
                (
                    header::HeaderName::from_static("smithy-protocol"),
                    "rpc-v2-cbor".into(),
                ),
                (
                    header::HeaderName::from_static("x-amzn-query-error"),
                    format!("{code};Sender"),
                ),
            ],
            body,
        )
            .into_response()
    } else {
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::HeaderName::from_static("x-amzn-errortype"),
                    code.to_string(),
                ),
            ],
            json!({ "message": message }).to_string(),
        )
            .into_response()
    }
}

fn json_ok(v: &Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The fixture's token form: base64 of `{"v":1,"offset":n}`.
pub(crate) fn page_token(offset: usize) -> String {
    B64.encode(format!(r#"{{"v":1,"offset":{offset}}}"#))
}

pub(crate) fn token_offset(token: &str) -> Option<usize> {
    let v: Value = serde_json::from_slice(&B64.decode(token).ok()?).ok()?;
    usize::try_from(v["offset"].as_u64()?).ok()
}

fn list_connectors(data: &MskData, query: Option<&str>) -> Response {
    let bad = |m: &str| aws_error(false, StatusCode::BAD_REQUEST, "BadRequestException", m);
    let max = match param(query, "maxResults").map(|v| v.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return bad("maxResults must be between 1 and 100."),
    };
    let offset = match param(query, "nextToken") {
        None => 0,
        Some(t) => match token_offset(&t) {
            Some(o) => o,
            None => return bad("The nextToken is not valid."),
        },
    };
    let prefix = param(query, "connectorNamePrefix").unwrap_or_default();
    let matching: Vec<&Value> = data
        .connectors
        .iter()
        .filter(|c| {
            c["connectorName"]
                .as_str()
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    let page: Vec<&Value> = matching.iter().skip(offset).take(max).copied().collect();
    let mut out = json!({ "connectors": page });
    if offset + max < matching.len() {
        out["nextToken"] = Value::String(page_token(offset + max));
    }
    json_ok(&out)
}

fn describe_connector(data: &MskData, path: &str) -> Response {
    let encoded = &path["/v1/connectors/".len()..];
    let arn = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    let Some(summary) = data
        .connectors
        .iter()
        .find(|c| c["connectorArn"].as_str() == Some(&*arn))
    else {
        return aws_error(
            false,
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("The resource {arn} was not found."),
        );
    };
    let mut out = summary.clone();
    let describe: Value =
        serde_json::from_str(DESCRIBE_FIXTURE).expect("the describe fixture is JSON");
    // The fixture's configuration for its own connector; a secret-bearing one for the others,
    // so tests can check it never leaves the client.
    out["connectorConfiguration"] = if summary["connectorName"] == describe["connectorName"] {
        describe["connectorConfiguration"].clone()
    } else {
        json!({
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "tasks.max": "1",
            "connection.password": "standin-secret-password",
        })
    };
    if let Some(d) = data.state_descriptions.get(&*arn) {
        out["stateDescription"] = d.clone();
    }
    json_ok(&out)
}

/// `GET requests`, `DELETE requests`, `POST throttle?next=N`,
/// `POST reject-credentials?on=true|false`, `POST delay?ms=N`, `PUT data` (an [`MskData`]).
fn control_api(
    s: &MskStandin,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response {
    let number = |name: &str| param(query, name).and_then(|v| v.parse::<u64>().ok());
    match (method, path) {
        (&Method::GET, "requests") => json_ok(&json!(s.requests())),
        (&Method::DELETE, "requests") => {
            s.clear_requests();
            StatusCode::NO_CONTENT.into_response()
        }
        (&Method::POST, "throttle") => match number("next") {
            Some(n) => {
                s.throttle_next(u32::try_from(n).unwrap_or(u32::MAX));
                StatusCode::NO_CONTENT.into_response()
            }
            None => (StatusCode::BAD_REQUEST, "next=N is required\n").into_response(),
        },
        (&Method::POST, "reject-credentials") => {
            s.reject_credentials(param(query, "on").as_deref() != Some("false"));
            StatusCode::NO_CONTENT.into_response()
        }
        (&Method::POST, "delay") => {
            s.set_delay(Duration::from_millis(number("ms").unwrap_or(0)));
            StatusCode::NO_CONTENT.into_response()
        }
        (&Method::PUT, "data") => match serde_json::from_slice::<MskData>(body) {
            Ok(data) => {
                s.set_data(data);
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => (
                StatusCode::BAD_REQUEST,
                format!("not MSK stand-in data: {e}\n"),
            )
                .into_response(),
        },
        _ => (StatusCode::NOT_FOUND, Body::from("unknown control path\n")).into_response(),
    }
}
