//! The web configuration file (`--web.config.file`) that every official Prometheus exporter
//! reads, in the exporter-toolkit format: HTTPS with certificate rotation and client
//! certificates, basic authentication against bcrypt hashes, response headers and a rate limit.
//! This module reads and checks the file and builds the pieces; serving with them is the HTTP
//! server's.

mod basic_auth;
mod client_auth;
mod config;
mod config_tls;
mod rate_limit;
mod settings;
mod tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use basic_auth::{AuthError, BasicAuth, WWW_AUTHENTICATE};
pub use client_auth::certificate_principal;
pub use rate_limit::RateLimiter;
pub use settings::{
    CipherSuite, ClientAuthType, Curve, HttpSettings, PemSource, RateLimit, TlsSettings,
    TlsVersion, WebSettings,
};
pub use tls::{RELOAD_INTERVAL, TlsServer};

use crate::config::ConfigError;
use crate::yaml::{self, Problems};

/// A loaded web configuration, ready to serve with.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub file: PathBuf,
    /// HTTPS, when `tls_server_config` is given.
    pub tls: Option<TlsServer>,
    pub http: HttpSettings,
    /// Basic authentication, when `basic_auth_users` is not empty.
    pub basic_auth: Option<Arc<BasicAuth>>,
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Settings that load but are probably not what was meant; for the start-up log.
    pub warnings: Vec<String>,
}

impl WebConfig {
    /// Reads and checks the file and the certificate, key and client CA it names. Every problem
    /// is reported at once, each naming the file and the key; none shows a hash or a key.
    pub fn load(path: &Path) -> Result<WebConfig, ConfigError> {
        let text = yaml::read_file(path).map_err(|e| ConfigError {
            problems: vec![format!("{} {e}", path.display())],
        })?;
        WebConfig::from_text(path, &text, RELOAD_INTERVAL)
            .map_err(|problems| ConfigError { problems })
    }

    /// [`WebConfig::load`] of `text` as if read from `path`, checking the files it names for
    /// changes at most every `reload_interval`.
    pub fn from_text(
        path: &Path,
        text: &str,
        reload_interval: Duration,
    ) -> Result<WebConfig, Vec<String>> {
        let settings = WebSettings::parse(path, text)?;
        let mut p = Problems::new(path);
        let tls = settings
            .tls
            .as_ref()
            .and_then(|t| TlsServer::build(t, settings.http.http2, reload_interval, &mut p));
        if !p.is_empty() {
            return Err(p.into_vec());
        }
        let basic_auth = (!settings.basic_auth_users.is_empty())
            .then(|| Arc::new(BasicAuth::new(settings.basic_auth_users.clone())));
        Ok(WebConfig {
            file: path.to_path_buf(),
            tls,
            http: settings.http,
            basic_auth,
            rate_limiter: settings.rate_limit.map(|l| Arc::new(RateLimiter::new(l))),
            warnings: settings.warnings,
        })
    }

    /// One line for the start-up log, e.g. `TLS (client certificates: RequireAndVerifyClientCert),
    /// basic auth (2 users)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.tls {
            Some(tls) => parts.push(format!(
                "TLS (client certificates: {}, http2: {})",
                tls.client_auth_type().as_str(),
                self.http.http2
            )),
            None => parts.push("plain HTTP".to_string()),
        }
        if let Some(auth) = &self.basic_auth {
            let n = auth.user_count();
            parts.push(format!(
                "basic auth ({n} user{})",
                if n == 1 { "" } else { "s" }
            ));
        }
        if !self.http.headers.is_empty() {
            let names: Vec<&str> = self.http.headers.iter().map(|(h, _)| h.as_str()).collect();
            parts.push(format!("headers: {}", names.join(", ")));
        }
        parts.join(", ")
    }
}
