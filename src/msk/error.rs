//! How a failed MSK Connect or CloudWatch call becomes a [`ConnectError`] with one of the closed
//! [`Reason`]s: throttling, credentials, reachability, timeouts, TLS, service faults and
//! malformed answers, from the SDK's error kinds, the HTTP status and the AWS error code.
//!
//! The detail never carries credentials: AWS's signature-mismatch message quotes the canonical
//! request, which holds the session token, so service messages are cut before it.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_kafkaconnect::config::http::HttpResponse;
use aws_sdk_kafkaconnect::error::{ConnectorError, ProvideErrorMetadata, SdkError};

use crate::connect::{ConnectError, Reason};

/// AWS error codes that mean "slow down". The REST services send `TooManyRequestsException`
/// (429); CloudWatch's query-compatible code is `Throttling` (400); the rest are the codes the
/// SDKs' own retry classifiers treat as throttling.
const THROTTLING_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "SlowDown",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "TransactionInProgressException",
];

/// AWS error codes that mean the credentials are missing, unknown, expired, badly signed or
/// not allowed to make the call.
const AUTH_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedException",
    "UnauthorizedOperation",
    "ForbiddenException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "AuthFailure",
    "NotAuthorized",
];

const NOT_FOUND_CODES: &[&str] = &["NotFoundException", "ResourceNotFoundException"];

const SERVER_CODES: &[&str] = &[
    "InternalServerErrorException",
    "InternalServerError",
    "InternalFailure",
    "InternalServiceError",
    "InternalServiceFault",
    "ServiceUnavailableException",
    "ServiceUnavailable",
];

/// The reason for an error answer from an AWS service, from its HTTP status and error code.
/// The code decides first, since CloudWatch throttles with a 400.
pub fn classify_aws_error(status: u16, code: Option<&str>) -> Reason {
    let is = |set: &[&str]| code.is_some_and(|c| set.contains(&c));
    if is(THROTTLING_CODES) || status == 429 {
        Reason::RateLimited
    } else if is(AUTH_CODES) || status == 401 || status == 403 {
        Reason::Auth
    } else if is(NOT_FOUND_CODES) || status == 404 {
        Reason::NotFound
    } else if is(SERVER_CODES) || (500..=599).contains(&status) {
        Reason::ServerError
    } else {
        Reason::UnexpectedStatus
    }
}

/// Turns any SDK error of `operation` (e.g. `ListConnectors`) into a [`ConnectError`] whose
/// `path` is the operation's name.
pub(crate) fn from_sdk_error<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> ConnectError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let e = service.err();
            let reason = classify_aws_error(status, e.code());
            let mut detail = format!("HTTP {status}");
            if let Some(code) = e.code() {
                detail.push(' ');
                detail.push_str(code);
            }
            if let Some(message) = e.message().map(safe_message).filter(|m| !m.is_empty()) {
                detail.push_str(": ");
                detail.push_str(&message);
            }
            ConnectError::new(reason, operation, detail).with_status(status)
        }
        SdkError::TimeoutError(_) => ConnectError::new(
            Reason::Timeout,
            operation,
            "no complete answer within the timeout",
        ),
        SdkError::DispatchFailure(dispatch) => {
            let reason = if has_source::<CredentialsError>(err) {
                Reason::Auth
            } else if dispatch.is_timeout() {
                Reason::Timeout
            } else if is_tls(err) {
                Reason::Tls
            } else {
                Reason::Connect
            };
            ConnectError::new(reason, operation, cause(err))
        }
        SdkError::ResponseError(response) => {
            let status = response.raw().status().as_u16();
            let reason = if (200..300).contains(&status) {
                Reason::Decode
            } else {
                classify_aws_error(status, None)
            };
            ConnectError::new(reason, operation, format!("HTTP {status}: {}", cause(err)))
                .with_status(status)
        }
        // The request could not be built: nothing was sent. Not expected with valid input.
        _ => ConnectError::new(Reason::UnexpectedStatus, operation, cause(err)),
    }
}

