//! The actions API's answers: JSON bodies with the status each outcome gets (404 unknown,
//! 401 unauthenticated, 403 not allowed, 501 not offered by the service, 502 Connect's own
//! error), every error body shaped `{"error": KIND, "message": …}` with the details beside.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::operate::{ActError, Done};

/// `status` with a JSON body (and a final newline, for curl).
pub fn json_reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

/// An error body of the API's shape.
pub fn error_reply(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    json_reply(status, &json!({"error": kind, "message": message.into()}))
}

/// What an operation on one connector answers.
pub fn done_reply(cluster: &str, connector: &str, operation: &str, done: Done) -> Response {
    match done {
        Done::Inspected(body) => json_reply(StatusCode::OK, &body),
        Done::Acted { requests, body } => json_reply(
            StatusCode::ACCEPTED,
            &json!({
                "cluster": cluster,
                "connector": connector,
                "operation": operation,
                "requests": requests,
                "result": body,
            }),
        ),
    }
}

pub fn act_error_reply(e: ActError) -> Response {
    match e {
        ActError::UnknownCluster { .. } | ActError::NotFound { .. } => {
            error_reply(StatusCode::NOT_FOUND, "not_found", e.to_string())
        }
        ActError::Unauthenticated { operation } => error_reply(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!(
                "authentication required to {operation}: present a client certificate that the \
                 web configuration's client CA signed"
            ),
        ),
        ActError::Denied {
            action,
            resource,
            decision,
        } => json_reply(
            StatusCode::FORBIDDEN,
            &json!({
                "error": "forbidden",
                "action": action.name(),
                "resource": resource.to_string(),
                "reason": decision.reason.as_str(),
                "message": decision.explanation,
            }),
        ),
        ActError::NotSupported { message } => {
            error_reply(StatusCode::NOT_IMPLEMENTED, "not_supported", message)
        }
        ActError::Connect { error, requests } => json_reply(
            StatusCode::BAD_GATEWAY,
            &json!({
                "error": "connect_error",
                "reason": error.reason.as_str(),
                "status": error.status,
                "request": error.request,
                "message": error.detail,
                "requests": requests,
            }),
        ),
    }
}
