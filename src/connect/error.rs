//! Why a request to Kafka Connect failed, as a closed set of reasons that are safe to use as a
//! metric label, plus the detail an operator needs in a log line.

use std::fmt;

/// The closed set of reasons a request to Connect (and so an observation) can fail.
///
/// The names are stable: they are the values of the `reason` label of
/// `kconnect_observation_errors_total` and `kconnect_observation_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// No complete answer within `CONNECT_TIMEOUT_MS`.
    Timeout,
    /// The TCP connection could not be made or broke (refused, DNS, reset).
    Connect,
    /// The TLS handshake failed (untrusted or invalid certificate, client certificate refused).
    Tls,
    /// 401 or 403: wrong or missing credentials.
    Auth,
    /// 404 on a path that must exist (`/`, `/connectors`): a wrong `CONNECT_REST_URL`.
    NotFound,
    /// 404 from a worker's own web server (Jetty's error page, not Connect's JSON error): the
    /// worker's REST server is up but Connect's API is not, as while a worker starts.
    Starting,
    /// 409, or a 500 saying a rebalance is expected: the Connect group is rebalancing.
    Rebalance,
    /// Any other 5xx, including Connect's own `Request timed out`.
    ServerError,
    /// 429, or a managed service's throttling error: the service asks the exporter to slow down.
    RateLimited,
    /// A status Connect's REST API does not answer with (3xx, 400, 405, …), often a proxy.
    UnexpectedStatus,
    /// The body is not the JSON shape the REST API documents.
    Decode,
    /// The body is larger than the exporter accepts.
    TooLarge,
    /// The whole observation did not finish within `--observation.timeout`.
    Deadline,
}

impl Reason {
    /// Every reason, in label order, so counters can start at zero for all of them.
    pub const ALL: [Reason; 13] = [
        Reason::Timeout,
        Reason::Connect,
        Reason::Tls,
        Reason::Auth,
        Reason::NotFound,
        Reason::Starting,
        Reason::Rebalance,
        Reason::ServerError,
        Reason::RateLimited,
        Reason::UnexpectedStatus,
        Reason::Decode,
        Reason::TooLarge,
        Reason::Deadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Timeout => "timeout",
            Reason::Connect => "connect",
            Reason::Tls => "tls",
            Reason::Auth => "auth",
            Reason::NotFound => "not_found",
            Reason::Starting => "starting",
            Reason::Rebalance => "rebalance",
            Reason::ServerError => "server_error",
            Reason::RateLimited => "rate_limited",
            Reason::UnexpectedStatus => "unexpected_status",
            Reason::Decode => "decode",
            Reason::TooLarge => "too_large",
            Reason::Deadline => "deadline",
        }
    }

    /// Position in [`Reason::ALL`], for per-reason counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed request: the reason, the request that failed (`GET /connectors`: the method and
/// path only, never the full URL, which could hold credentials; or a managed service's operation
/// name), the HTTP status when there was one, and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} on {request}: {detail}")]
pub struct ConnectError {
    pub reason: Reason,
    pub request: String,
    pub status: Option<u16>,
    pub detail: String,
}