/// A service message safe to log: its first line, without the canonical request and
/// string-to-sign that a signature mismatch quotes, at most 200 characters.
fn safe_message(message: &str) -> String {
    let mut text = message.lines().next().unwrap_or("");
    for marker in [
        "The Canonical String",
        "The String-to-Sign",
        "Canonical String",
    ] {
        if let Some(at) = text.find(marker) {
            text = &text[..at];
        }
    }
    let text = text.trim();
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn has_source<T: StdError + 'static>(err: &(dyn StdError + 'static)) -> bool {
    sources(err).any(|e| e.is::<T>())
}

fn is_tls(err: &(dyn StdError + 'static)) -> bool {
    has_source::<rustls::Error>(err)
}

/// `err` and its causes. An io::Error's `source()` skips the error it wraps, which is where
/// tokio-rustls puts the rustls error: step into it instead.
fn sources<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| {
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

/// What went wrong under an SDK error, whose own text only names its kind ("dispatch
/// failure").
fn cause(err: &(dyn StdError + 'static)) -> String {
    let mut top = err.source();
    // A connector error's own text is only its kind ("io error", "other") too.
    if let Some(inner) = top
        .filter(|e| e.is::<ConnectorError>())
        .and_then(|e| e.source())
    {
        top = Some(inner);
    }
    top.map_or_else(|| err.to_string(), chain)
}

/// The causes of `err` on one line, without repeating a message its cause repeats.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    for e in sources(err) {
        let msg = one_line(&e.to_string());
        if msg.is_empty() || out.ends_with(&msg) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&msg);
    }
    out
}

