//! The Apache Kafka Connect flavour: the standard REST API, observed with v1 (a listing, then
//! info, status and tasks of each connector) or v2 (one expanded listing), with the fall back
//! from v2 to v1 for a Connect, or a proxy, that does not honour `expand`.

use super::Pass;
use super::rest::{self, Details, Fallback, Options};
use crate::config::ObservationVersion;
use crate::connect::{ConnectClient, ConnectError, ExpandForm, ServerInfo};

/// Observes one cluster through its REST API.
#[derive(Debug)]
pub struct Apache {
    client: ConnectClient,
    version: ObservationVersion,
    /// `GET /`, kept across failed observations so that the cluster's info does not churn.
    server: Option<ServerInfo>,
    /// Ask `GET /` again before the next pass (after a failure the cluster may come back as
    /// another version).
    revalidate: bool,
    fallback: Option<Fallback>,
    details: Details,
    /// `GET /health` is asked (until a Connect older than 3.9 answers 404), and what it said
    /// last, to log changes only.
    health: Option<Option<bool>>,
}

impl Apache {
    pub fn new(client: ConnectClient, options: Options, server: Option<ServerInfo>) -> Apache {
        Apache {
            client,
            version: options.version,
            revalidate: server.is_none(),
            server,
            fallback: None,
            details: Details::new(options),
            health: Some(None),
        }
    }

    pub fn client(&self) -> &ConnectClient {
        &self.client
    }

    pub fn server(&self) -> Option<&ServerInfo> {
        self.server.as_ref()
    }

    pub fn fallback(&self) -> Option<Fallback> {
        self.fallback
    }

    /// Startup validation: `GET /`, kept for the cluster's info.
    pub async fn validate(&mut self) -> Result<ServerInfo, ConnectError> {
        let server = self.client.server_info().await?;
        self.server = Some(server.clone());
        self.revalidate = false;
        Ok(server)
    }

    /// After a failed observation: the next one asks `GET /` first.
    pub fn failed(&mut self) {
        self.revalidate = true;
    }

    pub async fn observe(&mut self, cluster: &str) -> Result<Pass, ConnectError> {
        if self.revalidate {
            let server = self.client.server_info().await?;
            if self.fallback.is_some()
                && self
                    .server
                    .as_ref()
                    .is_some_and(|s| s.version != server.version)
            {
                // Upgraded: try v2 again.
                self.fallback = None;
            }
            self.server = Some(server);
            self.revalidate = false;
            // Maybe upgraded: ask for the health again.
            self.health = Some(self.health.flatten());
        }
        let mut pass = match (self.version, self.fallback) {
            (ObservationVersion::V2, None) => {
                match rest::expanded(&self.client, ExpandForm::Repeated).await? {
                    Ok(mut pass) => {
                        self.details
                            .topics_of(&self.client, cluster, &mut pass.view)
                            .await;
                        pass
                    }
                    Err((why, names)) => {
                        self.fallback = Some(why);
                        tracing::warn!(cluster, "{}", why.message());
                        self.details.read(&self.client, cluster, names).await?
                    }
                }
            }
            _ => {
                let names = self.client.connector_names().await?;
                self.details.read(&self.client, cluster, names).await?
            }
        };
        pass.view.worker_health = self.health(cluster).await?;
        Ok(pass)
    }

    /// `GET /health` once per observation: the answering worker's health (KIP-1017), its
    /// message logged when it changes; `None` on a Connect older than 3.9, asked no more.
    async fn health(&mut self, cluster: &str) -> Result<Option<bool>, ConnectError> {
        let Some(last) = self.health else {
            return Ok(None);
        };
        match self.client.health().await? {
            None => {
                tracing::info!(
                    cluster,
                    "GET /health answers 404 (Kafka Connect before 3.9): worker health is not observed"
                );
                self.health = None;
                Ok(None)
            }
            Some((healthy, h)) => {
                if last != Some(healthy) {
                    if healthy {
                        tracing::info!(cluster, status = %h.status, "worker health: {}", h.message);
                    } else {
                        tracing::warn!(cluster, status = %h.status, "worker health: {}", h.message);
                    }
                }
                self.health = Some(Some(healthy));
                Ok(Some(healthy))
            }
        }
    }
}
