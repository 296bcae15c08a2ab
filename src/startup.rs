//! Startup validation: each cluster's first `GET /`, a worker that is still starting waited for,
//! and, for a cluster that fails it, a message naming the cause and what to check for it.

use std::time::Duration;

use tokio::time::Instant;

use crate::config::{ClusterConfig, DEFAULT_ID};
use crate::connect::{ConnectError, Reason};
use crate::observe::{Reached, Source};

/// How often a worker that is still starting is asked again.
const STARTING_POLL: Duration = Duration::from_millis(500);

/// The cluster's answer to its flavour's startup validation (`GET /` for Apache Connect). With
/// startup validation on, a worker that is still starting (reason `starting`) is asked again
/// until it answers otherwise or `wait` has passed.
pub async fn first_answer(
    source: &mut Source,
    cluster: &ClusterConfig,
    wait: Duration,
) -> Result<Reached, ConnectError> {
    let until = Instant::now() + wait;
    let mut told = false;
    loop {
        match source.validate().await {
            Err(e)
                if e.reason == Reason::Starting
                    && cluster.startup_validation
                    && Instant::now() < until =>
            {
                if !told {
                    tracing::info!(
                        cluster = %cluster.id,
                        url = %cluster.display_url(),
                        wait = %humantime::format_duration(wait),
                        "Kafka Connect is still starting; waiting for it"
                    );
                    told = true;
                }
                let left = until.saturating_duration_since(Instant::now());
                tokio::time::sleep(STARTING_POLL.min(left)).await;
            }
            answer => return answer,
        }
    }
}

/// A cluster that failed startup validation, with what to check.
#[derive(Debug)]
pub struct StartupFailure {
    pub cluster: String,
    pub url: String,
    pub error: ConnectError,
    /// What to check for this reason, naming the cluster's own variables.
    pub advice: String,
}

impl StartupFailure {
    /// `waited`: how long a worker that was still starting was waited for.
    pub fn new(cluster: &ClusterConfig, error: ConnectError, waited: Duration) -> StartupFailure {
        StartupFailure {
            cluster: cluster.id.clone(),
            url: cluster.display_url(),
            advice: advice(cluster, &error, waited),
            error,
        }
    }

    fn prefix(&self) -> String {
        if self.cluster == DEFAULT_ID {
            String::new()
        } else {
            format!("{}_", self.cluster)
        }
    }
}

/// One line per failed cluster: the cluster, its URL, the error, what to check, and how to start
/// anyway.
pub fn message(failures: &[StartupFailure]) -> String {
    failures
        .iter()
        .map(|f| {
            format!(
                "Kafka Connect cluster {} at {}: {} {} (Or set {}CONNECT_STARTUP_VALIDATION=false to start anyway and keep retrying.)",
                f.cluster,
                f.url,
                sentence(&f.error.to_string()),
                sentence(&f.advice),
                f.prefix()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` ending with one full stop.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// What to check when `GET /` of `cluster` failed with `error`.
fn advice(cluster: &ClusterConfig, error: &ConnectError, waited: Duration) -> String {
    let prefix = if cluster.id == DEFAULT_ID {
        String::new()
    } else {
        format!("{}_", cluster.id)
    };
    let var = |name: &str| format!("{prefix}{name}");
    let settings = &cluster.client;
    match error.reason {
        Reason::Connect => format!(
            "Nothing accepts connections there: check that the workers are running, and the host and port in {}",
            var("CONNECT_REST_URL")
        ),
        Reason::Timeout => format!(
            "No answer within {} ms: check the network path to the workers, or raise {} if they are only slow",
            settings.timeout.as_millis(),
            var("CONNECT_TIMEOUT_MS")
        ),
        Reason::Tls if settings.base_url.scheme() == "http" => {
            format!("Use https:// in {}", var("CONNECT_REST_URL"))
        }
        Reason::Tls => {
            let trust = if cluster.truststore.is_some() {
                format!(
                    "Check {}: it must hold the CA that signed the workers' certificate",
                    var("CONNECT_SSL_TRUSTSTORE_LOCATION")
                )
            } else {
                format!(
                    "The workers' certificate is not signed by a CA this system trusts: set {} to a file holding the CA that signed it",
                    var("CONNECT_SSL_TRUSTSTORE_LOCATION")
                )
            };
            let client = if cluster.keystore.is_some() {
                format!(
                    ", and check that the workers accept the client certificate of {}",
                    var("CONNECT_SSL_KEYSTORE_LOCATION")
                )
            } else {
                String::new()
            };
            format!(
                "{trust}{client} (or set {}=true to accept any certificate, which is not for production)",
                var("CONNECT_PERMISSIVE_SSL")
            )
        }
        Reason::Auth => match (&settings.basic_auth, error.status) {
            (Some(auth), Some(403)) => format!(
                "Connect does not allow user {} to read it: check {} and what the workers allow that user",
                auth.user,
                var("CONNECT_BASIC_AUTH_USER")
            ),
            (Some(_), _) => format!(
                "Connect refused the credentials: check {} and {}",
                var("CONNECT_BASIC_AUTH_USER"),
                var("CONNECT_BASIC_AUTH_PASS")
            ),
            (None, _) => format!(
                "Connect asks for credentials: set {}=BASIC with {} and {}",
                var("CONNECT_AUTH"),
                var("CONNECT_BASIC_AUTH_USER"),
                var("CONNECT_BASIC_AUTH_PASS")
            ),
        },
        Reason::NotFound => format!(
            "This is not Kafka Connect's REST API: {} must be a worker's REST URL, such as http://connect:8083, with the path of a proxy in front of it if there is one",
            var("CONNECT_REST_URL")
        ),
        Reason::Starting => format!(
            "The worker's web server answers, but Connect's REST API did not come up within {}: see the worker's log for what it waits for (often Kafka itself); if this is not a Kafka Connect worker, correct {}",
            humantime::format_duration(waited),
            var("CONNECT_REST_URL")
        ),
        Reason::Rebalance => {
            "The Connect group is rebalancing; if that does not pass, see the workers' logs"
                .to_string()
        }
        Reason::ServerError => "Connect failed to answer: see the workers' logs".to_string(),
        Reason::RateLimited => {
            "The cluster, or a proxy in front of it, asks for fewer requests".to_string()
        }
        Reason::UnexpectedStatus | Reason::Decode => format!(
            "Something other than Kafka Connect answered (a proxy, a login page or another service): check {}",
            var("CONNECT_REST_URL")
        ),
        Reason::TooLarge => "Raise --connect.max-response-bytes".to_string(),
        Reason::Deadline => format!(
            "Raise --observation.timeout, or {} if the workers are only slow",
            var("CONNECT_TIMEOUT_MS")
        ),
    }
}
