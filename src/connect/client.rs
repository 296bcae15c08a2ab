//! The HTTP client for one Connect cluster's REST API: TLS, auth, timeouts, a cap on body size,
//! the path prefix of `CONNECT_REST_URL` kept on every request, connector names sent exactly,
//! `Retry-After` honoured, and every failure translated into a [`ConnectError`] with its
//! [`Reason`].

use std::error::Error as StdError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use super::error::{
    ConnectError, Reason, classify_status, is_plain_http_refused, is_starting_worker,
};
use super::model::{
    ActiveTopics, ConnectorInfo, ConnectorStatus, EachEntry, Expanded, Health, Listing, ServerInfo,
    TaskInfo,
};
use crate::secret::Secret;

/// The `User-Agent` every request carries, so Connect's access log shows who is calling.
pub const USER_AGENT: &str = concat!("kconnect-exporter/", env!("CARGO_PKG_VERSION"));

/// What a plain-HTTP request to a TLS port gets, whoever says so.
const PLAIN_HTTP_ON_TLS: &str = "the server speaks HTTPS on this port, and the URL says http://";

/// The longest `Retry-After` honoured; a larger value is taken as this (a misconfigured proxy
/// must not silence a cluster for days).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Characters sent as they are in a path segment: RFC 3986's unreserved set. Everything else,
/// control characters, `/`, `%`, `?`, `#` and non-ASCII included, is percent-encoded, so a
/// connector's name reaches Connect as one segment, byte for byte.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Everything needed to talk to one cluster; built from the configuration.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `CONNECT_REST_URL`; may carry a path prefix (a proxy in front of Connect, or Confluent
    /// Cloud's `/connect/v1/environments/…/clusters/…`).
    pub base_url: Url,
    pub timeout: Duration,
    pub basic_auth: Option<BasicAuth>,
    /// `CONNECT_PERMISSIVE_SSL`: accept any server certificate.
    pub permissive_tls: bool,
    /// DER certificates from the truststore. When there are any, only they are trusted, as a
    /// Java truststore replaces the default one.
    pub trusted_certs: Vec<Vec<u8>>,
    /// PEM of the client key and certificate chain from the keystore, for mTLS.
    pub identity_pem: Option<Secret>,
    pub max_response_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub user: String,
    pub password: Secret,
}

/// The client could not be built from its settings (a bad certificate or key).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// What a request about one connector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    Found(T),
    /// 404: the connector is gone, or has no status yet.
    Gone,
    /// The connector exists but Connect cannot serve it by name: a name that cannot be written
    /// as a URL path segment (`.`, `..`), or a 400/414 for its path (Jetty refuses some encoded
    /// characters). Only this connector is affected.
    Unreadable(ConnectError),
}

/// The two forms of `GET /connectors?expand=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpandForm {
    /// `expand=status&expand=info`: Apache Connect matches each value whole.
    Repeated,
    /// `expand=info,status,id`: the form Confluent Cloud documents (with its `id` expansion).
    CloudComma,
    /// `expand=id`: Confluent Cloud's connector ids alone.
    CloudIds,
}

impl ExpandForm {
    fn query(self) -> &'static str {
        match self {
            ExpandForm::Repeated => "expand=status&expand=info",
            ExpandForm::CloudComma => "expand=info,status,id",
            ExpandForm::CloudIds => "expand=id",
        }
    }
}

/// A client of one Connect cluster. Cheap to clone; clones share the connection pool, the
/// request counter and the `Retry-After` gate.
#[derive(Debug, Clone)]
pub struct ConnectClient {
    http: reqwest::Client,
    /// The base URL with its path ending in `/`: every request path is appended to it.
    base: Url,
    basic_auth: Option<BasicAuth>,
    max_response_bytes: usize,
    requests: Arc<AtomicU64>,
    not_before: Arc<Mutex<Option<Instant>>>,
}

