//! The Apache Kafka Connect flavour: the standard REST API, observed with v1 (a listing, then
//! info, status and tasks of each connector) or v2 (one expanded listing), with the fall back
//! from v2 to v1 for a Connect, or a proxy, that does not honour `expand`.

use super::Pass;
use super::rest::{self, Details, Fallback};
use crate::config::ObservationVersion;
use crate::connect::{ConnectClient, ConnectError, ExpandForm, ServerInfo};

/// Observes one cluster through its REST API.
#[derive(Debug)]
pub struct Apache {
    client: ConnectClient,
    version: ObservationVersion,
    parallelism: usize,
    /// `GET /`, kept across failed observations so that the cluster's info does not churn.
    server: Option<ServerInfo>,
    /// Ask `GET /` again before the next pass (after a failure the cluster may come back as
    /// another version).
    revalidate: bool,
    fallback: Option<Fallback>,
    details: Details,
}

impl Apache {
    pub fn new(
        client: ConnectClient,
        version: ObservationVersion,
        parallelism: usize,
        server: Option<ServerInfo>,
    ) -> Apache {
        Apache {
            client,
            version,
            parallelism,
            revalidate: server.is_none(),
            server,
            fallback: None,
            details: Details::default(),
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
    pub async fn validate(&mut self) -> Result<String, ConnectError> {
        let server = self.client.server_info().await?;
        let said = format!("version {}", server.version);
        self.server = Some(server);
        self.revalidate = false;
        Ok(said)
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
        }
        let names = match (self.version, self.fallback) {
            (ObservationVersion::V2, None) => {
                match rest::expanded(&self.client, ExpandForm::Repeated).await? {
                    Ok(pass) => return Ok(pass),
                    Err((why, names)) => {
                        self.fallback = Some(why);
                        tracing::warn!(cluster, "{}", why.message());
                        names
                    }
                }
            }
            _ => self.client.connector_names().await?,
        };
        self.details
            .read(&self.client, cluster, names, self.parallelism)
            .await
    }
}
