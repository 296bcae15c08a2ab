//! End to end, against Apache Kafka Connect itself: the release binary observing the local stack
//! of `scripts/connect-stack` (cluster A: two workers, plain HTTP; cluster B: one worker, HTTPS and
//! basic auth) with the connectors of `scripts/sample-connectors`, and a real Prometheus scraping
//! it. `scripts/test` brings the stack up and runs these with `--ignored --test-threads=1`.
//!
//! Every wait polls for a condition under a deadline. The tests that stop workers start them again
//! before they end, so they can run in any order.

mod common;
mod e2e_support;
mod tls_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::expo::{Sample, parse};
use common::exporter::Exporter;
use e2e_support::{
    SETTLE, bin, eventually, prometheus, query_series as query, repo, samples, stack,
    start_plain as start,
};
use serde_json::Value;

const INTERVAL: Duration = Duration::from_secs(2);

fn ctl(args: &[&str]) {
    let status = Command::new(repo().join("scripts/connect-stack"))
        .args(args)
        .status()
        .expect("connect-stack runs");
    assert!(status.success(), "scripts/connect-stack {args:?} failed");
}

/// A REST client for cluster A or B of the stack.
struct Rest {
    http: reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
}

impl Rest {
    fn a(s: &HashMap<String, String>) -> Rest {
        Rest {
            http: reqwest::Client::new(),
            base: s["STACK_A_URL"].clone(),
            auth: None,
        }
    }

    fn b(s: &HashMap<String, String>) -> Rest {
        let ca = std::fs::read(&s["STACK_B_CA_PEM"]).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .build()
            .unwrap();
        Rest {
            http,
            base: s["STACK_B_URL"].clone(),
            auth: Some((s["STACK_B_USER"].clone(), s["STACK_B_PASS"].clone())),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some((u, p)) = &self.auth {
            r = r.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = r.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// What Connect says right now, as the state-set series that are 1 (an error while a
    /// worker is starting or rebalancing, for the caller to poll again).
    async fn truth(&self, cluster: &str) -> Result<BTreeSet<String>, String> {
        let (code, listing) = self
            .send(
                reqwest::Method::GET,
                "/connectors?expand=status&expand=info",
                None,
            )
            .await;
        let map = listing
            .as_object()
            .filter(|_| code == 200)
            .ok_or_else(|| format!("listing {code}: {listing}"))?;
        let mut out = BTreeSet::new();
        for (name, entry) in map {
            let status = &entry["status"];
            out.insert(format!(
                "{cluster}|{name}|-|{}",
                status["connector"]["state"].as_str().unwrap_or("?")
            ));
            for t in status["tasks"].as_array().into_iter().flatten() {
                out.insert(format!(
                    "{cluster}|{name}|{}|{}",
                    t["id"],
                    t["state"].as_str().unwrap_or("?")
                ));
            }
        }
        Ok(out)
    }
}

/// The exporter's state-set series that are 1, in the form of [`Rest::truth`].
fn states(samples: &[Sample], cluster: &str) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|s| s.label("connect_cluster") == cluster && s.value == 1.0)
        .filter_map(|s| match s.name.as_str() {
            "kconnect_connector_state" => Some(format!(
                "{cluster}|{}|-|{}",
                s.label("connector"),
                s.label("state")
            )),
            "kconnect_task_state" => Some(format!(
                "{cluster}|{}|{}|{}",
                s.label("connector"),
                s.label("task"),
                s.label("state")
            )),
            _ => None,
        })
        .collect()
}

async fn scrape(base: &str) -> Vec<Sample> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    parse(&text)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == *v))
        .map(|s| s.value)
}

/// The exporter shows exactly what Connect shows for `cluster`, at one moment.
async fn agrees(base: &str, rest: &Rest, cluster: &str) -> Result<(), String> {
    let before = rest.truth(cluster).await?;
    let shown = states(&scrape(base).await, cluster);
    let after = rest.truth(cluster).await?;
    if shown == before && before == after {
        Ok(())
    } else {
        Err(format!("exporter {shown:#?}\nconnect {before:#?}"))
    }
}