impl ConnectClient {
    pub fn new(settings: &ClientSettings) -> Result<Self, BuildError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // Connect never redirects; a redirect means a proxy or a wrong URL, which the
            // status classification reports better than following it would.
            .redirect(reqwest::redirect::Policy::none());
        if settings.permissive_tls {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        if !settings.trusted_certs.is_empty() {
            let certs = settings
                .trusted_certs
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| BuildError(format!("truststore certificate: {}", e.without_url())))?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(pem) = &settings.identity_pem {
            let identity = reqwest::Identity::from_pem(pem.expose().as_bytes())
                .map_err(|e| BuildError(format!("keystore: {}", chain(&e))))?;
            builder = builder.identity(identity);
        }
        let http = builder.build().map_err(|e| BuildError(chain(&e)))?;
        let mut base = settings.base_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        Ok(ConnectClient {
            http,
            base,
            basic_auth: settings.basic_auth.clone(),
            max_response_bytes: settings.max_response_bytes,
            requests: Arc::new(AtomicU64::new(0)),
            not_before: Arc::new(Mutex::new(None)),
        })
    }

    /// How many requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Until when the cluster asked (429 with `Retry-After`) not to be called, if that is still
    /// ahead.
    pub fn throttled_until(&self) -> Option<Instant> {
        let gate = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        gate.filter(|t| *t > Instant::now())
    }

    /// `GET /` (the URL's own path, with its trailing slash).
    pub async fn server_info(&self) -> Result<ServerInfo, ConnectError> {
        self.get_json(&[], "").await
    }

    /// `GET /connectors`.
    pub async fn connector_names(&self) -> Result<Vec<String>, ConnectError> {
        self.get_json(&["connectors"], "").await
    }

