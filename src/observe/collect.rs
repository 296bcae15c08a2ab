//! One pass over a cluster's connectors, v1 or v2, turned into a [`ClusterView`]. Only talks to
//! Connect through the client; the loop around it lives in the parent module.

use futures_util::{StreamExt, TryStreamExt, stream};

use super::snapshot::{ClusterView, Connector};
use crate::connect::{ConnectClient, ConnectError, Listing};

/// What a pass produced besides the connectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub view: ClusterView,
    /// Connectors that were listed but gone (404) before their details were read.
    pub skipped: u64,
    /// The cluster answered the v2 request with names only.
    pub ignored_expand: bool,
}

/// v2: one `GET /connectors?expand=status&expand=info`. A Connect that ignores `expand` answers
/// with names; then this pass goes on as v1 with those names, so it still produces a view.
pub async fn v2(client: &ConnectClient, parallelism: usize) -> Result<Pass, ConnectError> {
    // Connect leaves out a connector whose status is gone; a value without a status is the same
    // race seen another way.
    let listing = client
        .connectors_expanded(|_, e| {
            e.status
                .map(|status| Connector::from_parts(status, e.info.as_ref(), None))
        })
        .await?;
    match listing {
        Listing::Expanded(found) => {
            let skipped = found.iter().filter(|c| c.is_none()).count() as u64;
            let view = ClusterView::new(found.into_iter().flatten().collect());
            Ok(Pass {
                view,
                skipped,
                ignored_expand: false,
            })
        }
        Listing::NamesOnly(names) => {
            let mut pass = details(client, names, parallelism).await?;
            pass.ignored_expand = true;
            Ok(pass)
        }
    }
}

/// v1: `GET /connectors`, then info, status and tasks of each connector, at most `parallelism`
/// requests in flight: 3N+1 requests.
pub async fn v1(client: &ConnectClient, parallelism: usize) -> Result<Pass, ConnectError> {
    let names = client.connector_names().await?;
    details(client, names, parallelism).await
}

async fn details(
    client: &ConnectClient,
    names: Vec<String>,
    parallelism: usize,
) -> Result<Pass, ConnectError> {
    // Each connector's three calls run one after another, so `parallelism` bounds the requests
    // in flight, which is what Connect's REST thread pool feels. The first failure ends the
    // pass and drops the requests still in flight.
    let found: Vec<Option<Connector>> = stream::iter(names)
        .map(|name| async move { one_connector(client, &name).await })
        .buffer_unordered(parallelism.max(1))
        .try_collect()
        .await?;
    let skipped = found.iter().filter(|c| c.is_none()).count() as u64;
    Ok(Pass {
        view: ClusterView::new(found.into_iter().flatten().collect()),
        skipped,
        ignored_expand: false,
    })
}

/// A connector's info, status and tasks; `None` when any of them says it is gone.
async fn one_connector(
    client: &ConnectClient,
    name: &str,
) -> Result<Option<Connector>, ConnectError> {
    let Some(info) = client.connector_info(name).await? else {
        return Ok(None);
    };
    let Some(status) = client.connector_status(name).await? else {
        return Ok(None);
    };
    let Some(tasks) = client.connector_tasks(name).await? else {
        return Ok(None);
    };
    Ok(Some(Connector::from_parts(
        status,
        Some(&info),
        Some(tasks.len()),
    )))
}
