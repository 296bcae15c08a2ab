//! What the two REST flavours (Apache Kafka Connect and Confluent Cloud) share: the expanded
//! listing turned into connectors, and v1's details (info, status and tasks of each connector),
//! with the names Connect cannot serve told apart from deleted connectors.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt, stream};

use super::Pass;
use super::snapshot::{ClusterView, Connector};
use crate::config::{NameFilter, ObservationVersion};
use crate::connect::{ConnectClient, ConnectError, ConnectorInfo, ExpandForm, Listing, Lookup};

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

/// How a REST cluster is observed.
#[derive(Debug, Clone)]
pub struct Options {
    pub version: ObservationVersion,
    /// v1: requests in flight at most.
    pub parallelism: usize,
    /// v1 reads a connector's info and tasks when it is new, when its status shows another task
    /// set, and otherwise at least every this many observations (1: every observation, Kpow's
    /// full pass). Topics are refreshed as often.
    pub details_every: u64,
    /// Observe each connector's topics (`GET /connectors/{name}/topics`).
    pub topics: bool,
    /// The connectors observed: the others cost no request beyond the listing.
    pub connectors: NameFilter,
}

impl Options {
    pub fn new(version: ObservationVersion, parallelism: usize) -> Options {
        Options {
            version,
            parallelism,
            details_every: 1,
            topics: false,
            connectors: NameFilter::default(),
        }
    }
}

/// What a connector's info and tasks said when they were last read.
#[derive(Debug, Clone)]
struct Known {
    info: ConnectorInfo,
    task_ids: Vec<u32>,
}

/// Whether topics are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topics {
    Off,
    On,
    /// The cluster said no once (tracking disabled, or too old): never asked again.
    Unsupported,
}

/// v1's details of one cluster, and what it remembers between observations.
#[derive(Debug)]
pub struct Details {
    options: Options,
    observation: u64,
    known: HashMap<String, Known>,
    topics_state: Topics,
    topics: HashMap<String, Vec<String>>,
    /// Connectors that answered 404 in the previous pass: a second 404 in a row is no race but
    /// a name Connect cannot serve.
    gone_before: HashSet<String>,
    /// Unreadable connectors already logged, so each is said once while it lasts.
    warned: HashSet<String>,
}

/// What one connector's requests found.
struct Read {
    connector: Lookup<Connector>,
    known: Option<Known>,
    topics: TopicsRead,
}

enum TopicsRead {
    NotAsked,
    Found(Vec<String>),
    /// 404 or 403: this Connect has no topics to give.
    Unsupported(String),
    /// Anything else: the previous answer stands.
    Failed,
}

impl Details {
    pub fn new(options: Options) -> Details {
        let topics_state = if options.topics {
            Topics::On
        } else {
            Topics::Off
        };
        Details {
            options,
            observation: 0,
            known: HashMap::new(),
            topics_state,
            topics: HashMap::new(),
            gone_before: HashSet::new(),
            warned: HashSet::new(),
        }
    }

    /// Whether a connector's rarely-changing details are due this observation: spread over
    /// the K observations by its name, so that the reads do not come in bursts.
    fn due(&self, name: &str) -> bool {
        let k = self.options.details_every.max(1);
        let spread = name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        (self.observation + spread).is_multiple_of(k)
    }

