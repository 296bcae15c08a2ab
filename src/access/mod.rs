//! Access control: deciding whether a principal may take a Kpow Connect action on a Connect
//! cluster or connector, by Kpow's rules. Either nothing is allowed, or simple access control
//! (`ALLOW_CONNECT_*` variables, global), or role-based access control from a Kpow RBAC file
//! (`RBAC_CONFIGURATION_FILE`), which replaces simple access control when set.
//!
//! Everything here is pure except [`Rbac::load`], which reads the file: a decision is a function
//! of the principal, the action and the resource, and comes with a machine reason and a human
//! explanation for audit lines and 403 bodies.

mod action;
mod principal;
mod rbac;
mod rbac_file;
mod resource;
mod simple;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

pub use action::{Action, UnknownAction};
pub use principal::{ANONYMOUS_PRINCIPAL, AUTO_RESTART_PRINCIPAL, Principal, PrincipalSource};
pub use rbac::{Effect, Policy, Rbac};
pub use resource::{
    ClusterPattern, NamePattern, ParsedResource, PolicyResource, Resource, parse_policy_resource,
};
pub use simple::SimpleAccess;

use crate::config::ConfigError;

/// The variable naming the RBAC file.
pub const RBAC_VARIABLE: &str = "RBAC_CONFIGURATION_FILE";

/// How access is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessControl {
    /// Nothing configured: every action is denied.
    DenyAll,
    /// `ALLOW_CONNECT_*`: the same answer for every principal and resource.
    Simple(SimpleAccess),
    /// A Kpow RBAC file.
    Rbac(Rbac),
}

/// Access control as loaded, with what the app should log at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedAccess {
    pub control: AccessControl,
    /// Settings that load but are ignored or probably not what was meant, one line each.
    pub warnings: Vec<String>,
}

impl AccessControl {
    /// Builds access control from the environment (or the merged configuration variables):
    /// `RBAC_CONFIGURATION_FILE` when set (the file is read here), else the `ALLOW_CONNECT_*`
    /// variables, else [`AccessControl::DenyAll`]. Every problem is reported at once.
    pub fn load(env: &HashMap<String, String>) -> Result<LoadedAccess, ConfigError> {
        AccessControl::load_with(env, Rbac::load)
    }