impl ConnectError {
    pub fn new(reason: Reason, request: impl Into<String>, detail: impl Into<String>) -> Self {
        ConnectError {
            reason,
            request: request.into(),
            status: None,
            detail: detail.into(),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

/// Classifies a non-2xx answer from Connect. `message` is the `message` of Connect's JSON error
/// body when it had one, else the start of the raw body.
pub fn classify_status(status: u16, message: &str) -> Reason {
    match status {
        401 | 403 => Reason::Auth,
        404 => Reason::NotFound,
        409 => Reason::Rebalance,
        429 => Reason::RateLimited,
        // From 3.5 the GETs queued on the herder answer 500 while a rebalance is pending.
        500 if message.contains("rebalance is expected") => Reason::Rebalance,
        500..=599 => Reason::ServerError,
        _ => Reason::UnexpectedStatus,
    }
}

/// Whether a 404 comes from a Connect worker's web server before Connect's REST API is up. A
/// running Connect answers every unknown path with its own JSON error (`{"error_code":404,…}`);
/// while a worker starts, its Jetty answers every path with Jetty's error: JSON of `message`,
/// `url` and `status` when JSON is asked for (Jetty 12), else an HTML page.
pub fn is_starting_worker(status: u16, server: Option<&str>, body: &[u8]) -> bool {
    if status != 404 {
        return false;
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) {
        return !fields.contains_key("error_code")
            && ["message", "url", "status"]
                .iter()
                .all(|k| fields.contains_key(*k));
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let jetty = server.is_some_and(|s| s.starts_with("Jetty")) || head.contains("Powered by Jetty");
    head.trim_start().starts_with('<') && jetty
}

/// Whether a 400 is a TLS server refusing a plain-HTTP request (Go's and nginx's wording).
pub fn is_plain_http_refused(status: u16, message: &str) -> bool {
    status == 400
        && (message.contains("HTTP request to an HTTPS server")
            || message.contains("plain HTTP request was sent to HTTPS port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_reasons() {
        assert_eq!(
            classify_status(401, "User cannot access the resource."),
            Reason::Auth
        );
        assert_eq!(
            classify_status(403, "Topic tracking is disabled."),
            Reason::Auth
        );
        assert_eq!(classify_status(404, "HTTP 404 Not Found"), Reason::NotFound);
        assert_eq!(
            classify_status(409, "stale configuration"),
            Reason::Rebalance
        );
        assert_eq!(
            classify_status(
                500,
                "Request cannot be completed because a rebalance is expected"
            ),
            Reason::Rebalance
        );
        assert_eq!(
            classify_status(500, "Request timed out"),
            Reason::ServerError
        );
        assert_eq!(classify_status(503, ""), Reason::ServerError);
        assert_eq!(classify_status(429, ""), Reason::RateLimited);
        assert_eq!(classify_status(302, ""), Reason::UnexpectedStatus);
    }

    /// The page a Kafka 4.3.1 worker's Jetty 12 serves for `GET /` while Connect starts, as
    /// captured from the real worker.
    const JETTY_404: &str = "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n<title>Error 404 Not Found</title>\n</head>\n<body>\n<h2>HTTP ERROR 404 Not Found</h2>\n<table>\n<tr><th>URI:</th><td>http://127.0.0.1:38084/</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n<tr><th>MESSAGE:</th><td>Not Found</td></tr>\n</table>\n<hr/><a href=\"https://jetty.org/\">Powered by Jetty:// 12.0.34</a><hr/>\n\n</body>\n</html>\n";

    /// The same, as Jetty 12 answers it to a client that accepts JSON (the exporter).
    const JETTY_404_JSON: &str = "{\n\"message\":\"Not Found\",\n\"url\":\"http://127.0.0.1:38084/\",\n\"status\":\"404\"\n}";

    #[test]
    fn a_starting_worker_is_told_apart_from_a_wrong_path() {
        let jetty = Some("Jetty(12.0.34)");
        assert!(is_starting_worker(404, jetty, JETTY_404_JSON.as_bytes()));
        assert!(is_starting_worker(404, jetty, JETTY_404.as_bytes()));
        assert!(is_starting_worker(404, None, JETTY_404.as_bytes()));
        // A running Connect answers an unknown path with its JSON error.
        assert!(!is_starting_worker(
            404,
            jetty,
            br#"{"error_code":404,"message":"HTTP 404 Not Found"}"#
        ));
        // Another server's page, or another status.
        assert!(!is_starting_worker(
            404,
            Some("nginx/1.25.3"),
            b"<html><head><title>404 Not Found</title></head></html>"
        ));
        assert!(!is_starting_worker(503, jetty, JETTY_404.as_bytes()));
    }

    #[test]
    fn plain_http_to_an_https_port() {
        assert!(is_plain_http_refused(
            400,
            "Client sent an HTTP request to an HTTPS server."
        ));
        assert!(is_plain_http_refused(
            400,
            "400 The plain HTTP request was sent to HTTPS port"
        ));
        assert!(!is_plain_http_refused(400, "Bad Request"));
    }

    #[test]
    fn all_is_in_index_order() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
