//! The MSK Connect client against the MSK Connect + CloudWatch stand-in, through the SDK's
//! endpoint override, with static test credentials and no look at the process environment:
//! paging, signatures, state descriptions, CloudWatch batching, and every failure's reason.
//! `tests/msk_env.rs` runs the client as the exporter builds it, from the environment.

#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use kconnect_exporter::connect::Reason;
use kconnect_exporter::msk::{
    MskCapacity, MskClient, MskConnector, MskSettings, StateDescription, TaskCounts,
};
use msk_standin::{
    MskData, MskStandin, MskStandinConfig, Operation, Signature, StaticCredentials, TaskSeries,
};
use running::Running;

const REGION: &str = "eu-west-1";

struct Standin {
    state: Arc<MskStandin>,
    server: Running,
}

fn standin(data: MskData) -> Standin {
    let state = MskStandin::new(MskStandinConfig::default(), data);
    let server = Running::start(msk_standin::router(state.clone()));
    Standin { state, server }
}

fn settings(cloudwatch: bool) -> MskSettings {
    MskSettings {
        region: REGION.into(),
        timeout: Duration::from_secs(10),
        cloudwatch_task_counts: cloudwatch,
    }
}

/// A loader that sees neither this process's environment nor `~/.aws`.
fn loader(url: &str, creds: impl ProvideCredentials + 'static) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .credentials_provider(creds)
        .endpoint_url(url)
}

fn static_creds(c: &StaticCredentials) -> Credentials {
    Credentials::new(
        &c.access_key_id,
        &c.secret_access_key,
        c.session_token.clone(),
        None,
        "test",
    )
}

async fn client(s: &Standin, settings: &MskSettings) -> MskClient {
    let creds = static_creds(&s.state.config.credentials);
    MskClient::from_loader(settings, loader(&s.server.url(), creds))
        .await
        .expect("the client builds")
}

fn verified_as(service: &str) -> Signature {
    Signature::Verified {
        region: REGION.into(),
        service: service.into(),
    }
}

#[tokio::test]
async fn every_page_of_list_connectors_is_read_and_signed_for_kafkaconnect() {
    let s = standin(MskData::generated(250, REGION));
    let c = client(&s, &settings(false)).await;

    let connectors = c.list_connectors().await.expect("listing succeeds");

    let names: Vec<&str> = connectors.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 250);
    assert_eq!(names[0], "orders-jdbc-source-00000");
    assert_eq!(names[249], "payments-s3-sink-00249");
    let requests = s.state.requests();
    let seen: Vec<(Operation, &str, Option<&str>)> = requests
        .iter()
        .map(|r| (r.operation, r.path.as_str(), r.query.as_deref()))
        .collect();
    // The fixture's token form: base64 of {"v":1,"offset":n}.
    assert_eq!(
        seen,
        [
            (
                Operation::ListConnectors,
                "/v1/connectors",
                Some("maxResults=100")
            ),
            (
                Operation::ListConnectors,
                "/v1/connectors",
                Some("maxResults=100&nextToken=eyJ2IjoxLCJvZmZzZXQiOjEwMH0%3D")
            ),
            (
                Operation::ListConnectors,
                "/v1/connectors",
                Some("maxResults=100&nextToken=eyJ2IjoxLCJvZmZzZXQiOjIwMH0%3D")
            ),
        ]
    );
    for r in &requests {
        assert_eq!(r.signature, verified_as("kafkaconnect"), "{r:?}");
        assert_eq!((r.method.as_str(), r.status), ("GET", 200));
    }
    assert_eq!(s.state.signature_counts(), (3, 0));
    assert_eq!(c.requests_sent(), 3);
}

#[tokio::test]
async fn a_connector_carries_every_summary_field_and_no_configuration() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(false)).await;

    let connectors = c.list_connectors().await.expect("listing succeeds");

    let created = UNIX_EPOCH + Duration::from_millis(1_727_856_871_512);
    assert_eq!(
        connectors[0],
        MskConnector {
            name: "orders-jdbc-source".into(),
            arn: "arn:aws:kafkaconnect:eu-west-1:123456789012:connector/orders-jdbc-source/\
                  5d1c0a2e-7f3b-4c8d-9e01-23456789abcd-2"
                .into(),
            id: "5d1c0a2e-7f3b-4c8d-9e01-23456789abcd-2".into(),
            state: "RUNNING".into(),
            description: Some("JDBC source for shop.orders".into()),
            kafka_connect_version: Some("3.7.x".into()),
            capacity: Some(MskCapacity::AutoScaling {
                min_worker_count: 1,
                max_worker_count: 4,
                mcu_count: 1
            }),
            creation_time: Some(created),
            current_version: Some("K3Z8XW1QPL0ABC".into()),
        }
    );
    assert_eq!(
        connectors[1].capacity,
        Some(MskCapacity::Provisioned {
            worker_count: 2,
            mcu_count: 2
        })
    );
    let states: Vec<&str> = connectors.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(states, ["RUNNING", "UPDATING", "FAILED", "CREATING"]);
}

