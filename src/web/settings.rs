//! The settings of a web configuration file (exporter-toolkit's format), as checked: what the
//! TLS server, basic authentication and the HTTP server are built from.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::secret::Secret;

/// How the server treats client certificates, with exporter-toolkit's (Go's) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthType {
    NoClientCert,
    /// Asks for a certificate, does not require or verify it.
    RequestClientCert,
    /// Requires a certificate, does not verify it.
    RequireAnyClientCert,
    /// Verifies a certificate against the client CA when one is given.
    VerifyClientCertIfGiven,
    /// Requires a certificate that the client CA verifies.
    RequireAndVerifyClientCert,
}

impl ClientAuthType {
    pub const ALL: [ClientAuthType; 5] = [
        ClientAuthType::NoClientCert,
        ClientAuthType::RequestClientCert,
        ClientAuthType::RequireAnyClientCert,
        ClientAuthType::VerifyClientCertIfGiven,
        ClientAuthType::RequireAndVerifyClientCert,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthType::NoClientCert => "NoClientCert",
            ClientAuthType::RequestClientCert => "RequestClientCert",
            ClientAuthType::RequireAnyClientCert => "RequireAnyClientCert",
            ClientAuthType::VerifyClientCertIfGiven => "VerifyClientCertIfGiven",
            ClientAuthType::RequireAndVerifyClientCert => "RequireAndVerifyClientCert",
        }
    }

    /// Whether a client certificate that was presented has been verified against the client CA,
    /// so that its subject may name a principal.
    pub fn verifies(self) -> bool {
        matches!(
            self,
            ClientAuthType::VerifyClientCertIfGiven | ClientAuthType::RequireAndVerifyClientCert
        )
    }

    /// Whether the server asks the client for a certificate at all.
    pub fn requests(self) -> bool {
        self != ClientAuthType::NoClientCert
    }

    /// Whether a handshake without a client certificate fails.
    pub fn requires(self) -> bool {
        matches!(
            self,
            ClientAuthType::RequireAnyClientCert | ClientAuthType::RequireAndVerifyClientCert
        )
    }
}

impl FromStr for ClientAuthType {
    type Err = ();

    fn from_str(s: &str) -> Result<ClientAuthType, ()> {
        match s {
            // exporter-toolkit keeps the old name for compatibility.
            "RequireClientCert" => Ok(ClientAuthType::RequireAnyClientCert),
            _ => ClientAuthType::ALL
                .into_iter()
                .find(|t| t.as_str() == s)
                .ok_or(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLS12",
            TlsVersion::Tls13 => "TLS13",
        }
    }
}

/// A TLS 1.2 cipher suite rustls implements, by Go's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherSuite {
    EcdheEcdsaAes128GcmSha256,
    EcdheEcdsaAes256GcmSha384,
    EcdheEcdsaChacha20Poly1305Sha256,
    EcdheRsaAes128GcmSha256,
    EcdheRsaAes256GcmSha384,
    EcdheRsaChacha20Poly1305Sha256,
}

impl CipherSuite {
    pub const ALL: [CipherSuite; 6] = [
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        CipherSuite::EcdheEcdsaAes256GcmSha384,
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
        CipherSuite::EcdheRsaAes128GcmSha256,
        CipherSuite::EcdheRsaAes256GcmSha384,
        CipherSuite::EcdheRsaChacha20Poly1305Sha256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CipherSuite::EcdheEcdsaAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            CipherSuite::EcdheEcdsaAes256GcmSha384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
            CipherSuite::EcdheRsaAes128GcmSha256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            CipherSuite::EcdheRsaAes256GcmSha384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            CipherSuite::EcdheRsaChacha20Poly1305Sha256 => {
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
            }
        }
    }
}

/// The TLS 1.3 suites Go lists: accepted and without effect, as in Go, where TLS 1.3 suites are
/// not configurable.
pub(super) const TLS13_SUITES: [&str; 3] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// Suites Go offers that rustls does not implement (CBC mode).
pub(super) const CBC_SUITES: [&str; 4] = [
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
];

/// An elliptic curve for key exchange, by Go's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    X25519,
    P256,
    P384,
}

impl Curve {
    pub fn as_str(self) -> &'static str {
        match self {
            Curve::X25519 => "X25519",
            Curve::P256 => "CurveP256",
            Curve::P384 => "CurveP384",
        }
    }
}

/// PEM text from a file (re-read when it changes) or given inline in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemSource {
    File(PathBuf),
    /// Inline text; a `Secret` so that an inline private key never prints.
    Inline(Secret),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert: PemSource,
    pub key: PemSource,
    pub client_auth_type: ClientAuthType,
    pub client_ca: Option<PemSource>,
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
    /// TLS 1.2 suites in preference order; empty for rustls's defaults.
    pub cipher_suites: Vec<CipherSuite>,
    /// Key exchange groups in preference order; empty for rustls's defaults.
    pub curve_preferences: Vec<Curve>,
    pub prefer_server_cipher_suites: bool,
    /// When not empty, a client certificate must carry one of these SANs (DNS, e-mail, IP, URI).
    pub client_allowed_sans: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Offer HTTP/2 through ALPN (TLS only). exporter-toolkit's default is true.
    pub http2: bool,
    /// Response headers to set, in file order; blank values are left out.
    pub headers: Vec<(String, String)>,
}

/// exporter-toolkit's global rate limit: a token bucket refilled one token per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub interval: Duration,
    pub burst: u32,
}

/// A web configuration file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    pub tls: Option<TlsSettings>,
    pub http: HttpSettings,
    /// User → bcrypt hash, in file order.
    pub basic_auth_users: Vec<(String, Secret)>,
    pub rate_limit: Option<RateLimit>,
    /// Accepted settings that are probably not what was meant.
    pub warnings: Vec<String>,
}
