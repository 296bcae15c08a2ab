//! A Kafka Connect REST API that can be made to fail on demand, for the tests of what the
//! exporter does when Connect misbehaves.
//!
//! It is a small HTTP/1.1 server on raw TCP (127.0.0.1, port 0), because most faults are below
//! what an HTTP framework lets a handler do: a reset in the middle of a body, a body shorter than
//! its `Content-Length`, bytes dripped one by one, a listener that goes away and comes back on
//! the same port. Healthy, it serves a Connect cluster from the shapes of `tests/fixtures` (the
//! contract in `shared/connect-api`): `GET /`, `GET /connectors` with and without `expand`, and
//! `/connectors/{name}`, `/status`, `/tasks` of each connector, with Connect's 404 bodies for
//! anything else. [`FaultyConnect::set`] switches it to a [`Fault`] on every path or on one
//! path (so a v1 pass can be hit in the middle); [`FaultyConnect::clear`] makes it healthy again.
//! Every request is recorded with its raw request target, exactly as it came over the wire.
//! Dropping it closes the listener and every connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::fixture;

/// What the server does instead of answering as a healthy Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Reads the request and never answers.
    Timeout,
    /// Stops listening and closes every open connection (always on every path).
    Refused,
    /// Sends the status line, headers and half of the healthy body, then resets the connection.
    ResetMidBody,
    /// 401 with the plain-text body of Connect's basic-auth extension.
    Unauthorized,
    /// 403 with Connect's JSON error body (`error-403-topic-tracking.json`).
    Forbidden,
    /// 404 with Connect's body for a path no resource matches.
    NotFound,
    /// 409 during a rebalance (`error-409.json`).
    Conflict,
    /// 500 "a rebalance is expected" (`error-500-rebalance-expected.json`).
    RebalanceExpected,
    /// 500 "Request timed out" (`error-500-timeout.json`).
    RequestTimedOut,
    /// 503 with an HTML page, as a proxy in front of a stopped Connect sends it.
    Unavailable,
    /// 429 with `Retry-After`, as a proxy or a managed service throttles.
    TooManyRequests,
    /// 200 with a body that ends in the middle of the JSON (its `Content-Length` is right).
    MalformedJson,
    /// 200 whose `Content-Length` promises more than the healthy body it sends, then closes.
    Truncated,
    /// 200 with a JSON body of `bytes` bytes, its length declared up front or sent chunked.
    Oversized { bytes: usize, chunked: bool },
    /// 302 to another path of this server.
    Redirect,
    /// 200 whose healthy body comes one byte at a time, `every` apart.
    SlowDrip { every: Duration },
    /// Any answer at all.
    Respond {
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
}

/// Where a fault applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    /// Only requests whose path (the raw target without its query) is exactly this, as sent:
    /// `/connectors/orders-jdbc-source/status`, `/connectors` (with or without `expand`).
    Path(String),
}

impl Scope {
    pub fn path(path: impl Into<String>) -> Scope {
        Scope::Path(path.into())
    }

    fn covers(&self, path: &str) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Path(p) => p == path,
        }
    }
}

/// How the `expand` parameters of `GET /connectors` reach Connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expand {
    /// Every `expand` value reaches Connect, which matches each as a whole (Apache Connect).
    Apache,
    /// A proxy in front keeps only the first of repeated `expand` parameters.
    ProxyKeepsFirst,
    /// A proxy in front keeps only the last of repeated `expand` parameters.
    ProxyKeepsLast,
    /// A proxy in front joins repeated values with commas (`expand=status,info`), which Apache
    /// Connect does not split.
    ProxyJoinsWithCommas,
}

