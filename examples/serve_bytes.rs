//! Serves one file's bytes on every path of 127.0.0.1 (dev only): the physical limit of serving a
//! scrape whose body is already encoded, with the same HTTP stack as the exporter (axum on hyper,
//! a multi-threaded tokio runtime).
//!
//! ```sh
//! cargo run --release --example serve_bytes -- --file metrics.txt [--content-encoding gzip] [--port 0]
//! ```
//!
//! Prints `serve_bytes listening on http://ADDR bytes=…` on stdout once it accepts connections.

use std::io::Write as _;
use std::path::PathBuf;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Serve one file's bytes on every path (a scrape-throughput limit)")]
struct Args {
    /// The body to serve.
    #[arg(long)]
    file: PathBuf,
    /// A `Content-Encoding` to declare (e.g. `gzip` for a file that is gzipped already).
    #[arg(long)]
    content_encoding: Option<String>,
    /// `Content-Type` to declare.
    #[arg(long, default_value = "text/plain; version=0.0.4; charset=utf-8")]
    content_type: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let body = Bytes::from(std::fs::read(&args.file)?);
    let len = body.len();
    let content_type = args.content_type.clone();
    let encoding = args.content_encoding.clone();
    let app = Router::new().fallback(move || {
        let body = body.clone();
        let content_type = content_type.clone();
        let encoding = encoding.clone();
        async move {
            let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
            if let Some(e) = encoding {
                response.headers_mut().insert(
                    header::CONTENT_ENCODING,
                    e.parse().expect("a valid header value"),
                );
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "serve_bytes listening on http://{addr} bytes={len}")?;
        out.flush()?;
    }
    axum::serve(listener, app).await
}
