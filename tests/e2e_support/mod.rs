//! Support of the end-to-end tests of the actions and of the kit: the stack's settings, Connect's
//! REST API of cluster A, a protected exporter (certificate, web configuration, RBAC file), a
//! Prometheus with a scrape configuration as users write it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::exporter::Exporter;
use crate::tls_support::{Ca, Files};

pub const INTERVAL: Duration = Duration::from_secs(1);
pub const SETTLE: Duration = Duration::from_secs(120);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `KEY=VALUE` lines `scripts/connect-stack up` wrote.
pub fn stack() -> HashMap<String, String> {
    let path = std::env::var("KCONNECT_STACK_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/connect-stack/env"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; bring the stack up with scripts/connect-stack up",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn bin() -> String {
    let bin = std::env::var("KCONNECT_E2E_BIN").unwrap_or_else(|_| {
        repo()
            .join("target/release/kconnect-exporter")
            .display()
            .to_string()
    });
    assert!(
        Path::new(&bin).exists(),
        "{bin} is missing: cargo build --release"
    );
    bin
}

/// Puts the sample connectors back into their intended states.
pub fn samples() {
    let status = Command::new(repo().join("scripts/sample-connectors"))
        .stdout(Stdio::null())
        .status()
        .expect("sample-connectors runs");
    assert!(status.success(), "scripts/sample-connectors failed");
}

/// Polls `check` until it returns `Ok`, or panics with the last `Err` after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let until = Instant::now() + deadline;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(e) if Instant::now() >= until => panic!("{what}: not so within {deadline:?}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Connect's REST API of cluster A.
pub struct Connect {
    pub base: String,
    pub http: reqwest::Client,
}

impl Connect {
    pub fn a(s: &HashMap<String, String>) -> Connect {
        Connect {
            base: s["STACK_A_URL"].clone(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = r.send().await.unwrap();
        let code = r.status().as_u16();
        (
            code,
            serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    /// Creates (or reconfigures) a connector.
    pub async fn put(&self, name: &str, config: Value) {
        let (code, body) = self
            .send("PUT", &format!("/connectors/{name}/config"), Some(config))
            .await;
        assert!(code == 200 || code == 201, "{name}: {code} {body}");
    }

    pub async fn delete(&self, name: &str) {
        let _ = self
            .send("DELETE", &format!("/connectors/{name}"), None)
            .await;
    }

    /// (connector state, task states) as Connect reports them now.
    pub async fn states(&self, name: &str) -> Result<(String, Vec<String>), String> {
        let (code, st) = self
            .send("GET", &format!("/connectors/{name}/status"), None)
            .await;
        if code != 200 {
            return Err(format!("status {code}: {st}"));
        }
        let mut tasks: Vec<(u64, String)> = st["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["id"].as_u64().unwrap_or(0),
                    t["state"].as_str().unwrap_or("?").to_string(),
                )
            })
            .collect();
        tasks.sort();
        let tasks = tasks.into_iter().map(|(_, s)| s).collect();
        Ok((
            st["connector"]["state"].as_str().unwrap_or("?").to_string(),
            tasks,
        ))
    }

    pub async fn wait_for(&self, name: &str, connector: &str, tasks: &[&str]) {
        eventually(
            SETTLE,
            &format!("{name} is {connector} {tasks:?}"),
            || async {
                let now = self.states(name).await?;
                if now.0 == connector && now.1 == tasks {
                    Ok(())
                } else {
                    Err(format!("{now:?}"))
                }
            },
        )
        .await;
    }
}

pub fn mock_sink(tasks: u32, failing_after_ms: Option<u64>) -> Value {
    let mut config = json!({
        "connector.class": "org.apache.kafka.connect.tools.MockSinkConnector",
        "tasks.max": tasks.to_string(),
        "topics": "stack-mock",
    });
    if let Some(ms) = failing_after_ms {
        config["mock_mode"] = json!("task-failure");
        config["delay_ms"] = json!(ms.to_string());
    }
    config
}

/// A directory with a server certificate for `localhost`, its CA, a web configuration (TLS and
/// the given users, each with the password `<name>-secret`) and `rbac` as the RBAC file.
pub struct Protected {
    pub files: Files,
    pub ca: Ca,
}

impl Protected {
    pub fn new(users: &[&str], rbac: &str) -> Protected {
        let ca = Ca::new("kconnect e2e CA");
        let files = Files::new(&ca.server("kconnect-exporter"), &ca);
        files.write("ca.pem", &ca.pem());
        let mut web = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\
                       basic_auth_users:\n"
            .to_string();
        for u in users {
            web.push_str(&format!(
                "  {u}: {}\n",
                bcrypt::hash(format!("{u}-secret"), 10).unwrap()
            ));
        }
        files.write("web.yml", &web);
        files.write("rbac.yaml", rbac);
        Protected { files, ca }
    }

    pub fn flag(&self) -> String {
        format!("--web.config.file={}", self.files.path("web.yml").display())
    }

    pub fn rbac(&self) -> String {
        self.files.path("rbac.yaml").display().to_string()
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.ca.pem().as_bytes()).unwrap()])
            .build()
            .unwrap()
    }
}

