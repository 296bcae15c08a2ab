//! Kpow's Connect actions, by their exact names. The exporter itself only ever inspects a
//! connector's configuration and alters connector state (pause, resume, stop, restart); the other
//! actions are recognised so that a Kpow RBAC file or `ALLOW_*` setting loads unchanged.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// View a connector's configuration.
    ConnectInspect,
    /// Pause, resume, stop and restart connectors and tasks.
    ConnectAlterState,
    /// Change a connector's configuration.
    ConnectEditConfig,
    /// Create connectors.
    ConnectCreate,
    /// Delete connectors.
    ConnectDelete,
    /// Kpow's older action, split since into inspect, alter state, edit config and delete: it
    /// grants (or, in a Deny policy, denies) those four, never create.
    ConnectEdit,
}

impl Action {
    /// Every action, in the order Kpow's documentation lists them.
    pub const ALL: [Action; 6] = [
        Action::ConnectInspect,
        Action::ConnectAlterState,
        Action::ConnectEditConfig,
        Action::ConnectCreate,
        Action::ConnectDelete,
        Action::ConnectEdit,
    ];

    /// Kpow's name, e.g. `CONNECT_ALTER_STATE`.
    pub fn name(self) -> &'static str {
        match self {
            Action::ConnectInspect => "CONNECT_INSPECT",
            Action::ConnectAlterState => "CONNECT_ALTER_STATE",
            Action::ConnectEditConfig => "CONNECT_EDIT_CONFIG",
            Action::ConnectCreate => "CONNECT_CREATE",
            Action::ConnectDelete => "CONNECT_DELETE",
            Action::ConnectEdit => "CONNECT_EDIT",
        }
    }

    /// Whether granting (or denying) `self` grants (or denies) `requested`: an action covers
    /// itself, and `CONNECT_EDIT` also covers the four actions it was split into.
    pub fn covers(self, requested: Action) -> bool {
        self == requested
            || (self == Action::ConnectEdit
                && matches!(
                    requested,
                    Action::ConnectInspect
                        | Action::ConnectAlterState
                        | Action::ConnectEditConfig
                        | Action::ConnectDelete
                ))
    }

    /// The environment variable of simple access control that allows this action.
    pub fn allow_variable(self) -> String {
        format!("ALLOW_{}", self.name())
    }

    /// "CONNECT_INSPECT, CONNECT_ALTER_STATE, … and CONNECT_EDIT", for messages.
    pub fn names_for_humans() -> String {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        let (last, rest) = names.split_last().expect("ALL is not empty");
        format!("{} and {last}", rest.join(", "))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An action name that is not one of Kpow's Connect actions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action \"{0}\"; the Connect actions are {names}", names = Action::names_for_humans())]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    /// Exact names only, as Kpow writes them.
    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAction(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::Action::{self, *};

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for a in Action::ALL {
            assert_eq!(a.name().parse::<Action>(), Ok(a));
            assert_eq!(a.to_string(), a.name());
        }
        assert_eq!(
            "connect_inspect".parse::<Action>().unwrap_err().to_string(),
            "unknown action \"connect_inspect\"; the Connect actions are CONNECT_INSPECT, \
             CONNECT_ALTER_STATE, CONNECT_EDIT_CONFIG, CONNECT_CREATE, CONNECT_DELETE and \
             CONNECT_EDIT"
        );
    }

    #[test]
    fn connect_edit_covers_four_actions_but_not_create() {
        let covered: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| ConnectEdit.covers(*a))
            .collect();
        assert_eq!(
            covered,
            [
                ConnectInspect,
                ConnectAlterState,
                ConnectEditConfig,
                ConnectDelete,
                ConnectEdit
            ]
        );
        assert!(!ConnectInspect.covers(ConnectAlterState));
        assert!(!ConnectAlterState.covers(ConnectEdit));
        assert_eq!(
            ConnectEditConfig.allow_variable(),
            "ALLOW_CONNECT_EDIT_CONFIG"
        );
    }
}
