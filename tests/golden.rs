//! The exact `/metrics` body of an exporter observing one cluster of each flavour (the Apache
//! fixture cluster, Confluent Cloud's and MSK Connect's fixtures through their stand-ins) and a
//! cluster that refuses our credentials, in both formats, compared with committed files. `UPDATE_GOLDEN=1 cargo test
//! --test golden` rewrites them; review the diff before committing.

#[path = "support/cloud_standin.rs"]
mod cloud_standin;
mod common;
#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use kconnect_exporter::metrics::Exposition;
use kconnect_exporter::observe::ClusterHandle;
use kconnect_exporter::operate::DecisionCounts;
use kconnect_exporter::restart::{Entry, RestartStatus};

use common::*;
use kconnect_exporter::config::ObservationVersion::V2;
use kconnect_exporter::metrics::{Format, REVISION};
use kconnect_exporter::observe::Snapshot;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

/// Replaces everything that depends on the clock with fixed values.
fn pin_time(snapshot: &Snapshot) -> Arc<Snapshot> {
    let mut s = snapshot.clone();
    let at = UNIX_EPOCH + Duration::from_secs(1_732_440_000);
    s.observed_at = at;
    s.duration = Duration::from_millis(12);
    s.last_success = s.last_success.map(|_| at);
    s.totals.duration_buckets = Default::default();
    s.totals.duration_sum = 0.0;
    s.totals.record_duration(s.duration);
    Arc::new(s)
}

/// The exposition without the process metrics, whose values change with every run.
fn stable(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let name = line
            .trim_start_matches("# HELP ")
            .trim_start_matches("# TYPE ");
        if name.starts_with("process_") {
            continue;
        }
        out.push_str(&line.replace(&format!("revision=\"{REVISION}\""), "revision=\"unknown\""));
        out.push('\n');
    }
    out
}

fn check(file: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "{} differs from the exposition (first different line: {:?}); rerun with UPDATE_GOLDEN=1 and review the diff\n--- actual ---\n{actual}",
            path.display(),
            first.map(|i| i + 1)
        );
    }
}

#[tokio::test]
async fn exposition_matches_the_golden_files() {
    let up = fixture_server().await;
    let refused = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status_json(401, &fixture("error-401-basic-auth.txt")))
        .mount(&refused)
        .await;
    mount_topics(&up, &fixture_listing()).await;
    let mut us1 = cluster("US1", &up.uri(), V2);
    us1.observe_topics = true;
    let us1 = pin_time(&*observe_topics(&us1).await);
    let eu2 = pin_time(&*observe(&cluster("EU2", &refused.uri(), V2)).await);
    let cloud = pin_time(&*cloud_snapshot().await);
    let msk = pin_time(&*msk_snapshot().await);
    assert!(us1.is_up() && !eu2.is_up() && cloud.is_up() && msk.is_up());

    let all = [us1, eu2, cloud, msk];
    let text = stable(&with_operations(&all, Format::Text));
    let om = stable(&with_operations(&all, Format::OpenMetrics));
    assert!(om.ends_with("# EOF\n"));
    check("exposition.prom", &text);
    check("exposition.om.txt", &om);
}

/// The Confluent Cloud fixture, observed with v2 through the stand-in.
async fn cloud_snapshot() -> Arc<Snapshot> {
    let state = cloud_standin::CloudStandin::new(
        cloud_standin::CloudStandinConfig::default(),
        cloud_standin::fixture_connectors(),
    );
    let server = running::Running::start(cloud_standin::router(state.clone()));
    let mut c = cluster(
        "CLOUD",
        &format!("{}{}", server.url(), state.config.base_path()),
        V2,
    );
    c.client.basic_auth = Some(kconnect_exporter::connect::BasicAuth {
        user: state.config.api_key.clone(),
        password: kconnect_exporter::secret::Secret::new(state.config.api_secret.clone()),
    });
    observe(&c).await
}

/// The MSK Connect fixture, with CloudWatch task counts, through the stand-in.
async fn msk_snapshot() -> Arc<Snapshot> {
    use kconnect_exporter::msk::{MskClient, MskSettings};
    use kconnect_exporter::observe::{Msk, Observer, Source};
    let state = msk_standin::MskStandin::new(
        msk_standin::MskStandinConfig::default(),
        msk_standin::MskData::fixture(),
    );
    let server = running::Running::start(msk_standin::router(state.clone()));
    let settings = MskSettings {
        region: "eu-west-1".into(),
        timeout: Duration::from_secs(10),
        cloudwatch_task_counts: true,
    };
    let creds = &state.config.credentials;
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .empty_test_environment()
        .credentials_provider(aws_credential_types::Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            creds.session_token.clone(),
            None,
            "test",
        ))
        .endpoint_url(server.url());
    let client = MskClient::from_loader(&settings, loader).await.unwrap();
    let mut c = cluster("MSK", "https://kafkaconnect.eu-west-1.amazonaws.com/", V2);
    c.flavour = kconnect_exporter::config::Flavour::Msk;
    c.msk = Some(settings);
    let interval = Duration::from_secs(30);
    let (mut obs, _h) = Observer::new(
        &c,
        Source::Msk(Msk::new(client, true, Default::default())),
        interval,
        interval,
    );
    obs.observe_once().await
}

/// One observation of `c` with its topics.
async fn observe_topics(c: &kconnect_exporter::config::ClusterConfig) -> Arc<Snapshot> {
    use kconnect_exporter::observe::{Observer, Source};
    let source = Source::from_config(c, 4, 1).await.unwrap();
    let interval = Duration::from_secs(30);
    let (mut obs, _h) = Observer::new(c, source, interval, interval);
    obs.observe_once().await
}

/// The exposition with auto-restart on for US1, which has restarted clickstream-es-sink once and
/// is waiting to try again, and no access decision yet.
fn with_operations(snapshots: &[Arc<Snapshot>], format: Format) -> String {
    let handles = snapshots
        .iter()
        .cloned()
        .map(ClusterHandle::from_snapshot)
        .collect();
    let restarts = RestartStatus::default();
    restarts.publish(
        "US1",
        vec![Entry {
            connector: "clickstream-es-sink".into(),
            attempts: 1,
            attempts_left: 6,
            next_attempt: Some(UNIX_EPOCH + Duration::from_secs(1_732_440_120)),
            succeeded: 1,
            failed: 0,
        }],
    );
    let interval = Duration::from_secs(30);
    Exposition::new(handles, interval, interval)
        .with_operations(Arc::new(DecisionCounts::default()), restarts)
        .encode(format)
}
