//! What the two REST flavours (Apache Kafka Connect and Confluent Cloud) share: the expanded
//! listing turned into connectors, and v1's details (info, status and tasks of each connector),
//! with the names Connect cannot serve told apart from deleted connectors.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt, stream};

use super::Pass;
use super::snapshot::{ClusterView, Connector};
use crate::connect::{ConnectClient, ConnectError, ExpandForm, Listing, Lookup};

/// Why a v2 cluster is observed with v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The listing came back as names: Kafka 2.2 or older ignores `expand`.
    NamesOnly,
    /// The listing came back as a map without status and info: something between the exporter
    /// and Connect passed on only one of the expand values, or none.
    ExpandNotHonoured,
}

impl Fallback {
    pub fn message(self) -> &'static str {
        match self {
            Fallback::NamesOnly => {
                "this Connect ignores ?expand (Kafka 2.2 or older): observing it with v1 from now on"
            }
            Fallback::ExpandNotHonoured => {
                "the expanded listing came back without status and info: something between the \
                 exporter and Connect passes on only one of the expand values (a proxy?); \
                 observing it with v1 from now on"
            }
        }
    }
}

/// One `GET /connectors?expand=…` in `form`; `Err` with the listed names when the answer
/// shows that `expand` was not honoured.
pub async fn expanded(
    client: &ConnectClient,
    form: ExpandForm,
) -> Result<Result<Pass, (Fallback, Vec<String>)>, ConnectError> {
    let listing = client
        .connectors_expanded(form, |name, e| match (e.status, e.info) {
            (Some(status), Some(info)) => {
                let mut c = Connector::from_parts(status, Some(&info), None);
                c.id = e.id.map(|id| id.id);
                Ok(c)
            }
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
            // With every expansion, Connect leaves out a connector whose status is gone; an
            // entry without one is the same race seen another way.
            let skipped = (entries.len() - complete) as u64;
            let view = ClusterView::new(entries.into_iter().flatten().collect(), 0);
            Ok(Ok(Pass { view, skipped }))
        }
    }
}

/// `GET /connectors?expand=id` (Confluent Cloud): the listing with each connector's id, in one
/// request.
pub async fn names_and_ids(
    client: &ConnectClient,
) -> Result<(Vec<String>, HashMap<String, String>), ConnectError> {
    let listing = client
        .connectors_expanded(ExpandForm::CloudIds, |name, e| (name, e.id.map(|i| i.id)))
        .await?;
    Ok(match listing {
        Listing::Expanded(entries) => {
            let names = entries.iter().map(|(n, _)| n.clone()).collect();
            let ids = entries
                .into_iter()
                .filter_map(|(name, id)| id.map(|id| (name, id)))
                .collect();
            (names, ids)
        }
        Listing::NamesOnly(names) => (names, HashMap::new()),
    })
}

/// v1's details of one cluster, and what it remembers between observations.
#[derive(Debug, Default)]
pub struct Details {
    /// Connectors that answered 404 in the previous pass: a second 404 in a row is no race but
    /// a name Connect cannot serve.
    gone_before: HashSet<String>,
    /// Unreadable connectors already logged, so each is said once while it lasts.
    warned: HashSet<String>,
}

impl Details {
    /// Info, status and tasks of each of `names`, each connector's three calls one after
    /// another, so that `parallelism` bounds the requests in flight, which is what Connect's
    /// REST thread pool feels. The first failure ends the pass and drops the requests still in
    /// flight.
    pub async fn read(
        &mut self,
        client: &ConnectClient,
        cluster: &str,
        names: Vec<String>,
        parallelism: usize,
    ) -> Result<Pass, ConnectError> {
        let listed = names.len();
        let results: Vec<(String, Lookup<Connector>)> = stream::iter(names)
            .map(|name| async move {
                let r = one_connector(client, &name).await?;
                Ok::<_, ConnectError>((name, r))
            })
            .buffer_unordered(parallelism.max(1))
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
