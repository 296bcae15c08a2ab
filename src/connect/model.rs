//! The Kafka Connect REST API's response bodies, as the exporter reads them.
//!
//! Only what the metrics need is kept: connector config values are skipped while parsing (they
//! can hold plain-text secrets), except `connector.class` and `tasks.max`; a failure trace is
//! reduced to its exception class as it is read. Every field Connect may leave out is optional,
//! and an unknown state string is kept as it is, so nothing Connect sends makes parsing fail
//! unless the shape itself is wrong.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// `GET /`: the serving worker's version, commit and backing Kafka cluster id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ServerInfo {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub commit: String,
    #[serde(default)]
    pub kafka_cluster_id: Option<String>,
}

/// A connector's or task's state (`AbstractStatus.State`, less the internal DESTROYED).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum State {
    #[default]
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
    /// A state this exporter does not know (a newer Connect, a vendor's REST layer): reported
    /// as it came rather than hidden.
    Other(Box<str>),
}

/// The states a flavour reports, in the order the state-set metrics list them.
pub const APACHE_STATES: [&str; 6] = [
    "UNASSIGNED",
    "RUNNING",
    "PAUSED",
    "FAILED",
    "RESTARTING",
    "STOPPED",
];
/// Confluent Cloud's connector states.
pub const CLOUD_STATES: [&str; 7] = [
    "NONE",
    "PROVISIONING",
    "RUNNING",
    "DEGRADED",
    "FAILED",
    "PAUSED",
    "DELETED",
];
/// MSK Connect's connector states (the 2021-09-14 model's five, and RESTARTING of the current
/// SDK).
pub const MSK_STATES: [&str; 6] = [
    "CREATING",
    "RUNNING",
    "UPDATING",
    "DELETING",
    "FAILED",
    "RESTARTING",
];

impl State {
    /// The states Apache Kafka Connect has, in the order the state-set metrics list them.
    pub const KNOWN: [State; 6] = [
        State::Unassigned,
        State::Running,
        State::Paused,
        State::Failed,
        State::Restarting,
        State::Stopped,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
            State::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> State {
        match s {
            "UNASSIGNED" => State::Unassigned,
            "RUNNING" => State::Running,
            "PAUSED" => State::Paused,
            "FAILED" => State::Failed,
            "RESTARTING" => State::Restarting,
            "STOPPED" => State::Stopped,
            other => State::Other(other.into()),
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(State::parse(&s))
    }
}

/// `GET /connectors/{name}/status` (ConnectorStateInfo), also the `status` of an expanded listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectorStatus {
    pub name: String,
    pub connector: StateEntry,
    #[serde(default)]
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// The state of a connector, with the worker that reported it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StateEntry {
    pub state: State,
    #[serde(default)]
    pub worker_id: String,
    /// The exception class of the trace, when Connect reported one.
    #[serde(default, rename = "trace", deserialize_with = "exception_of_trace")]
    pub exception: Option<String>,
    /// The plugin's version (Kafka 4.1+, KIP-891).
    #[serde(default)]
    pub version: Option<String>,
}

/// One task's state within a ConnectorStateInfo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskState {
    pub id: u32,
    pub state: State,
    #[serde(default)]
    pub worker_id: String,
    /// From Apache's `trace`, or Confluent Cloud's `msg`.
    #[serde(
        default,
        rename = "trace",
        alias = "msg",
        deserialize_with = "exception_of_trace"
    )]
    pub exception: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// `GET /connectors/{name}` (ConnectorInfo), also the `info` of an expanded listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectorInfo {
    pub name: String,
    #[serde(default)]
    pub config: ConnectorConfig,
    /// Absent in Confluent Cloud's expanded `info`.
    #[serde(default)]
    pub tasks: Option<Vec<TaskId>>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// The config keys the exporter reads; every other key is skipped unread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConnectorConfig {
    #[serde(rename = "connector.class", default)]
    pub class: Option<String>,
    #[serde(rename = "tasks.max", default)]
    pub tasks_max: Option<String>,
    /// A sink's own consumer group, instead of Connect's `connect-{name}`.
    #[serde(rename = "consumer.override.group.id", default)]
    pub consumer_group: Option<String>,
}

/// `GET /connectors/{name}/topics`: `{"{name}": {"topics": [...]}}` (Kafka 2.5+, KIP-558).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActiveTopics {
    #[serde(default)]
    pub topics: Vec<String>,
}

