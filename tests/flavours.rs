//! One exporter, three flavours, as a user configures them: `CONNECT_RESOURCE_IDS=SELF,CLOUD,MSK`
//! with an Apache Connect (mocked), Confluent Cloud and MSK Connect (their stand-ins, the MSK one
//! reached through the SDK's endpoint variable with static credentials in the environment). All
//! three are observed; one throttled or refused never blanks the others.

#[path = "support/cloud_standin.rs"]
mod cloud_standin;
mod common;
#[path = "support/msk_standin.rs"]
mod msk_standin;
#[path = "support/running.rs"]
mod running;

use std::time::{Duration, Instant};

use common::exporter::{DEADLINE, Exporter};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_kconnect-exporter");

async fn scrape(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Scrapes until `check` holds, or fails after the deadline.
async fn until(base: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = scrape(base).await;
        if check(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what}; last scrape:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn up(text: &str, cluster: &str) -> Option<String> {
    sample(
        text,
        &format!("kconnect_up{{connect_cluster=\"{cluster}\"}}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_managed_cloud_and_msk_from_one_exporter_each_independent() {
    let apache = fixture_server().await;
    let cloud = cloud_standin::CloudStandin::new(
        cloud_standin::CloudStandinConfig::default(),
        cloud_standin::fixture_connectors(),
    );
    let cloud_server = running::Running::start(cloud_standin::router(cloud.clone()));
    let msk = msk_standin::MskStandin::new(
        msk_standin::MskStandinConfig::default(),
        msk_standin::MskData::fixture(),
    );
    let msk_server = running::Running::start(msk_standin::router(msk.clone()));

    let cloud_url = format!("{}{}", cloud_server.url(), cloud.config.base_path());
    let creds = &msk.config.credentials;
    let mut exporter = Exporter::start(
        BIN,
        &["--observation.interval=1s"],
        &[
            ("CONNECT_RESOURCE_IDS", "SELF,CLOUD,MSK"),
            ("SELF_CONNECT_REST_URL", &apache.uri()),
            ("CLOUD_CONNECT_REST_URL", &cloud_url),
            ("CLOUD_CONNECT_AUTH", "BASIC"),
            ("CLOUD_CONNECT_BASIC_AUTH_USER", &cloud.config.api_key),
            ("CLOUD_CONNECT_BASIC_AUTH_PASS", &cloud.config.api_secret),
            ("CLOUD_CONNECT_OBSERVATION_VERSION", "2"),
            ("MSK_CONNECT_AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL_KAFKACONNECT", &msk_server.url()),
            ("AWS_ACCESS_KEY_ID", &creds.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    let base = format!("http://{}", exporter.address());
    let text = until(&base, "all three up", |t| {
        ["SELF", "CLOUD", "MSK"]
            .iter()
            .all(|c| up(t, c).as_deref() == Some("1"))
    })
    .await;
    for (cluster, flavour) in [
        ("SELF", "apache"),
        ("CLOUD", "confluent_cloud"),
        ("MSK", "msk"),
    ] {
        assert!(
            text.contains(&format!(
                "kconnect_cluster_info{{connect_cluster=\"{cluster}\",flavour=\"{flavour}\","
            )),
            "{cluster}"
        );
    }
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"CLOUD\",connector=\"clickstream-bq-sink\",state=\"DEGRADED\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        sample(&text, "kconnect_connector_state{connect_cluster=\"MSK\",connector=\"inventory-cdc-source\",state=\"FAILED\"}").as_deref(),
        Some("1")
    );
    assert_eq!(
        msk.signature_counts().1,
        0,
        "every MSK request signed right"
    );
    assert!(
        !cloud
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/lkc-x9y8z7") || r.path.ends_with("/lkc-x9y8z7/")),
        "no GET / to Cloud"
    );

    // Cloud throttles for a long while; MSK refuses the credentials. SELF goes on.
    cloud.throttle_next(1_000, Duration::from_secs(600));
    msk.reject_credentials(true);
    let text = until(&base, "CLOUD rate_limited, MSK auth, SELF up", |t| {
        up(t, "CLOUD").as_deref() == Some("0") && up(t, "MSK").as_deref() == Some("0")
    })
    .await;
    for (cluster, reason) in [("CLOUD", "rate_limited"), ("MSK", "auth")] {
        assert_eq!(
            sample(
                &text,
                &format!("kconnect_observation_error{{connect_cluster=\"{cluster}\",reason=\"{reason}\"}}")
            )
            .as_deref(),
            Some("1"),
            "{cluster}"
        );
    }
    assert_eq!(up(&text, "SELF").as_deref(), Some("1"));
    assert!(text.contains("kconnect_connector_state{connect_cluster=\"SELF\""));
    // Held back by Retry-After: after the 429, nothing more reaches Cloud.
    let sent = cloud.requests().len();
    let successes = |t: &str| {
        sample(
            t,
            "kconnect_observations_total{connect_cluster=\"SELF\",result=\"success\"}",
        )
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
    };
    let now = successes(&text);
    until(&base, "SELF keeps being observed", |t| {
        successes(t) >= now + 3
    })
    .await;
    assert_eq!(
        cloud.requests().len(),
        sent,
        "not a request to Cloud before Retry-After"
    );
    assert_eq!(exporter.sigterm(), 0);
}
