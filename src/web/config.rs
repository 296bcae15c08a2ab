//! The web configuration file (`--web.config.file`) in the Prometheus exporter-toolkit format:
//! its keys, checked all at once. Pure: file paths are resolved against the file's directory but
//! not opened here.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use yaml_rust2::Yaml;

use crate::secret::Secret;
use crate::yaml::{self, Problems};

const TOP_KEYS: [&str; 4] = [
    "tls_server_config",
    "http_server_config",
    "basic_auth_users",
    "rate_limit",
];
const TLS_KEYS: [&str; 13] = [
    "cert",
    "key",
    "client_ca",
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "cipher_suites",
    "curve_preferences",
    "min_version",
    "max_version",
    "prefer_server_cipher_suites",
    "client_allowed_sans",
];
const HTTP_KEYS: [&str; 2] = ["http2", "headers"];
const RATE_LIMIT_KEYS: [&str; 2] = ["interval", "burst"];

/// The response headers exporter-toolkit lets a web configuration set, with the values allowed
/// where the header is an enumeration (no list: any value).
const HEADERS: [(&str, &[&str]); 5] = [
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

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
const TLS13_SUITES: [&str; 3] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// Suites Go offers that rustls does not implement (CBC mode).
const CBC_SUITES: [&str; 4] = [
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

impl WebSettings {
    /// Checks the text of the web configuration file at `file`. Relative paths in it are taken
    /// from the file's directory. Every problem is reported, each naming the file and the key.
    pub fn parse(file: &Path, text: &str) -> Result<WebSettings, Vec<String>> {
        let mut p = Problems::new(file);
        let dir = file.parent().unwrap_or(Path::new(""));
        let doc = match yaml::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                p.file(e);
                return Err(p.into_vec());
            }
        };
        let mut settings = WebSettings {
            tls: None,
            http: HttpSettings {
                http2: true,
                headers: Vec::new(),
            },
            basic_auth_users: Vec::new(),
            rate_limit: None,
            warnings: Vec::new(),
        };
        // An empty file is valid: no TLS, no authentication.
        if doc.is_null() {
            return Ok(settings);
        }
        if !matches!(doc, Yaml::Hash(_)) {
            p.file(format!(
                "must be a mapping with tls_server_config, http_server_config, \
                 basic_auth_users or rate_limit, not {}",
                yaml::kind(&doc)
            ));
            return Err(p.into_vec());
        }
        let top = yaml::fields(&doc, "", &TOP_KEYS, &mut p).unwrap_or_default();
        if let Some(y) = top.get("tls_server_config") {
            settings.tls = parse_tls(y, dir, &mut p, &mut settings.warnings);
        }
        if let Some(y) = top.get("http_server_config") {
            parse_http(y, &mut settings.http, &mut p);
        }
        if let Some(y) = top.get("basic_auth_users") {
            settings.basic_auth_users = parse_users(y, &mut p);
        }
        if let Some(y) = top.get("rate_limit") {
            settings.rate_limit = parse_rate_limit(y, &mut p);
        }
        // Go's HTTP/2 refuses a TLS 1.2 suite list without the suite RFC 7540 requires.
        if let Some(tls) = &settings.tls
            && settings.http.http2
            && tls.min_version == TlsVersion::Tls12
            && !tls.cipher_suites.is_empty()
            && !tls.cipher_suites.iter().any(|s| {
                matches!(
                    s,
                    CipherSuite::EcdheRsaAes128GcmSha256 | CipherSuite::EcdheEcdsaAes128GcmSha256
                )
            })
        {
            p.at(
                "tls_server_config.cipher_suites",
                "HTTP/2 needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or \
                 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; add one, or set \
                 http_server_config.http2 to false",
            );
        }
        if settings.tls.is_none() && !settings.basic_auth_users.is_empty() && p.is_empty() {
            settings.warnings.push(p.format(
                "basic_auth_users",
                "without tls_server_config, passwords cross the network in clear text",
            ));
        }
        if p.is_empty() {
            Ok(settings)
        } else {
            Err(p.into_vec())
        }
    }
}

