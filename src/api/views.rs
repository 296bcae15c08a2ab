//! The read side of the actions API: the clusters and their connectors as the latest snapshots
//! hold them. Never calls Connect; shows no credentials and no query string.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{error_reply, json_reply};
use crate::observe::{Connector, Snapshot};
use crate::operate::{Operator, Target};

/// `GET /api/v1/clusters`.
pub fn clusters(operator: &Operator, auto_restart: &dyn Fn(&str) -> bool) -> Response {
    let clusters: Vec<Value> = operator
        .targets()
        .iter()
        .map(|t| cluster(t, auto_restart(&t.id)))
        .collect();
    json_reply(StatusCode::OK, &json!({ "clusters": clusters }))
}

fn cluster(t: &Target, auto_restart: bool) -> Value {
    let meta = &t.handle.meta;
    let latest = t.handle.latest();
    let mut v = json!({
        "id": meta.id,
        "name": meta.name,
        "flavour": t.flavour.name(),
        "rest_url": meta.rest_url,
        "auto_restart": auto_restart,
        "observed": latest.is_some(),
    });
    if let Some(s) = latest {
        v["up"] = json!(s.is_up());
        v["observed_at"] = json!(humantime::format_rfc3339_seconds(s.observed_at).to_string());
        v["version"] = json!(s.server.as_ref().map(|i| i.version.clone()));
        match &s.outcome {
            Ok(view) => v["connectors"] = json!(view.connectors.len()),
            Err(e) => {
                v["error"] = json!({"reason": e.reason.as_str(), "request": path_only(&e.request)})
            }
        }
    }
    v
}

/// `GET /api/v1/clusters/{id}/connectors`.
pub fn connectors(operator: &Operator, id: &str) -> Response {
    let target = match operator.target(id) {
        Ok(t) => t,
        Err(e) => return error_reply(StatusCode::NOT_FOUND, "not_found", e.to_string()),
    };
    let Some(snapshot) = target.handle.latest() else {
        return error_reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_observed",
            format!("cluster {id} has not been observed yet; try again shortly"),
        );
    };
    match &snapshot.outcome {
        Ok(view) => json_reply(
            StatusCode::OK,
            &json!({
                "cluster": id,
                "observed_at": observed_at(&snapshot),
                "connectors": view.connectors.iter().map(connector).collect::<Vec<_>>(),
            }),
        ),
        Err(e) => error_reply(
            StatusCode::SERVICE_UNAVAILABLE,
            "cluster_down",
            format!(
                "the latest observation of cluster {id} failed ({} on {}), so the state of its \
                 connectors is not known",
                e.reason,
                path_only(&e.request)
            ),
        ),
    }
}

fn observed_at(s: &Snapshot) -> String {
    humantime::format_rfc3339_seconds(s.observed_at).to_string()
}

fn connector(c: &Connector) -> Value {
    json!({
        "name": c.name,
        "state": c.state.as_str(),
        "type": c.kind,
        "class": c.class,
        "worker_id": c.worker_id,
        "exception": c.exception,
        "tasks_max": c.tasks_max,
        "tasks": c.tasks.iter().map(|t| json!({
            "id": t.id,
            "state": t.state.as_str(),
            "worker_id": t.worker_id,
            "exception": t.exception,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /connectors?expand=…` → `GET /connectors`.
pub fn path_only(request: &str) -> &str {
    request.split(['?', '#']).next().unwrap_or("")
}
