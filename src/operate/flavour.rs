//! What each flavour of Connect offers, and how an operation maps onto its API: Apache Connect
//! by version (restart with `includeTasks`/`onlyFailed` from 3.0, stop from 3.5), Confluent Cloud
//! (pause, resume, and a restart of the connector with all its tasks), MSK Connect (none of
//! them). Pure: the version comes in, the step to take or the reason it cannot comes out.

use std::fmt;

use super::Operation;

pub use crate::config::Flavour;

/// What the operations need to know of each flavour.
impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Apache => "Apache Kafka Connect",
            Flavour::ConfluentCloud => "Confluent Cloud",
            Flavour::Msk => "MSK Connect",
        }
    }

    /// The restart auto-restart asks for: the failed connector and its failed tasks where the
    /// service can tell them apart, the connector with all its tasks on Confluent Cloud, and
    /// nothing on MSK Connect.
    pub fn auto_restart(self) -> Option<Operation> {
        match self {
            Flavour::Apache => Some(Operation::Restart {
                include_tasks: true,
                only_failed: true,
            }),
            Flavour::ConfluentCloud => Some(Operation::Restart {
                include_tasks: true,
                only_failed: false,
            }),
            Flavour::Msk => None,
        }
    }
}

/// The Kafka version a Connect worker reports in `GET /`, as (major, minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KafkaVersion(pub u32, pub u32);

impl KafkaVersion {
    /// Reads `3.9.0`, `2.8.1`, `4.1.0-SNAPSHOT`, and Confluent Platform's own numbering
    /// (`7.6.1-ccs`, `7.6.1-ce`), where 7.x is Kafka 3.x, 8.x Kafka 4.x and 6.x and older Kafka
    /// 2.x. `None` when it cannot be read.
    pub fn parse(version: &str) -> Option<KafkaVersion> {
        let (number, suffix) = match version.trim().split_once('-') {
            Some((n, s)) => (n, s),
            None => (version.trim(), ""),
        };
        let mut parts = number.split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let confluent =
            matches!(suffix, "ccs" | "ce") || suffix.starts_with("ccs") || suffix.starts_with("ce");
        Some(if confluent {
            match major {
                0..=6 => KafkaVersion(2, 0),
                7 => KafkaVersion(3, minor),
                m => KafkaVersion(m - 4, minor),
            }
        } else {
            KafkaVersion(major, minor)
        })
    }
}

impl fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The call (or calls) that carry out an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Inspect,
    Pause,
    Resume,
    Stop,
    /// `POST …/restart?includeTasks=&onlyFailed=`.
    Restart {
        include_tasks: bool,
        only_failed: bool,
    },
    /// Before 3.0: the connector's restart and one restart per task, as the status asks.
    RestartOneByOne {
        include_tasks: bool,
        only_failed: bool,
    },
    /// `POST …/restart` alone (Confluent Cloud: the connector and all its tasks).
    RestartWhole,
    RestartTask(u32),
}

/// Whether the operation needs the cluster's version to be planned.
pub fn needs_version(flavour: Flavour, op: Operation) -> bool {
    flavour == Flavour::Apache && matches!(op, Operation::Stop | Operation::Restart { .. })
}

