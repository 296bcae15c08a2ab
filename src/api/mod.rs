//! The Connect actions API, JSON under `/api/v1/`: the clusters and connectors as the latest
//! snapshots hold them (never calling Connect), a connector's redacted configuration read at
//! that moment (`CONNECT_INSPECT`), and pause, resume, stop and restart of connectors and tasks
//! (`CONNECT_ALTER_STATE`). Each request acts as the principal the web configuration
//! authenticated; deciding, acting and auditing are the [`Operator`]'s.

mod reply;
mod views;

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};

use crate::access::Principal;
use crate::operate::{Operation, Operator};
use reply::{act_error_reply, done_reply, error_reply};

#[derive(Clone)]
struct Api {
    operator: Operator,
    auto_restart: Arc<HashSet<String>>,
}

/// The API's routes. `auto_restart` names the clusters whose auto-restart is on (shown in the
/// cluster list).
pub fn router(operator: Operator, auto_restart: impl IntoIterator<Item = String>) -> Router {
    let api = Api {
        operator,
        auto_restart: Arc::new(auto_restart.into_iter().collect()),
    };
    let base = "/api/v1/clusters";
    Router::new()
        .route(base, get(list_clusters))
        .route(&format!("{base}/{{id}}/connectors"), get(list_connectors))
        .route(&format!("{base}/{{id}}/connectors/{{name}}"), get(inspect))
        .route(
            &format!("{base}/{{id}}/connectors/{{name}}/{{op}}"),
            post(operate),
        )
        .route(
            &format!("{base}/{{id}}/connectors/{{name}}/tasks/{{task}}/restart"),
            post(restart_task),
        )
        .route("/api", any(unknown))
        .route("/api/{*rest}", any(unknown))
        .method_not_allowed_fallback(wrong_method)
        .with_state(api)
}

/// The principal the web configuration's guard resolved (anonymous without one).
fn principal(request: &Request) -> Principal {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .unwrap_or_else(Principal::anonymous)
}

async fn list_clusters(State(api): State<Api>) -> Response {
    views::clusters(&api.operator, &|id| api.auto_restart.contains(id))
}

async fn list_connectors(State(api): State<Api>, Path(id): Path<String>) -> Response {
    views::connectors(&api.operator, &id)
}

async fn inspect(
    State(api): State<Api>,
    Path((id, name)): Path<(String, String)>,
    request: Request,
) -> Response {
    run(&api, &principal(&request), &id, &name, Operation::Inspect).await
}

async fn operate(
    State(api): State<Api>,
    Path((id, name, op)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let query = request.uri().query().unwrap_or("");
    let op = match op.as_str() {
        "pause" | "resume" | "stop" if !query.is_empty() => {
            return error_reply(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("{op} takes no parameters"),
            );
        }
        "pause" => Operation::Pause,
        "resume" => Operation::Resume,
        "stop" => Operation::Stop,
        "restart" => match restart_parameters(query) {
            Ok((include_tasks, only_failed)) => Operation::Restart {
                include_tasks,
                only_failed,
            },
            Err(message) => return error_reply(StatusCode::BAD_REQUEST, "bad_request", message),
        },
        other => {
            return error_reply(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "no operation \"{other}\"; the operations are pause, resume, stop and restart"
                ),
            );
        }
    };
    run(&api, &principal(&request), &id, &name, op).await
}

async fn restart_task(
    State(api): State<Api>,
    Path((id, name, task)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let Ok(task) = task.parse::<u32>() else {
        return error_reply(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("\"{task}\" is not a task id (0, 1, …)"),
        );
    };
    run(
        &api,
        &principal(&request),
        &id,
        &name,
        Operation::RestartTask(task),
    )
    .await
}

async fn run(api: &Api, principal: &Principal, id: &str, name: &str, op: Operation) -> Response {
    match api.operator.act(principal, id, name, op).await {
        Ok(done) => done_reply(id, name, op.name(), done),
        Err(e) => act_error_reply(e),
    }
}

/// `include_tasks` and `only_failed`, each `true` or `false`, both false unless given.
fn restart_parameters(query: &str) -> Result<(bool, bool), String> {
    let (mut include_tasks, mut only_failed) = (false, false);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "include_tasks" => &mut include_tasks,
            "only_failed" => &mut only_failed,
            other => {
                return Err(format!(
                    "unknown parameter \"{other}\"; restart takes include_tasks and only_failed"
                ));
            }
        };
        *slot = match value.as_ref() {
            "true" => true,
            "false" => false,
            v => return Err(format!("{key} must be true or false, not \"{v}\"")),
        };
    }
    Ok((include_tasks, only_failed))
}

async fn unknown(request: Request) -> Response {
    error_reply(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no API endpoint {}; see /api/v1/clusters",
            request.uri().path()
        ),
    )
}

async fn wrong_method() -> Response {
    let mut r = error_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "the connector list and inspection are GET; operations are POST",
    );
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    r.into_response()
}

#[cfg(test)]
mod tests {
    use super::restart_parameters;

    #[test]
    fn restart_parameters_are_exact() {
        assert_eq!(restart_parameters(""), Ok((false, false)));
        assert_eq!(
            restart_parameters("include_tasks=true&only_failed=true"),
            Ok((true, true))
        );
        assert_eq!(restart_parameters("only_failed=true"), Ok((false, true)));
        assert_eq!(
            restart_parameters("includeTasks=true"),
            Err(
                "unknown parameter \"includeTasks\"; restart takes include_tasks and only_failed"
                    .into()
            )
        );
        assert_eq!(
            restart_parameters("include_tasks=yes"),
            Err("include_tasks must be true or false, not \"yes\"".into())
        );
    }
}
