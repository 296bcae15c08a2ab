//! The web configuration applied to every request, as exporter-toolkit applies it: the rate limit
//! and basic authentication on every endpoint but `/-/healthy` (a health probe is never refused),
//! and the configured headers on every response, refusals included. Each request that passes
//! carries the [`Principal`] it acts as: the basic-auth user, else the subject of a verified
//! client certificate, else `anonymous`, with the roles access control gives it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::serve::ClientCertificate;
use crate::access::{AccessControl, Principal};
use crate::web::{BasicAuth, RateLimiter, WWW_AUTHENTICATE, WebConfig};

/// The one path that needs no credentials: container health checks have none.
pub const OPEN_PATH: &str = "/-/healthy";

#[derive(Clone)]
struct Guard {
    basic_auth: Option<Arc<BasicAuth>>,
    rate_limiter: Option<Arc<RateLimiter>>,
    headers: Arc<Vec<(HeaderName, HeaderValue)>>,
    access: Arc<AccessControl>,
}

/// `router` behind the web configuration (none: open, no headers) and with each request's
/// principal resolved under `access`.
pub fn protect(router: Router, web: Option<&WebConfig>, access: AccessControl) -> Router {
    let headers = web
        .map(|w| {
            w.http
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    // The web configuration checked both; a header that still does not parse is
                    // left out rather than failing every response.
                    Some((
                        HeaderName::from_bytes(name.as_bytes()).ok()?,
                        HeaderValue::from_str(value).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let guard = Guard {
        basic_auth: web.and_then(|w| w.basic_auth.clone()),
        rate_limiter: web.and_then(|w| w.rate_limiter.clone()),
        headers: Arc::new(headers),
        access: Arc::new(access),
    };
    router.layer(axum::middleware::from_fn_with_state(guard, check))
}

async fn check(State(g): State<Guard>, mut request: Request, next: Next) -> Response {
    let mut response = if request.uri().path() == OPEN_PATH {
        next.run(request).await
    } else if g.rate_limiter.as_ref().is_some_and(|r| !r.allow()) {
        (StatusCode::TOO_MANY_REQUESTS, "429 too many requests\n").into_response()
    } else {
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        let certificate = request.extensions().get::<ClientCertificate>().cloned();
        let path = request.uri().path().to_string();
        match principal(&g, authorization, certificate, &path).await {
            Ok(principal) => {
                request.extensions_mut().insert(principal);
                next.run(request).await
            }
            Err(response) => response,
        }
    };
    let h = response.headers_mut();
    for (name, value) in g.headers.iter() {
        h.insert(name.clone(), value.clone());
    }
    response
}

/// Who the request acts as, or the 401 that refuses it.
async fn principal(
    g: &Guard,
    authorization: Option<Vec<u8>>,
    certificate: Option<ClientCertificate>,
    path: &str,
) -> Result<Principal, Response> {
    let principal = match &g.basic_auth {
        Some(auth) => match auth.clone().authenticate_async(authorization).await {
            Ok(user) => Principal::basic_auth(user),
            Err(why) => {
                tracing::debug!(path, reason = why.as_str(), "authentication failed");
                return Err(unauthorized(path));
            }
        },
        None => match certificate {
            Some(cert) => Principal::client_certificate(cert.0),
            None => Principal::anonymous(),
        },
    };
    Ok(g.access.with_roles(principal))
}

/// 401 with `WWW-Authenticate`; a JSON body under `/api/`, where clients read JSON.
fn unauthorized(path: &str) -> Response {
    let challenge = [(header::WWW_AUTHENTICATE, WWW_AUTHENTICATE)];
    if path.starts_with("/api/") {
        let body = serde_json::json!({
            "error": "unauthorized",
            "message": "authentication required: basic auth with a user of the web configuration",
        });
        (
            StatusCode::UNAUTHORIZED,
            challenge,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{body}\n"),
        )
            .into_response()
    } else {
        (StatusCode::UNAUTHORIZED, challenge, "401 unauthorized\n").into_response()
    }
}
