//! Client certificates for the web configuration's TLS: checks per `client_auth_type`, against
//! a client CA re-read when its file changes, then `client_allowed_sans`; and the principal a
//! verified certificate names.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

use super::settings::{ClientAuthType, PemSource, TlsSettings};
use super::tls::{Watch, digest, key_name, lock, parse_certs, read, where_};
use crate::yaml::Problems;

/// The subject CN of a DER certificate, or its whole subject (`O=Acme, OU=Ops`) without a CN;
/// `None` when it cannot be parsed or its subject is empty.
pub fn certificate_principal(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    if let Some(cn) = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
    {
        return Some(cn.to_string());
    }
    let full = subject.to_string();
    (!full.is_empty()).then_some(full)
}

/// The verifier of `client_auth_type`, or `None` for NoClientCert.
pub(super) fn client_verifier(
    settings: &TlsSettings,
    provider: Arc<CryptoProvider>,
    interval: Duration,
    p: &mut Problems,
) -> Option<Option<Arc<dyn ClientCertVerifier>>> {
    let mode = settings.client_auth_type;
    if !mode.requests() {
        return Some(None);
    }
    let ca = match &settings.client_ca {
        Some(source) => Some(ReloadingCa::new(source, provider.clone(), interval, p)?),
        None => None,
    };
    Some(Some(Arc::new(ClientVerifier {
        mode,
        ca,
        allowed_sans: settings.client_allowed_sans.clone(),
        provider,
    })))
}

/// Verifies a client CA's certificates as a webpki verifier.
fn ca_verifier(
    source: &PemSource,
    data: &[u8],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in parse_certs(source, data)?.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            format!(
                "certificate {} of {} cannot be a CA: {e}",
                i + 1,
                where_(source)
            )
        })?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("{} cannot verify client certificates: {e}", where_(source)))
}

struct ReloadingCa {
    source: PemSource,
    provider: Arc<CryptoProvider>,
    interval: Duration,
    state: Mutex<(Watch, Arc<dyn ClientCertVerifier>)>,
}

impl ReloadingCa {
    fn new(
        source: &PemSource,
        provider: Arc<CryptoProvider>,
        interval: Duration,
        p: &mut Problems,
    ) -> Option<ReloadingCa> {
        let at = key_name(source, "client_ca_file", "client_ca");
        let data = read(source).map_err(|e| p.at(&at, e)).ok()?;
        let verifier = ca_verifier(source, &data, &provider)
            .map_err(|e| p.at(&at, e))
            .ok()?;
        Some(ReloadingCa {
            source: source.clone(),
            provider,
            interval,
            state: Mutex::new((Watch::new(digest(&[&data])), verifier)),
        })
    }

    fn current(&self) -> Arc<dyn ClientCertVerifier> {
        let mut state = lock(&self.state);
        let (watch, current) = &mut *state;
        if !matches!(self.source, PemSource::File(_)) || !watch.due(self.interval) {
            return current.clone();
        }
        let data = match read(&self.source) {
            Ok(d) => d,
            Err(e) => {
                watch.warn(format!("{e}; keeping the previous client CA"));
                return current.clone();
            }
        };
        let seen = digest(&[&data]);
        if seen == watch.seen {
            return current.clone();
        }
        watch.seen = seen;
        match ca_verifier(&self.source, &data, &self.provider) {
            Ok(v) => {
                *current = v;
                watch.last_problem = None;
                tracing::info!(
                    "web configuration: loaded the new client CA from {}",
                    where_(&self.source)
                );
            }
            Err(e) => watch.warn(format!("{e}; keeping the previous client CA")),
        }
        current.clone()
    }
}

/// Client certificates per `client_auth_type`, then `client_allowed_sans`.
struct ClientVerifier {
    mode: ClientAuthType,
    ca: Option<ReloadingCa>,
    allowed_sans: Vec<String>,
    provider: Arc<CryptoProvider>,
}

impl fmt::Debug for ClientVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientVerifier")
            .field("mode", &self.mode)
            .field("allowed_sans", &self.allowed_sans)
            .finish_non_exhaustive()
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mode.requires()
    }

    /// No CA names are hinted: the CA may change while the server runs, and a stale hint would
    /// make clients (Go's among them) withhold a certificate the new CA signed.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if let (true, Some(ca)) = (self.mode.verifies(), &self.ca) {
            ca.current()
                .verify_client_cert(end_entity, intermediates, now)?;
        }
        if !self.allowed_sans.is_empty() && !has_allowed_san(end_entity, &self.allowed_sans) {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ));
        }
        Ok(ClientCertVerified::assertion())
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Whether the certificate carries one of `allowed` among its DNS, e-mail, IP or URI SANs, as
/// exporter-toolkit checks them (exact text; IPs in their usual notation).
fn has_allowed_san(cert: &CertificateDer<'_>, allowed: &[String]) -> bool {
    use x509_parser::extensions::GeneralName;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(cert) else {
        return false;
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return false;
    };
    san.value.general_names.iter().any(|name| {
        let text = match name {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                s.to_string()
            }
            GeneralName::IPAddress(bytes) => {
                if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                    std::net::Ipv4Addr::from(v4).to_string()
                } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                    std::net::Ipv6Addr::from(v6).to_string()
                } else {
                    return false;
                }
            }
            _ => return false,
        };
        allowed.contains(&text)
    })
}