/// A string that may also be written as a number or boolean, as Go's YAML reads into a string.
fn scalar_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A path key: `""` counts as unset (as in exporter-toolkit); relative paths join `dir`.
fn path_value(y: &Yaml, path: &str, dir: &Path, p: &mut Problems) -> Option<PathBuf> {
    let s = yaml::string(y, path, p)?;
    if s.is_empty() {
        return None;
    }
    let s = PathBuf::from(s);
    Some(if s.is_relative() { dir.join(s) } else { s })
}

/// `X` or `X_file`, never both. `Err` when a problem was reported, `Ok(None)` when neither is set.
fn pem_source(
    fields: &std::collections::HashMap<&str, &Yaml>,
    inline_key: &str,
    file_key: &str,
    dir: &Path,
    p: &mut Problems,
) -> Result<Option<PemSource>, ()> {
    let at = |k: &str| format!("tls_server_config.{k}");
    let before = p.len();
    let file = fields
        .get(file_key)
        .and_then(|y| path_value(y, &at(file_key), dir, p));
    let inline = fields
        .get(inline_key)
        .and_then(|y| yaml::string(y, &at(inline_key), p))
        .filter(|s| !s.is_empty());
    if p.len() > before {
        return Err(());
    }
    match (file, inline) {
        (Some(_), Some(_)) => {
            p.at(
                "tls_server_config",
                format!("has both {file_key} and {inline_key}; give one of them"),
            );
            Err(())
        }
        (Some(f), None) => Ok(Some(PemSource::File(f))),
        (None, Some(text)) => Ok(Some(PemSource::Inline(Secret::new(text)))),
        (None, None) => Ok(None),
    }
}

fn parse_version(y: &Yaml, path: &str, p: &mut Problems) -> Option<TlsVersion> {
    match yaml::string(y, path, p)?.as_str() {
        "TLS12" => Some(TlsVersion::Tls12),
        "TLS13" => Some(TlsVersion::Tls13),
        old @ ("TLS10" | "TLS11") => {
            p.at(
                path,
                format!(
                    "{old} is not supported: the exporter's TLS (rustls) implements TLS12 and \
                     TLS13 only; use TLS12"
                ),
            );
            None
        }
        other => {
            p.at(
                path,
                format!("unknown TLS version \"{other}\"; use TLS12 or TLS13"),
            );
            None
        }
    }
}

