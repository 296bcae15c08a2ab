//! Loading the truststore (custom CA) and keystore (client certificate for mTLS) named by
//! `CONNECT_SSL_*`, in PEM or PKCS12. JKS, Kpow's usual format, cannot be read from Rust; it is
//! recognised and answered with the keytool command that converts it.

use std::fmt;
use std::path::Path;

use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    Pem,
    Pkcs12,
    Jks,
}

impl StoreType {
    pub fn parse(s: &str) -> Option<StoreType> {
        match s.to_ascii_uppercase().as_str() {
            "PEM" => Some(StoreType::Pem),
            "PKCS12" | "P12" | "PFX" => Some(StoreType::Pkcs12),
            "JKS" => Some(StoreType::Jks),
            _ => None,
        }
    }

    /// The type a file's bytes show: JKS has a magic number, PEM is text, PKCS12 is DER.
    fn sniff(data: &[u8]) -> StoreType {
        if data.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) {
            StoreType::Jks
        } else if String::from_utf8_lossy(&data[..data.len().min(4096)]).contains("-----BEGIN") {
            StoreType::Pem
        } else {
            StoreType::Pkcs12
        }
    }
}

impl fmt::Display for StoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreType::Pem => "PEM",
            StoreType::Pkcs12 => "PKCS12",
            StoreType::Jks => "JKS",
        })
    }
}

/// Where a store is and what it held, for `--config.check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSummary {
    pub location: String,
    pub kind: StoreType,
}

/// The trusted certificates of a truststore, as DER. `vars` is the stem of the store's variables
/// (`EU2_CONNECT_SSL_TRUSTSTORE`), for messages that name its `_PASSWORD` and `_TYPE`.
pub fn load_truststore(
    location: &str,
    declared: Option<StoreType>,
    password: Option<&Secret>,
    vars: &str,
) -> Result<(Vec<Vec<u8>>, StoreType), String> {
    let (data, kind) = read_store(location, declared, vars)?;
    let certs = match kind {
        StoreType::Pem => pem::parse_many(&data)
            .map_err(|e| format!("{location} is not valid PEM: {e}"))?
            .into_iter()
            .filter(|p| p.tag() == "CERTIFICATE")
            .map(|p| p.into_contents())
            .collect::<Vec<_>>(),
        StoreType::Pkcs12 => {
            let store = open_pkcs12(location, &data, password, vars)?;
            let mut certs = Vec::new();
            for (_, entry) in store.entries() {
                match entry {
                    p12_keystore::KeyStoreEntry::Certificate(c) => certs.push(c.as_der().to_vec()),
                    p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                        certs.extend(chain.certs().iter().map(|c| c.as_der().to_vec()))
                    }
                    p12_keystore::KeyStoreEntry::Secret(_) => {}
                }
            }
            certs
        }
        StoreType::Jks => unreachable!("read_store rejects JKS"),
    };
    if certs.is_empty() {
        return Err(format!("{location} holds no certificate"));
    }
    Ok((certs, kind))
}

/// The client key and certificate chain of a keystore, as one PEM text for the HTTP client.
/// `vars` as for [`load_truststore`] (`EU2_CONNECT_SSL_KEYSTORE`).
pub fn load_keystore(
    location: &str,
    declared: Option<StoreType>,
    password: Option<&Secret>,
    vars: &str,
) -> Result<(Secret, StoreType), String> {
    let (data, kind) = read_store(location, declared, vars)?;
    let pem_text = match kind {
        StoreType::Pem => {
            let blocks =
                pem::parse_many(&data).map_err(|e| format!("{location} is not valid PEM: {e}"))?;
            if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
                return Err(format!(
                    "{location} holds an encrypted private key, which PEM keystores cannot use; \
                     decrypt it (openssl pkey -in KEY -out KEY.pem) or use a PKCS12 keystore"
                ));
            }
            if !blocks.iter().any(|b| b.tag().ends_with("PRIVATE KEY")) {
                return Err(format!("{location} holds no private key"));
            }
            if !blocks.iter().any(|b| b.tag() == "CERTIFICATE") {
                return Err(format!("{location} holds no certificate"));
            }
            pem::encode_many(&blocks)
        }
        StoreType::Pkcs12 => {
            let store = open_pkcs12(location, &data, password, vars)?;
            let (_, chain) = store
                .private_key_chain()
                .ok_or_else(|| format!("{location} holds no private key with its certificate"))?;
            let mut blocks = vec![pem::Pem::new("PRIVATE KEY", chain.key().as_der().to_vec())];
            blocks.extend(
                chain
                    .certs()
                    .iter()
                    .map(|c| pem::Pem::new("CERTIFICATE", c.as_der().to_vec())),
            );
            pem::encode_many(&blocks)
        }
        StoreType::Jks => unreachable!("read_store rejects JKS"),
    };
    reqwest::Identity::from_pem(pem_text.as_bytes()).map_err(|_| {
        format!("{location}: the private key or certificate cannot be used for TLS")
    })?;
    Ok((Secret::new(pem_text), kind))
}

