//! One Connect cluster's settings, read from Kpow's `CONNECT_*` variables (with the resource id
//! as prefix when `CONNECT_RESOURCE_IDS` names several clusters).

use std::fmt::Write as _;
use std::time::Duration;

use url::Url;

use super::filter::NameFilter;
use super::flavour::{self, Flavour};
use super::sources::Vars;
use super::tls::{self, StoreSummary, StoreType};
use super::{Problems, parse_bool};
use crate::connect::{BasicAuth, ClientSettings};
use crate::msk::MskSettings;
use crate::secret::Secret;

/// The id of the one cluster configured without `CONNECT_RESOURCE_IDS`.
pub const DEFAULT_ID: &str = "default";
/// Connect's default REST port, observed when nothing is configured.
pub const DEFAULT_REST_URL: &str = "http://localhost:8083";
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;

/// Every per-cluster variable, without prefix, in the order `--config.check` prints them.
pub const CLUSTER_VARS: [&str; 23] = [
    "CONNECT_NAME",
    "CONNECT_REST_URL",
    "CONNECT_AUTH",
    "CONNECT_BASIC_AUTH_USER",
    "CONNECT_BASIC_AUTH_PASS",
    "CONNECT_PERMISSIVE_SSL",
    "CONNECT_TIMEOUT_MS",
    "CONNECT_STARTUP_VALIDATION",
    "CONNECT_OFFSET_STORAGE_TOPIC",
    "CONNECT_GROUP_ID",
    "CONNECT_OBSERVATION_VERSION",
    "CONNECT_SSL_TRUSTSTORE_LOCATION",
    "CONNECT_SSL_TRUSTSTORE_TYPE",
    "CONNECT_SSL_TRUSTSTORE_PASSWORD",
    "CONNECT_SSL_KEYSTORE_LOCATION",
    "CONNECT_SSL_KEYSTORE_TYPE",
    "CONNECT_SSL_KEYSTORE_PASSWORD",
    "CONNECT_AWS_REGION",
    "CONNECT_CONFLUENT_CLOUD",
    "CONNECT_MSK_CLOUDWATCH",
    "CONNECT_OBSERVE_TOPICS",
    "CONNECT_CONNECTOR_INCLUDE",
    "CONNECT_CONNECTOR_EXCLUDE",
];

/// How a cluster is observed (Kpow's `CONNECT_OBSERVATION_VERSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationVersion {
    /// `GET /connectors`, then info, status and tasks per connector: 3N+1 requests.
    V1,
    /// One `GET /connectors?expand=status&expand=info`.
    V2,
}

impl ObservationVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ObservationVersion::V1 => "1",
            ObservationVersion::V2 => "2",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The resource id (`US1`), or `default`: the `connect_cluster` label.
    pub id: String,
    /// `CONNECT_NAME`, or the id.
    pub name: String,
    pub client: ClientSettings,
    pub startup_validation: bool,
    pub offset_storage_topic: Option<String>,
    pub group_id: Option<String>,
    pub observation_version: ObservationVersion,
    pub truststore: Option<StoreSummary>,
    pub keystore: Option<StoreSummary>,
    /// Which kind of Connect this is.
    pub flavour: Flavour,
    /// For MSK Connect: the region and what to read; the client settings above then only give
    /// the timeout.
    pub msk: Option<MskSettings>,
    /// `CONNECT_CONFLUENT_CLOUD`, when set.
    pub cloud_forced: Option<bool>,
    /// `CONNECT_OBSERVE_TOPICS`: read each connector's topics (KIP-558).
    pub observe_topics: bool,
    /// `CONNECT_CONNECTOR_INCLUDE` and `_EXCLUDE`: the connectors observed and exported.
    pub connectors: NameFilter,
}

impl ClusterConfig {
    /// A cluster at `url` with every other setting at its default; what tests start from.
    pub fn new(id: &str, url: Url) -> ClusterConfig {
        let flavour = if flavour::is_cloud_path(&url) {
            Flavour::ConfluentCloud
        } else {
            Flavour::Apache
        };
        ClusterConfig {
            id: id.to_string(),
            name: id.to_string(),
            client: ClientSettings {
                base_url: url,
                timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
                basic_auth: None,
                permissive_tls: false,
                trusted_certs: Vec::new(),
                identity_pem: None,
                max_response_bytes: super::DEFAULT_MAX_RESPONSE_BYTES,
            },
            startup_validation: true,
            offset_storage_topic: None,
            group_id: None,
            observation_version: ObservationVersion::V1,
            truststore: None,
            keystore: None,
            flavour,
            msk: None,
            cloud_forced: None,
            observe_topics: false,
            connectors: NameFilter::default(),
        }
    }