fn parse_tls(
    y: &Yaml,
    dir: &Path,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<TlsSettings> {
    let section = "tls_server_config";
    let at = |k: &str| format!("{section}.{k}");
    let f = yaml::fields(y, section, &TLS_KEYS, p)?;
    let errors_before = p.len();

    let cert = pem_source(&f, "cert", "cert_file", dir, p);
    let key = pem_source(&f, "key", "key_file", dir, p);
    let client_ca = pem_source(&f, "client_ca", "client_ca_file", dir, p);
    let client_auth_type = match f.get("client_auth_type") {
        None => ClientAuthType::NoClientCert,
        Some(y) => match yaml::string(y, &at("client_auth_type"), p) {
            Some(s) if s.is_empty() => ClientAuthType::NoClientCert,
            Some(s) => s.parse().unwrap_or_else(|()| {
                let names: Vec<&str> = ClientAuthType::ALL.iter().map(|t| t.as_str()).collect();
                p.at(
                    &at("client_auth_type"),
                    format!("\"{s}\" is not one of {}", names.join(", ")),
                );
                ClientAuthType::NoClientCert
            }),
            None => ClientAuthType::NoClientCert,
        },
    };
    let min_version = f.get("min_version").map_or(Some(TlsVersion::Tls12), |y| {
        parse_version(y, &at("min_version"), p)
    });
    let max_version = f.get("max_version").map_or(Some(TlsVersion::Tls13), |y| {
        parse_version(y, &at("max_version"), p)
    });
    let prefer_server_cipher_suites = f
        .get("prefer_server_cipher_suites")
        .and_then(|y| yaml::boolean(y, &at("prefer_server_cipher_suites"), p))
        .unwrap_or(true);
    let client_allowed_sans = f
        .get("client_allowed_sans")
        .and_then(|y| yaml::string_list(y, &at("client_allowed_sans"), p))
        .unwrap_or_default();

    let mut cipher_suites = Vec::new();
    if let Some(y) = f.get("cipher_suites") {
        for (i, name) in yaml::string_list(y, &at("cipher_suites"), p)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = format!("{section}.cipher_suites[{i}]");
            if let Some(s) = CipherSuite::ALL.iter().find(|s| s.as_str() == name) {
                cipher_suites.push(*s);
            } else if TLS13_SUITES.contains(&name.as_str()) {
                warnings.push(p.format(
                    &path,
                    format!(
                        "{name} is a TLS 1.3 suite; TLS 1.3 suites are not configurable (as in \
                         Go), so it has no effect"
                    ),
                ));
            } else if CBC_SUITES.contains(&name.as_str()) {
                p.at(
                    &path,
                    format!(
                        "{name} is a CBC suite, which the exporter's TLS (rustls) does not \
                         implement; use the GCM or CHACHA20_POLY1305 suites"
                    ),
                );
            } else {
                let names: Vec<&str> = CipherSuite::ALL.iter().map(|s| s.as_str()).collect();
                p.at(
                    &path,
                    format!(
                        "unknown cipher suite \"{name}\"; the TLS 1.2 suites are {}",
                        names.join(", ")
                    ),
                );
            }
        }
    }
    let mut curve_preferences = Vec::new();
    if let Some(y) = f.get("curve_preferences") {
        for (i, name) in yaml::string_list(y, &at("curve_preferences"), p)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let path = format!("{section}.curve_preferences[{i}]");
            match name.as_str() {
                "X25519" => curve_preferences.push(Curve::X25519),
                "CurveP256" => curve_preferences.push(Curve::P256),
                "CurveP384" => curve_preferences.push(Curve::P384),
                "CurveP521" => p.at(
                    &path,
                    "CurveP521 is not implemented by the exporter's TLS (rustls); use X25519, \
                     CurveP256 or CurveP384",
                ),
                other => p.at(
                    &path,
                    format!(
                        "unknown curve \"{other}\"; the curves are X25519, CurveP256 and CurveP384"
                    ),
                ),
            }
        }
    }

    // Rules that tie keys together, reported once each key parsed.
    if cert == Ok(None) {
        p.at(section, "missing one of cert or cert_file");
    }
    if key == Ok(None) {
        p.at(section, "missing one of key or key_file");
    }
    let ca_problem = client_ca.is_err();
    let client_ca = client_ca.unwrap_or(None);
    if client_ca.is_some() && !client_auth_type.requests() {
        p.at(
            section,
            "client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type \
             to RequireAndVerifyClientCert",
        );
    }
    if client_ca.is_none() && !ca_problem && client_auth_type.verifies() {
        p.at(
            section,
            format!(
                "client_auth_type {} needs client_ca_file (or client_ca), the CA that signs client \
                 certificates",
                client_auth_type.as_str()
            ),
        );
    }
    if !client_allowed_sans.is_empty() && !client_auth_type.requests() {
        p.at(
            section,
            "client_allowed_sans needs a client_auth_type that asks for a certificate; set \
             client_auth_type to RequireAndVerifyClientCert",
        );
    }
    if let (Some(min), Some(max)) = (min_version, max_version)
        && min > max
    {
        p.at(
            section,
            format!(
                "min_version {} is above max_version {}",
                min.as_str(),
                max.as_str()
            ),
        );
    }
    if p.len() > errors_before {
        return None;
    }
    Some(TlsSettings {
        cert: cert.ok()??,
        key: key.ok()??,
        client_auth_type,
        client_ca,
        min_version: min_version?,
        max_version: max_version?,
        cipher_suites,
        curve_preferences,
        prefer_server_cipher_suites,
        client_allowed_sans,
    })
}

