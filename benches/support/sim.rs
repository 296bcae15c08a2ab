//! A Kafka Connect REST simulator for benchmarks: N connectors × T tasks in a deterministic mix
//! of states, served with the real wire shapes (see `tests/fixtures/` and the Connect API notes),
//! a per-request latency and a bound on requests in flight.
//!
//! One implementation, used two ways: `examples/connect_sim.rs` runs it as a process (whole-process
//! benchmarks, manual runs), and the criterion benches `#[path]`-include this file and run it
//! in-process on a thread of its own ([`spawn`]).
//!
//! Every body is rendered once at start, so serving a request is a semaphore permit, the latency,
//! and a clone of pre-rendered bytes: the simulator is not what a benchmark measures.
//!
//! Latency is slept with `std::thread::sleep` on tokio's blocking pool rather than
//! `tokio::time::sleep`: tokio's timer has millisecond granularity and rounds a 2 ms sleep up to
//! 2–3 ms, which would inflate every v1 figure by up to 50 % for reasons that are not the
//! exporter's. A thread sleeping while it holds a permit is also what a Jetty worker thread
//! does while Connect computes an answer.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub connectors: usize,
    /// Tasks of every connector that has tasks (FAILED and STOPPED connectors have none).
    pub tasks: usize,
    /// Time each request holds its permit before it is answered.
    pub latency: Duration,
    /// Requests being answered at once; the others queue (Jetty's thread pool).
    pub max_concurrent: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            connectors: 100,
            tasks: 3,
            latency: Duration::ZERO,
            // Jetty's default QueuedThreadPool, which Connect's RestServer uses, has 200 threads.
            max_concurrent: 200,
        }
    }
}

/// Requests served, by kind (`GET /_sim/stats` shows them as JSON).
#[derive(Debug, Default)]
pub struct Stats {
    pub root: AtomicU64,
    pub names: AtomicU64,
    pub expanded: AtomicU64,
    pub info: AtomicU64,
    pub status: AtomicU64,
    pub tasks: AtomicU64,
    pub not_found: AtomicU64,
}