    /// The REST URL as it may be shown: without any user or password.
    pub fn display_url(&self) -> String {
        redact(&self.client.base_url)
    }

    /// The cluster's settings as `VAR=value` lines, secrets masked.
    pub fn describe(&self, prefix: &str, out: &mut String) {
        let _ = writeln!(out, "# cluster {}: {}", self.id, self.flavour.describe());
        let mut lines: Vec<(&str, String)> = vec![("CONNECT_NAME", self.name.clone())];
        match &self.msk {
            Some(msk) => {
                lines.push(("CONNECT_AWS_REGION", msk.region.clone()));
                lines.push((
                    "CONNECT_MSK_CLOUDWATCH",
                    msk.cloudwatch_task_counts.to_string(),
                ));
            }
            None => {
                lines.push(("CONNECT_REST_URL", self.display_url()));
                lines.push((
                    "CONNECT_CONFLUENT_CLOUD",
                    (self.flavour == Flavour::ConfluentCloud).to_string(),
                ));
                match &self.client.basic_auth {
                    Some(auth) => {
                        lines.push(("CONNECT_AUTH", "BASIC".into()));
                        lines.push(("CONNECT_BASIC_AUTH_USER", auth.user.clone()));
                        lines.push(("CONNECT_BASIC_AUTH_PASS", Secret::MASK.into()));
                    }
                    None => lines.push(("CONNECT_AUTH", String::new())),
                }
                lines.push((
                    "CONNECT_PERMISSIVE_SSL",
                    self.client.permissive_tls.to_string(),
                ));
            }
        }
        lines.push((
            "CONNECT_TIMEOUT_MS",
            self.client.timeout.as_millis().to_string(),
        ));
        lines.push((
            "CONNECT_STARTUP_VALIDATION",
            self.startup_validation.to_string(),
        ));
        if self.msk.is_none() {
            lines.push((
                "CONNECT_OFFSET_STORAGE_TOPIC",
                self.offset_storage_topic.clone().unwrap_or_default(),
            ));
            lines.push((
                "CONNECT_GROUP_ID",
                self.group_id.clone().unwrap_or_default(),
            ));
            lines.push((
                "CONNECT_OBSERVATION_VERSION",
                self.observation_version.as_str().into(),
            ));
            lines.push(("CONNECT_OBSERVE_TOPICS", self.observe_topics.to_string()));
        }
        lines.push((
            "CONNECT_CONNECTOR_INCLUDE",
            self.connectors.include().unwrap_or("").into(),
        ));
        lines.push((
            "CONNECT_CONNECTOR_EXCLUDE",
            self.connectors.exclude().unwrap_or("").into(),
        ));
        for (var, value) in lines {
            let _ = writeln!(out, "{prefix}{var}={value}");
        }
        for (name, store) in [
            ("TRUSTSTORE", &self.truststore),
            ("KEYSTORE", &self.keystore),
        ] {
            if let Some(s) = store {
                let _ = writeln!(out, "{prefix}CONNECT_SSL_{name}_LOCATION={}", s.location);
                let _ = writeln!(out, "{prefix}CONNECT_SSL_{name}_TYPE={}", s.kind);
            }
        }
    }
}