/// The step for `op` on a cluster of `flavour` at `version` (when [`needs_version`]), or why it
/// cannot be done there.
pub fn plan(
    flavour: Flavour,
    op: Operation,
    version: Option<KafkaVersion>,
    raw_version: &str,
) -> Result<Step, String> {
    match flavour {
        Flavour::Apache => Ok(match op {
            Operation::Inspect => Step::Inspect,
            Operation::Pause => Step::Pause,
            Operation::Resume => Step::Resume,
            Operation::Stop => match version {
                Some(v) if v >= KafkaVersion(3, 5) => Step::Stop,
                _ => {
                    return Err(format!(
                        "stopping a connector needs Kafka Connect 3.5 or later; this cluster \
                         reports version \"{raw_version}\""
                    ));
                }
            },
            Operation::Restart {
                include_tasks,
                only_failed,
            } => match version {
                Some(v) if v >= KafkaVersion(3, 0) => Step::Restart {
                    include_tasks,
                    only_failed,
                },
                // Before 3.0 (or a version that cannot be read) Connect ignores the parameters:
                // the same restart is made one call at a time, which every version serves.
                _ => Step::RestartOneByOne {
                    include_tasks,
                    only_failed,
                },
            },
            Operation::RestartTask(t) => Step::RestartTask(t),
        }),
        Flavour::ConfluentCloud => match op {
            Operation::Inspect => Ok(Step::Inspect),
            Operation::Pause => Ok(Step::Pause),
            Operation::Resume => Ok(Step::Resume),
            Operation::Restart {
                include_tasks: true,
                only_failed: false,
            } => Ok(Step::RestartWhole),
            Operation::Restart { .. } => Err(
                "Confluent Cloud restarts a connector with all its tasks, nothing less; ask with \
                 include_tasks=true&only_failed=false"
                    .to_string(),
            ),
            Operation::Stop => {
                Err("Confluent Cloud has no stop; pause the connector instead".to_string())
            }
            Operation::RestartTask(_) => Err(
                "Confluent Cloud cannot restart one task; restart the connector with \
                 include_tasks=true"
                    .to_string(),
            ),
        },
        Flavour::Msk => Err(match op {
            Operation::Inspect => "the exporter does not read MSK Connect configurations; \
                                   use aws kafkaconnect describe-connector"
                .to_string(),
            other => format!(
                "MSK Connect has no {} operation in its API",
                other.name().replace('_', " ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_apache_and_confluent_platform_report_them() {
        let rows = [
            ("3.9.0", Some(KafkaVersion(3, 9))),
            ("2.8.1", Some(KafkaVersion(2, 8))),
            ("3.0.0", Some(KafkaVersion(3, 0))),
            ("4.1.0-SNAPSHOT", Some(KafkaVersion(4, 1))),
            ("7.6.1-ccs", Some(KafkaVersion(3, 6))),
            ("7.0.0-ce", Some(KafkaVersion(3, 0))),
            ("6.2.4-ccs", Some(KafkaVersion(2, 0))),
            ("8.0.0-ccs", Some(KafkaVersion(4, 0))),
            ("", None),
            ("unknown", None),
            ("3", None),
        ];
        for (raw, want) in rows {
            assert_eq!(KafkaVersion::parse(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn each_flavour_plans_what_its_service_offers() {
        let restart = |include_tasks, only_failed| Operation::Restart {
            include_tasks,
            only_failed,
        };
        let v = |s: &str| KafkaVersion::parse(s);
        use Flavour::*;
        let rows: Vec<(Flavour, Operation, &str, Result<Step, &str>)> = vec![
            (
                Apache,
                restart(true, true),
                "3.9.0",
                Ok(Step::Restart {
                    include_tasks: true,
                    only_failed: true,
                }),
            ),
            (
                Apache,
                restart(false, false),
                "3.0.0",
                Ok(Step::Restart {
                    include_tasks: false,
                    only_failed: false,
                }),
            ),
            (
                Apache,
                restart(true, true),
                "2.8.1",
                Ok(Step::RestartOneByOne {
                    include_tasks: true,
                    only_failed: true,
                }),
            ),
            (
                Apache,
                restart(true, false),
                "6.2.0-ccs",
                Ok(Step::RestartOneByOne {
                    include_tasks: true,
                    only_failed: false,
                }),
            ),
            (
                Apache,
                restart(true, true),
                "weird",
                Ok(Step::RestartOneByOne {
                    include_tasks: true,
                    only_failed: true,
                }),
            ),
            (Apache, Operation::Stop, "3.5.0", Ok(Step::Stop)),
            (
                Apache,
                Operation::Stop,
                "3.4.1",
                Err(
                    "stopping a connector needs Kafka Connect 3.5 or later; this cluster reports version \"3.4.1\"",
                ),
            ),
            (
                Apache,
                Operation::RestartTask(2),
                "2.0.0",
                Ok(Step::RestartTask(2)),
            ),
            (Apache, Operation::Pause, "", Ok(Step::Pause)),
            (ConfluentCloud, Operation::Pause, "", Ok(Step::Pause)),
            (ConfluentCloud, Operation::Resume, "", Ok(Step::Resume)),
            (
                ConfluentCloud,
                restart(true, false),
                "",
                Ok(Step::RestartWhole),
            ),
            (
                ConfluentCloud,
                restart(true, true),
                "",
                Err(
                    "Confluent Cloud restarts a connector with all its tasks, nothing less; ask with include_tasks=true&only_failed=false",
                ),
            ),
            (
                ConfluentCloud,
                Operation::Stop,
                "",
                Err("Confluent Cloud has no stop; pause the connector instead"),
            ),
            (
                ConfluentCloud,
                Operation::RestartTask(0),
                "",
                Err(
                    "Confluent Cloud cannot restart one task; restart the connector with include_tasks=true",
                ),
            ),
            (ConfluentCloud, Operation::Inspect, "", Ok(Step::Inspect)),
            (
                Msk,
                Operation::Pause,
                "",
                Err("MSK Connect has no pause operation in its API"),
            ),
            (
                Msk,
                restart(true, true),
                "",
                Err("MSK Connect has no restart operation in its API"),
            ),
            (
                Msk,
                Operation::RestartTask(0),
                "",
                Err("MSK Connect has no restart task operation in its API"),
            ),
            (
                Msk,
                Operation::Inspect,
                "",
                Err(
                    "the exporter does not read MSK Connect configurations; use aws kafkaconnect describe-connector",
                ),
            ),
        ];
        for (flavour, op, version, want) in rows {
            assert_eq!(
                plan(flavour, op, v(version), version),
                want.map_err(str::to_string),
                "{flavour:?} {op:?} {version}"
            );
        }
        assert!(needs_version(Apache, restart(true, true)));
        assert!(!needs_version(Apache, Operation::Pause));
        assert!(!needs_version(ConfluentCloud, restart(true, false)));
    }
}
