//! What an action is taken on: a Connect cluster (by resource id, e.g. `US1`, or `default`) or
//! one connector in it, and the resource patterns of RBAC policies as Kpow writes them:
//! `["connect", CLUSTER]` and `["connect", CLUSTER, "connector", NAME]`.

use std::fmt;

/// A Connect cluster, or one connector of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    cluster: String,
    connector: Option<String>,
}

impl Resource {
    /// The cluster with this resource id as a whole.
    pub fn cluster(id: impl Into<String>) -> Resource {
        Resource {
            cluster: id.into(),
            connector: None,
        }
    }

    /// One connector of the cluster with this resource id.
    pub fn connector(cluster_id: impl Into<String>, name: impl Into<String>) -> Resource {
        Resource {
            cluster: cluster_id.into(),
            connector: Some(name.into()),
        }
    }

    pub fn cluster_id(&self) -> &str {
        &self.cluster
    }

    pub fn connector_name(&self) -> Option<&str> {
        self.connector.as_deref()
    }
}

/// `connect/US1` or `connect/US1/connector/orders-eu`, as in Kpow's resource lists.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connect/{}", self.cluster)?;
        if let Some(name) = &self.connector {
            write!(f, "/connector/{name}")?;
        }
        Ok(())
    }
}

/// A cluster id in a policy: one resource id, or `*` for every cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterPattern {
    Any,
    Exact(String),
}

/// A connector name in a policy: `*`, an exact name, or one `*` at its start or its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamePattern {
    Any,
    Exact(String),
    /// `orders-*`: names starting with the text.
    Prefix(String),
    /// `*-prod`: names ending with the text.
    Suffix(String),
}

impl NamePattern {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamePattern::Any => true,
            NamePattern::Exact(s) => name == s,
            NamePattern::Prefix(s) => name.starts_with(s.as_str()),
            NamePattern::Suffix(s) => name.ends_with(s.as_str()),
        }
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamePattern::Any => f.write_str("*"),
            NamePattern::Exact(s) => f.write_str(s),
            NamePattern::Prefix(s) => write!(f, "{s}*"),
            NamePattern::Suffix(s) => write!(f, "*{s}"),
        }
    }
}

/// The resource of an RBAC policy on Kafka Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResource {
    pub cluster: ClusterPattern,
    /// `None` for `["connect", CLUSTER]`, which covers the cluster and every connector in it.
    pub connector: Option<NamePattern>,
}

impl PolicyResource {
    pub fn matches(&self, resource: &Resource) -> bool {
        let cluster = match &self.cluster {
            ClusterPattern::Any => true,
            ClusterPattern::Exact(id) => *id == resource.cluster,
        };
        cluster
            && match (&self.connector, &resource.connector) {
                (None, _) => true,
                (Some(pattern), Some(name)) => pattern.matches(name),
                // A connector policy says nothing about the cluster as a whole.
                (Some(_), None) => false,
            }
    }
}

impl fmt::Display for PolicyResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cluster {
            ClusterPattern::Any => f.write_str("connect/*")?,
            ClusterPattern::Exact(id) => write!(f, "connect/{id}")?,
        }
        if let Some(name) = &self.connector {
            write!(f, "/connector/{name}")?;
        }
        Ok(())
    }
}

/// A policy resource list, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedResource {
    Connect(PolicyResource),
    /// Another domain of Kpow's RBAC (`topic`, `group`, …): not the exporter's business.
    OtherDomain(String),
}

const SHAPE: &str =
    "a Connect resource is [\"connect\", CLUSTER] or [\"connect\", CLUSTER, \"connector\", NAME]";

/// Reads a policy's resource list; the message of an error says what is wrong and the shape.
pub fn parse_policy_resource(items: &[String]) -> Result<ParsedResource, String> {
    let Some(domain) = items.first() else {
        return Err(format!("is empty; {SHAPE}"));
    };
    if domain != "connect" {
        return Ok(ParsedResource::OtherDomain(domain.clone()));
    }
    let (cluster, connector) = match items {
        [_] => return Err(format!("names no Connect cluster; {SHAPE}")),
        [_, cluster] => (cluster, None),
        [_, _, kind] if kind == "connector" => {
            return Err(format!("names no connector after \"connector\"; {SHAPE}"));
        }
        [_, cluster, kind, name] if kind == "connector" => (cluster, Some(name)),
        [_, _, kind, ..] if kind != "connector" => {
            return Err(format!(
                "object type \"{kind}\" is not \"connector\", the only object type of Kafka \
                 Connect; {SHAPE}"
            ));
        }
        _ => {
            return Err(format!("has {} elements; {SHAPE}", items.len()));
        }
    };
    let cluster = match cluster.as_str() {
        "*" => ClusterPattern::Any,
        "" => return Err(format!("has an empty cluster id; {SHAPE}")),
        id if id.contains('*') => {
            return Err(format!(
                "cluster id \"{id}\" is a pattern; a cluster id is a resource id such as US1 \
                 (or default), or \"*\" for every cluster"
            ));
        }
        id => ClusterPattern::Exact(id.to_string()),
    };
    let connector = connector.map(|n| parse_name(n)).transpose()?;
    Ok(ParsedResource::Connect(PolicyResource {
        cluster,
        connector,
    }))
}

