//! Which kind of Kafka Connect a cluster is: Apache Kafka Connect's REST API, Confluent Cloud's
//! managed connectors (connect/v1, recognised from the URL's path as Kpow configures it), or
//! Amazon MSK Connect (a region, `CONNECT_AWS_REGION`, and no REST URL).

use std::fmt;
use std::time::Duration;

use url::Url;

use super::sources::Vars;
use super::{Problems, parse_bool};
use crate::msk::MskSettings;

/// The kinds of Kafka Connect the exporter observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Apache Kafka Connect's REST API (and vendors' builds of it).
    Apache,
    /// Confluent Cloud's managed connectors, `…/connect/v1/environments/{env}/clusters/{lkc}`.
    ConfluentCloud,
    /// Amazon MSK Connect, through the AWS API of a region.
    Msk,
}

impl Flavour {
    /// The value of the `flavour` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Apache => "apache",
            Flavour::ConfluentCloud => "confluent_cloud",
            Flavour::Msk => "msk",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Flavour::Apache => "Apache Kafka Connect REST API",
            Flavour::ConfluentCloud => "Confluent Cloud managed connectors (connect/v1)",
            Flavour::Msk => "Amazon MSK Connect",
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a URL's path ends in Confluent Cloud's `/connect/v1/environments/{env}/clusters/{lkc}`
/// (after any prefix of a proxy or a test server).
pub fn is_cloud_path(url: &Url) -> bool {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    matches!(
        segments.as_slice(),
        [.., "connect", "v1", "environments", env, "clusters", lkc] if !env.is_empty() && !lkc.is_empty()
    )
}

/// What the flavour variables of one cluster say.
#[derive(Debug, Clone)]
pub struct FlavourSettings {
    pub flavour: Flavour,
    pub msk: Option<MskSettings>,
    /// `CONNECT_CONFLUENT_CLOUD` as set, for `--config.check`.
    pub cloud_forced: Option<bool>,
}

/// Reads `{prefix}CONNECT_AWS_REGION`, `{prefix}CONNECT_CONFLUENT_CLOUD` and
/// `{prefix}CONNECT_MSK_CLOUDWATCH`, given the cluster's REST URL (if it has one) and request
/// timeout.
#[allow(clippy::too_many_arguments)]
pub fn parse(
    id: &str,
    prefix: &str,
    vars: &Vars,
    url: Option<&Url>,
    url_set: bool,
    timeout: Duration,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> FlavourSettings {
    let var = |name: &str| format!("{prefix}{name}");
    let flag = |name: &str, problems: &mut Problems| {
        let v = var(name);
        vars.get(&v).and_then(|raw| {
            parse_bool(raw).or_else(|| {
                problems.push(
                    vars.source_of(&v),
                    format!("\"{raw}\" is not true or false"),
                );
                None
            })
        })
    };
    let cloud_forced = flag("CONNECT_CONFLUENT_CLOUD", problems);
    let cloudwatch = flag("CONNECT_MSK_CLOUDWATCH", problems);

    if let Some(region) = vars.get(&var("CONNECT_AWS_REGION")) {
        if url_set {
            problems.push(
                vars.source_of(&var("CONNECT_AWS_REGION")),
                format!(
                    "is set together with {}: a cluster is either a Connect REST API (the URL) or an MSK Connect region; remove one",
                    var("CONNECT_REST_URL")
                ),
            );
        }
        if cloud_forced == Some(true) {
            problems.push(
                vars.source_of(&var("CONNECT_CONFLUENT_CLOUD")),
                format!("is true, but cluster {id} is an MSK Connect region (CONNECT_AWS_REGION)"),
            );
        }
        for ignored in [
            "CONNECT_AUTH",
            "CONNECT_SSL_TRUSTSTORE_LOCATION",
            "CONNECT_SSL_KEYSTORE_LOCATION",
        ] {
            if vars.get(&var(ignored)).is_some() {
                warnings.push(format!(
                    "{} is ignored: cluster {id} is an MSK Connect region, reached with AWS credentials",
                    var(ignored)
                ));
            }
        }
        return FlavourSettings {
            flavour: Flavour::Msk,
            msk: Some(MskSettings {
                region: region.to_string(),
                timeout,
                cloudwatch_task_counts: cloudwatch.unwrap_or(false),
            }),
            cloud_forced,
        };
    }
    if cloudwatch.is_some() {
        warnings.push(format!(
            "{} is ignored: cluster {id} is not an MSK Connect region (CONNECT_AWS_REGION)",
            var("CONNECT_MSK_CLOUDWATCH")
        ));
    }
    let flavour = match (cloud_forced, url) {
        (Some(true), _) => Flavour::ConfluentCloud,
        (Some(false), _) => Flavour::Apache,
        (None, Some(u)) if is_cloud_path(u) => Flavour::ConfluentCloud,
        _ => Flavour::Apache,
    };
    if flavour == Flavour::ConfluentCloud && vars.get(&var("CONNECT_AUTH")).is_none() {
        warnings.push(format!(
            "cluster {id} is Confluent Cloud, which needs a Cloud API key: set {} with {} (the key) and {} (its secret)",
            var("CONNECT_AUTH=BASIC"),
            var("CONNECT_BASIC_AUTH_USER"),
            var("CONNECT_BASIC_AUTH_PASS")
        ));
    }
    FlavourSettings {
        flavour,
        msk: None,
        cloud_forced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_paths_are_recognised_under_any_prefix() {
        for (url, cloud) in [
            (
                "https://api.confluent.cloud/connect/v1/environments/env-a1/clusters/lkc-x9",
                true,
            ),
            (
                "https://api.confluent.cloud/connect/v1/environments/env-a1/clusters/lkc-x9/",
                true,
            ),
            (
                "http://127.0.0.1:1/proxy/connect/v1/environments/e/clusters/l",
                true,
            ),
            (
                "https://api.confluent.cloud/connect/v1/environments/env-a1",
                false,
            ),
            (
                "https://api.confluent.cloud/connect/v1/environments/e/clusters/l/connectors",
                false,
            ),
            ("http://connect:8083/", false),
        ] {
            assert_eq!(is_cloud_path(&Url::parse(url).unwrap()), cloud, "{url}");
        }
    }
}
