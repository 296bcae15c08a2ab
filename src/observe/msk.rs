//! The Amazon MSK Connect flavour: the connectors of one region through the AWS API
//! (ListConnectors, every page), with DescribeConnector's state description for each FAILED
//! connector, and, when asked for, task counts from CloudWatch. MSK Connect has no per-task
//! states and no workers to show: those are absent, never invented.

use std::collections::HashMap;

use super::Pass;
use super::snapshot::{Capacity, ClusterView, Connector, TaskCounts};
use crate::config::NameFilter;
use crate::connect::{ConnectError, State};
use crate::msk::{MskCapacity, MskClient, MskConnector, StateDescription};

#[derive(Debug)]
pub struct Msk {
    client: MskClient,
    cloudwatch: bool,
    /// The connectors observed: the others are neither described nor counted.
    connectors: NameFilter,
    /// The state description of each FAILED connector, by ARN, with the version it was read
    /// for: asked once per failure, not every observation.
    described: HashMap<String, (Option<String>, Option<StateDescription>)>,
}

impl Msk {
    pub fn new(client: MskClient, cloudwatch: bool, connectors: NameFilter) -> Msk {
        Msk {
            client,
            cloudwatch,
            connectors,
            described: HashMap::new(),
        }
    }

    pub fn client(&self) -> &MskClient {
        &self.client
    }

    /// Startup validation: the listing, which needs working credentials.
    pub async fn validate(&self) -> Result<usize, ConnectError> {
        self.client.list_connectors().await.map(|c| c.len())
    }

    pub async fn observe(&mut self, cluster: &str) -> Result<Pass, ConnectError> {
        let mut listed = self.client.list_connectors().await?;
        listed.retain(|c| self.connectors.keeps(&c.name));
        let counts = if self.cloudwatch {
            let names: Vec<String> = listed.iter().map(|c| c.name.clone()).collect();
            self.client.task_counts(&names).await?
        } else {
            HashMap::new()
        };
        self.described
            .retain(|arn, _| listed.iter().any(|c| &c.arn == arn && c.state == "FAILED"));
        let mut connectors = Vec::with_capacity(listed.len());
        for c in listed {
            let exception = if c.state == "FAILED" {
                self.failure(cluster, &c).await?
            } else {
                None
            };
            let task_counts = counts.get(&c.name).map(|t| TaskCounts {
                running: t.running.unwrap_or(0.0).max(0.0) as u64,
                failed: t.errored.unwrap_or(0.0).max(0.0) as u64,
            });
            connectors.push(Connector {
                state: State::parse(&c.state),
                kind: "unknown".to_string(),
                task_count: task_counts.map(|t| (t.running + t.failed) as usize),
                exception,
                task_counts,
                id: Some(c.id),
                connect_version: c.kafka_connect_version,
                capacity: c.capacity.map(|cap| match cap {
                    MskCapacity::Provisioned {
                        worker_count,
                        mcu_count,
                    } => Capacity {
                        min_workers: worker_count.max(0) as u64,
                        max_workers: worker_count.max(0) as u64,
                        mcu_per_worker: mcu_count.max(0) as u64,
                    },
                    MskCapacity::AutoScaling {
                        min_worker_count,
                        max_worker_count,
                        mcu_count,
                    } => Capacity {
                        min_workers: min_worker_count.max(0) as u64,
                        max_workers: max_worker_count.max(0) as u64,
                        mcu_per_worker: mcu_count.max(0) as u64,
                    },
                }),
                name: c.name,
                ..Connector::default()
            });
        }
        Ok(Pass {
            view: ClusterView::new(connectors, 0),
            skipped: 0,
        })
    }

    /// The code of a FAILED connector's state description (the failure-info label), its
    /// message in the log once per failure. A connector deleted since it was listed has none.
    async fn failure(
        &mut self,
        cluster: &str,
        c: &MskConnector,
    ) -> Result<Option<String>, ConnectError> {
        if let Some((version, d)) = self.described.get(&c.arn)
            && *version == c.current_version
        {
            return Ok(d.as_ref().and_then(|d| d.code.clone()));
        }
        let description = match self.client.describe_connector(&c.arn).await {
            Ok(d) => d,
            Err(e) if e.reason == crate::connect::Reason::NotFound => None,
            Err(e) => return Err(e),
        };
        if let Some(d) = &description {
            tracing::warn!(
                cluster,
                connector = %c.name,
                code = d.code.as_deref().unwrap_or(""),
                "MSK Connect connector FAILED: {}",
                d.message.as_deref().unwrap_or("(no message)")
            );
        }
        let code = description.as_ref().and_then(|d| d.code.clone());
        self.described
            .insert(c.arn.clone(), (c.current_version.clone(), description));
        Ok(code)
    }
}
