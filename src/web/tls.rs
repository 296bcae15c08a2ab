//! The HTTPS side of the web configuration: a rustls `ServerConfig` (aws-lc-rs provider, as the
//! rest of the exporter) whose certificate and client CA are re-read when their files change.
//! Client certificates are checked in [`super::client_auth`].
//!
//! Rotation: at most once a second, a handshake re-reads `cert_file` and `key_file` (and
//! `client_ca_file`) and compares their contents with what was last read; on a change the new
//! pair is loaded. Contents rather than modification times, so that a rotation within the same
//! second, or a Kubernetes secret swapped through a symlink, is still seen. A broken or
//! half-written pair (a key that does not match the certificate) is logged once and the last good
//! one kept, so a rotation in two steps never fails a handshake.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, ServerConnection};
use sha2::{Digest, Sha256};

use super::client_auth::{certificate_principal, client_verifier};
use super::settings::{ClientAuthType, Curve, PemSource, TlsSettings, TlsVersion};
use crate::yaml::Problems;

/// How often, at most, the files are looked at again.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// The TLS half of a loaded web configuration.
#[derive(Debug, Clone)]
pub struct TlsServer {
    config: Arc<ServerConfig>,
    client_auth_type: ClientAuthType,
}

impl TlsServer {
    /// Builds the server configuration, reading the certificate, key and client CA now so that
    /// a broken file stops the exporter at start. `http2` chooses the ALPN protocols offered.
    pub(super) fn build(
        settings: &TlsSettings,
        http2: bool,
        reload_interval: Duration,
        p: &mut Problems,
    ) -> Option<TlsServer> {
        let provider = Arc::new(provider(settings));
        let cert = ReloadingCert::new(settings, provider.clone(), reload_interval, p);
        let verifier = client_verifier(settings, provider.clone(), reload_interval, p);
        let (cert, verifier) = (cert?, verifier?);

        let mut versions = Vec::new();
        if settings.min_version <= TlsVersion::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if settings.max_version >= TlsVersion::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        let builder = match ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
        {
            Ok(b) => b,
            Err(e) => {
                p.at(
                    "tls_server_config",
                    format!("the TLS versions and cipher suites given leave nothing to use: {e}"),
                );
                return None;
            }
        };
        let builder = match verifier {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(Arc::new(cert));
        config.ignore_client_order = settings.prefer_server_cipher_suites;
        config.alpn_protocols = if http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Some(TlsServer {
            config: Arc::new(config),
            client_auth_type: settings.client_auth_type,
        })
    }

    /// The rustls configuration. Its `alpn_protocols` offer `h2` when `http2` is true (the
    /// default): serve it with a server that speaks HTTP/2, or set them to `http/1.1` only.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }

    pub fn client_auth_type(&self) -> ClientAuthType {
        self.client_auth_type
    }

    /// The principal named by the client certificate of an accepted connection: its subject's
    /// CN, or the whole subject without one. `None` without a certificate, and always `None`
    /// when `client_auth_type` does not verify certificates (RequestClientCert,
    /// RequireAnyClientCert), since anyone can make a certificate with any subject.
    pub fn client_principal(&self, conn: &ServerConnection) -> Option<String> {
        if !self.client_auth_type.verifies() {
            return None;
        }
        certificate_principal(conn.peer_certificates()?.first()?)
    }
}

fn provider(settings: &TlsSettings) -> CryptoProvider {
    use aws_lc_rs::cipher_suite as cs;
    use aws_lc_rs::kx_group as kx;
    let mut provider = aws_lc_rs::default_provider();
    if !settings.cipher_suites.is_empty() {
        use super::settings::CipherSuite::*;
        // TLS 1.3 suites stay as they are: Go does not let them be configured either.
        let mut suites: Vec<_> = provider
            .cipher_suites
            .iter()
            .copied()
            .filter(|s| s.version() == &rustls::version::TLS13)
            .collect();
        suites.extend(settings.cipher_suites.iter().map(|s| match s {
            EcdheEcdsaAes128GcmSha256 => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            EcdheEcdsaAes256GcmSha384 => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            EcdheEcdsaChacha20Poly1305Sha256 => cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            EcdheRsaAes128GcmSha256 => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            EcdheRsaAes256GcmSha384 => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            EcdheRsaChacha20Poly1305Sha256 => cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        }));
        provider.cipher_suites = suites;
    }
    if !settings.curve_preferences.is_empty() {
        provider.kx_groups = settings
            .curve_preferences
            .iter()
            .map(|c| match c {
                Curve::X25519 => kx::X25519,
                Curve::P256 => kx::SECP256R1,
                Curve::P384 => kx::SECP384R1,
            })
            .collect();
    }
    provider
}

/// The key naming a PEM source in messages, e.g. `tls_server_config.cert_file`.
pub(super) fn key_name(source: &PemSource, file_key: &str, inline_key: &str) -> String {
    match source {
        PemSource::File(_) => format!("tls_server_config.{file_key}"),
        PemSource::Inline(_) => format!("tls_server_config.{inline_key}"),
    }
}

pub(super) fn read(source: &PemSource) -> Result<Vec<u8>, String> {
    match source {
        PemSource::File(path) => {
            std::fs::read(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))
        }
        PemSource::Inline(text) => Ok(text.expose().as_bytes().to_vec()),
    }
}

