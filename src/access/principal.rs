//! Who asks: a name, where the name came from, and the roles it holds (from the RBAC file's
//! `principal_roles`; none under simple access control, which does not look at roles).

use std::fmt;

/// The name of the exporter's own auto-restart, when it restarts a failed connector or task.
/// It is reserved: an entry with this name in `principal_roles` gives roles to auto-restart
/// only, never to a basic-auth user or a certificate that happens to carry the same name.
pub const AUTO_RESTART_PRINCIPAL: &str = "auto-restart";

/// The name of a request that carried no credentials, when the web configuration asks for none.
pub const ANONYMOUS_PRINCIPAL: &str = "anonymous";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalSource {
    /// No authentication configured or given. Never "authenticated" for `authorized_roles`.
    Anonymous,
    /// A user of the web configuration's `basic_auth_users`.
    BasicAuth,
    /// The subject (its CN, or the whole subject without one) of a verified client certificate.
    ClientCertificate,
    /// The exporter's own auto-restart ([`AUTO_RESTART_PRINCIPAL`]).
    AutoRestart,
}

impl PrincipalSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalSource::Anonymous => "anonymous",
            PrincipalSource::BasicAuth => "basic_auth",
            PrincipalSource::ClientCertificate => "client_certificate",
            PrincipalSource::AutoRestart => "auto_restart",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    name: String,
    source: PrincipalSource,
    roles: Vec<String>,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal::new(ANONYMOUS_PRINCIPAL, PrincipalSource::Anonymous)
    }

    pub fn basic_auth(user: impl Into<String>) -> Principal {
        Principal::new(user, PrincipalSource::BasicAuth)
    }

    pub fn client_certificate(subject: impl Into<String>) -> Principal {
        Principal::new(subject, PrincipalSource::ClientCertificate)
    }

    pub fn auto_restart() -> Principal {
        Principal::new(AUTO_RESTART_PRINCIPAL, PrincipalSource::AutoRestart)
    }

    fn new(name: impl Into<String>, source: PrincipalSource) -> Principal {
        Principal {
            name: name.into(),
            source,
            roles: Vec::new(),
        }
    }

    /// The same principal holding `roles` (see `AccessControl::with_roles`, which looks them up).
    pub fn with_roles(mut self, roles: Vec<String>) -> Principal {
        self.roles = roles;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn source(&self) -> PrincipalSource {
        self.source
    }

    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the principal proved who it is (or is the exporter itself).
    pub fn is_authenticated(&self) -> bool {
        self.source != PrincipalSource::Anonymous
    }
}

/// `alice (basic_auth, roles: sre, ops)`, for audit lines and explanations.
impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.name, self.source.as_str())?;
        if self.source != PrincipalSource::Anonymous {
            if self.roles.is_empty() {
                f.write_str(", no roles")?;
            } else {
                write!(f, ", roles: {}", self.roles.join(", "))?;
            }
        }
        f.write_str(")")
    }
}