/// A message's lines joined into one, as a log line must be: the credential chain lists every
/// provider it tried on a line of its own.
fn one_line(msg: &str) -> String {
    let mut out = String::new();
    for line in msg.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            out.push_str(if out.ends_with(':') { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kafkaconnect::error::ErrorMetadata;
    use aws_sdk_kafkaconnect::operation::list_connectors::ListConnectorsError;
    use aws_smithy_types::body::SdkBody;

    fn service_error(status: u16, code: &str, message: &str) -> ConnectError {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let raw = HttpResponse::new(status.try_into().expect("valid status"), SdkBody::empty());
        let err = SdkError::service_error(ListConnectorsError::generic(meta), raw);
        from_sdk_error("ListConnectors", &err)
    }

    #[test]
    fn codes_and_statuses_map_to_reasons() {
        let cases: &[(u16, Option<&str>, Reason)] = &[
            (429, Some("TooManyRequestsException"), Reason::RateLimited),
            (400, Some("ThrottlingException"), Reason::RateLimited),
            (400, Some("Throttling"), Reason::RateLimited),
            (429, None, Reason::RateLimited),
            (403, Some("UnrecognizedClientException"), Reason::Auth),
            (403, Some("InvalidSignatureException"), Reason::Auth),
            (403, Some("SignatureDoesNotMatch"), Reason::Auth),
            (400, Some("ExpiredTokenException"), Reason::Auth),
            (403, Some("ExpiredToken"), Reason::Auth),
            (403, Some("AccessDeniedException"), Reason::Auth),
            (403, Some("ForbiddenException"), Reason::Auth),
            (401, Some("UnauthorizedException"), Reason::Auth),
            (400, Some("InvalidClientTokenId"), Reason::Auth),
            (403, None, Reason::Auth),
            (404, Some("NotFoundException"), Reason::NotFound),
            (404, None, Reason::NotFound),
            (
                500,
                Some("InternalServerErrorException"),
                Reason::ServerError,
            ),
            (
                503,
                Some("ServiceUnavailableException"),
                Reason::ServerError,
            ),
            (502, None, Reason::ServerError),
            (400, Some("BadRequestException"), Reason::UnexpectedStatus),
            (409, Some("ConflictException"), Reason::UnexpectedStatus),
            (400, Some("InvalidNextToken"), Reason::UnexpectedStatus),
        ];
        for (status, code, reason) in cases {
            assert_eq!(
                classify_aws_error(*status, *code),
                *reason,
                "{status} {code:?}"
            );
        }
    }

    #[test]
    fn service_errors_name_the_operation_status_and_code() {
        let e = service_error(429, "TooManyRequestsException", "Rate exceeded");
        assert_eq!(e.reason, Reason::RateLimited);
        assert_eq!(e.request, "ListConnectors");
        assert_eq!(e.status, Some(429));
        assert_eq!(e.detail, "HTTP 429 TooManyRequestsException: Rate exceeded");
    }

    #[test]
    fn signature_mismatch_detail_stops_before_the_canonical_request() {
        let message = "The request signature we calculated does not match the signature you \
            provided. Check your AWS Secret Access Key and signing method. Consult the service \
            documentation for details.\n\nThe Canonical String for this request should have been\n\
            'GET\n/v1/connectors\n\nhost:kafkaconnect.eu-west-1.amazonaws.com\n\
            x-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLETOKEN\n'";
        let e = service_error(403, "InvalidSignatureException", message);
        assert_eq!(e.reason, Reason::Auth);
        assert!(
            !e.detail.contains("IQoJb3JpZ2luX2VjEXAMPLETOKEN"),
            "{}",
            e.detail
        );
        assert_eq!(
            e.detail,
            "HTTP 403 InvalidSignatureException: The request signature we calculated does not \
             match the signature you provided. Check your AWS Secret Access Key and signing \
             method. Consult the service documentation for details."
        );
        let one_line = "Signature mismatch. The Canonical String for this request should have \
                        been 'GET /v1/connectors x-amz-security-token:SECRET'";
        let e = service_error(403, "SignatureDoesNotMatch", one_line);
        assert_eq!(
            e.detail,
            "HTTP 403 SignatureDoesNotMatch: Signature mismatch."
        );
    }

    #[test]
    fn transport_failures_map_to_connect_timeout_tls_and_auth() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let e = from_sdk_error("ListConnectors", &err);
        assert_eq!((e.reason, e.status), (Reason::Connect, None));
        assert_eq!(e.detail, "refused");

        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::timeout("connect timed out".into()));
        let e = from_sdk_error("ListConnectors", &err);
        assert_eq!(
            (e.reason, e.detail.as_str()),
            (Reason::Timeout, "connect timed out")
        );

        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::timeout_error("operation timeout (all attempts including retries)");
        let e = from_sdk_error("DescribeConnector", &err);
        assert_eq!(
            (e.reason, e.request.as_str()),
            (Reason::Timeout, "DescribeConnector")
        );

        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(tls)));
        let e = from_sdk_error("ListConnectors", &err);
        assert_eq!(
            (e.reason, e.detail.as_str()),
            (Reason::Tls, "invalid peer certificate: UnknownIssuer")
        );

        let missing = CredentialsError::not_loaded("no providers in chain provided credentials");
        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(missing), None));
        let e = from_sdk_error("ListConnectors", &err);
        assert_eq!(
            (e.reason, e.detail.as_str()),
            (
                Reason::Auth,
                "the credential provider was not enabled: no providers in chain provided \
                 credentials"
            )
        );
    }

    #[test]
    fn unreadable_success_is_decode() {
        let raw = HttpResponse::new(200.try_into().expect("valid"), SdkBody::from("{not json"));
        let err: SdkError<ListConnectorsError, HttpResponse> =
            SdkError::response_error("invalid JSON", raw);
        let e = from_sdk_error("ListConnectors", &err);
        assert_eq!((e.reason, e.status), (Reason::Decode, Some(200)));
        assert_eq!(e.detail, "HTTP 200: invalid JSON");
    }
}