fn parse_name(name: &str) -> Result<NamePattern, String> {
    let bad = || {
        format!(
            "connector name \"{name}\" may hold one * only, at its start or its end \
             (\"orders-*\", \"*-prod\"), or be \"*\""
        )
    };
    if name.is_empty() {
        return Err(format!("has an empty connector name; {SHAPE}"));
    }
    if name == "*" {
        return Ok(NamePattern::Any);
    }
    if let Some(rest) = name.strip_suffix('*') {
        return if rest.contains('*') {
            Err(bad())
        } else {
            Ok(NamePattern::Prefix(rest.to_string()))
        };
    }
    if let Some(rest) = name.strip_prefix('*') {
        return if rest.contains('*') {
            Err(bad())
        } else {
            Ok(NamePattern::Suffix(rest.to_string()))
        };
    }
    if name.contains('*') {
        return Err(bad());
    }
    Ok(NamePattern::Exact(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(items: &[&str]) -> Result<ParsedResource, String> {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        parse_policy_resource(&items)
    }

    fn connect(items: &[&str]) -> PolicyResource {
        match parse(items) {
            Ok(ParsedResource::Connect(r)) => r,
            other => panic!("{items:?} gave {other:?}"),
        }
    }

    #[test]
    fn patterns_match_as_kpow_documents_them() {
        let us1_orders = Resource::connector("US1", "orders-eu");
        let us1_prod = Resource::connector("US1", "orders-prod");
        let eu2_prod = Resource::connector("EU2", "billing-prod");
        let us1 = Resource::cluster("US1");
        // (policy resource, resource, matches)
        let rows: &[(&[&str], &Resource, bool)] = &[
            (&["connect", "*"], &us1, true),
            (&["connect", "*"], &eu2_prod, true),
            (&["connect", "US1"], &us1_orders, true),
            (&["connect", "US1"], &eu2_prod, false),
            (&["connect", "us1"], &us1, false),
            (
                &["connect", "US1", "connector", "orders-*"],
                &us1_orders,
                true,
            ),
            (
                &["connect", "US1", "connector", "orders-*"],
                &us1_prod,
                true,
            ),
            (&["connect", "US1", "connector", "orders-*"], &us1, false),
            (&["connect", "*", "connector", "*-prod"], &us1_prod, true),
            (&["connect", "*", "connector", "*-prod"], &eu2_prod, true),
            (&["connect", "*", "connector", "*-prod"], &us1_orders, false),
            (&["connect", "*", "connector", "*"], &us1_orders, true),
            (&["connect", "*", "connector", "*"], &us1, false),
            (
                &["connect", "EU2", "connector", "billing-prod"],
                &eu2_prod,
                true,
            ),
            (
                &["connect", "EU2", "connector", "billing"],
                &eu2_prod,
                false,
            ),
            (
                &["connect", "*", "connector", "orders-eu*"],
                &us1_orders,
                true,
            ),
        ];
        for (policy, resource, want) in rows {
            assert_eq!(
                connect(policy).matches(resource),
                *want,
                "{policy:?} on {resource}"
            );
        }
    }

    #[test]
    fn malformed_resources_say_what_is_wrong() {
        let shape = "a Connect resource is [\"connect\", CLUSTER] or \
                     [\"connect\", CLUSTER, \"connector\", NAME]";
        let rows: &[(&[&str], String)] = &[
            (&[], format!("is empty; {shape}")),
            (&["connect"], format!("names no Connect cluster; {shape}")),
            (
                &["connect", "US1", "connector"],
                format!("names no connector after \"connector\"; {shape}"),
            ),
            (
                &["connect", "US1", "task", "x"],
                format!(
                    "object type \"task\" is not \"connector\", the only object type of Kafka \
                     Connect; {shape}"
                ),
            ),
            (
                &["connect", "US1", "connector", "a", "b"],
                format!("has 5 elements; {shape}"),
            ),
            (
                &["connect", ""],
                format!("has an empty cluster id; {shape}"),
            ),
            (
                &["connect", "US*"],
                "cluster id \"US*\" is a pattern; a cluster id is a resource id such as US1 \
                 (or default), or \"*\" for every cluster"
                    .to_string(),
            ),
            (
                &["connect", "*", "connector", "a*b"],
                "connector name \"a*b\" may hold one * only, at its start or its end \
                 (\"orders-*\", \"*-prod\"), or be \"*\""
                    .to_string(),
            ),
            (
                &["connect", "*", "connector", "*a*"],
                "connector name \"*a*\" may hold one * only, at its start or its end \
                 (\"orders-*\", \"*-prod\"), or be \"*\""
                    .to_string(),
            ),
            (
                &["connect", "*", "connector", ""],
                format!("has an empty connector name; {shape}"),
            ),
        ];
        for (items, want) in rows {
            assert_eq!(parse(items).unwrap_err(), *want, "{items:?}");
        }
        assert_eq!(
            parse(&["topic", "*", "topic", "orders"]),
            Ok(ParsedResource::OtherDomain("topic".to_string()))
        );
    }

    #[test]
    fn display_follows_the_list_form() {
        assert_eq!(
            connect(&["connect", "*", "connector", "*-prod"]).to_string(),
            "connect/*/connector/*-prod"
        );
        assert_eq!(connect(&["connect", "US1"]).to_string(), "connect/US1");
        assert_eq!(
            Resource::connector("default", "orders").to_string(),
            "connect/default/connector/orders"
        );
    }
}
