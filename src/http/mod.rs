//! The HTTP server (hyper, routes with axum): the telemetry path, `/-/healthy`, `/-/ready` and a
//! landing page. It reads snapshots through the [`Exposition`] and cluster handles; it never
//! calls Connect. Binding, accepting, TLS and the server's limits are in [`serve`]; the web
//! configuration's authentication, rate limit and headers in [`guard`].

mod guard;
pub mod probe;
mod serve;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

pub use guard::{OPEN_PATH, protect};
pub use serve::{
    ClientCertificate, DRAIN_TIMEOUT, HEADER_READ_TIMEOUT, Peer, TLS_HANDSHAKE_TIMEOUT,
    WRITE_STALL_TIMEOUT, bind, serve,
};

use crate::metrics::{Exposition, Format, VERSION};
use crate::observe::ClusterHandle;

/// The longest an uncompressed scrape may take to send, however slowly its reader reads: its
/// response holds the snapshots it encodes from.
pub const STREAM_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
struct Shared {
    exposition: Arc<Exposition>,
    clusters: Arc<Vec<ClusterHandle>>,
    telemetry_path: Arc<str>,
    /// Permits for uncompressed scrapes (`--web.max-requests`); `None` for no limit.
    streams: Option<Arc<Semaphore>>,
    max_requests: usize,
}

/// The exporter's routes. The telemetry path is matched as a plain string, whatever characters
/// it holds.
pub fn router(
    exposition: Arc<Exposition>,
    clusters: Vec<ClusterHandle>,
    telemetry_path: &str,
    max_requests: usize,
) -> Router {
    let shared = Shared {
        exposition,
        clusters: Arc::new(clusters),
        telemetry_path: telemetry_path.into(),
        streams: (max_requests > 0).then(|| Arc::new(Semaphore::new(max_requests))),
        max_requests,
    };
    Router::new()
        .route("/-/healthy", get(healthy))
        .route("/-/ready", get(ready))
        .route("/", get(landing))
        .fallback(telemetry_or_404)
        .with_state(shared)
}

async fn telemetry_or_404(State(s): State<Shared>, request: Request) -> Response {
    if request.uri().path() != &*s.telemetry_path {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    }
    if request.method() != axum::http::Method::GET && request.method() != axum::http::Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "405 method not allowed\n",
        )
            .into_response();
    }
    metrics(s, request.headers()).await
}

async fn metrics(s: Shared, headers: &HeaderMap) -> Response {
    let format = Format::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let gzip = accepts_gzip(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let body = if gzip {
        // One shared compressed copy per observation: no permit needed, whatever the reader.
        s.exposition.record_scrape();
        let exposition = s.exposition.clone();
        // Rebuilding the compressed copy after an observation takes milliseconds of CPU at
        // thousands of connectors: keep it off the async workers.
        let Ok(parts) = tokio::task::spawn_blocking(move || exposition.encode_gzip(format)).await
        else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding the metrics failed\n",
            )
                .into_response();
        };
        Body::from_stream(futures_util::stream::iter(parts.map(Ok::<_, Infallible>)))
    } else {
        let permit = match &s.streams {
            None => None,
            Some(streams) => match streams.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => {
                    s.exposition.record_refused();
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "too many uncompressed scrapes at once (--web.max-requests={}); try again, or ask for gzip (Accept-Encoding: gzip)\n",
                            s.max_requests
                        ),
                    )
                        .into_response();
                }
            },
        };
        s.exposition.record_scrape();
        // Encoded a piece at a time as the reader takes it: no thread and no whole copy of the
        // text per scrape. A reader too slow to finish within the deadline loses the response.
        let started = Instant::now();
        let pieces = s.exposition.text(format).map(move |piece| {
            let _held = &permit;
            if started.elapsed() > STREAM_DEADLINE {
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the scrape took longer than its deadline",
                ))
            } else {
                Ok(Bytes::from(piece))
            }
        });
        Body::from_stream(futures_util::stream::iter(pieces))
    };
    let mut response = ([(header::CONTENT_TYPE, format.content_type())], body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept, accept-encoding"),
    );
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Whether an `Accept-Encoding` header allows gzip (Prometheus always sends `gzip`).
fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|v| {
        v.split(',').any(|part| {
            let mut fields = part.split(';').map(str::trim);
            let coding = fields.next().unwrap_or("");
            let q = fields
                .find_map(|f| f.strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        })
    })
}

async fn healthy() -> &'static str {
    "kconnect-exporter is healthy.\n"
}

/// Ready once every cluster has had its first observation, successful or not, so that a
/// scrape right after start already shows every cluster's `kconnect_up`.
async fn ready(State(s): State<Shared>) -> Response {
    let waiting: Vec<&str> = s
        .clusters
        .iter()
        .filter(|h| h.latest().is_none())
        .map(|h| h.meta.id.as_str())
        .collect();
    if waiting.is_empty() {
        "kconnect-exporter is ready.\n".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "kconnect-exporter is not ready: waiting for the first observation of {}.\n",
                waiting.join(", ")
            ),
        )
            .into_response()
    }
}

async fn landing(State(s): State<Shared>) -> Html<String> {
    let mut rows = String::new();
    for h in s.clusters.iter() {
        let (status, detail) = match h.latest() {
            None => ("waiting", "first observation in progress".to_string()),
            Some(snap) => match &snap.outcome {
                Ok(view) => ("up", format!("{} connectors", view.connectors.len())),
                // The reason and the request's path only: the detail may quote whatever the
                // cluster or a proxy answered, and no query string is shown.
                Err(e) => (
                    "down",
                    format!("{} on {}", e.reason, without_query(&e.request)),
                ),
            },
        };
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{status}\">{status}</td><td>{}</td></tr>",
            escape(&h.meta.id),
            escape(&h.meta.name),
            escape(&h.meta.rest_url),
            escape(&detail)
        );
    }
    let path = escape(&s.telemetry_path);
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>kconnect-exporter</title>\
         <style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em 1em;text-align:left}}\
         .up{{color:#1a7f37}}.down{{color:#cf222e}}</style></head><body>\
         <h1>kconnect-exporter {VERSION}</h1><p>Prometheus exporter for Apache Kafka Connect.</p>\
         <ul><li><a href=\"{path}\">{path}</a></li><li><a href=\"/-/healthy\">/-/healthy</a></li>\
         <li><a href=\"/-/ready\">/-/ready</a></li></ul>\
         <table><tr><th>cluster</th><th>name</th><th>REST URL</th><th>status</th><th>latest observation</th></tr>{rows}</table>\
         </body></html>"
    ))
}

/// `GET /connectors?expand=…` → `GET /connectors`.
fn without_query(request: &str) -> &str {
    request.split(['?', '#']).next().unwrap_or("")
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{accepts_gzip, without_query};

    #[test]
    fn the_landing_page_shows_requests_without_their_query() {
        assert_eq!(
            without_query("GET /connectors?expand=status&expand=info"),
            "GET /connectors"
        );
        assert_eq!(without_query("GET /proxy/#frag"), "GET /proxy/");
        assert_eq!(without_query("the observation"), "the observation");
    }

    #[test]
    fn gzip_when_the_client_allows_it() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip; q=0.000")));
    }
}
