//! The connectors the Confluent Cloud stand-in serves, read from and rendered in the shapes of
//! `tests/fixtures/confluent-cloud-connectors-expand.json` and Confluent's API reference.
#![allow(dead_code)]

use serde_json::{Map, Value, json};

pub const EXPAND_FIXTURE: &str = include_str!("../fixtures/confluent-cloud-connectors-expand.json");
/// How Confluent Cloud masks a secret config value.
pub const MASK: &str = "****************";

#[derive(Debug, Clone, PartialEq)]
pub struct CloudTask {
    pub state: String,
    pub msg: String,
}

/// One managed connector.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudConnector {
    pub name: String,
    /// `lcc-…`
    pub id: String,
    pub config: Map<String, Value>,
    /// `source` or `sink`.
    pub kind: String,
    /// NONE, PROVISIONING, RUNNING, DEGRADED, FAILED, PAUSED or DELETED.
    pub state: String,
    pub trace: String,
    pub tasks: Vec<CloudTask>,
}

/// Connectors from an object shaped like `GET …/connectors?expand=info,status,id` (the
/// fixture's shape), in the object's order.
pub fn connectors_from_expand(v: &Value) -> Result<Vec<CloudConnector>, String> {
    let Some(map) = v.as_object() else {
        return Err("expected an object keyed by connector name".into());
    };
    map.iter()
        .map(|(name, e)| {
            let str_at = |p: &str| e.pointer(p).and_then(Value::as_str).map(str::to_string);
            let missing = |p: &str| format!("connector {name}: no {p}");
            Ok(CloudConnector {
                name: name.clone(),
                id: str_at("/id/id").ok_or_else(|| missing("id.id"))?,
                config: e
                    .pointer("/info/config")
                    .and_then(Value::as_object)
                    .cloned()
                    .ok_or_else(|| missing("info.config"))?,
                kind: str_at("/status/type").ok_or_else(|| missing("status.type"))?,
                state: str_at("/status/connector/state")
                    .ok_or_else(|| missing("status.connector.state"))?,
                trace: str_at("/status/connector/trace").unwrap_or_default(),
                tasks: e
                    .pointer("/status/tasks")
                    .and_then(Value::as_array)
                    .map(|tasks| {
                        tasks
                            .iter()
                            .map(|t| CloudTask {
                                state: t["state"].as_str().unwrap_or("").to_string(),
                                msg: t["msg"].as_str().unwrap_or("").to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The fixture's five connectors.
pub fn fixture_connectors() -> Vec<CloudConnector> {
    let v: Value = serde_json::from_str(EXPAND_FIXTURE).expect("the expand fixture is JSON");
    connectors_from_expand(&v).expect("the expand fixture has every field")
}

/// `n` connectors cycling through the fixture's five, named `{fixture name}-{i:05}`.
pub fn generated_connectors(n: usize) -> Vec<CloudConnector> {
    let templates = fixture_connectors();
    (0..n)
        .map(|i| {
            let mut c = templates[i % templates.len()].clone();
            c.name = format!("{}-{i:05}", c.name);
            c.id = format!("lcc-{i:06}");
            c.config
                .insert("name".into(), Value::String(c.name.clone()));
            c
        })
        .collect()
}

fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.ends_with("api.key")
        || k.ends_with("access.key.id")
        || k == "keyfile"
        || k.contains("credentials")
}

impl CloudConnector {
    pub(super) fn masked_config(&self) -> Value {
        let masked = self
            .config
            .iter()
            .map(|(k, v)| {
                let v = if is_secret(k) {
                    Value::String(MASK.into())
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        Value::Object(masked)
    }

    pub(super) fn id_expansion(&self) -> Value {
        json!({"id": self.id, "id_type": "ID"})
    }

    pub(super) fn info_expansion(&self) -> Value {
        json!({"name": self.name, "config": self.masked_config()})
    }

    pub(super) fn status(&self) -> Value {
        let tasks: Vec<Value> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": i, "state": t.state, "worker_id": self.name, "msg": t.msg}))
            .collect();
        json!({
            "name": self.name,
            "connector": {"state": self.state, "worker_id": self.name, "trace": self.trace},
            "tasks": tasks,
            "type": self.kind,
        })
    }

    /// `GET …/connectors/{name}`: `connect.v1.Connector`.
    pub(super) fn info(&self) -> Value {
        let tasks: Vec<Value> = (0..self.tasks.len())
            .map(|i| json!({"connector": self.name, "task": i}))
            .collect();
        json!({"name": self.name, "config": self.masked_config(), "tasks": tasks, "type": self.kind})
    }

    pub(super) fn task_configs(&self) -> Value {
        let config = self.masked_config();
        Value::Array(
            (0..self.tasks.len())
                .map(|i| json!({"id": {"connector": self.name, "task": i}, "config": config}))
                .collect(),
        )
    }

    pub(super) fn set_all(&mut self, state: &str) {
        self.state = state.to_string();
        for t in &mut self.tasks {
            t.state = state.to_string();
            t.msg.clear();
        }
        self.trace.clear();
    }
}
