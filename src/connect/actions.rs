//! The calls that change a connector's state (pause, resume, stop, restart of a connector or of
//! one task) and the read of its configuration, for the actions API and auto-restart.
//!
//! Each call is sent once: never retried (Connect may have acted on a request whose answer was
//! lost), never redirected (the client follows none), and refused without being sent while the
//! cluster asked to wait (`Retry-After`). Which call a flavour or version needs is decided by the
//! caller; these are Connect's own endpoints, one request each.

use std::collections::BTreeMap;

use reqwest::Method;

use super::client::{ConnectClient, Lookup, decode};
use super::error::ConnectError;
use super::redact::redact_config;

/// What Connect answered to a state change: the request as sent (method and path, no host),
/// its status (202, 204, …) and its JSON body when it sent one.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub request: String,
    pub status: u16,
    pub body: Option<serde_json::Value>,
}

impl ConnectClient {
    /// `PUT /connectors/{name}/pause`.
    pub async fn pause(&self, name: &str) -> Result<Answer, ConnectError> {
        self.act(Method::PUT, &["connectors", name, "pause"], "")
            .await
    }

    /// `PUT /connectors/{name}/resume`.
    pub async fn resume(&self, name: &str) -> Result<Answer, ConnectError> {
        self.act(Method::PUT, &["connectors", name, "resume"], "")
            .await
    }

    /// `PUT /connectors/{name}/stop` (Kafka 3.5 and later).
    pub async fn stop(&self, name: &str) -> Result<Answer, ConnectError> {
        self.act(Method::PUT, &["connectors", name, "stop"], "")
            .await
    }

    /// `POST /connectors/{name}/restart?includeTasks=…&onlyFailed=…` (KIP-745, Kafka 3.0 and
    /// later; an older Connect ignores the parameters and restarts the connector alone).
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Answer, ConnectError> {
        let query = format!("includeTasks={include_tasks}&onlyFailed={only_failed}");
        self.act(Method::POST, &["connectors", name, "restart"], &query)
            .await
    }

    /// `POST /connectors/{name}/restart` without parameters: the connector instance alone on
    /// Apache Connect before 3.0, the connector and all its tasks on Confluent Cloud.
    pub async fn restart_plain(&self, name: &str) -> Result<Answer, ConnectError> {
        self.act(Method::POST, &["connectors", name, "restart"], "")
            .await
    }

    /// `POST /connectors/{name}/tasks/{task}/restart`.
    pub async fn restart_task(&self, name: &str, task: u32) -> Result<Answer, ConnectError> {
        let task = task.to_string();
        self.act(
            Method::POST,
            &["connectors", name, "tasks", &task, "restart"],
            "",
        )
        .await
    }

    /// `GET /connectors/{name}/config`, every value whose key looks secret redacted (see
    /// [`redact_config`]) before it leaves this function.
    pub async fn connector_config(
        &self,
        name: &str,
    ) -> Result<Lookup<BTreeMap<String, String>>, ConnectError> {
        let segments = ["connectors", name, "config"];
        match self.send(Method::GET, &segments, "").await {
            Ok((request, _, body)) => {
                let raw: BTreeMap<String, serde_json::Value> = decode(&request, &body)?;
                Ok(Lookup::Found(redact_config(raw)))
            }
            Err(e) if e.status == Some(404) => Ok(Lookup::Gone),
            Err(e) => Err(e),
        }
    }

    async fn act(
        &self,
        method: Method,
        segments: &[&str],
        query: &str,
    ) -> Result<Answer, ConnectError> {
        let (request, status, body) = self.send(method, segments, query).await?;
        // 202 with ConnectorStateInfo after a restart with parameters; nothing otherwise. A body
        // that is not JSON is not passed on (it is not Connect's).
        let body = serde_json::from_slice(&body).ok();
        Ok(Answer {
            request,
            status,
            body,
        })
    }
}