/// Starts the exporter without TLS; returns it and its `http://127.0.0.1:PORT`.
pub fn start_plain(flags: &[&str], vars: &[(&str, &str)]) -> (Exporter, String) {
    let mut e = Exporter::start(&bin(), flags, vars);
    let base = format!("http://{}", e.address());
    (e, base)
}

/// Starts the exporter; returns it and its `https://localhost:PORT`.
pub fn start(flags: &[&str], vars: &[(&str, &str)]) -> (Exporter, String) {
    let mut e = Exporter::start(&bin(), flags, vars);
    let address = e.address();
    let port = address.rsplit_once(':').unwrap().1.to_string();
    (e, format!("https://localhost:{port}"))
}

pub async fn metrics(http: &reqwest::Client, base: &str, user: &str) -> String {
    http.get(format!("{base}/metrics"))
        .basic_auth(user, Some(format!("{user}-secret")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The state the exporter shows for a connector (`None` for the connector, `Some(id)` a task).
pub fn shown_state(text: &str, connector: &str, task: Option<u32>) -> Option<String> {
    let prefix = match task {
        None => format!(
            "kconnect_connector_state{{connect_cluster=\"default\",connector=\"{connector}\",state=\""
        ),
        Some(t) => format!(
            "kconnect_task_state{{connect_cluster=\"default\",connector=\"{connector}\",task=\"{t}\",state=\""
        ),
    };
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .find(|rest| rest.ends_with("\"} 1"))
        .map(|rest| rest.trim_end_matches("\"} 1").to_string())
}

pub struct Prometheus {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Prometheus with `scrape_configs` as given (YAML, indented as list items).
pub fn prometheus(scrape_configs: &str) -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{scrape_configs}"
    );
    std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (Debian package prometheus) starts");
    Prometheus {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// A loopback port free now (for a process that takes its port as a flag).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The values of an instant query's result.
pub async fn query(prom: &Prometheus, expr: &str) -> Result<Vec<f64>, String> {
    Ok(query_series(prom, expr)
        .await?
        .iter()
        .filter_map(|r| r["value"][1].as_str().and_then(|v| v.parse().ok()))
        .collect())
}

/// An instant query's result as Prometheus's API gives it: `{"metric": {…}, "value": [t, "v"]}`.
pub async fn query_series(prom: &Prometheus, expr: &str) -> Result<Vec<Value>, String> {
    let url =
        url::Url::parse_with_params(&format!("{}/api/v1/query", prom.base), [("query", expr)])
            .unwrap();
    let text = reqwest::get(url)
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    if body["status"] != "success" {
        return Err(format!("{expr}: {body}"));
    }
    Ok(body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The expression of an alert of `alerts/kconnect-alerts.yaml`.
pub fn alert_expr(alert: &str) -> String {
    let text = std::fs::read_to_string(repo().join("alerts/kconnect-alerts.yaml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    for group in docs[0]["groups"].as_vec().unwrap() {
        for rule in group["rules"].as_vec().unwrap() {
            if rule["alert"].as_str() == Some(alert) {
                return rule["expr"].as_str().unwrap().to_string();
            }
        }
    }
    panic!("no alert {alert}")
}