impl Stats {
    pub fn total(&self) -> u64 {
        [
            &self.root,
            &self.names,
            &self.expanded,
            &self.info,
            &self.status,
            &self.tasks,
            &self.not_found,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    fn to_json(&self) -> Value {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        json!({
            "root": g(&self.root),
            "names": g(&self.names),
            "expanded": g(&self.expanded),
            "info": g(&self.info),
            "status": g(&self.status),
            "tasks": g(&self.tasks),
            "not_found": g(&self.not_found),
            "total": self.total(),
        })
    }
}

#[derive(Debug)]
struct ConnectorBodies {
    info: Bytes,
    status: Bytes,
    tasks: Bytes,
}

/// The simulated cluster: every body, rendered.
#[derive(Debug)]
pub struct Sim {
    pub config: SimConfig,
    pub names: Vec<String>,
    root: Bytes,
    names_body: Bytes,
    /// `?expand=status&expand=info`, `?expand=status`, `?expand=info`, and any other expand
    /// (every connector maps to `{}`, as Apache Connect answers `expand=status,info`).
    expanded_both: Bytes,
    expanded_status: Bytes,
    expanded_info: Bytes,
    expanded_none: Bytes,
    connectors: HashMap<String, ConnectorBodies>,
    permits: Semaphore,
    pub stats: Stats,
}

/// How a connector looks in the mix.
struct Template {
    prefix: &'static str,
    kind: &'static str,
    class: &'static str,
    task_class: &'static str,
}

const TEMPLATES: [Template; 6] = [
    Template {
        prefix: "orders-jdbc-source",
        kind: "source",
        class: "io.confluent.connect.jdbc.JdbcSourceConnector",
        task_class: "io.confluent.connect.jdbc.source.JdbcSourceTask",
    },
    Template {
        prefix: "payments-s3-sink",
        kind: "sink",
        class: "io.confluent.connect.s3.S3SinkConnector",
        task_class: "io.confluent.connect.s3.S3SinkTask",
    },
    Template {
        prefix: "clickstream-es-sink",
        kind: "sink",
        class: "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        task_class: "io.confluent.connect.elasticsearch.ElasticsearchSinkTask",
    },
    Template {
        prefix: "customers-cdc-source",
        kind: "source",
        class: "io.debezium.connector.postgresql.PostgresConnector",
        task_class: "io.debezium.connector.postgresql.PostgresConnectorTask",
    },
    Template {
        prefix: "events-mongo-source",
        kind: "source",
        class: "com.mongodb.kafka.connect.MongoSourceConnector",
        task_class: "com.mongodb.kafka.connect.source.MongoSourceTask",
    },
    Template {
        prefix: "audit-http-sink",
        kind: "sink",
        class: "io.confluent.connect.http.HttpSinkConnector",
        task_class: "io.confluent.connect.http.HttpSinkTask",
    },
];

/// About ten keys, one of them a password, as real connector configs have.
fn connector_config(
    t: &Template,
    name: &str,
    i: usize,
    tasks: usize,
) -> serde_json::Map<String, Value> {
    let mut c = serde_json::Map::new();
    let mut put = |k: &str, v: String| {
        c.insert(k.to_string(), Value::String(v));
    };
    put("name", name.to_string());
    put("connector.class", t.class.to_string());
    put("tasks.max", tasks.max(1).to_string());
    put(
        "key.converter",
        "org.apache.kafka.connect.storage.StringConverter".into(),
    );
    put(
        "value.converter",
        "io.confluent.connect.avro.AvroConverter".into(),
    );
    put(
        "value.converter.schema.registry.url",
        "http://schema-registry.internal:8081".into(),
    );
    match t.kind {
        "source" => {
            put(
                "connection.url",
                format!("jdbc:postgresql://db-{:03}.internal:5432/shop", i % 40),
            );
            put("connection.user", format!("connect_{}", i % 40));
            put(
                "connection.password",
                format!(
                    "${{file:/etc/kafka/secrets.properties:db{}.password}}",
                    i % 40
                ),
            );
            put("topic.prefix", format!("shop{}.", i % 40));
            put("poll.interval.ms", "5000".into());
        }
        _ => {
            put(
                "topics",
                format!("events.{}.v1,events.{}.v2", i % 300, i % 300),
            );
            put(
                "connection.url",
                format!("https://sink-{:03}.internal:9200", i % 40),
            );
            put("connection.username", format!("writer_{}", i % 40));
            put(
                "connection.password",
                format!("s3cr3t-{:08x}", i * 2_654_435_761 % 0xffff_ffff),
            );
            put("errors.tolerance", "none".into());
        }
    }
    c
}

const TRACE: &str = "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.deliverMessages(WorkerSinkTask.java:632)\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.poll(WorkerSinkTask.java:350)\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.iteration(WorkerSinkTask.java:250)\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.execute(WorkerSinkTask.java:219)\n\tat org.apache.kafka.connect.runtime.WorkerTask.doRun(WorkerTask.java:204)\n\tat org.apache.kafka.connect.runtime.WorkerTask.run(WorkerTask.java:259)\n\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:539)\n\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:264)\n\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n\tat java.base/java.lang.Thread.run(Thread.java:840)\nCaused by: java.net.ConnectException: Connection refused\n\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n\t... 11 more\n";

/// The connector's and its tasks' states: mostly RUNNING, and a deterministic sprinkle of
/// every other case the exporter must show.
fn states(i: usize, tasks: usize) -> (&'static str, bool, Vec<(&'static str, bool)>) {
    let all = |s: &'static str| vec![(s, false); tasks];
    match i {
        _ if i % 97 == 5 => ("FAILED", true, vec![]),
        _ if i % 101 == 13 => ("STOPPED", false, vec![]),
        _ if i % 53 == 7 => ("PAUSED", false, all("PAUSED")),
        _ if i % 89 == 11 => ("UNASSIGNED", false, all("UNASSIGNED")),
        _ if i % 211 == 19 => {
            let mut t = all("RUNNING");
            if let Some(first) = t.first_mut() {
                *first = ("RESTARTING", false);
            }
            ("RESTARTING", false, t)
        }
        _ if i % 23 == 3 => {
            let mut t = all("RUNNING");
            if !t.is_empty() {
                let k = i % t.len();
                t[k] = ("FAILED", true);
            }
            ("RUNNING", false, t)
        }
        _ => ("RUNNING", false, all("RUNNING")),
    }
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a Value serialises")
}

impl Sim {
    /// Renders every body of the simulated cluster.
    pub fn new(config: SimConfig) -> Sim {
        let n = config.connectors;
        let workers = (n / 100).clamp(3, 50);
        let worker = |k: usize| format!("10.0.{}.{}:8083", 1 + k / 200, 11 + k % 200);
        let mut names = Vec::with_capacity(n);
        let mut connectors = HashMap::with_capacity(n);
        // (name, status JSON, info JSON) in listing order, for the expanded bodies.
        let mut parts: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::with_capacity(n);
        for i in 0..n {
            let t = &TEMPLATES[i % TEMPLATES.len()];
            let name = format!("{}-{i:05}", t.prefix);
            let (state, failed, task_states) = states(i, config.tasks);
            let config_map = connector_config(t, &name, i, config.tasks);

            let mut connector = json!({"state": state, "worker_id": worker(i % workers)});
            if failed {
                connector["trace"] = Value::String(TRACE.to_string());
            }
            let status_tasks: Vec<Value> = task_states
                .iter()
                .enumerate()
                .map(|(j, (s, failed))| {
                    let mut v =
                        json!({"id": j, "state": s, "worker_id": worker((i + j + 1) % workers)});
                    if *failed {
                        v["trace"] = Value::String(TRACE.to_string());
                    }
                    v
                })
                .collect();
            let status = json!({
                "name": name,
                "connector": connector,
                "tasks": status_tasks,
                "type": t.kind,
            });
            let info = json!({
                "name": name,
                "config": config_map,
                "tasks": (0..task_states.len())
                    .map(|j| json!({"connector": name, "task": j}))
                    .collect::<Vec<_>>(),
                "type": t.kind,
            });
            let tasks: Vec<Value> = (0..task_states.len())
                .map(|j| {
                    let mut c = config_map.clone();
                    c.insert("task.class".into(), Value::String(t.task_class.into()));
                    c.insert("task.id".into(), Value::String(j.to_string()));
                    json!({"id": {"connector": name, "task": j}, "config": c})
                })
                .collect();
            let (status, info) = (to_bytes(&status), to_bytes(&info));
            connectors.insert(
                name.clone(),
                ConnectorBodies {
                    info: Bytes::from(info.clone()),
                    status: Bytes::from(status.clone()),
                    tasks: Bytes::from(to_bytes(&Value::Array(tasks))),
                },
            );
            names.push(name.clone());
            parts.push((name, status, info));
        }
        let expanded = |with_status: bool, with_info: bool| -> Bytes {
            let mut out = Vec::new();
            out.push(b'{');
            for (k, (name, status, info)) in parts.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, name).expect("a name serialises");
                out.extend_from_slice(b":{");
                if with_status {
                    out.extend_from_slice(b"\"status\":");
                    out.extend_from_slice(status);
                }
                if with_status && with_info {
                    out.push(b',');
                }
                if with_info {
                    out.extend_from_slice(b"\"info\":");
                    out.extend_from_slice(info);
                }
                out.push(b'}');
            }
            out.push(b'}');
            Bytes::from(out)
        };
        Sim {
            root: Bytes::from(to_bytes(&json!({
                "version": "3.9.0",
                "commit": "5e2c1f8a9b3d4c70",
                "kafka_cluster_id": "h7R2kQm9Tq-5vXcYb3LwZA",
            }))),
            names_body: Bytes::from(to_bytes(&json!(names))),
            expanded_both: expanded(true, true),
            expanded_status: expanded(true, false),
            expanded_info: expanded(false, true),
            expanded_none: expanded(false, false),
            connectors,
            names,
            permits: Semaphore::new(config.max_concurrent.max(1)),
            stats: Stats::default(),
            config,
        }
    }

    /// Size of the v2 body (`?expand=status&expand=info`).
    pub fn v2_body_len(&self) -> usize {
        self.expanded_both.len()
    }

    /// Waits for a permit, then for the latency while holding it.
    async fn gate(&self) -> tokio::sync::SemaphorePermit<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let latency = self.config.latency;
        if !latency.is_zero() {
            tokio::task::spawn_blocking(move || std::thread::sleep(latency))
                .await
                .expect("sleeping does not panic");
        }
        permit
    }
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, message: String) -> Response {
    let body = to_bytes(&json!({"error_code": status.as_u16(), "message": message}));
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The simulator's routes.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/connectors", get(list))
        .route("/connectors/{name}", get(info))
        .route("/connectors/{name}/status", get(status))
        .route("/connectors/{name}/tasks", get(tasks))
        .route("/_sim/stats", get(stats))
        .fallback(unknown_path)
        .with_state(sim)
}