    /// `GET /connectors?expand=…` in `form`. Each entry of the answer is handed to `each` as it
    /// is parsed.
    pub async fn connectors_expanded<T>(
        &self,
        form: ExpandForm,
        mut each: impl FnMut(String, Expanded) -> T,
    ) -> Result<Listing<T>, ConnectError> {
        let (request, body) = self.get_body(&["connectors"], form.query()).await?;
        // The JSON type tells the shape: an old Connect ignores `expand` and sends names.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return decode(&request, &body).map(Listing::NamesOnly);
        }
        let mut de = serde_json::Deserializer::from_slice(&body);
        serde::de::DeserializeSeed::deserialize(EachEntry(&mut each), &mut de)
            .and_then(|entries| de.end().map(|()| entries))
            .map(Listing::Expanded)
            .map_err(|e| decode_error(&request, e))
    }

    /// `GET /connectors/{name}`.
    pub async fn connector_info(&self, name: &str) -> Result<Lookup<ConnectorInfo>, ConnectError> {
        self.lookup(&["connectors", name]).await
    }

    /// `GET /connectors/{name}/status`.
    pub async fn connector_status(
        &self,
        name: &str,
    ) -> Result<Lookup<ConnectorStatus>, ConnectError> {
        self.lookup(&["connectors", name, "status"]).await
    }

    /// `GET /connectors/{name}/tasks`.
    pub async fn connector_tasks(&self, name: &str) -> Result<Lookup<Vec<TaskInfo>>, ConnectError> {
        self.lookup(&["connectors", name, "tasks"]).await
    }

    /// `GET /connectors/{name}/topics`: the topics the connector has used (Kafka 2.5+). A
    /// Connect with topic tracking disabled answers 403, one too old 404: both are errors with
    /// their status, for the caller to stop asking.
    pub async fn connector_topics(&self, name: &str) -> Result<Lookup<Vec<String>>, ConnectError> {
        let found: Lookup<std::collections::HashMap<String, ActiveTopics>> =
            self.lookup(&["connectors", name, "topics"]).await?;
        Ok(match found {
            Lookup::Found(mut by_name) => {
                let mut topics = by_name.remove(name).map(|t| t.topics).unwrap_or_default();
                topics.sort();
                topics.dedup();
                Lookup::Found(topics)
            }
            Lookup::Gone => Lookup::Gone,
            Lookup::Unreadable(e) => Lookup::Unreadable(e),
        })
    }

    /// `GET /health` (Kafka 3.9+): the serving worker's health. 503 (starting) and 500
    /// (unhealthy) come back as the body they carry; 404 (an older Connect) as `None`.
    pub async fn health(&self) -> Result<Option<(bool, Health)>, ConnectError> {
        match self.get_json::<Health>(&["health"], "").await {
            Ok(h) => Ok(Some((true, h))),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) if matches!(e.status, Some(500 | 503)) => Ok(Some((
                false,
                Health {
                    status: if e.status == Some(503) {
                        "starting"
                    } else {
                        "unhealthy"
                    }
                    .to_string(),
                    message: e.detail.clone(),
                },
            ))),
            Err(e) => Err(e),
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &str,
    ) -> Result<T, ConnectError> {
        let (request, body) = self.get_body(segments, query).await?;
        decode(&request, &body)
    }

    /// A GET about one connector: what only that connector suffers from is told apart from what
    /// fails the whole observation.
    async fn lookup<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<Lookup<T>, ConnectError> {
        if let Err(e) = self.url(segments, "") {
            return Ok(Lookup::Unreadable(e));
        }
        match self.get_json(segments, "").await {
            Ok(v) => Ok(Lookup::Found(v)),
            Err(e) if e.status == Some(404) => Ok(Lookup::Gone),
            Err(e) if matches!(e.status, Some(400 | 414)) => Ok(Lookup::Unreadable(e)),
            Err(e) => Err(e),
        }
    }

    /// Sends one GET and reads the whole body (up to the cap). Returns the request (method and
    /// path, never the URL, which may carry credentials) for error messages.
    async fn get_body(
        &self,
        segments: &[&str],
        query: &str,
    ) -> Result<(String, Vec<u8>), ConnectError> {
        let (request, _, body) = self.send(reqwest::Method::GET, segments, query).await?;
        Ok((request, body))
    }

    /// Sends one request without a body, once, and reads the whole answer (up to the cap):
    /// the request as errors show it, the status and the body of a 2xx; any other status is a
    /// [`ConnectError`] with Connect's message.
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        query: &str,
    ) -> Result<(String, u16, Vec<u8>), ConnectError> {
        let (url, request) = self.url(segments, query)?;
        let request = match request.strip_prefix("GET ") {
            Some(target) => format!("{method} {target}"),
            None => request,
        };
        if let Some(until) = self.throttled_until() {
            return Err(ConnectError::new(
                Reason::RateLimited,
                request,
                format!(
                    "not sent: the cluster asked to wait (Retry-After) another {} s",
                    until.saturating_duration_since(Instant::now()).as_secs() + 1
                ),
            ));
        }
        let mut builder = self
            .http
            .request(method, url)
            .header("accept", "application/json");
        if let Some(auth) = &self.basic_auth {
            builder = builder.basic_auth(&auth.user, Some(auth.password.expose()));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let plain_http = self.base.scheme() == "http";
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(&request, &e, plain_http))?;
        let status = response.status();
        let server = response
            .headers()
            .get("server")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if status.as_u16() == 429 {
            self.hold_off(response.headers());
        }
        if let Some(len) = response.content_length()
            && len > self.max_response_bytes as u64
        {
            return Err(self.too_large(&request, status.as_u16()));
        }
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .unwrap_or(0)
                .min(self.max_response_bytes as u64) as usize,
        );
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(&request, &e, plain_http))?
        {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(self.too_large(&request, status.as_u16()));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let message = error_message(&body);
            if is_starting_worker(status.as_u16(), server.as_deref(), &body) {
                let detail = format!(
                    "HTTP {} from the worker's web server, not from Connect's REST API: the worker is still starting",
                    status.as_u16()
                );
                return Err(ConnectError::new(Reason::Starting, request, detail)
                    .with_status(status.as_u16()));
            }
            if plain_http && is_plain_http_refused(status.as_u16(), &message) {
                return Err(ConnectError::new(Reason::Tls, request, PLAIN_HTTP_ON_TLS)
                    .with_status(status.as_u16()));
            }
            let reason = classify_status(status.as_u16(), &message);
            let code = format!("HTTP {}", status.as_u16());
            // Jetty's own pages already say `HTTP 404 Not Found`.
            let detail = if message.is_empty() {
                code
            } else if message.starts_with(&code) {
                message
            } else {
                format!("{code}: {message}")
            };
            return Err(ConnectError::new(reason, request, detail).with_status(status.as_u16()));
        }
        Ok((request, status.as_u16(), body))
    }

    /// Remembers the wait a 429 asks for: `Retry-After` (seconds or an HTTP date), else
    /// Confluent Cloud's `X-RateLimit-Reset` (seconds until the window resets).
    fn hold_off(&self, headers: &HeaderMap) {
        let Some(wait) = retry_after(headers) else {
            return;
        };
        let until = Instant::now() + wait.min(MAX_RETRY_AFTER);
        let mut gate = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if gate.is_none_or(|t| t < until) {
            *gate = Some(until);
        }
    }

    fn too_large(&self, request: &str, status: u16) -> ConnectError {
        ConnectError::new(
            Reason::TooLarge,
            request,
            format!(
                "response body exceeds {} bytes (raise --connect.max-response-bytes)",
                self.max_response_bytes
            ),
        )
        .with_status(status)
    }

    /// The URL of `segments` under the base path, each segment percent-encoded whole, and the
    /// request as errors show it. A segment the URL standard would rewrite (`.` and `..`, which
    /// it resolves as dot segments) cannot be sent and is refused here.
    fn url(&self, segments: &[&str], query: &str) -> Result<(Url, String), ConnectError> {
        let mut path = self.base.path().to_string();
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                path.push('/');
            }
            path.extend(utf8_percent_encode(segment, SEGMENT));
        }
        let request = if query.is_empty() {
            format!("GET {path}")
        } else {
            format!("GET {path}?{query}")
        };
        let mut url = self.base.clone();
        url.set_path(&path);
        url.set_query((!query.is_empty()).then_some(query));
        if url.path() != path {
            return Err(ConnectError::new(
                Reason::UnexpectedStatus,
                request,
                "this name cannot be written as a URL path segment (the URL standard resolves \
                 `.` and `..`), so Connect cannot be asked about it by name",
            ));
        }
        Ok((url, request))
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(
                at.duration_since(std::time::SystemTime::now())
                    .unwrap_or_default(),
            );
        }
    }
    text("x-ratelimit-reset")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(MAX_RETRY_AFTER.as_secs_f64())))
}