fn interval_flag() -> String {
    format!("--observation.interval={}s", INTERVAL.as_secs())
}

fn b_vars<'a>(s: &'a HashMap<String, String>, pass: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("CONNECT_RESOURCE_IDS", "A,B"),
        ("A_CONNECT_REST_URL", s["STACK_A_URL"].as_str()),
        ("B_CONNECT_REST_URL", s["STACK_B_URL"].as_str()),
        ("B_CONNECT_AUTH", "BASIC"),
        ("B_CONNECT_BASIC_AUTH_USER", s["STACK_B_USER"].as_str()),
        ("B_CONNECT_BASIC_AUTH_PASS", pass),
        ("B_CONNECT_OBSERVATION_VERSION", "2"),
    ]
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn v1_and_v2_agree_with_connect() {
    let s = stack();
    samples();
    let a = Rest::a(&s);
    // v1 as Kpow observes: every connector's status, info and tasks at every observation.
    let (mut v1, v1_base) = start(
        &[&interval_flag(), "--observation.details-refresh=1"],
        &[
            ("CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("CONNECT_OBSERVATION_VERSION", "1"),
        ],
    );
    let (mut v2, v2_base) = start(
        &[&interval_flag()],
        &[
            ("CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("CONNECT_OBSERVATION_VERSION", "2"),
        ],
    );
    eventually(SETTLE, "v1 agrees with Connect", || {
        agrees(&v1_base, &a, "default")
    })
    .await;
    eventually(SETTLE, "v2 agrees with Connect", || {
        agrees(&v2_base, &a, "default")
    })
    .await;

    let v1_samples = scrape(&v1_base).await;
    let v2_samples = scrape(&v2_base).await;
    assert_eq!(
        states(&v1_samples, "default"),
        states(&v2_samples, "default")
    );
    let truth = a.truth("default").await.expect("Connect answers");
    for expected in [
        "default|verifiable-source|-|RUNNING",
        "default|verifiable-source|0|RUNNING",
        "default|verifiable-source|1|RUNNING",
        "default|task-failure-sink|-|RUNNING",
        "default|task-failure-sink|0|FAILED",
        "default|connector-failure-sink|-|FAILED",
        "default|paused-file-source|-|PAUSED",
        "default|stopped-sink|-|STOPPED",
        "default|quoted \"name\" sink|-|RUNNING",
        "default|unassigned-sink|-|UNASSIGNED",
        "default|unassigned-sink|0|RUNNING",
        "default|restarting-sink|-|RESTARTING",
        "default|restarting-sink|0|RESTARTING",
    ] {
        assert!(
            truth.contains(expected),
            "the stack is not as sampled: {expected} missing from {truth:#?}"
        );
    }
    // The two tasks of verifiable-source run on different workers, and the exporter says which.
    let workers: BTreeSet<&str> = v2_samples
        .iter()
        .filter(|x| x.name == "kconnect_task_info" && x.label("connector") == "verifiable-source")
        .map(|x| x.label("worker_id"))
        .collect();
    assert_eq!(
        workers,
        BTreeSet::from([
            s["STACK_A_WORKER1_ID"].as_str(),
            s["STACK_A_WORKER2_ID"].as_str()
        ])
    );
    // Version and cluster id from GET /.
    let root = a.get("/").await;
    let info = v2_samples
        .iter()
        .find(|x| x.name == "kconnect_cluster_info")
        .unwrap();
    assert_eq!(info.label("version"), root["version"].as_str().unwrap());
    assert_eq!(
        info.label("kafka_cluster_id"),
        root["kafka_cluster_id"].as_str().unwrap()
    );
    assert_eq!(
        value(
            &v2_samples,
            "kconnect_task_failure_info",
            &[("connector", "task-failure-sink"), ("task", "0")]
        ),
        Some(1.0)
    );
    // A full v1 pass costs 3N+1 requests an observation, v2 one; both ask GET /health once
    // (Kafka 3.9+), and GET / once at start.
    let n = truth
        .iter()
        .filter(|l| l.split('|').nth(2) == Some("-"))
        .count() as f64;
    let cost = |samples: &[Sample]| {
        let req = value(samples, "kconnect_connect_requests_total", &[]).unwrap();
        let obs = value(
            samples,
            "kconnect_observations_total",
            &[("result", "success")],
        )
        .unwrap();
        (req, obs)
    };
    let (req1, obs1) = cost(&v1_samples);
    assert_eq!(
        req1,
        obs1 * (3.0 * n + 2.0) + 1.0,
        "v1: GET / once, then 3N+1 and GET /health per observation"
    );
    let (req2, obs2) = cost(&v2_samples);
    assert_eq!(
        req2,
        obs2 * 2.0 + 1.0,
        "v2: GET / once, then one request and GET /health per observation"
    );
    assert_eq!(v1.sigterm(), 0);
    assert_eq!(v2.sigterm(), 0);
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn one_exporter_observes_a_and_b_over_https_with_basic_auth() {
    let s = stack();
    samples();
    let (a, b) = (Rest::a(&s), Rest::b(&s));
    let tls_variants: Vec<Vec<(&str, &str)>> = vec![
        vec![("B_CONNECT_PERMISSIVE_SSL", "true")],
        vec![(
            "B_CONNECT_SSL_TRUSTSTORE_LOCATION",
            s["STACK_B_CA_PEM"].as_str(),
        )],
        vec![
            (
                "B_CONNECT_SSL_TRUSTSTORE_LOCATION",
                s["STACK_B_TRUSTSTORE_P12"].as_str(),
            ),
            ("B_CONNECT_SSL_TRUSTSTORE_TYPE", "PKCS12"),
            (
                "B_CONNECT_SSL_TRUSTSTORE_PASSWORD",
                s["STACK_B_TRUSTSTORE_PASSWORD"].as_str(),
            ),
            (
                "B_CONNECT_SSL_KEYSTORE_LOCATION",
                s["STACK_B_CLIENT_P12"].as_str(),
            ),
            ("B_CONNECT_SSL_KEYSTORE_TYPE", "PKCS12"),
            (
                "B_CONNECT_SSL_KEYSTORE_PASSWORD",
                s["STACK_B_CLIENT_P12_PASSWORD"].as_str(),
            ),
        ],
    ];
    for tls in tls_variants {
        let mut vars = b_vars(&s, &s["STACK_B_PASS"]);
        vars.extend(tls.iter().copied());
        let (mut e, base) = start(&[&interval_flag()], &vars);
        eventually(SETTLE, "A agrees", || agrees(&base, &a, "A")).await;
        eventually(SETTLE, "B agrees", || agrees(&base, &b, "B")).await;
        let samples = scrape(&base).await;
        assert_eq!(
            value(&samples, "kconnect_up", &[("connect_cluster", "A")]),
            Some(1.0),
            "{tls:?}"
        );
        assert_eq!(
            value(&samples, "kconnect_up", &[("connect_cluster", "B")]),
            Some(1.0),
            "{tls:?}"
        );
        assert_eq!(
            value(
                &samples,
                "kconnect_connector_state",
                &[
                    ("connect_cluster", "B"),
                    ("connector", "b-file-sink"),
                    ("state", "RUNNING")
                ]
            ),
            Some(1.0)
        );
        assert_eq!(e.sigterm(), 0);
        assert!(
            !e.seen.join("\n").contains(&s["STACK_B_PASS"]),
            "the password never reaches the logs"
        );
    }
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn a_wrong_password_for_b_is_reason_auth_and_a_is_unaffected() {
    let s = stack();
    samples();
    let mut vars = b_vars(&s, "not-the-password");
    vars.push((
        "B_CONNECT_SSL_TRUSTSTORE_LOCATION",
        s["STACK_B_CA_PEM"].as_str(),
    ));
    vars.push(("B_CONNECT_STARTUP_VALIDATION", "false"));
    let (mut e, base) = start(&[&interval_flag()], &vars);
    let a = Rest::a(&s);
    eventually(SETTLE, "A agrees", || agrees(&base, &a, "A")).await;
    let samples = scrape(&base).await;
    assert_eq!(
        value(&samples, "kconnect_up", &[("connect_cluster", "A")]),
        Some(1.0)
    );
    assert_eq!(
        value(&samples, "kconnect_up", &[("connect_cluster", "B")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "kconnect_observation_error",
            &[("connect_cluster", "B"), ("reason", "auth")]
        ),
        Some(1.0)
    );
    assert!(states(&samples, "B").is_empty());
    let failed = e.wait_log("observation failed");
    assert_eq!(failed["cluster"], "B");
    assert_eq!(failed["reason"], "auth");
    assert_eq!(
        failed["error"],
        "HTTP 401: User cannot access the resource."
    );
    assert_eq!(e.sigterm(), 0);
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn pause_resume_stop_and_restart_show_within_two_intervals() {
    let s = stack();
    samples();
    let a = Rest::a(&s);
    let name = "e2e-lifecycle";
    let path = format!("/connectors/{name}");
    let config = serde_json::json!({
        "connector.class": "org.apache.kafka.connect.tools.MockSinkConnector",
        "tasks.max": "1",
        "topics": "stack-mock"
    });
    let (status, body) = a
        .send(
            reqwest::Method::PUT,
            &format!("{path}/config"),
            Some(config),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let (mut e, base) = start(
        &[&interval_flag()],
        &[("CONNECT_REST_URL", &s["STACK_A_URL"])],
    );

    let connector_state = |samples: &[Sample]| {
        samples
            .iter()
            .find(|x| {
                x.name == "kconnect_connector_state"
                    && x.label("connector") == name
                    && x.value == 1.0
            })
            .map(|x| x.label("state").to_string())
    };
    for (method, action, expected) in [
        (reqwest::Method::PUT, "", "RUNNING"),
        (reqwest::Method::PUT, "/pause", "PAUSED"),
        (reqwest::Method::PUT, "/resume", "RUNNING"),
        (reqwest::Method::PUT, "/stop", "STOPPED"),
        (reqwest::Method::PUT, "/resume", "RUNNING"),
    ] {
        if !action.is_empty() {
            let (code, body) = a.send(method, &format!("{path}{action}"), None).await;
            assert!((200..300).contains(&code), "{action}: {code} {body}");
        }
        // Once Connect itself reports the state, the exporter must show it within two intervals.
        eventually(
            SETTLE,
            &format!("Connect reports {expected} after {action}"),
            || async {
                // Right after creation Connect may answer 404 until the status record is written.
                let (code, st) = a
                    .send(reqwest::Method::GET, &format!("{path}/status"), None)
                    .await;
                if code != 200 {
                    return Err(format!("status {code}: {st}"));
                }
                let now = st["connector"]["state"].as_str().unwrap_or("").to_string();
                let tasks_ok =
                    expected != "RUNNING" || st["tasks"].as_array().is_some_and(|t| !t.is_empty());
                if now == expected && tasks_ok {
                    Ok(())
                } else {
                    Err(now)
                }
            },
        )
        .await;
        eventually(
            2 * INTERVAL + Duration::from_secs(1),
            &format!("exporter shows {expected} after {action}"),
            || async {
                let shown = connector_state(&scrape(&base).await);
                if shown.as_deref() == Some(expected) {
                    Ok(())
                } else {
                    Err(format!("{shown:?}"))
                }
            },
        )
        .await;
    }
    eventually(SETTLE, "the exporter agrees with Connect", || {
        agrees(&base, &a, "default")
    })
    .await;

    // Restart: make the task fail 12 s after each start, wait until the exporter shows it FAILED,
    // then restart the failed task. The exporter must show it RUNNING again within two
    // intervals, while it runs (before it fails again).
    let failing = serde_json::json!({
        "connector.class": "org.apache.kafka.connect.tools.MockSinkConnector",
        "tasks.max": "1",
        "topics": "stack-mock",
        "mock_mode": "task-failure",
        "delay_ms": "12000"
    });
    let (code, body) = a
        .send(
            reqwest::Method::PUT,
            &format!("{path}/config"),
            Some(failing),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let task_state = |samples: &[Sample]| {
        samples
            .iter()
            .find(|x| {
                x.name == "kconnect_task_state"
                    && x.label("connector") == name
                    && x.label("task") == "0"
                    && x.value == 1.0
            })
            .map(|x| x.label("state").to_string())
    };
    eventually(SETTLE, "the exporter shows task 0 FAILED", || async {
        let shown = task_state(&scrape(&base).await);
        if shown.as_deref() == Some("FAILED") {
            Ok(())
        } else {
            Err(format!("{shown:?}"))
        }
    })
    .await;
    let (code, body) = a
        .send(
            reqwest::Method::POST,
            &format!("{path}/restart?includeTasks=true&onlyFailed=true"),
            None,
        )
        .await;
    assert_eq!(code, 202, "{body}");
    eventually(
        2 * INTERVAL + Duration::from_secs(1),
        "the exporter shows task 0 RUNNING after the restart",
        || async {
            let shown = task_state(&scrape(&base).await);
            if shown.as_deref() == Some("RUNNING") {
                Ok(())
            } else {
                Err(format!("{shown:?}"))
            }
        },
    )
    .await;

    let (code, _) = a.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(code, 204);
    eventually(
        2 * INTERVAL + Duration::from_secs(1),
        "a deleted connector disappears",
        || async {
            let text = reqwest::get(format!("{base}/metrics"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if text.contains(name) {
                Err("still shown".to_string())
            } else {
                Ok(())
            }
        },
    )
    .await;
    assert_eq!(e.sigterm(), 0);
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn a_killed_worker_s_tasks_are_reassigned_and_the_metrics_follow() {
    let s = stack();
    samples();
    let a = Rest::a(&s);
    let (mut e, base) = start(
        &[&interval_flag()],
        &[("CONNECT_REST_URL", &s["STACK_A_URL"])],
    );
    eventually(SETTLE, "agrees before", || agrees(&base, &a, "default")).await;
    let a2 = s["STACK_A_WORKER2_ID"].clone();
    let on_a2 = |samples: &[Sample]| -> Vec<String> {
        samples
            .iter()
            .filter(|x| x.name == "kconnect_task_info" && x.label("worker_id") == a2)
            .map(|x| format!("{}/{}", x.label("connector"), x.label("task")))
            .collect()
    };
    let before = on_a2(&scrape(&base).await);
    assert!(
        !before.is_empty(),
        "worker 2 runs tasks before it is killed"
    );

    ctl(&["stop-worker", "a2", "--kill"]);
    // After the scheduled rebalance delay the tasks of the dead worker move to worker 1 (or are
    // UNASSIGNED); the exporter shows no task RUNNING on worker 2 and agrees with Connect.
    eventually(SETTLE, "tasks leave the killed worker", || async {
        let samples = scrape(&base).await;
        let stranded: Vec<String> = on_a2(&samples)
            .into_iter()
            .filter(|t| {
                let (c, id) = t.rsplit_once('/').unwrap();
                value(
                    &samples,
                    "kconnect_task_state",
                    &[("connector", c), ("task", id), ("state", "RUNNING")],
                ) == Some(1.0)
            })
            .collect();
        if stranded.is_empty() {
            agrees(&base, &a, "default").await
        } else {
            Err(format!("still RUNNING on {a2}: {stranded:?}"))
        }
    })
    .await;
    assert_eq!(
        value(&scrape(&base).await, "kconnect_up", &[]),
        Some(1.0),
        "one worker down is not the cluster down"
    );

    ctl(&["start-worker", "a2"]);
    eventually(SETTLE, "agrees once the worker is back", || {
        agrees(&base, &a, "default")
    })
    .await;
    assert_eq!(e.sigterm(), 0);
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn all_of_a_down_then_back_and_starting_while_it_is_down() {
    let s = stack();
    samples();
    let a = Rest::a(&s);
    let url = s["STACK_A_URL"].clone();
    let (mut e, base) = start(&[&interval_flag()], &[("CONNECT_REST_URL", &url)]);
    eventually(SETTLE, "agrees before", || agrees(&base, &a, "default")).await;

    ctl(&["stop-worker", "a1"]);
    ctl(&["stop-worker", "a2"]);
    eventually(
        2 * INTERVAL + Duration::from_secs(5),
        "kconnect_up 0",
        || async {
            let samples = scrape(&base).await;
            match value(&samples, "kconnect_up", &[]) {
                Some(0.0) => Ok(samples),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    let samples = scrape(&base).await;
    assert_eq!(
        value(
            &samples,
            "kconnect_observation_error",
            &[("reason", "connect")]
        ),
        Some(1.0)
    );
    assert!(
        states(&samples, "default").is_empty(),
        "no stale state is shown"
    );
    let healthy = reqwest::get(format!("{base}/-/healthy")).await.unwrap();
    assert_eq!(healthy.status(), 200);

    // Started now, the exporter refuses to start with validation on and serves with it off.
    let mut strict = Exporter::start(&bin(), &[], &[("CONNECT_REST_URL", &url)]);
    assert_eq!(strict.wait_exit(), 1);
    let (mut lenient, lenient_base) = start(
        &[&interval_flag()],
        &[
            ("CONNECT_REST_URL", &url),
            ("CONNECT_STARTUP_VALIDATION", "false"),
        ],
    );
    eventually(SETTLE, "lenient exporter serves up 0", || async {
        match value(&scrape(&lenient_base).await, "kconnect_up", &[]) {
            Some(0.0) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    ctl(&["start-worker", "a1"]);
    ctl(&["start-worker", "a2"]);
    eventually(SETTLE, "recovers without a restart", || {
        agrees(&base, &a, "default")
    })
    .await;
    eventually(SETTLE, "the lenient one recovers too", || {
        agrees(&lenient_base, &a, "default")
    })
    .await;
    assert_eq!(e.sigterm(), 0);
    assert_eq!(lenient.sigterm(), 0);
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn a_real_prometheus_scrapes_the_exporter() {
    let s = stack();
    samples();
    let mut vars = b_vars(&s, &s["STACK_B_PASS"]);
    vars.push((
        "B_CONNECT_SSL_TRUSTSTORE_LOCATION",
        s["STACK_B_CA_PEM"].as_str(),
    ));
    let (mut e, base) = start(&[&interval_flag()], &vars);
    let a = Rest::a(&s);
    eventually(SETTLE, "A agrees", || agrees(&base, &a, "A")).await;
    let prom = prometheus(&format!(
        "  - job_name: kconnect-exporter\n    static_configs:\n      - targets: ['{}']\n",
        base.trim_start_matches("http://")
    ));

    let expectations: BTreeMap<&str, f64> = BTreeMap::from([
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="task-failure-sink",state="RUNNING"}"#,
            1.0,
        ),
        (
            r#"kconnect_task_state{connect_cluster="A",connector="task-failure-sink",task="0",state="FAILED"}"#,
            1.0,
        ),
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="paused-file-source",state="PAUSED"}"#,
            1.0,
        ),
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="quoted \"name\" sink",state="RUNNING"}"#,
            1.0,
        ),
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="stopped-sink",state="STOPPED"}"#,
            1.0,
        ),
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="stopped-sink",state="RUNNING"}"#,
            0.0,
        ),
        (
            r#"kconnect_connector_state{connect_cluster="A",connector="unassigned-sink",state="UNASSIGNED"}"#,
            1.0,
        ),
        (
            r#"kconnect_task_state{connect_cluster="A",connector="restarting-sink",task="0",state="RESTARTING"}"#,
            1.0,
        ),
        (r#"kconnect_up{connect_cluster="B"}"#, 1.0),
        (r#"up{job="kconnect-exporter"}"#, 1.0),
    ]);
    for (expr, want) in &expectations {
        eventually(SETTLE, expr, || async {
            let result = query(&prom, expr).await?;
            let got: Vec<f64> = result
                .iter()
                .filter_map(|r| r["value"][1].as_str().and_then(|v| v.parse().ok()))
                .collect();
            if got == [*want] {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        })
        .await;
    }
    // Prometheus negotiated OpenMetrics and ingested the info and counter families.
    let info = query(
        &prom,
        r#"kconnect_connector_info{connect_cluster="A",connector="file-sink"}"#,
    )
    .await
    .unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["metric"]["type"], "sink");
    assert_eq!(
        info[0]["metric"]["class"],
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    );

    // promtool finds no problem in the live exposition either.
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(e.sigterm(), 0);
}
