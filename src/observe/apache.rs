//! The Apache Kafka Connect flavour: the standard REST API, observed with v1 (a listing, then
//! info, status and tasks of each connector) or v2 (one expanded listing), with the fall back
//! from v2 to v1 for a Connect, or a proxy, that does not honour `expand`.

use std::collections::HashSet;

use futures_util::{StreamExt, TryStreamExt, stream};

use super::snapshot::{ClusterView, Connector};
use crate::config::ObservationVersion;
use crate::connect::{ConnectClient, ConnectError, ExpandForm, Listing, Lookup, ServerInfo};

/// What a pass produced besides the connectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub view: ClusterView,
    /// Connectors that were listed but gone (404) before their details were read.
    pub skipped: u64,
}

/// Why v2 is observed with v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The listing came back as names: Kafka 2.2 or older ignores `expand`.
    NamesOnly,
    /// The listing came back as a map without status and info: something between the exporter
    /// and Connect passed on only one of the repeated `expand` values, or none.
    ExpandNotHonoured,
}

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
    /// Connectors that answered 404 in the previous pass: a second 404 in a row is no race but
    /// a name Connect cannot serve.
    gone_before: HashSet<String>,
    /// Unreadable connectors already logged, so each is said once while it lasts.
    warned: HashSet<String>,
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
            gone_before: HashSet::new(),
            warned: HashSet::new(),
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
            (ObservationVersion::V2, None) => match self.expanded().await? {
                Ok(pass) => return Ok(pass),
                Err((why, names)) => {
                    self.fallback = Some(why);
                    tracing::warn!(cluster, "{}", fallback_message(why));
                    names
                }
            },
            _ => self.client.connector_names().await?,
        };
        self.details(cluster, names).await
    }

    /// v2: one `GET /connectors?expand=status&expand=info`; `Err` with the names when the
    /// answer shows that `expand` was not honoured.
    async fn expanded(&self) -> Result<Result<Pass, (Fallback, Vec<String>)>, ConnectError> {
        let listing = self
            .client
            .connectors_expanded(ExpandForm::Repeated, |name, e| match (e.status, e.info) {
                (Some(status), Some(info)) => Ok(Connector::from_parts(status, Some(&info), None)),
                _ => Err(name),
            })
            .await?;
        match listing {
            Listing::NamesOnly(names) => Ok(Err((Fallback::NamesOnly, names))),
            Listing::Expanded(entries) => {
                let complete = entries.iter().filter(|e| e.is_ok()).count();
                if complete == 0 && !entries.is_empty() {
                    let names = entries.into_iter().filter_map(Result::err).collect();
                    return Ok(Err((Fallback::ExpandNotHonoured, names)));
                }
                // With both expansions Connect leaves out a connector whose status is gone; an
                // entry without one is the same race seen another way.
                let skipped = (entries.len() - complete) as u64;
                let view = ClusterView::new(entries.into_iter().flatten().collect(), 0);
                Ok(Ok(Pass { view, skipped }))
            }
        }
    }

    /// v1's details: info, status and tasks of each connector, each connector's three calls one
    /// after another, so that `parallelism` bounds the requests in flight, which is what
    /// Connect's REST thread pool feels. The first failure ends the pass and drops the requests
    /// still in flight.
    async fn details(&mut self, cluster: &str, names: Vec<String>) -> Result<Pass, ConnectError> {
        let client = &self.client;
        let listed = names.len();
        let results: Vec<(String, Lookup<Connector>)> = stream::iter(names)
            .map(|name| async move {
                let r = one_connector(client, &name).await?;
                Ok::<_, ConnectError>((name, r))
            })
            .buffer_unordered(self.parallelism.max(1))
            .try_collect()
            .await?;
        let mut found = Vec::with_capacity(results.len());
        let mut gone = HashSet::new();
        let mut unreadable: Vec<(String, Option<ConnectError>)> = Vec::new();
        for (name, r) in results {
            match r {
                Lookup::Found(c) => found.push(c),
                Lookup::Gone if self.gone_before.contains(&name) => unreadable.push((name, None)),
                Lookup::Gone => {
                    gone.insert(name);
                }
                Lookup::Unreadable(e) => unreadable.push((name, Some(e))),
            }
        }
        if listed > 0 && unreadable.len() == listed {
            // Not one connector could be read: that is the cluster (or a proxy), not the names.
            if let Some(e) = unreadable.iter().find_map(|(_, e)| e.clone()) {
                return Err(e);
            }
        }
        self.warn_unreadable(cluster, &unreadable);
        let skipped = gone.len() as u64;
        for (name, _) in &unreadable {
            gone.insert(name.clone());
        }
        self.gone_before = gone;
        Ok(Pass {
            view: ClusterView::new(found, unreadable.len() as u64),
            skipped,
        })
    }

    fn warn_unreadable(&mut self, cluster: &str, unreadable: &[(String, Option<ConnectError>)]) {
        let now: HashSet<&str> = unreadable.iter().map(|(n, _)| n.as_str()).collect();
        self.warned.retain(|n| now.contains(n.as_str()));
        for (name, error) in unreadable {
            if !self.warned.insert(name.clone()) {
                continue;
            }
            let why = match error {
                Some(e) => e.to_string(),
                None => "listed by GET /connectors, but its details answered 404 in two observations in a row".to_string(),
            };
            tracing::warn!(
                cluster,
                connector = %name,
                "Connect cannot serve this connector by name, so its state is not shown \
                 (observation v2 reads it from the listing): {why}"
            );
        }
    }
}

fn fallback_message(why: Fallback) -> &'static str {
    match why {
        Fallback::NamesOnly => {
            "this Connect ignores ?expand (Kafka 2.2 or older): observing it with v1 from now on"
        }
        Fallback::ExpandNotHonoured => {
            "GET /connectors?expand=status&expand=info came back without status and info: \
             something between the exporter and Connect passes on only one of the repeated \
             expand values (a proxy?); observing it with v1 from now on"
        }
    }
}

/// The value of a found lookup, or the lookup's answer when it is not found.
macro_rules! found {
    ($lookup:expr) => {
        match $lookup? {
            Lookup::Found(v) => v,
            Lookup::Gone => return Ok(Lookup::Gone),
            Lookup::Unreadable(e) => return Ok(Lookup::Unreadable(e)),
        }
    };
}

/// A connector's info, status and tasks; what any one of them says when it is not found.
async fn one_connector(
    client: &ConnectClient,
    name: &str,
) -> Result<Lookup<Connector>, ConnectError> {
    let info = found!(client.connector_info(name).await);
    let status = found!(client.connector_status(name).await);
    let tasks = found!(client.connector_tasks(name).await);
    Ok(Lookup::Found(Connector::from_parts(
        status,
        Some(&info),
        Some(tasks.len()),
    )))
}