pub(super) fn decode<T: DeserializeOwned>(request: &str, body: &[u8]) -> Result<T, ConnectError> {
    serde_json::from_slice(body).map_err(|e| decode_error(request, e))
}

fn decode_error(request: &str, e: serde_json::Error) -> ConnectError {
    ConnectError::new(
        Reason::Decode,
        request,
        format!("unexpected response body: {e}"),
    )
}

/// Connect's error body is `{"error_code": n, "message": "…"}`, Confluent Cloud's
/// `{"error": {"code": n, "message": "…"}}`; the basic-auth extension sends plain text, Jetty and
/// proxies an HTML page, of which the title says it all. One line, at most 200 characters.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Inner {
        message: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: Option<String>,
        error: Option<Inner>,
    }
    let text = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            message: Some(m), ..
        })
        | Ok(ErrorBody {
            error: Some(Inner { message: Some(m) }),
            ..
        }) => m,
        _ => {
            let text = String::from_utf8_lossy(body);
            let lower = text.to_ascii_lowercase();
            match (lower.find("<title>"), lower.find("</title>")) {
                (Some(a), Some(b)) if a + 7 <= b => text[a + 7..b].to_string(),
                _ => text.into_owned(),
            }
        }
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn transport_error(request: &str, e: &reqwest::Error, plain_http: bool) -> ConnectError {
    if plain_http && answered_not_http(e) {
        return ConnectError::new(Reason::Tls, request, PLAIN_HTTP_ON_TLS);
    }
    let reason = if e.is_timeout() {
        Reason::Timeout
    } else if is_tls(e) {
        Reason::Tls
    } else {
        Reason::Connect
    };
    ConnectError::new(reason, request, chain(e))
}

/// Whether the answer did not start as HTTP does (`HTTP/1.1 …`): what a TLS server sends back
/// to a plain-HTTP request (a TLS alert record) reads as an invalid HTTP version.
fn answered_not_http(e: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            return h.is_parse() && h.to_string().contains("HTTP version");
        }
        current = err.source();
    }
    false
}

