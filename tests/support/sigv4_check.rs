//! Server-side check of an AWS Signature Version 4 `Authorization` header: the signature is
//! computed again with `aws-sigv4` from the stand-in's own credentials, the expected region and
//! signing name, and the headers the request says it signed, then compared.
//!
//! A failure carries the AWS error code and message a real endpoint sends for it.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::HeaderMap;

/// The credentials the stand-in accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Default for StaticCredentials {
    /// AWS's documented example key pair.
    fn default() -> Self {
        StaticCredentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }
}

/// Why a signature was refused: the AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigFailure {
    pub code: &'static str,
    pub message: String,
}

/// The scope a request was signed for, from its `Credential=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

/// The skew AWS tolerates between the signing time and its clock.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

fn fail(code: &'static str, message: impl Into<String>) -> SigFailure {
    SigFailure {
        code,
        message: message.into(),
    }
}

/// A request as it arrived.
pub struct Received<'a> {
    pub method: &'a str,
    /// The request target exactly as sent.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Checks the signature of `request` against `creds`, for `region` and signing name `service`.
pub fn verify(
    request: &Received<'_>,
    creds: &StaticCredentials,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<Scope, SigFailure> {
    let Received {
        method,
        path_and_query,
        headers,
        body,
    } = *request;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(authorization) = header("authorization") else {
        return Err(fail(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let (scope, signed_headers, signature) = parse_authorization(authorization)?;
    if scope.access_key_id != creds.access_key_id {
        return Err(fail(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if scope.region != region {
        return Err(fail(
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to a valid region, not '{}'.",
                scope.region
            ),
        ));
    }
    if scope.service != service {
        return Err(fail(
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{service}'."),
        ));
    }
    let Some(amz_date) = header("x-amz-date") else {
        return Err(fail(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        fail(
            "IncompleteSignatureException",
            format!("Invalid X-Amz-Date: {amz_date}"),
        )
    })?;
    if !amz_date.starts_with(&scope.date) {
        return Err(fail(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
        ));
    }
    let skew = match now.duration_since(signed_at) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_SKEW {
        return Err(fail("InvalidSignatureException", "Signature expired"));
    }
    if header("x-amz-security-token") != creds.session_token.as_deref() {
        return Err(fail(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }

    let mut signed: Vec<(&str, String)> = Vec::new();
    for name in &signed_headers {
        let values: Vec<&str> = headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(mismatch());
        }
        signed.push((name.as_str(), values.join(",")));
    }
    let host = header("host").unwrap_or("localhost");
    let uri = format!("http://{host}{path_and_query}");
    let signable = SignableRequest::new(
        method,
        uri,
        signed.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|_| mismatch())?;
    let identity = Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        creds.session_token.clone(),
        None,
        "stand-in",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(signed_at)
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| mismatch())?
        .into();
    let expected = sign(signable, &params).map_err(|_| mismatch())?;
    if expected.signature() == signature {
        Ok(scope)
    } else {
        Err(mismatch())
    }
}

fn mismatch() -> SigFailure {
    fail(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details.",
    )
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/kafkaconnect/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<(Scope, Vec<String>, String), SigFailure> {
    let incomplete = || {
        fail(
            "IncompleteSignatureException",
            format!(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization={}",
                value.split(' ').next().unwrap_or("")
            ),
        )
    };
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(incomplete)?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let (credential, signed, signature) = match (credential, signed, signature) {
        (Some(c), Some(h), Some(s)) => (c, h, s),
        _ => return Err(incomplete()),
    };
    let fields: Vec<&str> = credential.split('/').collect();
    let [akid, date, region, service, "aws4_request"] = fields[..] else {
        return Err(incomplete());
    };
    let scope = Scope {
        access_key_id: akid.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    };
    let names = signed.split(';').map(str::to_string).collect();
    Ok((scope, names, signature.to_string()))
}

/// `20240102T030405Z` → that instant (UTC).
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}
