//! Kpow's simple access control: one `ALLOW_<ACTION>` environment variable per action, each
//! denied unless true, global to every principal and every resource.

use std::collections::{BTreeSet, HashMap};

use super::Action;
use crate::config::parse_bool;

/// The actions whose `ALLOW_*` variable is true.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleAccess {
    allowed: BTreeSet<Action>,
}

impl SimpleAccess {
    /// Grants exactly these actions (and what `CONNECT_EDIT` covers, when it is among them).
    pub fn allowing(actions: impl IntoIterator<Item = Action>) -> SimpleAccess {
        SimpleAccess {
            allowed: actions.into_iter().collect(),
        }
    }

    /// The `ALLOW_*` variable that grants `action`, if one does: its own first, then
    /// `ALLOW_CONNECT_EDIT` for the four actions it covers.
    pub fn granted_by(&self, action: Action) -> Option<Action> {
        if self.allowed.contains(&action) {
            return Some(action);
        }
        self.allowed.iter().copied().find(|a| a.covers(action))
    }

    /// The actions set to true, in Kpow's order.
    pub fn allowed(&self) -> impl Iterator<Item = Action> + '_ {
        self.allowed.iter().copied()
    }
}

/// Reads the `ALLOW_*` variables of `env`. `None` when none is set. Bad values are problems
/// (`ALLOW_CONNECT_INSPECT: "maybe" is not true or false`); an explicit false that
/// `ALLOW_CONNECT_EDIT=true` overrides is a warning.
pub(super) fn from_env(
    env: &HashMap<String, String>,
    problems: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Option<SimpleAccess> {
    let mut any = false;
    let mut allowed = BTreeSet::new();
    let mut denied = Vec::new();
    for action in Action::ALL {
        let var = action.allow_variable();
        let Some(raw) = env.get(&var) else { continue };
        any = true;
        match parse_bool(raw.trim()) {
            Some(true) => {
                allowed.insert(action);
            }
            Some(false) => denied.push(action),
            None => problems.push(format!(
                "{var}: \"{raw}\" is not true or false (1/0 and yes/no work too)"
            )),
        }
    }
    if allowed.contains(&Action::ConnectEdit) {
        for action in denied
            .into_iter()
            .filter(|a| Action::ConnectEdit.covers(*a))
        {
            warnings.push(format!(
                "{}=false has no effect: ALLOW_CONNECT_EDIT=true allows {action}",
                action.allow_variable()
            ));
        }
    }
    any.then_some(SimpleAccess { allowed })
}