/// The healthy cluster a [`FaultyConnect`] serves.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The shape of `GET /connectors?expand=status&expand=info`: each connector's `status` and
    /// `info`.
    pub listing: Value,
    /// `GET /`.
    pub root: Value,
    /// A path prefix (`/connect`) under which alone the API is served, as behind a proxy:
    /// the bare prefix is redirected (301) to the prefix with a trailing slash.
    pub prefix: String,
    pub expand: Expand,
    /// Serve a connector's `tests/fixtures/connector-{name}[-status|-tasks].json` verbatim
    /// where there is one, rather than its part of the listing.
    pub fixture_files: bool,
}

impl Cluster {
    /// The seven connectors of `tests/fixtures/connectors-expand-status-info.json`.
    pub fn fixture() -> Cluster {
        let listing = serde_json::from_str(&fixture("connectors-expand-status-info.json")).unwrap();
        Cluster {
            fixture_files: true,
            ..Cluster::with_listing(listing)
        }
    }

    pub fn with_listing(listing: Value) -> Cluster {
        assert!(
            listing.is_object(),
            "a listing maps names to status and info"
        );
        Cluster {
            listing,
            root: serde_json::from_str(&fixture("root.json")).unwrap(),
            prefix: String::new(),
            expand: Expand::Apache,
            fixture_files: false,
        }
    }

    pub fn under_prefix(mut self, prefix: &str) -> Cluster {
        assert!(
            prefix.starts_with('/') && !prefix.ends_with('/'),
            "a prefix such as /connect"
        );
        self.prefix = prefix.to_string();
        self
    }

    pub fn expand(mut self, expand: Expand) -> Cluster {
        self.expand = expand;
        self
    }
}

/// A running fault-injecting Connect. See the module documentation.
pub struct FaultyConnect {
    addr: SocketAddr,
    shared: Arc<Shared>,
    fault: watch::Sender<Option<(Fault, Scope)>>,
    listening: watch::Receiver<bool>,
    stop: CancellationToken,
}

struct Shared {
    cluster: Cluster,
    fault: watch::Receiver<Option<(Fault, Scope)>>,
    log: Mutex<Vec<String>>,
}

impl FaultyConnect {
    /// A healthy fixture cluster.
    pub async fn start() -> FaultyConnect {
        FaultyConnect::serve(Cluster::fixture()).await
    }