#[tokio::test]
async fn states_the_sdk_does_not_know_are_kept_as_they_came() {
    let mut data = MskData::fixture();
    data.connectors[0]["connectorState"] = "HIBERNATING".into();
    data.connectors[1]["connectorState"] = "RESTARTING".into();
    data.connectors[2]["connectorState"] = "DELETING".into();
    let s = standin(data);
    let c = client(&s, &settings(false)).await;

    let connectors = c.list_connectors().await.expect("listing succeeds");

    let states: Vec<&str> = connectors.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(
        states,
        ["HIBERNATING", "RESTARTING", "DELETING", "CREATING"]
    );
}

#[tokio::test]
async fn a_failed_connectors_state_description_is_fetched() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(false)).await;
    let connectors = c.list_connectors().await.expect("listing succeeds");
    let failed = connectors
        .iter()
        .find(|c| c.state == "FAILED")
        .expect("the fixture has a FAILED connector");

    let description = c
        .describe_connector(&failed.arn)
        .await
        .expect("describe succeeds");

    assert_eq!(
        description,
        Some(StateDescription {
            code: Some("UnknownError.ConnectorStartFailed".into()),
            message: Some(
                "The connector failed to start. Check the connector logs in CloudWatch for \
                 details."
                    .into()
            ),
        })
    );
    let running = &connectors[0];
    assert_eq!(c.describe_connector(&running.arn).await, Ok(None));
    let requests = s.state.requests();
    let describe = &requests[1];
    assert_eq!(describe.operation, Operation::DescribeConnector);
    assert_eq!(
        describe.path,
        "/v1/connectors/arn%3Aaws%3Akafkaconnect%3Aeu-west-1%3A123456789012%3Aconnector%2F\
         inventory-cdc-source%2Fa0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d-1"
    );
    assert_eq!(describe.signature, verified_as("kafkaconnect"));
    assert_eq!(s.state.signature_counts(), (3, 0));
}

#[tokio::test]
async fn a_connector_deleted_since_the_listing_is_not_found() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(false)).await;
    let arn = msk_standin::arn(REGION, "gone", 7);

    let err = c.describe_connector(&arn).await.expect_err("unknown ARN");

    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::NotFound, "DescribeConnector", Some(404))
    );
    assert_eq!(
        err.detail,
        format!("HTTP 404 NotFoundException: The resource {arn} was not found.")
    );
}

#[tokio::test]
async fn throttling_is_rate_limited_after_a_single_attempt() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(true)).await;
    s.state.throttle_next(10);

    let err = c.list_connectors().await.expect_err("throttled");
    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::RateLimited, "ListConnectors", Some(429))
    );
    assert_eq!(
        err.detail,
        "HTTP 429 TooManyRequestsException: Rate exceeded"
    );

    let err = c
        .task_counts(&["orders-jdbc-source".to_string()])
        .await
        .expect_err("throttled");
    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::RateLimited, "GetMetricData", Some(400))
    );
    assert_eq!(err.detail, "HTTP 400 Throttling: Rate exceeded");

    // No retry: one request per call reached the service.
    let ops: Vec<Operation> = s.state.requests().iter().map(|r| r.operation).collect();
    assert_eq!(ops, [Operation::ListConnectors, Operation::GetMetricData]);
    assert_eq!(c.requests_sent(), 2);
}

#[tokio::test]
async fn rejected_credentials_are_auth() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(true)).await;
    s.state.reject_credentials(true);

    let err = c.list_connectors().await.expect_err("rejected");
    assert_eq!((err.reason, err.status), (Reason::Auth, Some(403)));
    assert_eq!(
        err.detail,
        "HTTP 403 UnrecognizedClientException: The security token included in the request is \
         invalid."
    );
    let err = c
        .task_counts(&["orders-jdbc-source".to_string()])
        .await
        .expect_err("rejected");
    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::Auth, "GetMetricData", Some(403))
    );
    assert_eq!(
        err.detail,
        "HTTP 403 InvalidClientTokenId: The security token included in the request is invalid."
    );
}

