//! A client of the actions API of a running exporter, and what a test reads back: the requests
//! Connect received that change something.

use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::MockServer;

use super::exporter::{DEADLINE, Exporter};

pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub async fn call(&self, m: &str, path: &str, user: Option<&str>) -> (u16, Value) {
        let mut r = self
            .http
            .request(m.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(u) = user {
            r = r.basic_auth(u, Some(format!("{u}-pw")));
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, user: Option<&str>) -> (u16, Value) {
        self.call("POST", &format!("/api/v1/clusters{path}"), user)
            .await
    }

    pub async fn get(&self, path: &str, user: Option<&str>) -> (u16, Value) {
        self.call("GET", path, user).await
    }
}

pub async fn start(bin: &str, vars: &[(&str, &str)], flags: &[&str]) -> (Exporter, Api) {
    start_as(bin, vars, flags, None).await
}

/// [`start`], asking `/-/ready` as `user` (when the web configuration wants a password).
pub async fn start_as(
    bin: &str,
    vars: &[(&str, &str)],
    flags: &[&str],
    user: Option<&str>,
) -> (Exporter, Api) {
    let mut exporter = Exporter::start(bin, flags, vars);
    let base = format!("http://{}", exporter.address());
    let api = Api {
        http: reqwest::Client::new(),
        base,
    };
    // Ready once every cluster has been observed: the version is then known from GET /.
    let until = Instant::now() + DEADLINE;
    while api.get("/-/ready", user).await.0 != 200 {
        assert!(Instant::now() < until, "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (exporter, api)
}

/// The requests wiremock received other than GETs (observation), as `METHOD path?query`.
pub async fn changes(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| match r.url.query() {
            Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}