async fn root(State(sim): State<Arc<Sim>>) -> Response {
    let _permit = sim.gate().await;
    sim.stats.root.fetch_add(1, Ordering::Relaxed);
    json_response(sim.root.clone())
}

/// Without `expand`, the names; with any `expand`, the object holding the expansions asked for.
/// Values are matched whole, as Apache Connect does (`expand=status,info` asks for neither).
async fn list(State(sim): State<Arc<Sim>>, RawQuery(query): RawQuery) -> Response {
    let _permit = sim.gate().await;
    let mut any = false;
    let (mut with_status, mut with_info) = (false, false);
    for pair in query.as_deref().unwrap_or("").split('&') {
        if let Some(v) =
            pair.strip_prefix("expand=")
                .or(if pair == "expand" { Some("") } else { None })
        {
            any = true;
            match v {
                "status" => with_status = true,
                "info" => with_info = true,
                _ => {}
            }
        }
    }
    if !any {
        sim.stats.names.fetch_add(1, Ordering::Relaxed);
        return json_response(sim.names_body.clone());
    }
    sim.stats.expanded.fetch_add(1, Ordering::Relaxed);
    json_response(match (with_status, with_info) {
        (true, true) => sim.expanded_both.clone(),
        (true, false) => sim.expanded_status.clone(),
        (false, true) => sim.expanded_info.clone(),
        (false, false) => sim.expanded_none.clone(),
    })
}

