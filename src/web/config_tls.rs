//! The `tls_server_config` section of a web configuration file, checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use super::settings::{
    CBC_SUITES, CipherSuite, ClientAuthType, Curve, PemSource, TLS13_SUITES, TlsSettings,
    TlsVersion,
};
use crate::secret::Secret;
use crate::yaml::{self, Problems};

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
    fields: &HashMap<&str, &Yaml>,
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

pub(super) fn parse_tls(
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