    pub async fn serve(cluster: Cluster) -> FaultyConnect {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (fault, fault_rx) = watch::channel(None);
        let (listening_tx, listening) = watch::channel(true);
        let shared = Arc::new(Shared {
            cluster,
            fault: fault_rx.clone(),
            log: Mutex::new(Vec::new()),
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(
            listener,
            addr,
            shared.clone(),
            fault_rx,
            listening_tx,
            stop.clone(),
        ));
        FaultyConnect {
            addr,
            shared,
            fault,
            listening,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`, without the cluster's prefix.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, requests within `scope` meet `fault`. With [`Fault::Refused`] it returns
    /// once the listener is closed.
    pub async fn set(&self, fault: Fault, scope: Scope) {
        assert!(
            fault != Fault::Refused || scope == Scope::Everywhere,
            "a refused connection cannot depend on the path"
        );
        let refused = fault == Fault::Refused;
        self.fault.send_replace(Some((fault, scope)));
        self.wait_listening(!refused).await;
    }

    /// Healthy again; returns once the listener is back if it was closed.
    pub async fn clear(&self) {
        self.fault.send_replace(None);
        self.wait_listening(true).await;
    }

    async fn wait_listening(&self, want: bool) {
        let mut listening = self.listening.clone();
        tokio::time::timeout(Duration::from_secs(10), listening.wait_for(|l| *l == want))
            .await
            .expect("the fault server's listener follows the fault within 10s")
            .expect("the fault server is running");
    }

    /// Every request target (path and query, as sent) in the order the requests came.
    pub fn targets(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().clone()
    }

    /// How many requests had exactly this target (path and query, as sent).
    pub fn requests(&self, target: &str) -> usize {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|t| *t == target)
            .count()
    }

    /// How many requests had this path, whatever their query.
    pub fn requests_to_path(&self, path: &str) -> usize {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|t| split_target(t).0 == path)
            .count()
    }

    /// Requests per target.
    pub fn counts(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for t in self.shared.log.lock().unwrap().iter() {
            *out.entry(t.clone()).or_default() += 1;
        }
        out
    }

    pub fn total_requests(&self) -> usize {
        self.shared.log.lock().unwrap().len()
    }

    pub fn forget_requests(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

impl Drop for FaultyConnect {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Accepts connections while no [`Fault::Refused`] is set; while one is, the listener is closed
/// and every connection with it, and the same port is bound again when it is lifted.
async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut fault: watch::Receiver<Option<(Fault, Scope)>>,
    listening: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let mut listener = Some(listener);
    let mut connections = stop.child_token();
    loop {
        let refused = matches!(&*fault.borrow_and_update(), Some((Fault::Refused, _)));
        if refused && listener.is_some() {
            listener = None;
            connections.cancel();
            listening.send_replace(false);
        } else if !refused && listener.is_none() {
            listener = Some(rebind(addr, &stop).await);
            connections = stop.child_token();
            listening.send_replace(true);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = fault.changed() => if changed.is_err() { return },
            accepted = accept(listener.as_ref()) => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(stream, shared.clone(), connections.clone()));
                }
            }
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// The port was free a moment ago; another socket may hold it briefly, so retry for a while.
async fn rebind(addr: SocketAddr, stop: &CancellationToken) -> TcpListener {
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(_) if tokio::time::Instant::now() < until && !stop.is_cancelled() => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("the fault server cannot listen on {addr} again: {e}"),
        }
    }
}

/// One request as read off the wire.
struct Request {
    target: String,
    close: bool,
}

/// Serves requests on one connection until the client closes it, a fault ends it, or the
/// server stops.
async fn connection(mut stream: TcpStream, shared: Arc<Shared>, stop: CancellationToken) {
    let mut buf = Vec::new();
    loop {
        let request = tokio::select! {
            _ = stop.cancelled() => return,
            r = read_request(&mut stream, &mut buf) => match r {
                Some(r) => r,
                None => return,
            },
        };
        shared.log.lock().unwrap().push(request.target.clone());
        let (path, _) = split_target(&request.target);
        let fault = match &*shared.fault.borrow() {
            Some((fault, scope)) if scope.covers(path) => Some(fault.clone()),
            _ => None,
        };
        let healthy = shared.cluster.answer(&request.target);
        let keep = tokio::select! {
            _ = stop.cancelled() => return,
            keep = respond(&mut stream, fault, healthy, &shared.cluster) => keep,
        };
        if !keep || request.close {
            return;
        }
    }
}

/// Reads one request head (a GET has no body). `None` when the client closed the connection or
/// sent something that is not HTTP.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let mut parts = lines.next()?.split(' ');
            let (_method, target) = (parts.next()?, parts.next()?.to_string());
            let close =
                lines.any(|l| l.to_ascii_lowercase().replace(' ', "") == "connection:close");
            return Some(Request { target, close });
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes the answer, or the fault instead; `false` when the connection must not be reused.
async fn respond(
    stream: &mut TcpStream,
    fault: Option<Fault>,
    healthy: Answer,
    cluster: &Cluster,
) -> bool {
    let Some(fault) = fault else {
        return write(stream, &healthy.bytes()).await;
    };
    match fault {
        Fault::Timeout => {
            // Never answer; the connection ends when the client gives up or the server stops.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            false
        }
        // The listener is closed by the accept loop; a request that slipped in is dropped.
        Fault::Refused => false,
        Fault::ResetMidBody => {
            let bytes = healthy.bytes();
            let cut = healthy.head().len() + healthy.body.len() / 2;
            let _ = write(stream, &bytes[..cut]).await;
            // A zero linger makes the close send RST instead of FIN; with zero it does not
            // block, which is what the deprecation warns about.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            false
        }
        Fault::Truncated => {
            let mut long = healthy.clone();
            let promised = healthy.body.len() + 100;
            long.declared_length = Some(promised);
            let _ = write(stream, &long.bytes()).await;
            let _ = stream.shutdown().await;
            false
        }
        Fault::SlowDrip { every } => {
            if !write(stream, healthy.head().as_bytes()).await {
                return false;
            }
            for byte in &healthy.body {
                tokio::time::sleep(every).await;
                if !write(stream, std::slice::from_ref(byte)).await {
                    return false;
                }
            }
            true
        }
        Fault::Oversized { bytes, chunked } => {
            let body = oversized_body(bytes);
            if !chunked {
                return write(stream, &Answer::json(200, body).bytes()).await;
            }
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if !write(stream, head.as_bytes()).await {
                return false;
            }
            for piece in body.chunks(8 * 1024) {
                let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                chunk.extend_from_slice(piece);
                chunk.extend_from_slice(b"\r\n");
                if !write(stream, &chunk).await {
                    return false;
                }
            }
            write(stream, b"0\r\n\r\n").await
        }
        other => write(stream, &fault_answer(&other, cluster).bytes()).await,
    }
}

/// The answer of every fault that is a plain HTTP response.
fn fault_answer(fault: &Fault, cluster: &Cluster) -> Answer {
    match fault {
        Fault::Unauthorized => Answer {
            content_type: "text/plain".into(),
            ..Answer::json(401, fixture("error-401-basic-auth.txt").into_bytes())
        },
        Fault::Forbidden => Answer::json(403, fixture("error-403-topic-tracking.json").into_bytes()),
        Fault::NotFound => Answer::json(404, fixture("error-404-unknown-path.json").into_bytes()),
        Fault::Conflict => Answer::json(409, fixture("error-409.json").into_bytes()),
        Fault::RebalanceExpected => Answer::json(
            500,
            fixture("error-500-rebalance-expected.json").into_bytes(),
        ),
        Fault::RequestTimedOut => Answer::json(500, fixture("error-500-timeout.json").into_bytes()),
        Fault::Unavailable => Answer {
            content_type: "text/html".into(),
            ..Answer::json(
                503,
                b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".to_vec(),
            )
        },
        Fault::TooManyRequests => Answer {
            headers: vec![("retry-after".into(), "1".into())],
            ..Answer::json(429, br#"{"error_code":429,"message":"Too Many Requests"}"#.to_vec())
        },
        Fault::MalformedJson => Answer::json(
            200,
            br#"{"orders-jdbc-source": {"status": {"name": "orders-jdbc-source", "connector": {"state": "RUNNING""#.to_vec(),
        ),
        Fault::Redirect => Answer {
            headers: vec![("location".into(), format!("{}/elsewhere/", cluster.prefix))],
            ..Answer::json(302, Vec::new())
        },
        Fault::Respond {
            status,
            content_type,
            body,
        } => Answer {
            content_type: content_type.clone(),
            ..Answer::json(*status, body.clone())
        },
        Fault::Timeout
        | Fault::Refused
        | Fault::ResetMidBody
        | Fault::Truncated
        | Fault::SlowDrip { .. }
        | Fault::Oversized { .. } => unreachable!("{fault:?} is not a plain answer"),
    }
}

/// A JSON array of one long name: a listing any decoder would accept if it read it whole.
fn oversized_body(bytes: usize) -> Vec<u8> {
    let mut body = b"[\"".to_vec();
    body.resize(bytes.max(4) - 2, b'x');
    body.extend_from_slice(b"\"]");
    body
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    stream.write_all(bytes).await.is_ok() && stream.flush().await.is_ok()
}

/// `(path, query)` of a raw request target.
fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// A `Content-Length` other than the body's, for truncation.
    declared_length: Option<usize>,
}

impl Answer {
    fn json(status: u16, body: Vec<u8>) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body,
            declared_length: None,
        }
    }

    fn value(status: u16, body: &Value) -> Answer {
        Answer::json(status, body.to_string().into_bytes())
    }

    fn head(&self) -> String {
        let reason = match self.status {
            200 => "OK",
            301 => "Moved Permanently",
            302 => "Found",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            self.status,
            self.content_type,
            self.declared_length.unwrap_or(self.body.len())
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.head().into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

impl Cluster {
    /// What a healthy Connect answers to `target`.
    fn answer(&self, target: &str) -> Answer {
        let (path, query) = split_target(target);
        let rest = if self.prefix.is_empty() {
            path
        } else if path == self.prefix {
            return Answer {
                headers: vec![("location".into(), format!("{}/", self.prefix))],
                ..Answer::json(301, Vec::new())
            };
        } else {
            match path.strip_prefix(&self.prefix) {
                Some(rest) if rest.starts_with('/') => rest,
                _ => return unknown_path(),
            }
        };
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        match segments.as_slice() {
            [""] => Answer::value(200, &self.root),
            ["connectors"] => self.connectors(query),
            ["connectors", name] => self.connector(name, "info"),
            ["connectors", name, "status"] => self.connector(name, "status"),
            ["connectors", name, "tasks"] => self.connector(name, "tasks"),
            _ => unknown_path(),
        }
    }

    /// `GET /connectors`: names without `expand`; with any `expand`, a map of each connector to
    /// the expansions Connect recognises among the values it received.
    fn connectors(&self, query: Option<&str>) -> Answer {
        let listing = self.listing.as_object().unwrap();
        let sent: Vec<String> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .filter(|(k, _)| k == "expand")
            .map(|(_, v)| v.into_owned())
            .collect();
        if sent.is_empty() {
            let names: Vec<&String> = listing.keys().collect();
            return Answer::value(200, &json!(names));
        }
        let received: Vec<String> = match self.expand {
            Expand::Apache => sent,
            Expand::ProxyKeepsFirst => sent[..1].to_vec(),
            Expand::ProxyKeepsLast => sent[sent.len() - 1..].to_vec(),
            Expand::ProxyJoinsWithCommas => vec![sent.join(",")],
        };
        let mut map = serde_json::Map::new();
        for (name, entry) in listing {
            let mut value = serde_json::Map::new();
            for expansion in ["status", "info"] {
                if received.iter().any(|r| r == expansion) {
                    value.insert(expansion.into(), entry[expansion].clone());
                }
            }
            map.insert(name.clone(), Value::Object(value));
        }
        Answer::value(200, &Value::Object(map))
    }

    fn connector(&self, segment: &str, what: &str) -> Answer {
        let Ok(name) = percent_decode_str(segment).decode_utf8() else {
            return unknown_path();
        };
        let Some(entry) = self.listing.get(name.as_ref()) else {
            let message = match what {
                "status" => format!("No status found for connector {name}"),
                _ => format!("Connector {name} not found"),
            };
            return Answer::value(404, &json!({"error_code": 404, "message": message}));
        };
        let file = super::fixture_path(&match what {
            "info" => format!("connector-{name}.json"),
            _ => format!("connector-{name}-{what}.json"),
        });
        if self.fixture_files && file.is_file() {
            return Answer::json(200, std::fs::read(file).unwrap());
        }
        match what {
            "info" => Answer::value(200, &entry["info"]),
            "status" => Answer::value(200, &entry["status"]),
            _ => {
                let info = &entry["info"];
                let tasks: Vec<Value> = info["tasks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| json!({"id": id, "config": info["config"]}))
                    .collect();
                Answer::value(200, &Value::Array(tasks))
            }
        }
    }
}

fn unknown_path() -> Answer {
    Answer::json(404, fixture("error-404-unknown-path.json").into_bytes())
}
