//! Role-based access control from a Kpow RBAC file (`RBAC_CONFIGURATION_FILE`): who may use the
//! exporter at all (`authorized_roles`), and which roles may take which actions on which Connect
//! resources (`policies`). Deny wins over Allow, and what no policy allows is denied.
//!
//! The one addition to Kpow's file is `principal_roles`, which gives roles to principals: Kpow
//! takes roles from its SSO provider, and the exporter has none.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::rbac_file;
use super::resource::PolicyResource;
use super::{
    AUTO_RESTART_PRINCIPAL, Action, Decision, Principal, PrincipalSource, Reason, Resource,
};
use crate::yaml;

/// What a policy does to the actions it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// One policy on Kafka Connect, with its index in the file's `policies` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub index: usize,
    pub resource: PolicyResource,
    pub effect: Effect,
    pub actions: Vec<Action>,
    /// `"*"` stands for every role.
    pub roles: Vec<String>,
}

impl Policy {
    fn applies_to(&self, principal: &Principal) -> bool {
        self.roles
            .iter()
            .any(|r| r == "*" || principal.roles().contains(r))
    }
}

/// `policies[1] (Allow CONNECT_ALTER_STATE on connect/US1/connector/orders-* for roles
/// orders-team, sre)`
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actions: Vec<&str> = self.actions.iter().map(|a| a.name()).collect();
        write!(
            f,
            "policies[{}] ({} {} on {} for ",
            self.index,
            self.effect,
            actions.join(", "),
            self.resource
        )?;
        if self.roles.iter().any(|r| r == "*") {
            f.write_str("every role)")
        } else if self.roles.len() == 1 {
            write!(f, "role {})", self.roles[0])
        } else {
            write!(f, "roles {})", self.roles.join(", "))
        }
    }
}

/// A loaded RBAC file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rbac {
    /// Where it was read from, for `--config.check` and messages.
    pub file: String,
    pub authorized_roles: Vec<String>,
    /// Accepted as in Kpow, without effect: the exporter has no approval workflow.
    pub admin_roles: Vec<String>,
    /// The policies on Kafka Connect; policies on Kpow's other domains are left out.
    pub policies: Vec<Policy>,
    pub principal_roles: HashMap<String, Vec<String>>,
}

impl Rbac {
    /// Reads and checks the file: the one function of access control that does I/O.
    pub fn load(path: &Path) -> Result<(Rbac, Vec<String>), Vec<String>> {
        match yaml::read_file(path) {
            Ok(text) => Rbac::parse(path, &text),
            Err(e) => Err(vec![format!("{} {e}", path.display())]),
        }
    }

    /// Checks the text of an RBAC file. Every problem is reported, each naming `file` and the
    /// key; warnings say what loads but is ignored.
    pub fn parse(file: &Path, text: &str) -> Result<(Rbac, Vec<String>), Vec<String>> {
        rbac_file::parse(file, text)
    }

    /// The roles `principal_roles` gives a principal. The reserved name `auto-restart` gives its
    /// roles to the auto-restart principal only; an anonymous principal holds none.
    pub fn roles_of(&self, source: PrincipalSource, name: &str) -> Vec<String> {
        let reserved = name == AUTO_RESTART_PRINCIPAL;
        let eligible = match source {
            PrincipalSource::Anonymous => false,
            PrincipalSource::AutoRestart => true,
            PrincipalSource::BasicAuth | PrincipalSource::ClientCertificate => !reserved,
        };
        if !eligible {
            return Vec::new();
        }
        self.principal_roles.get(name).cloned().unwrap_or_default()
    }

    pub(super) fn decide(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Decision {
        if !principal.is_authenticated() {
            return Decision::deny(
                Reason::NotAuthorizedRole,
                format!(
                    "{principal} is not authenticated; RBAC admits authenticated principals only \
                     (basic auth or a client certificate)"
                ),
            );
        }
        let authorized = self
            .authorized_roles
            .iter()
            .any(|r| r == "*" || principal.roles().contains(r));
        if !authorized {
            return Decision::deny(
                Reason::NotAuthorizedRole,
                format!(
                    "{principal} holds none of the authorized_roles ({})",
                    self.authorized_roles.join(", ")
                ),
            );
        }
        let matching = self.policies.iter().filter(|p| {
            p.applies_to(principal)
                && p.resource.matches(resource)
                && p.actions.iter().any(|a| a.covers(action))
        });
        let (mut allow, mut deny) = (None, None);
        for policy in matching {
            match policy.effect {
                Effect::Deny => {
                    deny = Some(policy);
                    break;
                }
                Effect::Allow => {
                    allow.get_or_insert(policy);
                }
            }
        }
        match (deny, allow) {
            (Some(policy), _) => Decision::deny(
                Reason::DeniedByPolicy,
                format!("{policy} denies {action} on {resource} to {principal}"),
            ),
            (None, Some(policy)) => Decision::allow(
                Reason::AllowedByPolicy,
                format!("{policy} allows {action} on {resource} to {principal}"),
            ),
            (None, None) => Decision::deny(
                Reason::NoPolicy,
                format!("no policy allows {action} on {resource} to {principal}"),
            ),
        }
    }
}
