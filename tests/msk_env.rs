//! The MSK Connect client as the exporter builds it, from the process (`MskClient::new`): the
//! standard credential chain and the `AWS_ENDPOINT_URL*` variables, honoured by the AWS SDK
//! itself. Each case runs the client in a child process (this test binary again) with exactly
//! the environment it sets, so this process's environment is never changed.

#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;

use std::sync::Arc;
use std::time::Duration;

use kconnect_exporter::msk::{MskClient, MskSettings};
use msk_standin::{MskData, MskStandin, MskStandinConfig, Operation, Signature, StaticCredentials};
use running::Running;

const REGION: &str = "eu-west-1";

struct Standin {
    state: Arc<MskStandin>,
    server: Running,
}

fn standin(config: MskStandinConfig) -> Standin {
    let state = MskStandin::new(config, MskData::fixture());
    let server = Running::start(msk_standin::router(state.clone()));
    Standin { state, server }
}

fn verified_as(service: &str) -> Signature {
    Signature::Verified {
        region: REGION.into(),
        service: service.into(),
    }
}

/// Selects what [`child_process_scenario`] does; set only in the child's environment.
const CHILD_SCENARIO: &str = "KCONNECT_TEST_MSK_CHILD_SCENARIO";

/// The client as the exporter builds it, from the process: run by the tests below in a child
/// process whose environment they set (so this process's stays untouched).
#[tokio::test]
#[ignore = "run in a child process, with the environment it needs, by the tests below"]
async fn child_process_scenario() {
    let Ok(scenario) = std::env::var(CHILD_SCENARIO) else {
        eprintln!("{CHILD_SCENARIO} is not set: nothing to do outside a child process");
        return;
    };
    let settings = MskSettings {
        region: REGION.into(),
        timeout: Duration::from_secs(10),
        cloudwatch_task_counts: true,
    };
    let client = MskClient::new(&settings).await.expect("the client builds");
    match scenario.as_str() {
        "observe" => {
            let connectors = client.list_connectors().await.expect("listing succeeds");
            let names: Vec<String> = connectors.into_iter().map(|c| c.name).collect();
            let counts = client.task_counts(&names).await.expect("task counts");
            println!(
                "observed {} connectors, {} with task counts",
                names.len(),
                counts.len()
            );
        }
        "fail" => {
            let err = client.list_connectors().await.expect_err("listing fails");
            println!("failed: {:?}: {}", err.reason, err.detail);
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// Runs [`child_process_scenario`] in a child process with only `env` (and the scenario).
fn run_child(scenario: &str, env: &[(&str, String)]) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([
            "child_process_scenario",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env_clear()
        .env(CHILD_SCENARIO, scenario)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the child process runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with("observed ") || l.starts_with("failed: "))
        .unwrap_or_default()
        .to_string()
}

fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("http://{}", l.local_addr().expect("addr"))
}

#[tokio::test]
async fn env_credentials_and_service_endpoint_variables_are_honoured() {
    let s = standin(MskStandinConfig::default());
    let home = tempfile::tempdir().expect("a temporary HOME");
    let creds = &s.state.config.credentials;

    let line = run_child(
        "observe",
        &[
            ("HOME", home.path().display().to_string()),
            ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.clone()),
            // The service-specific variables win over the global one, which goes nowhere.
            ("AWS_ENDPOINT_URL", refused_url()),
            ("AWS_ENDPOINT_URL_KAFKACONNECT", s.server.url()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", s.server.url()),
        ],
    );

    assert_eq!(line, "observed 4 connectors, 3 with task counts");
    let seen: Vec<(Operation, Signature)> = s
        .state
        .requests()
        .into_iter()
        .map(|r| (r.operation, r.signature))
        .collect();
    assert_eq!(
        seen,
        [
            (Operation::ListConnectors, verified_as("kafkaconnect")),
            (Operation::GetMetricData, verified_as("monitoring")),
        ]
    );
}

#[tokio::test]
async fn a_shared_profile_with_a_session_token_and_the_global_endpoint_are_honoured() {
    let config = MskStandinConfig {
        credentials: StaticCredentials {
            session_token: Some("FwoGZXIvYXdzEXAMPLESESSIONTOKEN".into()),
            ..StaticCredentials::default()
        },
        ..MskStandinConfig::default()
    };
    let s = standin(config);
    let home = tempfile::tempdir().expect("a temporary HOME");
    let creds = &s.state.config.credentials;
    std::fs::create_dir(home.path().join(".aws")).expect("~/.aws");
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
             aws_session_token = {}\n",
            creds.access_key_id,
            creds.secret_access_key,
            creds.session_token.as_deref().unwrap_or_default()
        ),
    )
    .expect("the credentials file");

    let line = run_child(
        "observe",
        &[
            ("HOME", home.path().display().to_string()),
            ("AWS_ENDPOINT_URL", s.server.url()),
        ],
    );

    assert_eq!(line, "observed 4 connectors, 3 with task counts");
    assert_eq!(s.state.signature_counts(), (2, 0));
}

#[tokio::test]
async fn no_credentials_anywhere_is_auth_and_nothing_is_sent() {
    let s = standin(MskStandinConfig::default());
    let home = tempfile::tempdir().expect("a temporary HOME");

    let line = run_child(
        "fail",
        &[
            ("HOME", home.path().display().to_string()),
            ("AWS_ENDPOINT_URL", s.server.url()),
        ],
    );

    assert_eq!(
        line,
        "failed: Auth: the credential provider was not enabled: no credentials found in chain. \
         Attempted: Environment: the credential provider was not enabled: environment variable \
         not set; Profile: the credential provider was not enabled; WebIdentityToken: the \
         credential provider was not enabled: $AWS_WEB_IDENTITY_TOKEN_FILE was not set; \
         EcsContainer: the credential provider was not enabled: ECS provider not configured; \
         Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled by \
         AWS_EC2_METADATA_DISABLED env var set to `true`"
    );
    assert_eq!(s.state.requests().len(), 0);
}
