//! The Confluent Cloud flavour: managed connectors through connect/v1, Kpow's way
//! (`CONNECT_REST_URL=https://api.confluent.cloud/connect/v1/environments/{env}/clusters/{lkc}`,
//! a Cloud API key as basic auth). There is no `GET /`: the listing is what is asked at start.
//! v2 is one `GET …/connectors?expand=info,status,id` in the comma form Cloud documents; v1 is
//! the listing with ids, then info, status and tasks of each connector. Cloud has no workers to
//! show (its `worker_id` is the connector's name), so none are; nor consumer groups, which Cloud
//! does not name after the connector.

use super::Pass;
use super::rest::{self, Details, Fallback, Options};
use crate::config::ObservationVersion;
use crate::connect::{ConnectClient, ConnectError, ExpandForm};

#[derive(Debug)]
pub struct Cloud {
    client: ConnectClient,
    version: ObservationVersion,
    fallback: Option<Fallback>,
    details: Details,
    /// v1's cost has been said in the log.
    told_cost: bool,
}

impl Cloud {
    /// Cloud has no `/topics`: `options.topics` is not used.
    pub fn new(client: ConnectClient, options: Options) -> Cloud {
        Cloud {
            client,
            version: options.version,
            fallback: None,
            details: Details::new(Options {
                topics: false,
                ..options.clone()
            }),
            told_cost: false,
        }
    }

    pub fn client(&self) -> &ConnectClient {
        &self.client
    }

    pub fn fallback(&self) -> Option<Fallback> {
        self.fallback
    }

    /// Startup validation: the listing (Cloud has no `GET /`).
    pub async fn validate(&self) -> Result<usize, ConnectError> {
        self.client.connector_names().await.map(|n| n.len())
    }

    pub async fn observe(&mut self, cluster: &str) -> Result<Pass, ConnectError> {
        let mut pass = match (self.version, self.fallback) {
            (ObservationVersion::V2, None) => {
                match rest::expanded(&self.client, ExpandForm::CloudComma).await? {
                    Ok(pass) => pass,
                    Err((why, _)) => {
                        self.fallback = Some(why);
                        tracing::warn!(cluster, "{}", why.message());
                        self.v1(cluster).await?
                    }
                }
            }
            _ => self.v1(cluster).await?,
        };
        for c in &mut pass.view.connectors {
            c.worker_id.clear();
            for t in &mut c.tasks {
                t.worker_id.clear();
            }
            // Cloud names its sinks' consumer groups itself, not after the connector's name;
            // rather none than a wrong one.
            c.consumer_group = None;
        }
        Ok(pass)
    }

    async fn v1(&mut self, cluster: &str) -> Result<Pass, ConnectError> {
        if !self.told_cost {
            self.told_cost = true;
            tracing::info!(
                cluster,
                "observation v1 against Confluent Cloud costs 3N+1 requests per observation for N \
                 connectors, and Cloud throttles by request rate; v2 costs one request: set \
                 CONNECT_OBSERVATION_VERSION=2"
            );
        }
        let (names, ids) = rest::names_and_ids(&self.client).await?;
        let mut pass = self.details.read(&self.client, cluster, names).await?;
        for c in &mut pass.view.connectors {
            c.id = ids.get(&c.name).cloned();
        }
        Ok(pass)
    }
}
