//! Carrying out an allowed operation on one cluster: the cluster's version when the plan needs
//! it (from the latest snapshot, else `GET /` at that moment), then the plan's calls, each sent
//! once, stopping at the first that fails.

use serde_json::{Value, json};

use super::flavour::{KafkaVersion, Step, needs_version, plan};
use super::{ActError, Done, Operation, Target};
use crate::connect::{Answer, ConnectClient, ConnectError, ConnectorStatus, Lookup, State};

pub(super) async fn run(target: &Target, name: &str, op: Operation) -> Result<Done, ActError> {
    let (version, raw) = match (&target.client, needs_version(target.flavour, op)) {
        (Some(client), true) => {
            let server = match target.handle.latest().and_then(|s| s.server.clone()) {
                Some(server) => server,
                None => client
                    .server_info()
                    .await
                    .map_err(|error| connect_error(error, Vec::new()))?,
            };
            (KafkaVersion::parse(&server.version), server.version)
        }
        _ => (None, String::new()),
    };
    let step = plan(target.flavour, op, version, &raw)
        .map_err(|message| ActError::NotSupported { message })?;
    let Some(client) = &target.client else {
        return Err(ActError::NotSupported {
            message: format!("{} has no REST API for this", target.flavour.name()),
        });
    };
    let not_found = |e: ConnectError| not_found_or(e, target, name, Vec::new());
    let answer = match step {
        Step::Inspect => return inspect(target, client, name).await,
        Step::Pause => client.pause(name).await,
        Step::Resume => client.resume(name).await,
        Step::Stop => client.stop(name).await,
        Step::Restart {
            include_tasks,
            only_failed,
        } => client.restart(name, include_tasks, only_failed).await,
        Step::RestartWhole => client.restart_plain(name).await,
        Step::RestartTask(task) => client.restart_task(name, task).await,
        Step::RestartOneByOne {
            include_tasks,
            only_failed,
        } => return one_by_one(target, client, name, include_tasks, only_failed).await,
    };
    let answer: Answer = answer.map_err(not_found)?;
    Ok(Done::Acted {
        requests: vec![answer.request],
        body: answer.body,
    })
}

/// A restart before Kafka 3.0: the connector (unless `only_failed` and it has not failed), then
/// each task the status names (all, or the failed ones), one request each.
async fn one_by_one(
    target: &Target,
    client: &ConnectClient,
    name: &str,
    include_tasks: bool,
    only_failed: bool,
) -> Result<Done, ActError> {
    let status = if include_tasks || only_failed {
        Some(status_of(target, client, name).await?)
    } else {
        None
    };
    let failed = |s: &State| *s == State::Failed;
    let mut requests = Vec::new();
    let mut body = None;
    let restart_connector = match &status {
        Some(s) if only_failed => failed(&s.connector.state),
        _ => true,
    };
    if restart_connector {
        let answer = client
            .restart_plain(name)
            .await
            .map_err(|e| not_found_or(e, target, name, requests.clone()))?;
        requests.push(answer.request);
        body = answer.body;
    }
    let tasks: Vec<u32> = match (&status, include_tasks) {
        (Some(s), true) => s
            .tasks
            .iter()
            .filter(|t| !only_failed || failed(&t.state))
            .map(|t| t.id)
            .collect(),
        _ => Vec::new(),
    };
    for task in tasks {
        let answer = client
            .restart_task(name, task)
            .await
            .map_err(|e| not_found_or(e, target, name, requests.clone()))?;
        requests.push(answer.request);
        body = answer.body.or(body);
    }
    Ok(Done::Acted { requests, body })
}

async fn status_of(
    target: &Target,
    client: &ConnectClient,
    name: &str,
) -> Result<ConnectorStatus, ActError> {
    match client.connector_status(name).await {
        Ok(Lookup::Found(s)) => Ok(s),
        Ok(Lookup::Gone) => Err(missing(target, name, "no status")),
        Ok(Lookup::Unreadable(e)) | Err(e) => Err(connect_error(e, Vec::new())),
    }
}

/// The connector's status and redacted configuration, both read now.
async fn inspect(target: &Target, client: &ConnectClient, name: &str) -> Result<Done, ActError> {
    let (status, config) = tokio::join!(
        status_of(target, client, name),
        client.connector_config(name)
    );
    let status = status?;
    let config = match config {
        Ok(Lookup::Found(c)) => c,
        Ok(Lookup::Gone) => return Err(missing(target, name, "no configuration")),
        Ok(Lookup::Unreadable(e)) | Err(e) => return Err(connect_error(e, Vec::new())),
    };
    let tasks: Vec<Value> = status
        .tasks
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "state": t.state.as_str(),
                "worker_id": t.worker_id,
                "exception": t.exception,
            })
        })
        .collect();
    Ok(Done::Inspected(json!({
        "cluster": target.id,
        "connector": name,
        "type": status.kind.as_deref().unwrap_or("unknown"),
        "state": status.connector.state.as_str(),
        "worker_id": status.connector.worker_id,
        "exception": status.connector.exception,
        "tasks": tasks,
        "config": config,
    })))
}

fn missing(target: &Target, name: &str, what: &str) -> ActError {
    ActError::NotFound {
        message: format!(
            "cluster {} has {what} for connector \"{name}\" (Connect answered 404)",
            target.id
        ),
    }
}

/// A 404 is the connector (or task) not being there; anything else is Connect failing.
fn not_found_or(e: ConnectError, target: &Target, name: &str, mut sent: Vec<String>) -> ActError {
    if e.status == Some(404) {
        return ActError::NotFound {
            message: format!(
                "cluster {} has no connector \"{name}\" or no such task: {} answered {}",
                target.id, e.request, e.detail
            ),
        };
    }
    // Requests refused before they were sent (Retry-After, a name no URL can carry) are not
    // listed as sent.
    use crate::connect::Reason;
    if e.status.is_some()
        || matches!(
            e.reason,
            Reason::Timeout | Reason::Connect | Reason::Tls | Reason::Decode | Reason::TooLarge
        )
    {
        sent.push(e.request.clone());
    }
    connect_error(e, sent)
}

fn connect_error(error: ConnectError, requests: Vec<String>) -> ActError {
    ActError::Connect { error, requests }
}
