//! The client of `--healthcheck`: it asks this machine's exporter for `/-/healthy`, over HTTPS
//! when the web configuration serves TLS.
//!
//! Over TLS the server's certificate is not verified, for this probe alone. The probe talks to
//! the loopback address of the exporter's own listen address, so there is no network path for
//! anyone to sit on; the certificate names the exporter's service (a DNS name a client outside
//! uses), never `127.0.0.1`, so verifying it would fail where it is right; and the probe sends no
//! credentials and reads nothing but the status. When the web configuration requires client
//! certificates, which the probe does not have, no request can pass; the probe then makes the
//! TLS handshake alone, and a server that completes it and refuses the missing certificate with
//! its alert is taken as healthy: it accepted the connection and ran the handshake.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncReadExt;

use crate::config::Config;

/// The longest the probe waits for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The probe's client and the URL of `/-/healthy`.
pub fn probe(config: &Config) -> Result<(reqwest::Client, String), String> {
    let addr = config.listen_address.local();
    let tls = config
        .security
        .web
        .as_ref()
        .is_some_and(|w| w.tls.is_some());
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    if tls {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    let client = builder
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let scheme = if tls { "https" } else { "http" };
    Ok((client, format!("{scheme}://{addr}{}", super::OPEN_PATH)))
}

/// Whether the web configuration requires a client certificate, so that a handshake the server
/// ends for want of one still shows a live server.
pub fn requires_client_certificate(config: &Config) -> bool {
    config
        .security
        .web
        .as_ref()
        .and_then(|w| w.tls.as_ref())
        .is_some_and(|t| t.client_auth_type().requires())
}

/// The handshake alone, for a server that requires a client certificate: `Ok` when the server
/// ends it for want of one, as a live exporter does.
pub async fn handshake(config: &Config) -> Result<(), String> {
    let addr = config.listen_address.local();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot make a TLS client: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|_| {
            format!(
                "nothing answers on {addr}: is the exporter running, with this \
                 --web.listen-address?"
            )
        })?;
        let name = ServerName::IpAddress(addr.ip().into());
        // Under TLS 1.2 the refusal ends the handshake; under TLS 1.3 it comes on the first read.
        let outcome = match connector.connect(name, tcp).await {
            Ok(mut stream) => {
                let mut byte = [0u8; 1];
                stream.read(&mut byte).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        match outcome {
            Err(e) if refused_for_want_of_certificate(&e) => Ok(()),
            Err(e) => Err(format!("TLS handshake with {addr}: {e}")),
            Ok(()) => Err(format!(
                "{addr} completed a TLS handshake without a client certificate, although the web \
                 configuration requires one"
            )),
        }
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("{addr} did not answer within 3 s")))
}

/// Whether `e` is the server ending the handshake because no client certificate was given.
fn refused_for_want_of_certificate(e: &std::io::Error) -> bool {
    matches!(
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired
                | AlertDescription::HandshakeFailure
                | AlertDescription::BadCertificate
        ))
    )
}

/// Accepts any server certificate: for the loopback probe only (see the module's doc).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Whether `e` failed in the TLS handshake.
pub fn is_tls(e: &reqwest::Error) -> bool {
    causes(e).any(|err| err.is::<rustls::Error>())
}

/// The causes of `e` on one line, without the URL.
pub fn chain(e: &reqwest::Error) -> String {
    let mut out = String::from("request failed");
    for err in causes(e).skip(1) {
        let msg = err.to_string();
        if !msg.is_empty() && !out.ends_with(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
    }
    out
}

/// `e` and its causes. An io::Error's `source()` skips the error it wraps, which is where
/// tokio-rustls puts rustls's: that one is stepped into instead.
fn causes(e: &reqwest::Error) -> impl Iterator<Item = &(dyn StdError + 'static)> {
    let first: &(dyn StdError + 'static) = e;
    std::iter::successors(Some(first), |&err| {
        match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        }
    })
}