/// Reads one cluster's variables (`{prefix}CONNECT_…`), adding every problem found to `problems`
/// and every harmless oddity to `warnings`.
pub fn parse_cluster(
    id: &str,
    prefix: &str,
    vars: &Vars,
    max_response_bytes: usize,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<ClusterConfig> {
    let var = |name: &str| format!("{prefix}{name}");
    let get = |name: &str| vars.get(&var(name));
    let errors_before = problems.len();

    let msk_region = get("CONNECT_AWS_REGION").is_some();
    let url = match get("CONNECT_REST_URL") {
        Some(raw) => parse_url(raw)
            .map_err(|e| problems.push(vars.source_of(&var("CONNECT_REST_URL")), e))
            .ok(),
        None if prefix.is_empty() || msk_region => {
            Some(Url::parse(DEFAULT_REST_URL).expect("the default URL is valid"))
        }
        None => {
            problems.push(
                vars.source_of(&var("CONNECT_REST_URL")),
                format!(
                    "is not set; cluster {id} is named in CONNECT_RESOURCE_IDS and needs its URL"
                ),
            );
            None
        }
    };

    let basic_auth = match get("CONNECT_AUTH") {
        None => {
            if get("CONNECT_BASIC_AUTH_USER").is_some() || get("CONNECT_BASIC_AUTH_PASS").is_some()
            {
                warnings.push(format!(
                    "{} is set but {} is not BASIC: no credentials are sent to cluster {id}",
                    var("CONNECT_BASIC_AUTH_USER"),
                    var("CONNECT_AUTH")
                ));
            }
            None
        }
        Some(a) if a.eq_ignore_ascii_case("BASIC") => {
            let user = get("CONNECT_BASIC_AUTH_USER");
            let pass = get("CONNECT_BASIC_AUTH_PASS");
            if user.is_none() {
                problems.push(
                    vars.source_of(&var("CONNECT_BASIC_AUTH_USER")),
                    format!("is not set, but {} is BASIC", var("CONNECT_AUTH")),
                );
            }
            if pass.is_none() {
                problems.push(
                    vars.source_of(&var("CONNECT_BASIC_AUTH_PASS")),
                    format!("is not set, but {} is BASIC", var("CONNECT_AUTH")),
                );
            }
            match (user, pass) {
                (Some(u), Some(p)) => Some(BasicAuth {
                    user: u.to_string(),
                    password: Secret::new(p),
                }),
                _ => None,
            }
        }
        Some(other) => {
            problems.push(
                vars.source_of(&var("CONNECT_AUTH")),
                format!("\"{other}\" is not supported; use BASIC, or leave it unset"),
            );
            None
        }
    };

    let permissive_tls = bool_var(vars, &var("CONNECT_PERMISSIVE_SSL"), false, problems);
    let observe_topics = bool_var(vars, &var("CONNECT_OBSERVE_TOPICS"), false, problems);
    let mut connectors = NameFilter::default();
    for (which, include) in [
        ("CONNECT_CONNECTOR_INCLUDE", true),
        ("CONNECT_CONNECTOR_EXCLUDE", false),
    ] {
        if let Some(raw) = get(which) {
            let filter = if include {
                NameFilter::new(Some(raw), connectors.exclude())
            } else {
                NameFilter::new(connectors.include(), Some(raw))
            };
            match filter {
                Ok(f) => connectors = f,
                Err(e) => problems.push(vars.source_of(&var(which)), e),
            }
        }
    }
    let startup_validation = bool_var(vars, &var("CONNECT_STARTUP_VALIDATION"), true, problems);

    let timeout_ms = match get("CONNECT_TIMEOUT_MS") {
        None => DEFAULT_TIMEOUT_MS,
        Some(raw) => match raw.parse::<u64>() {
            Ok(ms) if (1..=3_600_000).contains(&ms) => ms,
            _ => {
                problems.push(
                    vars.source_of(&var("CONNECT_TIMEOUT_MS")),
                    format!("\"{raw}\" is not a timeout; give milliseconds from 1 to 3600000"),
                );
                DEFAULT_TIMEOUT_MS
            }
        },
    };

    let observation_version = match get("CONNECT_OBSERVATION_VERSION") {
        None | Some("1") => ObservationVersion::V1,
        Some("2") => ObservationVersion::V2,
        Some(other) => {
            problems.push(
                vars.source_of(&var("CONNECT_OBSERVATION_VERSION")),
                format!("\"{other}\" is not 1 or 2"),
            );
            ObservationVersion::V1
        }
    };

    let (trusted_certs, truststore) = match store_settings(vars, prefix, "TRUSTSTORE", problems) {
        Some((location, kind, password)) => {
            match tls::load_truststore(
                &location,
                kind,
                password.as_ref(),
                &var("CONNECT_SSL_TRUSTSTORE"),
            ) {
                Ok((certs, kind)) => (certs, Some(StoreSummary { location, kind })),
                Err(e) => {
                    problems.push(vars.source_of(&var("CONNECT_SSL_TRUSTSTORE_LOCATION")), e);
                    (Vec::new(), None)
                }
            }
        }
        None => (Vec::new(), None),
    };
    let (identity_pem, keystore) = match store_settings(vars, prefix, "KEYSTORE", problems) {
        Some((location, kind, password)) => {
            match tls::load_keystore(
                &location,
                kind,
                password.as_ref(),
                &var("CONNECT_SSL_KEYSTORE"),
            ) {
                Ok((pem, kind)) => (Some(pem), Some(StoreSummary { location, kind })),
                Err(e) => {
                    problems.push(vars.source_of(&var("CONNECT_SSL_KEYSTORE_LOCATION")), e);
                    (None, None)
                }
            }
        }
        None => (None, None),
    };
    if permissive_tls && truststore.is_some() {
        warnings.push(format!(
            "{} is true, so {} is not used: cluster {id} accepts any server certificate",
            var("CONNECT_PERMISSIVE_SSL"),
            var("CONNECT_SSL_TRUSTSTORE_LOCATION")
        ));
    }

    let timeout = Duration::from_millis(timeout_ms);
    let flavour = flavour::parse(
        id,
        prefix,
        vars,
        url.as_ref(),
        get("CONNECT_REST_URL").is_some(),
        timeout,
        problems,
        warnings,
    );
    let url = match (&flavour.msk, url) {
        // Where MSK Connect is reached, for the landing page and logs.
        (Some(msk), _) => Url::parse(&format!(
            "https://kafkaconnect.{}.amazonaws.com/",
            msk.region
        ))
        .ok(),
        (None, url) => url,
    };
    if problems.len() > errors_before {
        return None;
    }
    Some(ClusterConfig {
        id: id.to_string(),
        name: get("CONNECT_NAME").unwrap_or(id).to_string(),
        client: ClientSettings {
            base_url: url.expect("a missing URL was reported as a problem"),
            timeout,
            basic_auth,
            permissive_tls,
            trusted_certs,
            identity_pem,
            max_response_bytes,
        },
        startup_validation,
        offset_storage_topic: get("CONNECT_OFFSET_STORAGE_TOPIC").map(str::to_string),
        group_id: get("CONNECT_GROUP_ID").map(str::to_string),
        observation_version,
        truststore,
        keystore,
        flavour: flavour.flavour,
        observe_topics: observe_topics && flavour.flavour == Flavour::Apache,
        connectors,
        msk: flavour.msk,
        cloud_forced: flavour.cloud_forced,
    })
}

fn bool_var(vars: &Vars, name: &str, default: bool, problems: &mut Problems) -> bool {
    match vars.get(name) {
        None => default,
        Some(raw) => parse_bool(raw).unwrap_or_else(|| {
            problems.push(
                vars.source_of(name),
                format!("\"{raw}\" is not true or false"),
            );
            default
        }),
    }
}

/// `CONNECT_SSL_{TRUSTSTORE|KEYSTORE}_{LOCATION,TYPE,PASSWORD}`, when a location is set.
fn store_settings(
    vars: &Vars,
    prefix: &str,
    which: &str,
    problems: &mut Problems,
) -> Option<(String, Option<StoreType>, Option<Secret>)> {
    let location_var = format!("{prefix}CONNECT_SSL_{which}_LOCATION");
    let type_var = format!("{prefix}CONNECT_SSL_{which}_TYPE");
    let kind = match vars.get(&type_var) {
        None => None,
        Some(raw) => match StoreType::parse(raw) {
            Some(k) => Some(k),
            None => {
                problems.push(
                    vars.source_of(&type_var),
                    format!("\"{raw}\" is not PEM, PKCS12 or JKS"),
                );
                return None;
            }
        },
    };
    let location = vars.get(&location_var)?.to_string();
    let password = vars
        .get(&format!("{prefix}CONNECT_SSL_{which}_PASSWORD"))
        .map(Secret::new);
    Some((location, kind, password))
}

fn parse_url(raw: &str) -> Result<Url, String> {
    let shown = redact_str(raw);
    let url = Url::parse(raw).map_err(|e| format!("\"{shown}\" is not a URL: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("\"{}\" must start with http:// or https://", shown));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("\"{shown}\" has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "\"{}\" carries credentials; set CONNECT_AUTH=BASIC with CONNECT_BASIC_AUTH_USER and \
             CONNECT_BASIC_AUTH_PASS instead",
            shown
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "\"{shown}\" must not have a query or fragment (…?… or …#…, not shown here)"
        ));
    }
    Ok(url)
}

/// A URL without its user, password, query and fragment.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
    }
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// What may be shown of a URL as the user gave it: no user or password (anything before an `@`
/// after the scheme), no query or fragment (tokens travel there).
fn redact_str(raw: &str) -> String {
    let raw = raw.split(['?', '#']).next().unwrap_or("");
    match (raw.find("://"), raw.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &raw[..s + 3], &raw[at + 1..]),
        (None, Some(at)) => raw[at + 1..].to_string(),
        _ => raw.to_string(),
    }
}