    /// [`AccessControl::load`] with the RBAC file read by `read_rbac` (tests pass a closure
    /// over a string).
    pub fn load_with(
        env: &HashMap<String, String>,
        read_rbac: impl FnOnce(&Path) -> Result<(Rbac, Vec<String>), Vec<String>>,
    ) -> Result<LoadedAccess, ConfigError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let control = match env.get(RBAC_VARIABLE).map(|s| s.trim()) {
            Some("") => {
                problems.push(format!(
                    "{RBAC_VARIABLE}: is empty; name the RBAC file, or unset it for simple \
                     access control"
                ));
                AccessControl::DenyAll
            }
            Some(path) => {
                let ignored: Vec<String> = Action::ALL
                    .iter()
                    .map(|a| a.allow_variable())
                    .filter(|v| env.contains_key(v))
                    .collect();
                if !ignored.is_empty() {
                    warnings.push(format!(
                        "{} ignored: {RBAC_VARIABLE} is set, and RBAC replaces simple access \
                         control",
                        ignored.join(", ")
                    ));
                }
                match read_rbac(Path::new(path)) {
                    Ok((rbac, w)) => {
                        warnings.extend(w);
                        AccessControl::Rbac(rbac)
                    }
                    Err(p) => {
                        problems.extend(p.into_iter().map(|p| format!("{RBAC_VARIABLE}: {p}")));
                        AccessControl::DenyAll
                    }
                }
            }
            None => match simple::from_env(env, &mut problems, &mut warnings) {
                Some(simple) => AccessControl::Simple(simple),
                None => AccessControl::DenyAll,
            },
        };
        if problems.is_empty() {
            Ok(LoadedAccess { control, warnings })
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The principal with the roles this access control gives it (RBAC's `principal_roles`;
    /// none otherwise).
    pub fn with_roles(&self, principal: Principal) -> Principal {
        match self {
            AccessControl::Rbac(rbac) => {
                let roles = rbac.roles_of(principal.source(), principal.name());
                principal.with_roles(roles)
            }
            AccessControl::DenyAll | AccessControl::Simple(_) => principal,
        }
    }

    /// May `principal` take `action` on `resource`?
    pub fn decide(&self, principal: &Principal, action: Action, resource: &Resource) -> Decision {
        match self {
            AccessControl::DenyAll => Decision::deny(
                Reason::ActionNotAllowed,
                format!(
                    "{action} is not allowed: no access control is configured; set {}=true or \
                     {RBAC_VARIABLE}",
                    action.allow_variable()
                ),
            ),
            AccessControl::Simple(simple) => match simple.granted_by(action) {
                Some(by) => Decision::allow(
                    Reason::AllowedBySetting,
                    format!(
                        "{}=true allows {action} on every resource",
                        by.allow_variable()
                    ),
                ),
                None => Decision::deny(
                    Reason::ActionNotAllowed,
                    format!(
                        "{action} is not allowed: {} is not true",
                        action.allow_variable()
                    ),
                ),
            },
            AccessControl::Rbac(rbac) => rbac.decide(principal, action, resource),
        }
    }

    /// One line for the start-up log and `--config.check`.
    pub fn describe(&self) -> String {
        match self {
            AccessControl::DenyAll => {
                "access control: every action denied (nothing configured)".to_string()
            }
            AccessControl::Simple(simple) => {
                let allowed: Vec<String> = simple.allowed().map(|a| a.allow_variable()).collect();
                if allowed.is_empty() {
                    "access control: simple, every action denied".to_string()
                } else {
                    format!("access control: simple, {}=true", allowed.join("=true, "))
                }
            }
            AccessControl::Rbac(rbac) => format!(
                "access control: RBAC from {} ({} polic{} on Kafka Connect, {} principal{} with \
                 roles)",
                rbac.file,
                rbac.policies.len(),
                if rbac.policies.len() == 1 { "y" } else { "ies" },
                rbac.principal_roles.len(),
                if rbac.principal_roles.len() == 1 {
                    ""
                } else {
                    "s"
                },
            ),
        }
    }
}

/// Why a decision went the way it did: a closed set, for audit lines, metrics and 403 bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// An RBAC policy allows it, and none denies it.
    AllowedByPolicy,
    /// Its `ALLOW_*` variable (or `ALLOW_CONNECT_EDIT`) is true.
    AllowedBySetting,
    /// An RBAC policy denies it (Deny wins over Allow).
    DeniedByPolicy,
    /// No RBAC policy of the principal's roles allows it (implicit deny).
    NoPolicy,
    /// The principal holds none of `authorized_roles`, or is not authenticated.
    NotAuthorizedRole,
    /// Simple access control (or none) does not allow it.
    ActionNotAllowed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AllowedByPolicy => "allowed_by_policy",
            Reason::AllowedBySetting => "allowed_by_setting",
            Reason::DeniedByPolicy => "denied_by_policy",
            Reason::NoPolicy => "no_policy",
            Reason::NotAuthorizedRole => "not_authorized_role",
            Reason::ActionNotAllowed => "action_not_allowed",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Allowed or denied, with the reason and an explanation that names the deciding policy or
/// setting. Serialises as `{"allowed":false,"reason":"no_policy","message":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    #[serde(rename = "message")]
    pub explanation: String,
}

impl Decision {
    fn allow(reason: Reason, explanation: String) -> Decision {
        Decision {
            allowed: true,
            reason,
            explanation,
        }
    }

    fn deny(reason: Reason, explanation: String) -> Decision {
        Decision {
            allowed: false,
            reason,
            explanation,
        }
    }

    /// The JSON body of a 403 (or of an audit record).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a decision always serialises")
    }
}

/// `denied (no_policy): no policy allows …`
impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        write!(f, "{verdict} ({}): {}", self.reason, self.explanation)
    }
}