#[tokio::test]
async fn a_wrong_secret_fails_the_stand_ins_signature_check() {
    let s = standin(MskData::fixture());
    let mut wrong = s.state.config.credentials.clone();
    wrong.secret_access_key = "not-the-secret".into();
    let c = MskClient::from_loader(
        &settings(false),
        loader(&s.server.url(), static_creds(&wrong)),
    )
    .await
    .expect("the client builds");

    let err = c.list_connectors().await.expect_err("bad signature");

    assert_eq!((err.reason, err.status), (Reason::Auth, Some(403)));
    assert!(
        err.detail.starts_with(
            "HTTP 403 InvalidSignatureException: The request signature we calculated does not \
             match the signature you provided."
        ),
        "{}",
        err.detail
    );
    assert!(!err.detail.contains("not-the-secret"));
    assert_eq!(s.state.signature_counts(), (0, 1));
}

#[tokio::test]
async fn a_signature_for_another_region_is_refused() {
    let s = standin(MskData::fixture());
    let mut other = settings(false);
    other.region = "us-east-1".into();
    let c = client(&s, &other).await;

    let err = c.list_connectors().await.expect_err("wrong region");

    assert_eq!(err.reason, Reason::Auth);
    assert_eq!(
        err.detail,
        "HTTP 403 InvalidSignatureException: Credential should be scoped to a valid region, not \
         'us-east-1'."
    );
    assert_eq!(s.state.signature_counts(), (0, 1));
}

/// A credential chain that found nothing, as the default chain reports it.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

#[tokio::test]
async fn missing_credentials_are_auth_and_send_nothing() {
    let s = standin(MskData::fixture());
    let c = MskClient::from_loader(&settings(false), loader(&s.server.url(), NoCredentials))
        .await
        .expect("the client builds");

    let err = c.list_connectors().await.expect_err("no credentials");

    assert_eq!((err.reason, err.status), (Reason::Auth, None));
    assert_eq!(
        err.detail,
        "the credential provider was not enabled: no providers in chain provided credentials"
    );
    assert_eq!(s.state.requests().len(), 0);
    assert_eq!(c.requests_sent(), 0);
}

#[tokio::test]
async fn a_refused_endpoint_is_connect() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let c = MskClient::from_loader(
        &settings(false),
        loader(
            &format!("http://{closed}"),
            static_creds(&StaticCredentials::default()),
        ),
    )
    .await
    .expect("the client builds");

    let err = c.list_connectors().await.expect_err("refused");

    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::Connect, "ListConnectors", None)
    );
    assert_eq!(
        err.detail,
        "client error (Connect): tcp connect error: Connection refused (os error 111)"
    );
    assert_eq!(c.requests_sent(), 1);
}

#[tokio::test]
async fn a_slow_endpoint_is_timeout() {
    let s = standin(MskData::fixture());
    s.state.set_delay(Duration::from_millis(1500));
    let mut quick = settings(false);
    quick.timeout = Duration::from_millis(200);
    let c = client(&s, &quick).await;

    let err = c.list_connectors().await.expect_err("too slow");

    assert_eq!(
        (err.reason, err.request.as_str(), err.status),
        (Reason::Timeout, "ListConnectors", None)
    );
}

#[tokio::test]
async fn task_counts_are_batched_500_queries_a_call_and_come_back_per_connector() {
    let mut data = MskData::generated(300, REGION);
    // Newest first: the client must report 3, not 2.
    data.task_counts.insert(
        "orders-jdbc-source-00000".into(),
        TaskSeries {
            running: vec![3.0, 2.0],
            errored: vec![0.0, 1.0],
        },
    );
    let s = standin(data);
    let c = client(&s, &settings(true)).await;
    let names: Vec<String> = c
        .list_connectors()
        .await
        .expect("listing succeeds")
        .into_iter()
        .map(|c| c.name)
        .collect();
    s.state.clear_requests();

    let counts = c.task_counts(&names).await.expect("task counts");

    let requests = s.state.requests();
    let calls: Vec<(Operation, &str, usize)> = requests
        .iter()
        .map(|r| (r.operation, r.method.as_str(), r.metric_queries))
        .collect();
    assert_eq!(
        calls,
        [
            (Operation::GetMetricData, "POST", 500),
            (Operation::GetMetricData, "POST", 100)
        ]
    );
    for r in &requests {
        assert_eq!(r.signature, verified_as("monitoring"), "{r:?}");
        assert_eq!(
            r.path,
            "/service/GraniteServiceVersion20100801/operation/GetMetricData"
        );
    }
    // The fixture's states cycle RUNNING, UPDATING, FAILED, CREATING; a CREATING connector has
    // no datapoints and so no entry.
    assert_eq!(counts.len(), 225);
    let both = |running, errored| TaskCounts {
        running: Some(running),
        errored: Some(errored),
    };
    assert_eq!(counts["orders-jdbc-source-00000"], both(3.0, 0.0));
    assert_eq!(counts["payments-s3-sink-00001"], both(2.0, 0.0));
    assert_eq!(counts["inventory-cdc-source-00002"], both(0.0, 1.0));
    assert_eq!(counts.get("audit-log-sink-00003"), None);
    assert_eq!(counts["orders-jdbc-source-00296"], both(2.0, 0.0));
    assert_eq!(c.requests_sent(), 3 + 2);
}

