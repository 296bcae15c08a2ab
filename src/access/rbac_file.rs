//! Reading a Kpow RBAC file: its keys, policies and `principal_roles`, checked all at once.

use std::collections::HashMap;
use std::path::Path;

use yaml_rust2::Yaml;

use super::Action;
use super::rbac::{Effect, Policy, Rbac};
use super::resource::{ParsedResource, parse_policy_resource};
use crate::yaml::{self, Problems};

/// The keys of the file. `tenants` (Kpow's multi-tenancy) is recognised and ignored.
const TOP_KEYS: [&str; 5] = [
    "authorized_roles",
    "admin_roles",
    "policies",
    "principal_roles",
    "tenants",
];
const POLICY_KEYS: [&str; 5] = ["resource", "effect", "actions", "role", "roles"];
const RESOURCE_SHAPE: &str = "a Connect resource is [\"connect\", CLUSTER] or \
                              [\"connect\", CLUSTER, \"connector\", NAME]";

/// Checks the text of an RBAC file. Every problem is reported, each naming `file` and the
/// key; warnings say what loads but is ignored.
pub(super) fn parse(file: &Path, text: &str) -> Result<(Rbac, Vec<String>), Vec<String>> {
    let mut p = Problems::new(file);
    let mut warnings = Vec::new();
    let doc = match yaml::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            p.file(e);
            return Err(p.into_vec());
        }
    };
    if !matches!(doc, Yaml::Hash(_)) {
        p.file(format!(
            "must be a mapping with authorized_roles, policies and principal_roles, not {}",
            yaml::kind(&doc)
        ));
        return Err(p.into_vec());
    }
    let top = yaml::fields(&doc, "", &TOP_KEYS, &mut p).unwrap_or_default();

    let authorized_roles = match top.get("authorized_roles") {
        Some(y) => role_list(y, "authorized_roles", "[\"*\"]", &mut p).unwrap_or_default(),
        None => {
            p.at(
                "authorized_roles",
                "missing; list the roles that may use the exporter, or [\"*\"] for every \
                 authenticated principal",
            );
            Vec::new()
        }
    };
    let admin_roles = top
        .get("admin_roles")
        .and_then(|y| role_list(y, "admin_roles", "[\"platform-admins\"]", &mut p))
        .unwrap_or_default();
    if top.contains_key("tenants") {
        warnings.push(p.format(
            "tenants",
            "ignored: multi-tenancy is a Kpow feature the exporter does not have",
        ));
    }

    let mut policies = Vec::new();
    match top.get("policies") {
        Some(Yaml::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(policy) = parse_policy(i, item, &mut p, &mut warnings) {
                    policies.push(policy);
                }
            }
        }
        Some(other) => p.at(
            "policies",
            format!(
                "must be a list of policies (resource, effect, actions, role), not {}",
                yaml::kind(other)
            ),
        ),
        None => {}
    }

    let principal_roles = match top.get("principal_roles") {
        Some(y) => parse_principal_roles(y, &mut p),
        None => {
            warnings.push(p.format(
                "principal_roles",
                "missing: no principal holds a role, so only policies for role \"*\" apply",
            ));
            HashMap::new()
        }
    };
    if p.is_empty() && policies.is_empty() {
        warnings.push(p.format(
            "policies",
            "no policy on Kafka Connect: every action is denied",
        ));
    }
    if !p.is_empty() {
        return Err(p.into_vec());
    }
    let rbac = Rbac {
        file: file.display().to_string(),
        authorized_roles,
        admin_roles,
        policies,
        principal_roles,
    };
    Ok((rbac, warnings))
}

/// A non-empty list of non-empty role names.
fn role_list(y: &Yaml, path: &str, example: &str, p: &mut Problems) -> Option<Vec<String>> {
    let Yaml::Array(_) = y else {
        p.at(
            path,
            format!(
                "must be a list of roles such as {example}, not {}",
                yaml::kind(y)
            ),
        );
        return None;
    };
    let roles = yaml::string_list(y, path, p)?;
    let mut ok = true;
    for (i, role) in roles.iter().enumerate() {
        if role.is_empty() {
            p.at(&format!("{path}[{i}]"), "is an empty role name");
            ok = false;
        }
    }
    ok.then_some(roles)
}

