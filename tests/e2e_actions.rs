//! End to end, against Apache Kafka Connect itself (the stack of `scripts/connect-stack`, cluster
//! A): a real Prometheus scraping the exporter over TLS with basic auth from its own scrape
//! configuration; users pausing, resuming and restarting real connectors through the actions
//! API under an RBAC file, and a denied user changing nothing; auto-restart healing a failing
//! task on its back-off, giving up when its attempts run out, and leaving alone what the policy
//! does not allow. `scripts/test` brings the stack up and runs these with `--ignored`.

mod common;
mod e2e_support;
mod tls_support;

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use common::sample;
use e2e_support::*;
#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn a_real_prometheus_scrapes_over_tls_with_basic_auth() {
    let s = stack();
    samples();
    let p = Protected::new(&["prometheus"], "authorized_roles: [\"*\"]\n");
    let (mut e, base) = start(
        &[&p.flag(), "--observation.interval=1s"],
        &[("CONNECT_REST_URL", &s["STACK_A_URL"])],
    );
    let target = base.trim_start_matches("https://");
    std::fs::write(p.files.path("prometheus.pass"), "prometheus-secret\n").unwrap();
    // As users write it: https, the CA, basic auth with a password file; and a job with a wrong
    // password, which must not get in.
    let prom = prometheus(&format!(
        r#"  - job_name: kconnect-exporter
    scheme: https
    tls_config:
      ca_file: {ca}
    basic_auth:
      username: prometheus
      password_file: {pass}
    static_configs:
      - targets: ['{target}']
  - job_name: kconnect-wrong-password
    scheme: https
    tls_config:
      ca_file: {ca}
    basic_auth:
      username: prometheus
      password: guessed
    static_configs:
      - targets: ['{target}']
"#,
        ca = p.files.path("ca.pem").display(),
        pass = p.files.path("prometheus.pass").display(),
    ));
    for (expr, want) in [
        (r#"up{job="kconnect-exporter"}"#, 1.0),
        (r#"up{job="kconnect-wrong-password"}"#, 0.0),
        (
            r#"kconnect_up{job="kconnect-exporter",connect_cluster="default"}"#,
            1.0,
        ),
        (
            r#"kconnect_task_state{job="kconnect-exporter",connector="task-failure-sink",task="0",state="FAILED"}"#,
            1.0,
        ),
    ] {
        eventually(SETTLE, expr, || async {
            let got = query(&prom, expr).await?;
            if got == [want] {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        })
        .await;
    }
    assert!(
        query(&prom, r#"kconnect_up{job="kconnect-wrong-password"}"#)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.sigterm(), 0);
}

const USERS_RBAC: &str = r#"
authorized_roles: ["*"]
policies:
  - resource: ["connect", "*"]
    effect: Allow
    actions: ["CONNECT_INSPECT"]
    role: "*"
  - resource: ["connect", "default", "connector", "e2e-api-*"]
    effect: Allow
    actions: ["CONNECT_ALTER_STATE"]
    role: ops
principal_roles:
  alice: [ops]
  bob: [viewer]
"#;

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn users_pause_resume_and_restart_real_connectors_as_the_policy_allows() {
    let s = stack();
    samples();
    let connect = Connect::a(&s);
    let name = "e2e-api-lifecycle";
    connect.delete(name).await;
    connect.put(name, mock_sink(1, None)).await;
    connect.wait_for(name, "RUNNING", &["RUNNING"]).await;
    let p = Protected::new(&["alice", "bob"], USERS_RBAC);
    let (mut e, base) = start(
        &[&p.flag(), "--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("RBAC_CONFIGURATION_FILE", &p.rbac()),
        ],
    );
    let http = p.client();
    let act = |user: &'static str, op: &str| {
        let url = format!("{base}/api/v1/clusters/default/connectors/{name}/{op}");
        let http = http.clone();
        async move {
            let r = http
                .post(url)
                .basic_auth(user, Some(format!("{user}-secret")))
                .send()
                .await
                .unwrap();
            let code = r.status().as_u16();
            (
                code,
                serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap(),
            )
        }
    };
    let shows = |state: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            eventually(
                2 * INTERVAL + Duration::from_secs(3),
                &format!("the metrics show {state}"),
                || async {
                    let shown = shown_state(&metrics(&http, &base, "bob").await, name, None);
                    if shown.as_deref() == Some(state) {
                        Ok(())
                    } else {
                        Err(format!("{shown:?}"))
                    }
                },
            )
            .await
        }
    };
    shows("RUNNING").await;

    let (code, body) = act("alice", "pause").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(
        body["requests"],
        json!([format!("PUT /connectors/{name}/pause")])
    );
    connect.wait_for(name, "PAUSED", &["PAUSED"]).await;
    shows("PAUSED").await;
    let line = e.wait_log("access decision");
    assert_eq!(
        (&line["principal"], &line["decision"], &line["outcome"]),
        (&json!("alice"), &json!("allowed"), &json!("done"))
    );

    // bob may look, not act: 403, and the connector stays PAUSED.
    let (code, body) = act("bob", "resume").await;
    assert_eq!(
        (code, body),
        (
            403,
            json!({"error": "forbidden", "action": "CONNECT_ALTER_STATE",
                     "resource": format!("connect/default/connector/{name}"), "reason": "no_policy",
                     "message": format!("no policy allows CONNECT_ALTER_STATE on connect/default/connector/{name} to bob (basic_auth, roles: viewer)")})
        )
    );
    let line = e.wait_log("access decision");
    assert_eq!(
        (&line["principal"], &line["decision"], &line["requests"]),
        (&json!("bob"), &json!("denied"), &json!(""))
    );
    // Three more observations later, nothing has changed.
    let observed = |text: &str| {
        sample(
            text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}",
        )
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
    };
    let then = observed(&metrics(&http, &base, "bob").await);
    eventually(SETTLE, "three more observations", || async {
        if observed(&metrics(&http, &base, "bob").await) >= then + 3 {
            Ok(())
        } else {
            Err("waiting".into())
        }
    })
    .await;
    assert_eq!(
        connect.states(name).await.unwrap(),
        ("PAUSED".to_string(), vec!["PAUSED".to_string()])
    );
    assert_eq!(
        shown_state(&metrics(&http, &base, "bob").await, name, None).as_deref(),
        Some("PAUSED")
    );

    let (code, _) = act("alice", "resume").await;
    assert_eq!(code, 202);
    connect.wait_for(name, "RUNNING", &["RUNNING"]).await;
    shows("RUNNING").await;

    // Restart with only_failed restarts only what failed. The connector's one task fails 20 s
    // after it starts: only the task is restarted, the RUNNING connector is not.
    connect.put(name, mock_sink(1, Some(20_000))).await;
    // Status is eventually consistent between workers, and the restart is planned on the
    // leader: both workers must see the failure before only_failed can find it.
    for worker in [&s["STACK_A_WORKER1_URL"], &s["STACK_A_WORKER2_URL"]] {
        Connect {
            base: worker.clone(),
            http: reqwest::Client::new(),
        }
        .wait_for(name, "RUNNING", &["FAILED"])
        .await;
    }
    let (code, body) = act("alice", "restart?include_tasks=true&only_failed=true").await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(
        body["requests"],
        json!([format!(
            "POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true"
        )])
    );
    // Connect's own answer: what it restarts is RESTARTING, the rest as it was.
    let restarted = |body: &Value| {
        let result = &body["result"];
        let mut tasks: Vec<(u64, String)> = result["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_u64().unwrap(),
                    t["state"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        tasks.sort();
        (
            result["connector"]["state"].as_str().unwrap().to_string(),
            tasks,
        )
    };
    assert_eq!(
        restarted(&body),
        ("RUNNING".to_string(), vec![(0, "RESTARTING".to_string())])
    );
    eventually(
        2 * INTERVAL + Duration::from_secs(3),
        "the metrics show task 0 RUNNING again",
        || async {
            let shown = shown_state(&metrics(&http, &base, "bob").await, name, Some(0));
            if shown.as_deref() == Some("RUNNING") {
                Ok(())
            } else {
                Err(format!("{shown:?}"))
            }
        },
    )
    .await;
    // A connector whose two tasks run: nothing is restarted.
    let verifiable = "e2e-api-verifiable";
    connect.delete(verifiable).await;
    connect
        .put(
            verifiable,
            json!({"connector.class": "org.apache.kafka.connect.tools.VerifiableSourceConnector",
                   "tasks.max": "2", "topic": "stack-verifiable", "throughput": "1"}),
        )
        .await;
    connect
        .wait_for(verifiable, "RUNNING", &["RUNNING", "RUNNING"])
        .await;
    let url = format!(
        "{base}/api/v1/clusters/default/connectors/{verifiable}/restart?include_tasks=true&only_failed=true"
    );
    let r = http
        .post(url)
        .basic_auth("alice", Some("alice-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        restarted(&body),
        (
            "RUNNING".to_string(),
            vec![(0, "RUNNING".to_string()), (1, "RUNNING".to_string())]
        )
    );
    connect.delete(verifiable).await;
    connect.delete(name).await;
    assert_eq!(e.sigterm(), 0);
}

const AUTO_RBAC: &str = r#"
authorized_roles: ["*"]
policies:
  - resource: ["connect", "default", "connector", "e2e-auto-*"]
    effect: Allow
    actions: ["CONNECT_ALTER_STATE"]
    role: automation
principal_roles:
  auto-restart: [automation]
"#;

fn at(line: &Value) -> SystemTime {
    humantime::parse_rfc3339(line["timestamp"].as_str().unwrap()).unwrap()
}

#[tokio::test]
#[ignore = "needs the Kafka stack: scripts/test brings it up"]
async fn auto_restart_heals_on_its_back_off_gives_up_and_leaves_the_rest_alone() {
    let s = stack();
    samples();
    let connect = Connect::a(&s);
    let name = "e2e-auto-restart-sink";
    connect.delete(name).await;
    connect.put(name, mock_sink(1, Some(1_000))).await;
    connect.wait_for(name, "RUNNING", &["FAILED"]).await;
    connect
        .wait_for("task-failure-sink", "RUNNING", &["FAILED"])
        .await;
    eventually(SETTLE, "connector-failure-sink is FAILED", || async {
        let (state, _) = connect.states("connector-failure-sink").await?;
        if state == "FAILED" {
            Ok(())
        } else {
            Err(state)
        }
    })
    .await;
    let p = Protected::new(&["prometheus"], AUTO_RBAC);
    let (mut e, base) = start(
        &[&p.flag(), "--observation.interval=1s"],
        &[
            ("CONNECT_REST_URL", &s["STACK_A_URL"]),
            ("RBAC_CONFIGURATION_FILE", &p.rbac()),
            ("CONNECT_AUTO_RESTART", "true"),
            ("CONNECT_AUTO_RESTART_MAX_ATTEMPTS", "3"),
            ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", "1s"),
        ],
    );
    // Every decision until the third attempt on our connector: the sample connectors that fail
    // are refused once each, ours restarted on schedule.
    let mut attempts = Vec::new();
    let mut refused = Vec::new();
    while attempts.len() < 3 {
        let line = e.wait_log("access decision");
        assert_eq!(line["principal"], "auto-restart");
        let resource = line["resource"].as_str().unwrap().to_string();
        if resource == format!("connect/default/connector/{name}") {
            assert_eq!(
                (&line["decision"], &line["outcome"]),
                (&json!("allowed"), &json!("done")),
                "{line}"
            );
            assert_eq!(
                line["requests"],
                format!("POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true")
            );
            attempts.push(at(&line));
        } else {
            assert_eq!(
                (&line["decision"], &line["reason"], &line["requests"]),
                (&json!("denied"), &json!("no_policy"), &json!("")),
                "{line}"
            );
            refused.push(resource);
        }
    }
    // Each connector the policy does not cover was refused once, the two failing samples among
    // them.
    let mut distinct = refused.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        refused.len(),
        "refused once each: {refused:?}"
    );
    for sample in ["connector-failure-sink", "task-failure-sink"] {
        assert!(
            refused.contains(&format!("connect/default/connector/{sample}")),
            "{sample} was not refused: {refused:?}"
        );
    }
    // After attempt n the next waits n²+n seconds; the observation interval and the task's
    // failing again add at most a few seconds.
    for (n, pair) in attempts.windows(2).enumerate() {
        let n = n as u64 + 1;
        let waited = pair[1].duration_since(pair[0]).unwrap();
        let least = Duration::from_secs(n * n + n);
        assert!(
            waited >= least && waited <= least + INTERVAL + Duration::from_secs(4),
            "attempt {} came {waited:?} after attempt {n}, expected {least:?} and a little",
            n + 1
        );
    }
    // Given up: no decision at all over the next 20 observations, and the metrics say so.
    let http = p.client();
    let observed = |text: &str| {
        sample(
            text,
            "kconnect_observations_total{connect_cluster=\"default\",result=\"success\"}",
        )
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
    };
    let then = observed(&metrics(&http, &base, "prometheus").await);
    let text = eventually(SETTLE, "twenty more observations", || async {
        let text = metrics(&http, &base, "prometheus").await;
        if observed(&text) >= then + 20 {
            Ok(text)
        } else {
            Err("waiting".into())
        }
    })
    .await;
    while let Ok(line) = e.lines.try_recv() {
        assert!(
            !line.contains("\"access decision\""),
            "a decision after giving up: {line}"
        );
    }
    let series = format!("connect_cluster=\"default\",connector=\"{name}\"");
    assert_eq!(
        sample(
            &text,
            &format!("kconnect_auto_restart_attempts_left{{{series}}}")
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        sample(
            &text,
            &format!("kconnect_auto_restarts_total{{{series},result=\"success\"}}")
        )
        .as_deref(),
        Some("3")
    );
    assert_eq!(
        sample(
            &text,
            "kconnect_access_decisions_total{action=\"CONNECT_ALTER_STATE\",decision=\"denied\"}"
        ),
        Some(refused.len().to_string())
    );
    // The alert's own expression, run by a real Prometheus scraping the exporter, names it.
    std::fs::write(p.files.path("prometheus.pass"), "prometheus-secret\n").unwrap();
    let prom = prometheus(&format!(
        r#"  - job_name: kconnect-exporter
    scheme: https
    tls_config:
      ca_file: {ca}
    basic_auth:
      username: prometheus
      password_file: {pass}
    static_configs:
      - targets: ['{target}']
"#,
        ca = p.files.path("ca.pem").display(),
        pass = p.files.path("prometheus.pass").display(),
        target = base.trim_start_matches("https://"),
    ));
    let expr = alert_expr("KafkaConnectAutoRestartExhausted");
    eventually(
        SETTLE,
        "the alert's expression names the connector",
        || async {
            let url = url::Url::parse_with_params(
                &format!("{}/api/v1/query", prom.base),
                [("query", expr.as_str())],
            )
            .unwrap();
            let body: Value = serde_json::from_str(
                &reqwest::get(url)
                    .await
                    .map_err(|e| e.to_string())?
                    .text()
                    .await
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let named: Vec<&str> = body["data"]["result"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["metric"]["connector"].as_str())
                .collect();
            if named == [name] {
                Ok(())
            } else {
                Err(format!("{body}"))
            }
        },
    )
    .await;
    // The connector the policy does not cover keeps its failed task.
    assert_eq!(
        shown_state(&text, "task-failure-sink", Some(0)).as_deref(),
        Some("FAILED")
    );
    assert_eq!(shown_state(&text, name, Some(0)).as_deref(), Some("FAILED"));
    connect.delete(name).await;
    assert_eq!(e.sigterm(), 0);
}