    /// v1: the status of each of `names`, and its info and tasks when they are due (see
    /// [`Options::details_every`]), each connector's calls one after another, so that
    /// `parallelism` bounds the requests in flight, which is what Connect's REST thread pool
    /// feels. The first failure ends the pass and drops the requests still in flight.
    pub async fn read(
        &mut self,
        client: &ConnectClient,
        cluster: &str,
        names: Vec<String>,
    ) -> Result<Pass, ConnectError> {
        self.observation += 1;
        let mut names = names;
        names.retain(|n| self.options.connectors.keeps(n));
        let listed = names.len();
        let this = &*self;
        let results: Vec<(String, Read)> = stream::iter(names)
            .map(|name| async move {
                let known = this.known.get(&name);
                let details_due = known.is_none() || this.due(&name);
                let topics_due = this.topics_state == Topics::On
                    && (!this.topics.contains_key(&name) || this.due(&name));
                let r = one_connector(client, &name, known, details_due, topics_due).await?;
                Ok::<_, ConnectError>((name, r))
            })
            .buffer_unordered(self.options.parallelism.max(1))
            .try_collect()
            .await?;
        let mut found = Vec::with_capacity(results.len());
        let mut gone = HashSet::new();
        let mut unreadable: Vec<(String, Option<ConnectError>)> = Vec::new();
        let mut known = HashMap::with_capacity(results.len());
        for (name, r) in results {
            self.take_topics(cluster, &name, r.topics);
            match r.connector {
                Lookup::Found(c) => {
                    if let Some(k) = r.known {
                        known.insert(name, k);
                    }
                    found.push(c);
                }
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
        // Connectors no longer listed are forgotten.
        self.known = known;
        let mut view = ClusterView::new(found, unreadable.len() as u64);
        self.attach_topics(&mut view);
        Ok(Pass { view, skipped })
    }

    /// v2's topics: asked for the connectors whose turn it is, with the same bound on requests
    /// in flight.
    pub async fn topics_of(
        &mut self,
        client: &ConnectClient,
        cluster: &str,
        view: &mut ClusterView,
    ) {
        self.observation += 1;
        if self.topics_state != Topics::On {
            return;
        }
        let this = &*self;
        let due: Vec<String> = view
            .connectors
            .iter()
            .map(|c| c.name.clone())
            .filter(|n| !this.topics.contains_key(n) || this.due(n))
            .collect();
        let answers: Vec<(String, TopicsRead)> = stream::iter(due)
            .map(|name| async move {
                let r = topics(client, &name).await;
                (name, r)
            })
            .buffer_unordered(self.options.parallelism.max(1))
            .collect()
            .await;
        for (name, r) in answers {
            self.take_topics(cluster, &name, r);
        }
        let listed: HashSet<&str> = view.connectors.iter().map(|c| c.name.as_str()).collect();
        self.topics.retain(|n, _| listed.contains(n.as_str()));
        self.attach_topics(view);
    }

    fn take_topics(&mut self, cluster: &str, name: &str, r: TopicsRead) {
        match r {
            TopicsRead::NotAsked | TopicsRead::Failed => {}
            TopicsRead::Found(t) => {
                self.topics.insert(name.to_string(), t);
            }
            TopicsRead::Unsupported(why) => {
                if self.topics_state == Topics::On {
                    tracing::warn!(
                        cluster,
                        "this Connect has no topics to give ({why}): connector topics are not observed for it"
                    );
                }
                self.topics_state = Topics::Unsupported;
                self.topics.clear();
            }
        }
    }

    fn attach_topics(&self, view: &mut ClusterView) {
        if self.topics_state != Topics::On {
            return;
        }
        for c in &mut view.connectors {
            c.topics = self.topics.get(&c.name).cloned();
        }
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
            Lookup::Gone => return Ok(gone(Lookup::Gone)),
            Lookup::Unreadable(e) => return Ok(gone(Lookup::Unreadable(e))),
        }
    };
}

fn gone(connector: Lookup<Connector>) -> Read {
    Read {
        connector,
        known: None,
        topics: TopicsRead::NotAsked,
    }
}

/// A connector's status, and its info and tasks when `details_due` or when the status shows
/// a task set other than the known one; its topics when `topics_due`.
async fn one_connector(
    client: &ConnectClient,
    name: &str,
    known: Option<&Known>,
    details_due: bool,
    topics_due: bool,
) -> Result<Read, ConnectError> {
    let status = found!(client.connector_status(name).await);
    let mut ids: Vec<u32> = status.tasks.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    let known = match known {
        Some(k) if !details_due && k.task_ids == ids => k.clone(),
        _ => {
            let info = found!(client.connector_info(name).await);
            let tasks = found!(client.connector_tasks(name).await);
            let mut task_ids: Vec<u32> = tasks.iter().map(|t| t.id.task).collect();
            task_ids.sort_unstable();
            Known { info, task_ids }
        }
    };
    let topics = if topics_due {
        topics(client, name).await
    } else {
        TopicsRead::NotAsked
    };
    let connector = Connector::from_parts(status, Some(&known.info), Some(known.task_ids.len()));
    Ok(Read {
        connector: Lookup::Found(connector),
        known: Some(known),
        topics,
    })
}

async fn topics(client: &ConnectClient, name: &str) -> TopicsRead {
    match client.connector_topics(name).await {
        Ok(Lookup::Found(t)) => TopicsRead::Found(t),
        Ok(Lookup::Gone) => TopicsRead::Unsupported(
            "GET /connectors/{name}/topics answers 404: Kafka 2.5 or newer has it".into(),
        ),
        Err(e) if e.status == Some(403) => TopicsRead::Unsupported(format!(
            "{}; set topic.tracking.enable=true on the workers to have them",
            e.detail
        )),
        Ok(Lookup::Unreadable(_)) | Err(_) => TopicsRead::Failed,
    }
}