/// `GET /health` (Kafka 3.9+, KIP-1017): `{"status": "healthy", "message": "…"}`, the same
/// shape with status `starting` or `unhealthy` on 503 and 500.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Health {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub message: String,
}

/// `{"connector": name, "task": id}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskId {
    #[serde(default)]
    pub connector: String,
    pub task: u32,
}

/// One element of `GET /connectors/{name}/tasks`; the task config is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskInfo {
    pub id: TaskId,
}

/// One value of `GET /connectors?expand=status&expand=info` (and Confluent Cloud's `id`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expanded {
    #[serde(default)]
    pub status: Option<ConnectorStatus>,
    #[serde(default)]
    pub info: Option<ConnectorInfo>,
    #[serde(default)]
    pub id: Option<ConnectorId>,
}

/// Confluent Cloud's `{"id": "lcc-…", "id_type": "ID"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConnectorId {
    pub id: String,
}

/// What `GET /connectors?expand=…` answered: Kafka 2.3 and newer give the map (each entry
/// already turned into a `T` as it was read), older versions ignore `expand` and give the plain
/// list of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing<T> {
    Expanded(Vec<T>),
    NamesOnly(Vec<String>),
}

/// Reads the expanded listing's map entry by entry and hands each to `each`, so that at
/// thousands of connectors the whole map of parsed entries never exists at once.
pub(crate) struct EachEntry<'f, F>(pub &'f mut F);

impl<'de, T, F: FnMut(String, Expanded) -> T> serde::de::DeserializeSeed<'de> for EachEntry<'_, F> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T, F: FnMut(String, Expanded) -> T> serde::de::Visitor<'de> for EachEntry<'_, F> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of connector names to their status and info")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(name) = map.next_key::<String>()? {
            let entry: Expanded = map.next_value()?;
            out.push((self.0)(name, entry));
        }
        Ok(out)
    }
}

/// The first line of a Java stack trace is `exception.Class: message`; only the class is kept,
/// because the message can quote configuration (a JDBC URL with its password, say).
pub fn exception_class(trace: &str) -> Option<String> {
    let first = trace.lines().next()?.trim();
    let class = first.split(':').next()?.trim();
    let class: String = class.chars().take(200).collect();
    let looks_like_class = !class.is_empty()
        && class
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '$' | '_'));
    Some(if looks_like_class {
        class
    } else {
        "unknown".to_string()
    })
}

fn exception_of_trace<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let trace = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
    Ok(trace.and_then(|t| {
        if t.trim().is_empty() {
            None
        } else {
            exception_class(&t)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_class_keeps_only_the_class() {
        assert_eq!(
            exception_class(
                "org.apache.kafka.connect.errors.ConnectException: jdbc:pg://u:secret@db\n\tat x"
            ),
            Some("org.apache.kafka.connect.errors.ConnectException".to_string())
        );
        assert_eq!(
            exception_class("java.lang.NullPointerException\n\tat y"),
            Some("java.lang.NullPointerException".to_string())
        );
        assert_eq!(
            exception_class("something odd happened"),
            Some("unknown".to_string())
        );
        assert_eq!(exception_class(""), None);
    }

    #[test]
    fn unknown_states_are_kept() {
        assert_eq!(State::parse("RUNNING"), State::Running);
        assert_eq!(State::parse("DEGRADED").as_str(), "DEGRADED");
    }

    #[test]
    fn status_with_kafka_41_version_fields_parses() {
        let body =
            include_str!("../../tests/fixtures/connector-orders-jdbc-source-status-kafka41.json");
        let s: ConnectorStatus = serde_json::from_str(body).expect("fixture parses");
        assert_eq!(s.tasks.len(), 2);
        assert_eq!(s.connector.state, State::Running);
    }

    #[test]
    fn info_keeps_class_and_tasks_max_only() {
        let body = include_str!("../../tests/fixtures/connector-orders-jdbc-source.json");
        let i: ConnectorInfo = serde_json::from_str(body).expect("fixture parses");
        assert_eq!(
            i.config.class.as_deref(),
            Some("io.confluent.connect.jdbc.JdbcSourceConnector")
        );
        assert_eq!(i.config.tasks_max.as_deref(), Some("2"));
        assert!(!format!("{i:?}").contains("password"));
    }
}