pub(super) fn where_(source: &PemSource) -> String {
    match source {
        PemSource::File(path) => path.display().to_string(),
        PemSource::Inline(_) => "the inline PEM".to_string(),
    }
}

pub(super) fn parse_certs(
    source: &PemSource,
    data: &[u8],
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(data)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{} is not valid PEM: {e}", where_(source)))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", where_(source)));
    }
    Ok(certs)
}

/// The certificate chain and key as a `CertifiedKey`; messages name files, never their content.
fn certified_key(
    settings: &TlsSettings,
    cert_data: &[u8],
    key_data: &[u8],
    provider: &CryptoProvider,
) -> Result<CertifiedKey, (String, String)> {
    let cert_key = key_name(&settings.cert, "cert_file", "cert");
    let key_key = key_name(&settings.key, "key_file", "key");
    let chain = parse_certs(&settings.cert, cert_data).map_err(|e| (cert_key.clone(), e))?;
    if String::from_utf8_lossy(key_data).contains("ENCRYPTED PRIVATE KEY") {
        return Err((
            key_key,
            format!(
                "{} holds an encrypted private key; decrypt it (openssl pkey -in KEY -out \
                 KEY.pem)",
                where_(&settings.key)
            ),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_data).map_err(|_| {
        (
            key_key.clone(),
            format!(
                "{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)",
                where_(&settings.key)
            ),
        )
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => (
            key_key,
            format!(
                "the private key in {} does not match the certificate in {}",
                where_(&settings.key),
                where_(&settings.cert)
            ),
        ),
        other => (
            key_key,
            format!(
                "the private key in {} cannot be used: {other}",
                where_(&settings.key)
            ),
        ),
    })
}

pub(super) fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state is replaced whole under the lock, so a panic elsewhere cannot leave it torn.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// When to look at files again, what was last read, and the last problem logged.
#[derive(Debug)]
pub(super) struct Watch {
    checked: Instant,
    pub(super) seen: [u8; 32],
    pub(super) last_problem: Option<String>,
}

impl Watch {
    pub(super) fn new(seen: [u8; 32]) -> Watch {
        Watch {
            checked: Instant::now(),
            seen,
            last_problem: None,
        }
    }

    /// Whether it is time to look again (and notes that it is being done).
    pub(super) fn due(&mut self, interval: Duration) -> bool {
        if self.checked.elapsed() < interval {
            return false;
        }
        self.checked = Instant::now();
        true
    }

    /// Logs a problem once, until it changes or goes away.
    pub(super) fn warn(&mut self, problem: String) {
        if self.last_problem.as_ref() != Some(&problem) {
            tracing::warn!("web configuration: {problem}");
            self.last_problem = Some(problem);
        }
    }
}

/// Serves the certificate, re-reading its files when they change.
struct ReloadingCert {
    settings: TlsSettings,
    provider: Arc<CryptoProvider>,
    interval: Duration,
    state: Mutex<(Watch, Arc<CertifiedKey>)>,
}

impl fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert", &self.settings.cert)
            .field("key", &self.settings.key)
            .finish_non_exhaustive()
    }
}

impl ReloadingCert {
    fn new(
        settings: &TlsSettings,
        provider: Arc<CryptoProvider>,
        interval: Duration,
        p: &mut Problems,
    ) -> Option<ReloadingCert> {
        let cert_data = read(&settings.cert)
            .map_err(|e| p.at(&key_name(&settings.cert, "cert_file", "cert"), e))
            .ok();
        let key_data = read(&settings.key)
            .map_err(|e| p.at(&key_name(&settings.key, "key_file", "key"), e))
            .ok();
        let (cert_data, key_data) = (cert_data?, key_data?);
        let key = certified_key(settings, &cert_data, &key_data, &provider)
            .map_err(|(k, e)| p.at(&k, e))
            .ok()?;
        Some(ReloadingCert {
            settings: settings.clone(),
            provider,
            interval,
            state: Mutex::new((Watch::new(digest(&[&cert_data, &key_data])), Arc::new(key))),
        })
    }

    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = lock(&self.state);
        let (watch, current) = &mut *state;
        let files = matches!(self.settings.cert, PemSource::File(_))
            || matches!(self.settings.key, PemSource::File(_));
        if !files || !watch.due(self.interval) {
            return current.clone();
        }
        let data = read(&self.settings.cert).and_then(|c| Ok((c, read(&self.settings.key)?)));
        let (cert_data, key_data) = match data {
            Ok(d) => d,
            Err(e) => {
                watch.warn(format!("{e}; serving the previous certificate"));
                return current.clone();
            }
        };
        let seen = digest(&[&cert_data, &key_data]);
        if seen == watch.seen {
            return current.clone();
        }
        watch.seen = seen;
        match certified_key(&self.settings, &cert_data, &key_data, &self.provider) {
            Ok(key) => {
                *current = Arc::new(key);
                watch.last_problem = None;
                tracing::info!(
                    "web configuration: loaded the new certificate from {}",
                    where_(&self.settings.cert)
                );
            }
            Err((_, e)) => watch.warn(format!("{e}; serving the previous certificate")),
        }
        current.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}