fn parse_policy(
    index: usize,
    item: &Yaml,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<Policy> {
    let path = format!("policies[{index}]");
    let fields = yaml::fields(item, &path, &POLICY_KEYS, p)?;
    let at = |key: &str| format!("{path}.{key}");

    let resource = match fields.get("resource") {
        None => {
            p.at(&at("resource"), format!("missing; {RESOURCE_SHAPE}"));
            None
        }
        Some(y @ Yaml::Array(_)) => yaml::string_list(y, &at("resource"), p).and_then(|items| {
            parse_policy_resource(&items)
                .map_err(|e| p.at(&at("resource"), e))
                .ok()
        }),
        Some(y) => {
            p.at(
                &at("resource"),
                format!("must be a list, not {}; {RESOURCE_SHAPE}", yaml::kind(y)),
            );
            None
        }
    };
    let resource = match resource {
        Some(ParsedResource::OtherDomain(domain)) => {
            warnings.push(p.format(
                &at("resource"),
                format!(
                    "domain \"{domain}\" is not Kafka Connect (\"connect\"); the exporter ignores \
                     this policy"
                ),
            ));
            return None;
        }
        Some(ParsedResource::Connect(r)) => Some(r),
        None => None,
    };

    let effect = match fields.get("effect") {
        None => {
            p.at(&at("effect"), "missing; use Allow or Deny");
            None
        }
        Some(y) => match yaml::string(y, &at("effect"), p).as_deref() {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            Some("Stage") => {
                p.at(
                    &at("effect"),
                    "Stage is not supported: in Kpow it holds an action for an admin's approval, \
                     and the exporter has no approval UI; use Allow for the roles that may take \
                     the action without approval, or Deny",
                );
                None
            }
            Some(other) => {
                p.at(
                    &at("effect"),
                    format!("\"{other}\" is not Allow or Deny (Kpow's spelling, capitalised)"),
                );
                None
            }
            None => None,
        },
    };

    let actions = match fields.get("actions") {
        None => {
            p.at(
                &at("actions"),
                format!("missing; list actions such as [\"CONNECT_INSPECT\"] (the Connect actions are {})", Action::names_for_humans()),
            );
            None
        }
        Some(Yaml::Array(items)) if items.is_empty() => {
            p.at(
                &at("actions"),
                "is empty; list the actions the policy allows or denies",
            );
            None
        }
        Some(Yaml::Array(items)) => {
            let mut actions = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let at_i = format!("{path}.actions[{i}]");
                match yaml::string(item, &at_i, p).map(|name| name.parse::<Action>()) {
                    Some(Ok(a)) => actions.push(a),
                    Some(Err(e)) => {
                        p.at(&at_i, e);
                        ok = false;
                    }
                    None => ok = false,
                }
            }
            ok.then_some(actions)
        }
        Some(y) => {
            p.at(
                &at("actions"),
                format!(
                    "must be a list of actions such as [\"CONNECT_INSPECT\"], not {}",
                    yaml::kind(y)
                ),
            );
            None
        }
    };

    let roles = match (fields.get("role"), fields.get("roles")) {
        (Some(_), Some(_)) => {
            p.at(&path, "has both role and roles; give one of them");
            None
        }
        (None, None) => {
            p.at(
                &path,
                "has no role or roles; name the roles it applies to, or role: \"*\" for every role",
            );
            None
        }
        (Some(Yaml::Array(_)), None) => {
            p.at(&at("role"), "must be one role; use roles for a list");
            None
        }
        (Some(y), None) => match yaml::string(y, &at("role"), p) {
            Some(r) if r.is_empty() => {
                p.at(&at("role"), "is an empty role name");
                None
            }
            Some(r) => Some(vec![r]),
            None => None,
        },
        (None, Some(y)) => match role_list(y, &at("roles"), "[\"sre\", \"orders-team\"]", p) {
            Some(roles) if roles.is_empty() => {
                p.at(&at("roles"), "is empty; the policy would apply to no one");
                None
            }
            other => other,
        },
    };

    Some(Policy {
        index,
        resource: resource?,
        effect: effect?,
        actions: actions?,
        roles: roles?,
    })
}

fn parse_principal_roles(y: &Yaml, p: &mut Problems) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    let Some(entries) = yaml::mapping(y, "principal_roles", p) else {
        return out;
    };
    for (name, value) in entries {
        let path = format!("principal_roles.{name}");
        if name.is_empty() {
            p.at("principal_roles", "has an empty principal name");
            continue;
        }
        let roles = match value {
            Yaml::String(role) if role.is_empty() => {
                p.at(&path, "is an empty role name");
                None
            }
            Yaml::String(role) => Some(vec![role.clone()]),
            Yaml::Array(_) => yaml::string_list(value, &path, p),
            Yaml::Null => Some(Vec::new()),
            other => {
                p.at(
                    &path,
                    format!(
                        "must be a role or a list of roles such as [sre, ops], not {}",
                        yaml::kind(other)
                    ),
                );
                None
            }
        };
        let Some(roles) = roles else { continue };
        if let Some(i) = roles.iter().position(String::is_empty) {
            p.at(&format!("{path}[{i}]"), "is an empty role name");
            continue;
        }
        out.insert(name.to_string(), roles);
    }
    out
}
