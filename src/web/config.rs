//! The web configuration file (`--web.config.file`) in the Prometheus exporter-toolkit format:
//! its keys, checked all at once. Pure: file paths are resolved against the file's directory but
//! not opened here.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use yaml_rust2::Yaml;

use super::config_tls::parse_tls;
use super::settings::{CipherSuite, HttpSettings, RateLimit, TlsVersion, WebSettings};
use crate::secret::Secret;
use crate::yaml::{self, Problems};

const TOP_KEYS: [&str; 4] = [
    "tls_server_config",
    "http_server_config",
    "basic_auth_users",
    "rate_limit",
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
        // An empty section is no section, as in exporter-toolkit.
        match top.get("tls_server_config") {
            Some(Yaml::Hash(h)) if h.is_empty() => {}
            Some(y) => settings.tls = parse_tls(y, dir, &mut p, &mut settings.warnings),
            None => {}
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
        let lacks_http2_suite = settings.tls.as_ref().is_some_and(|tls| {
            settings.http.http2
                && tls.min_version == TlsVersion::Tls12
                && !tls.cipher_suites.is_empty()
                && !tls.cipher_suites.iter().any(|s| {
                    matches!(
                        s,
                        CipherSuite::EcdheRsaAes128GcmSha256
                            | CipherSuite::EcdheEcdsaAes128GcmSha256
                    )
                })
        });
        if lacks_http2_suite {
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

fn parse_http(y: &Yaml, http: &mut HttpSettings, p: &mut Problems) {
    let section = "http_server_config";
    let Some(f) = yaml::fields(y, section, &HTTP_KEYS, p) else {
        return;
    };
    if let Some(b) = f
        .get("http2")
        .and_then(|y| yaml::boolean(y, &format!("{section}.http2"), p))
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
