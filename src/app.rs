//! Wires the exporter together: a client and an observer per cluster, startup validation, the
//! metrics exposition and the HTTP server, all stopped by one shutdown future.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{ClusterConfig, Config, ListenAddress, LogFormat};
use crate::metrics::Exposition;
use crate::observe::{ClusterHandle, Observer, Source};
use crate::operate::{Audit, Operator};
pub use crate::startup::StartupFailure;

/// Why the exporter could not start or stopped; each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A cluster's HTTP client cannot be built from its TLS settings.
    #[error("cluster {cluster}: {message}")]
    Client { cluster: String, message: String },
    /// Startup validation failed for clusters with `CONNECT_STARTUP_VALIDATION=true`.
    #[error("{}", crate::startup::message(.0))]
    Startup(Vec<StartupFailure>),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: ListenAddress,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

impl AppError {
    /// 2 for configuration the user must fix, 1 for everything that failed at run time.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Client { .. } => 2,
            _ => 1,
        }
    }
}

/// A started exporter: clusters validated, listener bound, nothing observed or served yet.
#[derive(Debug)]
pub struct App {
    config: Config,
    listener: TcpListener,
    observers: Vec<Observer>,
    handles: Vec<ClusterHandle>,
    operator: Operator,
}

impl App {
    /// Binds the listen address, builds every client and runs startup validation. The address
    /// is bound first, so that a second instance on a busy port fails before it calls Connect.
    pub async fn start(config: Config) -> Result<App, AppError> {
        let listener =
            crate::http::bind(config.listen_address).map_err(|source| AppError::Listen {
                address: config.listen_address,
                source,
            })?;
        let mut sources = Vec::new();
        for cluster in &config.clusters {
            sources.push(source(cluster, &config).await?);
        }
        let answers = futures_util::future::join_all(sources.iter_mut().zip(&config.clusters).map(
            |(source, cluster)| {
                crate::startup::first_answer(source, cluster, config.observation_timeout)
            },
        ))
        .await;
        let mut failures = Vec::new();
        let mut observers = Vec::new();
        let mut handles = Vec::new();
        for ((cluster, source), answer) in config.clusters.iter().zip(sources).zip(answers) {
            match answer {
                Ok(found) => tracing::info!(
                    cluster = %cluster.id,
                    url = %cluster.display_url(),
                    flavour = cluster.flavour.as_str(),
                    version = found.version.as_deref().unwrap_or(""),
                    kafka_cluster_id = found.kafka_cluster_id.as_deref().unwrap_or(""),
                    connectors = found.connectors.map(|n| n.to_string()).unwrap_or_default(),
                    observation_version = cluster.observation_version.as_str(),
                    "observing Kafka Connect"
                ),
                Err(error) if cluster.startup_validation => failures.push(StartupFailure::new(
                    cluster,
                    error,
                    config.observation_timeout,
                )),
                Err(error) => tracing::warn!(
                    cluster = %cluster.id,
                    url = %cluster.display_url(),
                    reason = %error.reason,
                    error = %error,
                    "Kafka Connect is not reachable; serving anyway and retrying every observation"
                ),
            }
            let (observer, handle) =
                Observer::new(cluster, source, config.interval, config.observation_timeout);
            observers.push(observer);
            handles.push(handle);
        }
        if !failures.is_empty() {
            return Err(AppError::Startup(failures));
        }
        let targets =
            crate::operate::targets(&config.clusters, &handles).map_err(|(cluster, e)| {
                AppError::Client {
                    cluster,
                    message: e.to_string(),
                }
            })?;
        let security = &config.security;
        let operator = Operator::new(
            targets,
            security.access.clone(),
            security.authenticates(),
            Audit::default(),
        );
        Ok(App {
            config,
            listener,
            observers,
            handles,
            operator,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Observes and serves until `shutdown` completes, then stops the observers, lets requests
    /// in flight finish and returns.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        for observer in self.observers {
            tracker.spawn(observer.run(cancel.child_token()));
        }

        let restarts = crate::restart::RestartStatus::default();
        for (id, settings) in &self.config.security.auto_restart {
            if let Some(restarter) = settings
                .enabled
                .then(|| {
                    crate::restart::AutoRestarter::new(id, *settings, &self.operator, &restarts)
                })
                .flatten()
            {
                tracker.spawn(restarter.run(cancel.child_token()));
            }
        }
        tracker.close();
        let exposition = Arc::new(
            Exposition::new(
                self.handles.clone(),
                self.config.interval,
                self.config.observation_timeout,
            )
            .with_options(self.config.metrics.clone())
            .with_operations(self.operator.audit().counts(), restarts),
        );
        let router = crate::http::router(
            exposition,
            self.handles,
            &self.config.telemetry_path,
            self.config.max_requests,
        );
        let security = &self.config.security;
        let auto_restart = security
            .auto_restart
            .iter()
            .filter(|(_, a)| a.enabled)
            .map(|(id, _)| id.clone());
        let router = router.merge(crate::api::router(self.operator.clone(), auto_restart));
        let router = crate::http::protect(router, security.web.as_ref(), security.access.clone());
        let tls = security.web.as_ref().and_then(|w| w.tls.clone());
        tracing::info!(
            address = %self.listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            scheme = if tls.is_some() { "https" } else { "http" },
            telemetry_path = %self.config.telemetry_path,
            "serving metrics"
        );
        let server_cancel = cancel.clone();
        let stop = async move {
            shutdown.await;
            tracing::info!("shutting down");
            server_cancel.cancel();
        };
        let served = crate::http::serve(self.listener, router, tls, stop).await;
        cancel.cancel();
        tracker.wait().await;
        served.map_err(AppError::Serve)
    }
}

/// How `cluster` is observed: its flavour's source, with its client.
async fn source(cluster: &ClusterConfig, config: &Config) -> Result<Source, AppError> {
    if cluster.client.permissive_tls
        && cluster.msk.is_none()
        && cluster.client.base_url.scheme() == "https"
    {
        tracing::warn!(
            cluster = %cluster.id,
            "CONNECT_PERMISSIVE_SSL is true: the server certificate of {} is not verified",
            cluster.display_url()
        );
    }
    Source::from_config(cluster, config.parallelism, config.details_refresh)
        .await
        .map_err(|message| AppError::Client {
            cluster: cluster.id.clone(),
            message,
        })
}

/// Starts logging to stderr at the configured level and format. Dependencies log only their
/// warnings unless the level is trace.
pub fn init_logging(config: &Config) {
    let level = config.log_level.as_str().to_ascii_lowercase();
    let directives = if config.log_level == tracing::Level::TRACE {
        "trace".to_string()
    } else {
        // Audit lines are written whatever the level. rustls-platform-verifier logs every
        // refused certificate as an error of its own; the exporter reports the same failure
        // itself, with its cluster and what to check.
        format!(
            "warn,rustls_platform_verifier=off,kconnect_exporter={level},{}=info",
            crate::operate::AUDIT_TARGET
        )
    };
    let filter = tracing_subscriber::EnvFilter::new(directives);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A subscriber already set (tests start several apps in one process) is fine.
    let _ = result;
}

/// `--healthcheck`: asks the exporter listening on the configured address whether it is healthy.
/// Proxies are ignored: the exporter is on this machine. Says why when it is not.
pub async fn healthcheck(config: &Config) -> Result<(), String> {
    let addr = config.listen_address.local();
    if crate::http::probe::requires_client_certificate(config) {
        return crate::http::probe::handshake(config).await;
    }
    let (client, url) = crate::http::probe::probe(config)?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{url} answered HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!("{url} did not answer within 3 s")),
        Err(e) if e.is_connect() && !crate::http::probe::is_tls(&e) => Err(format!(
            "nothing answers on {addr}: is the exporter running, with this --web.listen-address?"
        )),
        Err(e) => Err(format!("{url}: {}", crate::http::probe::chain(&e))),
    }
}
