//! What the MSK stand-in serves: connector summaries in the shape of
//! `tests/fixtures/msk-list-connectors.json`, the state descriptions DescribeConnector adds, and
//! the CloudWatch task counts of each connector.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const LIST_FIXTURE: &str = include_str!("../fixtures/msk-list-connectors.json");
pub const DESCRIBE_FIXTURE: &str = include_str!("../fixtures/msk-describe-connector.json");
pub const ACCOUNT: &str = "123456789012";

/// A connector's CloudWatch task counts, newest datapoint first, one a minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSeries {
    #[serde(default)]
    pub running: Vec<f64>,
    #[serde(default)]
    pub errored: Vec<f64>,
}

/// What the stand-in serves. As JSON (the `--data` file, `PUT /_standin/data`):
/// `{"connectors": [ConnectorSummary…], "stateDescriptions": {arn: {code, message}},
/// "taskCounts": {name: {"running": [n…], "errored": [n…]}}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MskData {
    #[serde(default)]
    pub connectors: Vec<Value>,
    #[serde(default)]
    pub state_descriptions: BTreeMap<String, Value>,
    #[serde(default)]
    pub task_counts: BTreeMap<String, TaskSeries>,
}

impl MskData {
    /// The fixture's four connectors, its FAILED one's state description, and task counts by
    /// [`MskData::default_task_counts`].
    pub fn fixture() -> MskData {
        let list: Value = serde_json::from_str(LIST_FIXTURE).expect("the list fixture is JSON");
        let mut data = MskData {
            connectors: list["connectors"].as_array().cloned().unwrap_or_default(),
            ..MskData::default()
        };
        data.describe_failed();
        data.default_task_counts();
        data
    }

    /// `n` connectors cycling through the fixture's four (same states and capacities), named
    /// `{fixture name}-{i:05}`, with ARNs in `region`.
    pub fn generated(n: usize, region: &str) -> MskData {
        let list: Value = serde_json::from_str(LIST_FIXTURE).expect("the list fixture is JSON");
        let templates = list["connectors"].as_array().cloned().unwrap_or_default();
        let connectors = (0..n)
            .map(|i| {
                let mut c = templates[i % templates.len()].clone();
                let base = c["connectorName"]
                    .as_str()
                    .unwrap_or("connector")
                    .to_string();
                let name = format!("{base}-{i:05}");
                c["connectorArn"] = Value::String(arn(region, &name, i));
                c["connectorName"] = Value::String(name);
                c
            })
            .collect();
        let mut data = MskData {
            connectors,
            ..MskData::default()
        };
        data.describe_failed();
        data.default_task_counts();
        data
    }

    /// Every FAILED connector without one gets the describe fixture's state description.
    pub fn describe_failed(&mut self) {
        let describe: Value =
            serde_json::from_str(DESCRIBE_FIXTURE).expect("the describe fixture is JSON");
        for c in &self.connectors {
            if c["connectorState"] == "FAILED"
                && let Some(arn) = c["connectorArn"].as_str()
            {
                self.state_descriptions
                    .entry(arn.to_string())
                    .or_insert_with(|| describe["stateDescription"].clone());
            }
        }
    }

    /// RUNNING and UPDATING connectors: 2 running, 0 errored; FAILED: 0 running, 1 errored;
    /// CREATING and DELETING: no datapoints (MSK publishes none before a connector runs).
    pub fn default_task_counts(&mut self) {
        for c in &self.connectors {
            let series = match c["connectorState"].as_str() {
                Some("RUNNING" | "UPDATING") => TaskSeries {
                    running: vec![2.0],
                    errored: vec![0.0],
                },
                Some("FAILED") => TaskSeries {
                    running: vec![0.0],
                    errored: vec![1.0],
                },
                _ => continue,
            };
            if let Some(name) = c["connectorName"].as_str() {
                self.task_counts.insert(name.to_string(), series);
            }
        }
    }
}

/// A connector ARN in the fixture's form: `…:connector/{name}/{uuid}-{n}`.
pub fn arn(region: &str, name: &str, i: usize) -> String {
    format!(
        "arn:aws:kafkaconnect:{region}:{ACCOUNT}:connector/{name}/{:08x}-0000-4000-8000-{:012x}-1",
        i as u32, i
    )
}
