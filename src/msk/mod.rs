//! Amazon MSK Connect: the client of the `kafkaconnect` API (connectors and their state) and,
//! optionally, of CloudWatch (`AWS/KafkaConnect` task counts), through the official AWS SDK.
//!
//! Credentials come from the standard chain (environment, shared profile, web identity/IRSA,
//! container and instance metadata); the region is given. The SDK itself honours
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_KAFKACONNECT` and `AWS_ENDPOINT_URL_CLOUDWATCH` (and
//! `endpoint_url` in a shared profile), which is how tests point it at a stand-in.
//!
//! Every call is made once: the SDK's retries are off, so a throttling service never sees a
//! burst of retries; the observer's next interval is the retry. Every failure is a
//! [`ConnectError`] whose `path` names the operation.

mod cloudwatch;
mod error;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_sdk_kafkaconnect::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_kafkaconnect::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kafkaconnect::error::BoxError;
use aws_sdk_kafkaconnect::types::{CapacityDescription, ConnectorSummary};

use crate::connect::{ConnectError, Reason};

pub use cloudwatch::{MAX_QUERIES_PER_CALL, TaskCounts};
pub use error::classify_aws_error;

/// The largest page ListConnectors serves.
const PAGE_SIZE: i32 = 100;

/// What the MSK Connect client needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskSettings {
    /// The region whose connectors to observe, e.g. `eu-west-1`.
    pub region: String,
    /// Limit on each API call, connecting included.
    pub timeout: Duration,
    /// Also read `RunningTaskCount` and `ErroredTaskCount` from CloudWatch.
    pub cloudwatch_task_counts: bool,
}

/// The settings cannot make a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MskBuildError {
    #[error(
        "the AWS region {0:?} is not a region name: give the region of the MSK Connect \
         connectors, like eu-west-1"
    )]
    Region(String),
}

/// One MSK Connect connector, as ListConnectors describes it. Its configuration is never
/// kept: it can hold secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct MskConnector {
    pub name: String,
    pub arn: String,
    /// The last segment of the ARN (`{uuid}-{n}`): unique, unlike the name, which a deleted
    /// and re-created connector reuses. See [`connector_id`].
    pub id: String,
    /// `RUNNING`, `CREATING`, `UPDATING`, `DELETING`, `FAILED`, `RESTARTING`, or whatever new
    /// state the service sends, as it came.
    pub state: String,
    pub description: Option<String>,
    pub kafka_connect_version: Option<String>,
    pub capacity: Option<MskCapacity>,
    pub creation_time: Option<SystemTime>,
    pub current_version: Option<String>,
}

/// How many workers a connector runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MskCapacity {
    Provisioned {
        worker_count: i32,
        mcu_count: i32,
    },
    AutoScaling {
        min_worker_count: i32,
        max_worker_count: i32,
        mcu_count: i32,
    },
}

/// Why a connector is in its state (DescribeConnector's `stateDescription`), e.g. code
/// `UnknownError.ConnectorStartFailed` for a FAILED connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDescription {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// A client of MSK Connect (and CloudWatch) in one region. Cheap to clone; clones share the
/// connections and the request counter.
#[derive(Debug, Clone)]
pub struct MskClient {
    kafkaconnect: aws_sdk_kafkaconnect::Client,
    cloudwatch: Option<aws_sdk_cloudwatch::Client>,
    requests: Arc<AtomicU64>,
}

impl MskClient {
    /// A client configured from the process: the standard credential chain and the endpoint
    /// overrides from the environment and shared profile.
    pub async fn new(settings: &MskSettings) -> Result<MskClient, MskBuildError> {
        MskClient::from_loader(settings, aws_config::defaults(BehaviorVersion::latest())).await
    }

    /// A client configured from `loader`, on which the region, the timeouts and the
    /// one-attempt policy of `settings` are then set. Tests pass a loader with static
    /// credentials, an endpoint and `empty_test_environment()`, so neither the process
    /// environment nor `~/.aws` plays a part.
    pub async fn from_loader(
        settings: &MskSettings,
        loader: ConfigLoader,
    ) -> Result<MskClient, MskBuildError> {
        let region = settings.region.trim();
        let valid = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(MskBuildError::Region(settings.region.clone()));
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.timeout)
            .operation_attempt_timeout(settings.timeout)
            .operation_timeout(settings.timeout)
            .build();
        let sdk = loader
            .region(Region::new(region.to_string()))
            // One attempt per call: the SDK would otherwise retry throttling and 5xx answers
            // up to three times, with backoff, inside one observation.
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .load()
            .await;
        let requests = Arc::new(AtomicU64::new(0));
        let count = CountAttempts(requests.clone());
        let kafkaconnect = aws_sdk_kafkaconnect::Client::from_conf(
            aws_sdk_kafkaconnect::config::Builder::from(&sdk)
                .interceptor(count.clone())
                .build(),
        );
        let cloudwatch = settings.cloudwatch_task_counts.then(|| {
            aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&sdk)
                    .interceptor(count)
                    .build(),
            )
        });
        Ok(MskClient {
            kafkaconnect,
            cloudwatch,
            requests,
        })
    }

    /// HTTP requests sent so far, to both services (one per call, retries being off). Calls the
    /// credential providers make (STS, instance metadata) are not counted.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Every connector in the region: ListConnectors, 100 a page, every page.
    pub async fn list_connectors(&self) -> Result<Vec<MskConnector>, ConnectError> {
        const OP: &str = "ListConnectors";
        let mut connectors = Vec::new();
        let mut tokens_seen = HashSet::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .kafkaconnect
                .list_connectors()
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| error::from_sdk_error(OP, &e))?;
            for summary in page.connectors() {
                connectors.push(connector(summary)?);
            }
            match page.next_token().filter(|t| !t.is_empty()) {
                None => return Ok(connectors),
                // A token that comes back would page forever.
                Some(token) if !tokens_seen.insert(token.to_string()) => {
                    return Err(ConnectError::new(
                        Reason::Decode,
                        OP,
                        "the service sent a nextToken it had already sent",
                    ));
                }
                Some(token) => next_token = Some(token.to_string()),
            }
        }
    }

    /// DescribeConnector's `stateDescription` for the connector `arn` (`None` when the answer
    /// has none). A connector deleted since it was listed is an error with reason `NotFound`.
    pub async fn describe_connector(
        &self,
        arn: &str,
    ) -> Result<Option<StateDescription>, ConnectError> {
        let out = self
            .kafkaconnect
            .describe_connector()
            .connector_arn(arn)
            .send()
            .await
            .map_err(|e| error::from_sdk_error("DescribeConnector", &e))?;
        // Only the state description leaves this function: the output also holds the
        // connector's configuration.
        Ok(out.state_description().map(|d| StateDescription {
            code: d.code().map(str::to_string),
            message: d.message().map(str::to_string),
        }))
    }
}

/// The short id of a connector: the last segment of its ARN,
/// `arn:aws:kafkaconnect:{region}:{account}:connector/{name}/{uuid}-{n}` → `{uuid}-{n}`. An
/// ARN of another shape is its own id.
pub fn connector_id(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    match resource
        .strip_prefix("connector/")
        .and_then(|r| r.rsplit_once('/'))
    {
        Some((name, id)) if !name.is_empty() && !id.is_empty() => id,
        _ => arn,
    }
}

fn connector(s: &ConnectorSummary) -> Result<MskConnector, ConnectError> {
    let missing = |field: &str| {
        ConnectError::new(
            Reason::Decode,
            "ListConnectors",
            format!("a connector summary has no {field}"),
        )
    };
    let name = s.connector_name().ok_or_else(|| missing("connectorName"))?;
    let arn = s.connector_arn().ok_or_else(|| missing("connectorArn"))?;
    let state = s
        .connector_state()
        .ok_or_else(|| missing(&format!("connectorState (connector {name})")))?;
    Ok(MskConnector {
        name: name.to_string(),
        arn: arn.to_string(),
        id: connector_id(arn).to_string(),
        // as_str keeps an unknown state's text.
        state: state.as_str().to_string(),
        description: s.connector_description().map(str::to_string),
        kafka_connect_version: s.kafka_connect_version().map(str::to_string),
        capacity: s.capacity().and_then(capacity),
        creation_time: s
            .creation_time()
            .and_then(|t| SystemTime::try_from(*t).ok()),
        current_version: s.current_version().map(str::to_string),
    })
}

fn capacity(c: &CapacityDescription) -> Option<MskCapacity> {
    if let Some(p) = c.provisioned_capacity() {
        return Some(MskCapacity::Provisioned {
            worker_count: p.worker_count(),
            mcu_count: p.mcu_count(),
        });
    }
    c.auto_scaling().map(|a| MskCapacity::AutoScaling {
        min_worker_count: a.min_worker_count(),
        max_worker_count: a.max_worker_count(),
        mcu_count: a.mcu_count(),
    })
}

/// Counts every HTTP attempt just before it is sent.
#[derive(Debug, Clone)]
struct CountAttempts(Arc<AtomicU64>);

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "CountAttempts"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_ids_are_the_last_arn_segment() {
        assert_eq!(
            connector_id(
                "arn:aws:kafkaconnect:eu-west-1:123456789012:connector/orders-jdbc-source/\
                 5d1c0a2e-7f3b-4c8d-9e01-23456789abcd-2"
            ),
            "5d1c0a2e-7f3b-4c8d-9e01-23456789abcd-2"
        );
        assert_eq!(
            connector_id("arn:aws-cn:kafkaconnect:cn-north-1:123456789012:connector/a/b-1"),
            "b-1"
        );
        for odd in [
            "",
            "not-an-arn",
            "arn:aws:kafkaconnect:eu-west-1:123456789012:connector/no-id",
            "arn:aws:kafkaconnect:eu-west-1:123456789012:connector/name/",
            "arn:aws:kafkaconnect:eu-west-1:123456789012:custom-plugin/p/x-1",
        ] {
            assert_eq!(connector_id(odd), odd);
        }
    }

    #[tokio::test]
    async fn a_region_must_be_a_region_name() {
        for region in ["", "  ", "EU-WEST-1", "eu west 1", "https://x"] {
            let settings = MskSettings {
                region: region.to_string(),
                timeout: Duration::from_secs(1),
                cloudwatch_task_counts: false,
            };
            let err = MskClient::from_loader(
                &settings,
                aws_config::defaults(BehaviorVersion::latest()).empty_test_environment(),
            )
            .await
            .expect_err(region);
            assert_eq!(err, MskBuildError::Region(region.to_string()));
        }
        let err = MskBuildError::Region(String::new());
        assert_eq!(
            err.to_string(),
            "the AWS region \"\" is not a region name: give the region of the MSK Connect \
             connectors, like eu-west-1"
        );
    }
}