fn read_store(
    location: &str,
    declared: Option<StoreType>,
    vars: &str,
) -> Result<(Vec<u8>, StoreType), String> {
    let data =
        std::fs::read(Path::new(location)).map_err(|e| format!("cannot read {location}: {e}"))?;
    if data.is_empty() {
        return Err(format!(
            "{location} is empty; point the variable at the store's file"
        ));
    }
    let sniffed = StoreType::sniff(&data);
    let kind = declared.unwrap_or(sniffed);
    if kind == StoreType::Jks || sniffed == StoreType::Jks {
        let p12 = match location.rsplit_once('.') {
            Some((stem, _)) => format!("{stem}.p12"),
            None => format!("{location}.p12"),
        };
        return Err(format!(
            "{location} is a JKS store, which this exporter cannot read; convert it to PKCS12 with \
             `keytool -importkeystore -srckeystore {location} -srcstoretype JKS -destkeystore {p12} \
             -deststoretype PKCS12` and point the variable at {p12} with its _TYPE set to PKCS12"
        ));
    }
    match (kind, sniffed) {
        (StoreType::Pkcs12, StoreType::Pem) => Err(format!(
            "{location} holds PEM text, but {vars}_TYPE says PKCS12; set it to PEM, or leave it unset"
        )),
        (StoreType::Pem, _) if sniffed != StoreType::Pem => Err(format!(
            "{location} is not PEM text (no -----BEGIN line), though {vars}_TYPE says PEM{}",
            der_hint(location, &data)
        )),
        _ => Ok((data, kind)),
    }
}

/// For a store file that is one DER certificate, how to make it PEM.
fn der_hint(location: &str, data: &[u8]) -> String {
    if x509_parser::parse_x509_certificate(data).is_ok() {
        format!(
            "; it is one certificate in DER form: convert it to PEM with \
             `openssl x509 -inform DER -in {location} -out {location}.pem`"
        )
    } else {
        String::new()
    }
}

fn open_pkcs12(
    location: &str,
    data: &[u8],
    password: Option<&Secret>,
    vars: &str,
) -> Result<p12_keystore::KeyStore, String> {
    let given = password.map(Secret::expose).unwrap_or("");
    p12_keystore::KeyStore::from_pkcs12(data, given, p12_keystore::Pkcs12ImportPolicy::Relaxed)
        .map_err(|e| match e {
            // The MAC over the whole store is checked with the password first: it fails for a
            // wrong password, and only for that once the file parsed as PKCS12.
            p12_keystore::error::Error::MacError(_) if given.is_empty() => {
                format!("{location} is a PKCS12 store protected by a password; set {vars}_PASSWORD")
            }
            p12_keystore::error::Error::MacError(_) => format!(
                "{location} is a PKCS12 store, and the password in {vars}_PASSWORD does not open it"
            ),
            p12_keystore::error::Error::DerError(_)
            | p12_keystore::error::Error::InvalidVersion => {
                format!(
                    "{location} is neither PEM text (no -----BEGIN line) nor a PKCS12 store{}",
                    der_hint(location, data)
                )
            }
            other => format!("{location} is a PKCS12 store this exporter cannot read: {other}"),
        })
}
