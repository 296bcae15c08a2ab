//! Wires the exporter together: a client and an observer per cluster, startup validation, the
//! metrics exposition and the HTTP server, all stopped by one shutdown future.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ListenAddress, LogFormat};
use crate::connect::ConnectClient;
use crate::metrics::Exposition;
use crate::observe::{Apache, ClusterHandle, Observer, Source};
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
        let mut clients = Vec::new();
        for cluster in &config.clusters {
            let client = ConnectClient::new(&cluster.client).map_err(|e| AppError::Client {
                cluster: cluster.id.clone(),
                message: e.to_string(),
            })?;
            if cluster.client.permissive_tls && cluster.client.base_url.scheme() == "https" {
                tracing::warn!(
                    cluster = %cluster.id,
                    "CONNECT_PERMISSIVE_SSL is true: the server certificate of {} is not verified",
                    cluster.display_url()
                );
            }
            clients.push(client);
        }

        let answers = futures_util::future::join_all(clients.iter().zip(&config.clusters).map(
            |(client, cluster)| {
                crate::startup::first_answer(client, cluster, config.observation_timeout)
            },
        ))
        .await;
        let mut failures = Vec::new();
        let mut observers = Vec::new();
        let mut handles = Vec::new();
        for ((cluster, client), answer) in config.clusters.iter().zip(clients).zip(answers) {
            let server = match answer {
                Ok(server) => {
                    tracing::info!(
                        cluster = %cluster.id,
                        url = %cluster.display_url(),
                        version = %server.version,
                        kafka_cluster_id = server.kafka_cluster_id.as_deref().unwrap_or(""),
                        observation_version = cluster.observation_version.as_str(),
                        "observing Kafka Connect"
                    );
                    Some(server)
                }
                Err(error) if cluster.startup_validation => {
                    failures.push(StartupFailure::new(
                        cluster,
                        error,
                        config.observation_timeout,
                    ));
                    None
                }
                Err(error) => {
                    tracing::warn!(
                        cluster = %cluster.id,
                        url = %cluster.display_url(),
                        reason = %error.reason,
                        error = %error,
                        "Kafka Connect is not reachable; serving anyway and retrying every observation"
                    );
                    None
                }
            };
            let source = Source::Apache(Apache::new(
                client,
                cluster.observation_version,
                config.parallelism,
                server,
            ));
            let (observer, handle) =
                Observer::new(cluster, source, config.interval, config.observation_timeout);
            observers.push(observer);
            handles.push(handle);
        }
        if !failures.is_empty() {
            return Err(AppError::Startup(failures));
        }
        Ok(App {
            config,
            listener,
            observers,
            handles,
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
        tracker.close();

        let exposition = Arc::new(Exposition::new(
            self.handles.clone(),
            self.config.interval,
            self.config.observation_timeout,
        ));
        let router = crate::http::router(
            exposition,
            self.handles,
            &self.config.telemetry_path,
            self.config.max_requests,
        );
        tracing::info!(
            address = %self.listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            telemetry_path = %self.config.telemetry_path,
            "serving metrics"
        );
        let server_cancel = cancel.clone();
        let stop = async move {
            shutdown.await;
            tracing::info!("shutting down");
            server_cancel.cancel();
        };
        let served = crate::http::serve(self.listener, router, stop).await;
        cancel.cancel();
        tracker.wait().await;
        served.map_err(AppError::Serve)
    }
}

/// Starts logging to stderr at the configured level and format. Dependencies log only their
/// warnings unless the level is trace.
pub fn init_logging(config: &Config) {
    let level = config.log_level.as_str().to_ascii_lowercase();
    let directives = if config.log_level == tracing::Level::TRACE {
        "trace".to_string()
    } else {
        // rustls-platform-verifier logs every refused certificate as an error of its own; the
        // exporter reports the same failure itself, with its cluster and what to check.
        format!("warn,rustls_platform_verifier=off,kconnect_exporter={level}")
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
    let url = format!("http://{addr}/-/healthy");
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{url} answered HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!("{url} did not answer within 3 s")),
        Err(e) if e.is_connect() => Err(format!(
            "nothing answers on {addr}: is the exporter running, with this --web.listen-address?"
        )),
        Err(e) => Err(format!("{url}: {}", e.without_url())),
    }
}