async fn info(State(sim): State<Arc<Sim>>, Path(name): Path<String>) -> Response {
    let _permit = sim.gate().await;
    match sim.connectors.get(&name) {
        Some(c) => {
            sim.stats.info.fetch_add(1, Ordering::Relaxed);
            json_response(c.info.clone())
        }
        None => not_found(&sim, format!("Connector {name} not found")),
    }
}

async fn status(State(sim): State<Arc<Sim>>, Path(name): Path<String>) -> Response {
    let _permit = sim.gate().await;
    match sim.connectors.get(&name) {
        Some(c) => {
            sim.stats.status.fetch_add(1, Ordering::Relaxed);
            json_response(c.status.clone())
        }
        None => not_found(&sim, format!("No status found for connector {name}")),
    }
}

async fn tasks(State(sim): State<Arc<Sim>>, Path(name): Path<String>) -> Response {
    let _permit = sim.gate().await;
    match sim.connectors.get(&name) {
        Some(c) => {
            sim.stats.tasks.fetch_add(1, Ordering::Relaxed);
            json_response(c.tasks.clone())
        }
        None => not_found(&sim, format!("Connector {name} not found")),
    }
}

/// Not a Connect path: what the simulator has served, for scripts that wait on observations.
async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    json_response(Bytes::from(to_bytes(&sim.stats.to_json())))
}

async fn unknown_path(State(sim): State<Arc<Sim>>) -> Response {
    not_found(&sim, "HTTP 404 Not Found".to_string())
}

fn not_found(sim: &Sim, message: String) -> Response {
    sim.stats.not_found.fetch_add(1, Ordering::Relaxed);
    error(StatusCode::NOT_FOUND, message)
}

/// Serves `sim` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, sim: Arc<Sim>) -> std::io::Result<()> {
    axum::serve(listener, router(sim)).await
}

/// A simulator running in this process, on a thread and runtime of its own (one worker thread,
/// so it does not crowd the runtime being measured more than a real server process would).
pub struct Running {
    pub addr: SocketAddr,
    pub sim: Arc<Sim>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Renders `config` and serves it on 127.0.0.1 (an ephemeral port) from a background thread that
/// lives as long as the process.
pub fn spawn(config: SimConfig) -> Running {
    let sim = Arc::new(Sim::new(config));
    let (tx, rx) = std::sync::mpsc::channel();
    let served = sim.clone();
    std::thread::Builder::new()
        .name("connect-sim".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the simulator's runtime builds");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("the simulator binds a loopback port");
                tx.send(
                    listener
                        .local_addr()
                        .expect("a bound listener has an address"),
                )
                .expect("the spawner waits for the address");
                serve(listener, served).await.expect("the simulator serves");
            });
        })
        .expect("the simulator's thread starts");
    let addr = rx.recv().expect("the simulator reports its address");
    Running { addr, sim }
}
