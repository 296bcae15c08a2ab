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
    pub const ALL: [Reason; 12] = [
        Reason::Timeout,
        Reason::Connect,
        Reason::Tls,
        Reason::Auth,
        Reason::NotFound,
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

    #[test]
    fn all_is_in_index_order() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