fn is_tls(e: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if err.is::<rustls::Error>() {
            return true;
        }
        // An io::Error's `source()` skips the error it wraps, which is where tokio-rustls puts
        // the rustls error: step into it instead.
        current = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    false
}

/// The error and its causes on one line, without the URL reqwest would otherwise print.
fn chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut current: Option<&(dyn StdError + 'static)> = e.source();
    let head = match e.url() {
        Some(_) => {
            if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "cannot connect".to_string()
            } else if e.is_body() {
                "error reading the response body".to_string()
            } else {
                "request failed".to_string()
            }
        }
        None => e.to_string(),
    };
    out.push_str(&head);
    while let Some(err) = current {
        let msg = err.to_string();
        if !msg.is_empty() && !out.ends_with(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        current = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> ConnectClient {
        ConnectClient::new(&ClientSettings {
            base_url: Url::parse(base).expect("test URL"),
            timeout: Duration::from_secs(1),
            basic_auth: None,
            permissive_tls: false,
            trusted_certs: vec![],
            identity_pem: None,
            max_response_bytes: 1024,
        })
        .expect("client builds")
    }

    fn path_of(c: &ConnectClient, segments: &[&str], query: &str) -> String {
        let (url, _) = c.url(segments, query).expect("addressable");
        url[url::Position::BeforePath..].to_string()
    }

    #[test]
    fn every_name_is_one_exact_segment_under_any_prefix() {
        for base in ["http://connect:8083/proxy/", "http://connect:8083/proxy"] {
            let c = client(base);
            assert_eq!(path_of(&c, &[], ""), "/proxy/");
            assert_eq!(path_of(&c, &["connectors"], ""), "/proxy/connectors");
            for (name, sent) in [
                ("a/b \"c\"?#%", "a%2Fb%20%22c%22%3F%23%25"),
                ("tab\there", "tab%09here"),
                ("line\nfeed\r", "line%0Afeed%0D"),
                ("dots.in.name", "dots.in.name"),
                ("...", "..."),
                ("naïve-ü", "na%C3%AFve-%C3%BC"),
                ("%2e%2E", "%252e%252E"),
            ] {
                assert_eq!(
                    path_of(&c, &["connectors", name, "status"], ""),
                    format!("/proxy/connectors/{sent}/status"),
                    "{name:?}"
                );
            }
        }
        let c = client("http://connect:8083");
        assert_eq!(
            path_of(&c, &["connectors"], ExpandForm::Repeated.query()),
            "/connectors?expand=status&expand=info"
        );
        assert_eq!(
            path_of(&c, &["connectors"], ExpandForm::CloudComma.query()),
            "/connectors?expand=info,status,id"
        );
        assert_eq!(path_of(&c, &[], ""), "/");
    }

    #[test]
    fn dot_names_cannot_be_addressed() {
        let c = client("http://connect:8083/");
        for name in [".", ".."] {
            let e = c.url(&["connectors", name], "").unwrap_err();
            assert_eq!(e.request, format!("GET /connectors/{name}"));
            assert_eq!(e.reason, Reason::UnexpectedStatus);
        }
    }

    #[test]
    fn error_messages_come_from_connect_or_cloud_json_or_text() {
        assert_eq!(
            error_message(br#"{"error_code":409,"message":"stale configuration"}"#),
            "stale configuration"
        );
        assert_eq!(
            error_message(br#"{"error":{"code":404,"message":"connector not found"}}"#),
            "connector not found"
        );
        assert_eq!(
            error_message(b"User cannot access the resource.\n"),
            "User cannot access the resource."
        );
        assert_eq!(error_message(&[b'x'; 300]).chars().count(), 201);
        assert_eq!(
            error_message(b"<html>\n<head>\n<title>Error 400 Ambiguous URI path separator</title>\n</head><body>x</body></html>"),
            "Error 400 Ambiguous URI path separator"
        );
        assert_eq!(
            error_message(b"line one\n\tline two\n"),
            "line one line two"
        );
    }

    #[test]
    fn retry_after_in_seconds_or_rate_limit_reset() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("x-ratelimit-reset", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", "30".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(30)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
