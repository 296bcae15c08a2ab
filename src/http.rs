//! The HTTP server (axum on hyper): the telemetry path, `/-/healthy`, `/-/ready` and a landing
//! page. It reads snapshots through the [`Exposition`] and cluster handles; it never calls Connect.

use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::metrics::{Exposition, Format, VERSION};
use crate::observe::ClusterHandle;

#[derive(Debug, Clone)]
struct Shared {
    exposition: Arc<Exposition>,
    clusters: Arc<Vec<ClusterHandle>>,
    telemetry_path: Arc<str>,
}

/// The exporter's routes.
pub fn router(
    exposition: Arc<Exposition>,
    clusters: Vec<ClusterHandle>,
    telemetry_path: &str,
) -> Router {
    let shared = Shared {
        exposition,
        clusters: Arc::new(clusters),
        telemetry_path: telemetry_path.into(),
    };
    Router::new()
        .route(telemetry_path, get(metrics))
        .route("/-/healthy", get(healthy))
        .route("/-/ready", get(ready))
        .route("/", get(landing))
        .with_state(shared)
}

/// Serves `router` on `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let format = Format::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let gzip = accepts_gzip(
        headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    s.exposition.record_scrape();
    // Encoding thousands of connectors takes milliseconds of CPU: keep it off the async workers.
    let exposition = s.exposition.clone();
    let body = if gzip {
        let parts = tokio::task::spawn_blocking(move || exposition.encode_gzip(format)).await;
        let Ok(parts) = parts else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding the metrics failed\n",
            )
                .into_response();
        };
        Body::from_stream(futures_util::stream::iter(parts.map(Ok::<_, Infallible>)))
    } else {
        // Without gzip the text is streamed as it is encoded, so that at thousands of connectors
        // no scrape holds the whole exposition (tens of megabytes) in memory.
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        tokio::task::spawn_blocking(move || {
            let mut chunks = Chunks {
                tx,
                buf: String::new(),
            };
            if exposition.encode_into(format, &mut chunks).is_ok() {
                let _ = chunks.send();
            }
        });
        Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|chunk| (Ok::<_, Infallible>(chunk), rx))
        }))
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

/// A `fmt::Write` that hands the response body to the HTTP server in chunks.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    buf: String,
}

impl Chunks {
    const SIZE: usize = 64 * 1024;

    fn send(&mut self) -> fmt::Result {
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            String::with_capacity(Self::SIZE),
        ));
        // Fails when the scraper went away: the encoding stops.
        self.tx.blocking_send(chunk).map_err(|_| fmt::Error)
    }
}

impl fmt::Write for Chunks {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.push_str(s);
        if self.buf.len() >= Self::SIZE {
            self.send()?;
        }
        Ok(())
    }
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
                Err(e) => ("down", format!("{}: {}", e.reason, e.detail)),
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
    use super::accepts_gzip;

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
