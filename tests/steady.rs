//! v1 in steady state: every observation reads the listing and each connector's status; info
//! and tasks are read for a new connector, for one whose status shows another task set, and
//! otherwise once every K observations. Against a mock that counts requests per path, the
//! pattern is exact at every step, and the metrics equal a full pass's (K = 1) on the same
//! cluster at every step.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use kconnect_exporter::config::ClusterConfig;
use kconnect_exporter::config::ObservationVersion::V1;
use kconnect_exporter::metrics::Format;
use kconnect_exporter::observe::{ClusterHandle, Observer, Source};
use serde_json::{Value, json};
use wiremock::MockServer;

const K: u64 = 4;

async fn observer_of(c: &ClusterConfig, details_every: u64) -> (Observer, ClusterHandle) {
    let source = Source::from_config(c, 4, details_every).await.unwrap();
    let interval = Duration::from_secs(30);
    Observer::new(c, source, interval, interval)
}

/// Each connector's requests after the first `skip`: (info, status, tasks) counts; and the
/// listings among them.
async fn per_connector(
    server: &MockServer,
    skip: usize,
) -> (BTreeMap<String, (usize, usize, usize)>, usize) {
    let mut out: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut listings = 0;
    for r in server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .skip(skip)
    {
        if r.url.path() == "/connectors" {
            listings += 1;
        }
        let p = r.url.path().to_string();
        let Some(rest) = p.strip_prefix("/connectors/") else {
            continue;
        };
        let (name, which) = match rest.split_once('/') {
            Some((n, w)) => (n.to_string(), w.to_string()),
            None => (rest.to_string(), String::new()),
        };
        let e = out.entry(name).or_default();
        match which.as_str() {
            "" => e.0 += 1,
            "status" => e.1 += 1,
            "tasks" => e.2 += 1,
            other => panic!("unexpected request {other}"),
        }
    }
    (out, listings)
}

struct Pair {
    steady: (MockServer, Observer),
    full: (MockServer, Observer),
    /// Requests the steady mock had received before the current observation.
    seen: usize,
}

impl Pair {
    async fn new(listing: &Value) -> Pair {
        let a = MockServer::start().await;
        let b = MockServer::start().await;
        mount_cluster(&a, listing).await;
        mount_cluster(&b, listing).await;
        let (sa, _) = observer_of(&cluster("default", &a.uri(), V1), K).await;
        let (sb, _) = observer_of(&cluster("default", &b.uri(), V1), 1).await;
        Pair {
            steady: (a, sa),
            full: (b, sb),
            seen: 0,
        }
    }

    /// The cluster changes: both mocks now serve `listing`.
    async fn change(&mut self, listing: &Value) {
        for server in [&self.steady.0, &self.full.0] {
            server.reset().await;
            mount_cluster(server, listing).await;
        }
        self.seen = 0;
    }

    /// One observation by each; their metrics must be the same. Returns the steady one's
    /// requests per connector.
    async fn observe(&mut self, step: &str) -> BTreeMap<String, (usize, usize, usize)> {
        let a = self.steady.1.observe_once().await;
        let b = self.full.1.observe_once().await;
        assert!(
            a.is_up() && b.is_up(),
            "{step}: {:?} {:?}",
            a.outcome,
            b.outcome
        );
        assert_eq!(
            state_lines(&exposition(&[a], Format::Text)),
            state_lines(&exposition(&[b], Format::Text)),
            "{step}: steady state and a full pass agree"
        );
        let (requests, listings) = per_connector(&self.steady.0, self.seen).await;
        assert_eq!(listings, 1, "{step}: one listing");
        self.seen = request_count(&self.steady.0).await;
        requests
    }
}

/// `listing` with `name`'s status and info listing `tasks` tasks.
fn with_tasks(mut listing: Value, name: &str, tasks: u32) -> Value {
    let e = &mut listing[name];
    let worker = e["status"]["connector"]["worker_id"].clone();
    e["status"]["tasks"] = (0..tasks)
        .map(|i| json!({"id": i, "state": "RUNNING", "worker_id": worker}))
        .collect();
    e["info"]["tasks"] = (0..tasks)
        .map(|i| json!({"connector": name, "task": i}))
        .collect();
    listing
}

#[tokio::test]
async fn details_are_read_when_new_when_the_task_set_changes_and_every_k_observations() {
    let listing = fixture_listing();
    let names: Vec<String> = listing.as_object().unwrap().keys().cloned().collect();
    let mut pair = Pair::new(&listing).await;

    // New: everything is read.
    let first = pair.observe("first").await;
    for n in &names {
        assert_eq!(first.get(&encode(n)), Some(&(1, 1, 1)), "{n}");
    }

    // The next K observations: each status every time, each connector's details once.
    let mut totals: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut per_observation = Vec::new();
    for i in 0..K {
        let r = pair.observe(&format!("steady {i}")).await;
        per_observation.push(r.values().map(|(i, s, t)| i + s + t).sum::<usize>());
        for (n, (i, s, t)) in r {
            let e = totals.entry(n).or_default();
            e.0 += i;
            e.1 += s;
            e.2 += t;
        }
    }
    for n in &names {
        assert_eq!(
            totals.get(&encode(n)),
            Some(&(1, K as usize, 1)),
            "{n}: {totals:?}"
        );
    }
    // N statuses and 2N/K details on average: 7 + 2 × 7 / 4 = 10.5 per observation.
    assert_eq!(
        per_observation.iter().sum::<usize>(),
        7 * K as usize + 2 * 7
    );

    // A new connector is read at once.
    let mut grown = listing.clone();
    grown["zz-new-sink"] = {
        let mut e = listing["payments-s3-sink"].clone();
        e["status"]["name"] = json!("zz-new-sink");
        e["info"]["name"] = json!("zz-new-sink");
        e
    };
    pair.change(&grown).await;
    let r = pair.observe("a new connector").await;
    assert_eq!(r.get("zz-new-sink"), Some(&(1, 1, 1)));

    // A changed task set is read at once, whosever turn it is.
    let changed = with_tasks(grown.clone(), "orders-jdbc-source", 3);
    pair.change(&changed).await;
    let r = pair.observe("a changed task set").await;
    assert_eq!(r.get("orders-jdbc-source"), Some(&(1, 1, 1)));

    // A deleted connector is asked for no more.
    let mut shrunk = changed.clone();
    shrunk.as_object_mut().unwrap().remove("zz-new-sink");
    pair.change(&shrunk).await;
    let r = pair.observe("a deleted connector").await;
    assert_eq!(r.get("zz-new-sink"), None);
}

fn encode(name: &str) -> String {
    connector_path(name, "")
        .trim_start_matches("/connectors/")
        .to_string()
}