#[tokio::test]
async fn task_counts_follow_next_token_and_keep_partial_series() {
    let mut data = MskData::fixture();
    data.task_counts.insert(
        "audit-log-sink".into(),
        TaskSeries {
            running: vec![1.0],
            errored: vec![],
        },
    );
    let s = standin(data);
    s.state.set_metric_results_per_page(Some(3));
    let c = client(&s, &settings(true)).await;
    let names: Vec<String> = [
        "orders-jdbc-source",
        "payments-s3-sink",
        "inventory-cdc-source",
        "audit-log-sink",
        "orders-jdbc-source",
        "no-such-connector",
    ]
    .map(String::from)
    .to_vec();

    let counts = c.task_counts(&names).await.expect("task counts");

    let tokens: Vec<usize> = s
        .state
        .requests()
        .iter()
        .map(|r| r.metric_queries)
        .collect();
    // Five distinct names, ten queries, pages of three results: four calls.
    assert_eq!(tokens, [10, 10, 10, 10]);
    let expected: HashMap<String, TaskCounts> = [
        ("orders-jdbc-source", Some(2.0), Some(0.0)),
        ("payments-s3-sink", Some(2.0), Some(0.0)),
        ("inventory-cdc-source", Some(0.0), Some(1.0)),
        ("audit-log-sink", Some(1.0), None),
    ]
    .into_iter()
    .map(|(n, running, errored)| (n.to_string(), TaskCounts { running, errored }))
    .collect();
    assert_eq!(counts, expected);
}

#[tokio::test]
async fn without_cloudwatch_task_counts_nothing_is_sent() {
    let s = standin(MskData::fixture());
    let c = client(&s, &settings(false)).await;

    let counts = c
        .task_counts(&["orders-jdbc-source".to_string()])
        .await
        .expect("no call, no error");

    assert!(counts.is_empty());
    assert_eq!(s.state.requests().len(), 0);
    assert_eq!(c.requests_sent(), 0);
}

#[tokio::test]
async fn the_stand_in_refuses_unsigned_requests_in_aws_shape() {
    let s = standin(MskData::fixture());

    let r = reqwest::get(format!("{}/v1/connectors", s.server.url()))
        .await
        .expect("an answer");

    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok()),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(
        r.text().await.expect("a body"),
        r#"{"message":"Missing Authentication Token"}"#
    );
    assert_eq!(s.state.signature_counts(), (0, 1));
}

#[tokio::test]
async fn the_stand_in_holds_cloudwatch_to_500_queries_a_call() {
    use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::MetricDataQuery;

    let s = standin(MskData::fixture());
    let sdk = loader(&s.server.url(), static_creds(&s.state.config.credentials))
        .region(aws_config::Region::new(REGION))
        .load()
        .await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    let queries: Vec<MetricDataQuery> = (0..501)
        .map(|i| {
            MetricDataQuery::builder()
                .id(format!("q{i}"))
                .expression("SUM(METRICS())")
                .build()
        })
        .collect();

    let err = cloudwatch
        .get_metric_data()
        .set_metric_data_queries(Some(queries))
        .start_time(DateTime::from_secs(1_700_000_000))
        .end_time(DateTime::from_secs(1_700_000_300))
        .send()
        .await
        .expect_err("too many queries");

    let err = err.into_service_error();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("The collection MetricDataQueries must not have a size greater than 500.")
    );
    let requests = s.state.requests();
    assert_eq!((requests[0].metric_queries, requests[0].status), (501, 400));
}

#[tokio::test]
async fn the_stand_in_filters_by_name_prefix_and_honours_max_results() {
    let s = standin(MskData::generated(12, REGION));
    let sdk = loader(&s.server.url(), static_creds(&s.state.config.credentials))
        .region(aws_config::Region::new(REGION))
        .load()
        .await;
    let kafkaconnect = aws_sdk_kafkaconnect::Client::new(&sdk);

    let page = kafkaconnect
        .list_connectors()
        .connector_name_prefix("payments-s3-sink")
        .max_results(2)
        .send()
        .await
        .expect("a page");

    let names: Vec<&str> = page
        .connectors()
        .iter()
        .filter_map(|c| c.connector_name())
        .collect();
    assert_eq!(names, ["payments-s3-sink-00001", "payments-s3-sink-00005"]);
    assert_eq!(page.next_token(), Some("eyJ2IjoxLCJvZmZzZXQiOjJ9"));
    let err = kafkaconnect
        .list_connectors()
        .max_results(101)
        .send()
        .await
        .expect_err("over the limit");
    assert!(err.into_service_error().is_bad_request_exception());
}