fn parse_http(y: &Yaml, http: &mut HttpSettings, p: &mut Problems) {
    let section = "http_server_config";
    let Some(f) = yaml::fields(y, section, &HTTP_KEYS, p) else {
        return;
    };
    if let Some(y) = f.get("http2")
        && let Some(b) = yaml::boolean(y, &format!("{section}.http2"), p)
    {
        http.http2 = b;
    }
    let Some(headers) = f.get("headers") else {
        return;
    };
    let path = format!("{section}.headers");
    let Some(entries) = yaml::mapping(headers, &path, p) else {
        return;
    };
    for (name, value) in entries {
        let at = format!("{path}.{name}");
        let Some((canonical, allowed)) = HEADERS.iter().find(|(h, _)| *h == name) else {
            let names: Vec<&str> = HEADERS.iter().map(|(h, _)| *h).collect();
            p.at(
                &at,
                format!(
                    "this header can not be configured; the headers are {}",
                    names.join(", ")
                ),
            );
            continue;
        };
        let value = match value {
            Yaml::Null => continue,
            other => match scalar_text(other) {
                Some(v) => v,
                None => {
                    p.at(&at, format!("must be a string, not {}", yaml::kind(other)));
                    continue;
                }
            },
        };
        if value.is_empty() {
            continue;
        }
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            let quoted: Vec<String> = allowed.iter().map(|v| format!("\"{v}\"")).collect();
            p.at(
                &at,
                format!("\"{value}\" is not allowed; use {}", quoted.join(" or ")),
            );
            continue;
        }
        if value.chars().any(|c| c.is_control() && c != '\t') || !value.is_ascii() {
            p.at(
                &at,
                "holds a control or non-ASCII character, which a header value cannot",
            );
            continue;
        }
        http.headers.push((canonical.to_string(), value));
    }
}

fn parse_users(y: &Yaml, p: &mut Problems) -> Vec<(String, Secret)> {
    let mut users = Vec::new();
    let Some(entries) = yaml::mapping(y, "basic_auth_users", p) else {
        return users;
    };
    for (user, hash) in entries {
        let at = format!("basic_auth_users.{user}");
        if user.is_empty() {
            p.at("basic_auth_users", "has an empty user name");
            continue;
        }
        if user.contains(':') {
            p.at(
                &at,
                "a user name cannot hold ':' (basic auth splits user and password on it)",
            );
            continue;
        }
        // Never echo the value: it is a password hash, or worse, a password put here by mistake.
        let Yaml::String(hash) = hash else {
            p.at(
                &at,
                format!("must be a bcrypt hash (a string), not {}", yaml::kind(hash)),
            );
            continue;
        };
        match bcrypt::HashParts::from_str(hash) {
            Ok(parts) if (4..=31).contains(&parts.get_cost()) => {
                users.push((user.to_string(), Secret::new(hash.clone())));
            }
            Ok(_) => p.at(&at, "the bcrypt cost must be between 4 and 31"),
            Err(_) => p.at(
                &at,
                "is not a bcrypt hash ($2y$, $2b$ or $2a$, the cost, then 53 characters); make \
                 one with: htpasswd -nBC 10 \"\" | tr -d ':\\n'",
            ),
        }
    }
    users
}

fn parse_rate_limit(y: &Yaml, p: &mut Problems) -> Option<RateLimit> {
    let section = "rate_limit";
    let f = yaml::fields(y, section, &RATE_LIMIT_KEYS, p)?;
    let interval = match f.get("interval").map(|y| (y, scalar_text(y))) {
        None => Duration::ZERO,
        Some((_, Some(s))) if s == "0" => Duration::ZERO,
        Some((_, Some(s))) => match humantime::parse_duration(&s) {
            Ok(d) => d,
            Err(_) => {
                p.at(
                    &format!("{section}.interval"),
                    format!("\"{s}\" is not a duration such as 1s or 100ms"),
                );
                return None;
            }
        },
        Some((y, None)) => {
            p.at(
                &format!("{section}.interval"),
                format!("must be a duration such as 1s, not {}", yaml::kind(y)),
            );
            return None;
        }
    };
    let burst = match f.get("burst") {
        None => 0,
        Some(Yaml::Integer(n)) => match u32::try_from(*n) {
            Ok(n) => n,
            Err(_) => {
                p.at(
                    &format!("{section}.burst"),
                    format!(
                        "{n} is out of range; give a number of requests from 1 to {}",
                        u32::MAX
                    ),
                );
                return None;
            }
        },
        Some(y) => {
            p.at(
                &format!("{section}.burst"),
                format!("must be a whole number of requests, not {}", yaml::kind(y)),
            );
            return None;
        }
    };
    // As in exporter-toolkit, a zero interval turns rate limiting off.
    if interval.is_zero() {
        return None;
    }
    if burst == 0 {
        p.at(
            &format!("{section}.burst"),
            "must be at least 1; with 0 every request would be refused",
        );
        return None;
    }
    Some(RateLimit { interval, burst })
}
