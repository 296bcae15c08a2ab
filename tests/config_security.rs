//! The protection and action settings of the configuration: `--web.config.file`, access control
//! and auto-restart, read from flags, the environment and `--config.file`, every problem reported
//! at once with the others, and the warnings for settings that let more or less through than
//! meant.

mod common;

use std::time::Duration;

use common::env;
use kconnect_exporter::access::AccessControl;
use kconnect_exporter::config::{Args, AutoRestart, Config};

fn args(flags: &[&str]) -> Args {
    let mut argv = vec!["kconnect-exporter".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    Args::parse_from_os(argv.into_iter().map(Into::into)).expect("flags parse")
}

fn load(flags: &[&str], vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    Config::load(&args(flags), env(vars)).map_err(|e| e.problems)
}

#[test]
fn nothing_configured_denies_every_action_and_restarts_nothing() {
    let c = load(&[], &[]).unwrap();
    let s = &c.security;
    assert!(s.web.is_none() && s.web_config_file.is_none());
    assert_eq!(s.access, AccessControl::DenyAll);
    assert!(!s.authenticates());
    assert_eq!(s.auto_restart_of("default"), AutoRestart::default());
    assert!(!s.auto_restart_of("default").enabled);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn auto_restart_per_cluster_with_its_tuning() {
    let c = load(
        &[],
        &[
            ("CONNECT_RESOURCE_IDS", "US1,EU2"),
            ("US1_CONNECT_REST_URL", "http://us1:8083"),
            ("EU2_CONNECT_REST_URL", "http://eu2:8083"),
            ("US1_CONNECT_AUTO_RESTART", "true"),
            ("US1_CONNECT_AUTO_RESTART_MAX_ATTEMPTS", "3"),
            ("US1_CONNECT_AUTO_RESTART_RESET_AFTER", "30m"),
            ("US1_CONNECT_AUTO_RESTART_BACKOFF_UNIT", "5s"),
            ("ALLOW_CONNECT_ALTER_STATE", "true"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.security.auto_restart_of("US1"),
        AutoRestart {
            enabled: true,
            max_attempts: 3,
            reset_after: Duration::from_secs(1800),
            backoff_unit: Duration::from_secs(5),
        }
    );
    assert!(!c.security.auto_restart_of("EU2").enabled);
    assert_eq!(
        c.warnings,
        [
            "ALLOW_CONNECT_ALTER_STATE=true with no authentication in the web configuration \
          (KCONNECT_WEB_CONFIG_FILE): anyone who can reach the exporter may use the actions API"
        ]
    );
}

#[test]
fn every_problem_is_reported_with_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let rbac = dir.path().join("rbac.yaml");
    std::fs::write(
        &rbac,
        "authorized_roles: [\"*\"]\npolicies:\n  - resource: [\"connect\", \"*\"]\n    \
         effect: Stage\n    actions: [\"CONNECT_ALTER_STATE\"]\n    role: \"*\"\n",
    )
    .unwrap();
    let rbac = rbac.display().to_string();
    let problems = load(
        &[
            "--web.config.file=/nonexistent/web.yml",
            "--observation.interval=0s",
        ],
        &[
            ("CONNECT_AUTO_RESTART", "sometimes"),
            ("CONNECT_AUTO_RESTART_MAX_ATTEMPTS", "0"),
            ("CONNECT_AUTO_RESTART_RESET_AFTER", "soon"),
            ("CONNECT_AUTO_RESTART_BACKOFF_UNIT", "100ms"),
            ("RBAC_CONFIGURATION_FILE", &rbac),
        ],
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "--observation.interval: \"0s\" is not a duration from 1s to 1h, such as 30s or 1m"
                .to_string(),
            "--web.config.file: /nonexistent/web.yml cannot be read: No such file or directory \
             (os error 2)"
                .to_string(),
            format!(
                "RBAC_CONFIGURATION_FILE: {rbac}: policies[0].effect: Stage is not supported: in \
                 Kpow it holds an action for an admin's approval, and the exporter has no \
                 approval UI; use Allow for the roles that may take the action without \
                 approval, or Deny"
            ),
            "CONNECT_AUTO_RESTART: \"sometimes\" is not true or false".to_string(),
            "CONNECT_AUTO_RESTART_MAX_ATTEMPTS: \"0\" is not a whole number of attempts from 1 \
             to 100"
                .to_string(),
            "CONNECT_AUTO_RESTART_RESET_AFTER: \"soon\" is not a duration from 1s to 24h, such \
             as 30s or 10m"
                .to_string(),
            "CONNECT_AUTO_RESTART_BACKOFF_UNIT: \"100ms\" is not a duration from 1s to 24h, \
             such as 30s or 10m"
                .to_string(),
        ]
    );
}

#[test]
fn the_config_file_takes_every_variable_of_access_control_and_auto_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kconnect.toml");
    std::fs::write(
        &file,
        "CONNECT_RESOURCE_IDS = \"US1\"\nUS1_CONNECT_REST_URL = \"http://us1:8083\"\n\
         US1_CONNECT_AUTO_RESTART = true\nus1_connect_auto_restart_max_attempts = 4\n\
         ALLOW_CONNECT_INSPECT = true\nALLOW_CONNECT_EDIT = \"true\"\n\
         CONNECT_AUTO_RESTART = true\nUS2_CONNECT_AUTO_RESTART = true\n",
    )
    .unwrap();
    let flag = format!("--config.file={}", file.display());
    let problems = load(&[&flag], &[]).unwrap_err();
    // The unprefixed and the unknown cluster's are no settings with CONNECT_RESOURCE_IDS set.
    let shown = file.display();
    assert_eq!(
        problems,
        [format!(
            "{shown}:8: US2_CONNECT_AUTO_RESTART is not a setting of this exporter; did you mean US1_CONNECT_AUTO_RESTART?"
        )]
    );
    std::fs::write(
        &file,
        "CONNECT_RESOURCE_IDS = \"US1\"\nUS1_CONNECT_REST_URL = \"http://us1:8083\"\n\
         US1_CONNECT_AUTO_RESTART = true\nus1_connect_auto_restart_max_attempts = 4\n\
         ALLOW_CONNECT_INSPECT = true\nALLOW_CONNECT_EDIT = \"true\"\n\
         CONNECT_AUTO_RESTART = true\n",
    )
    .unwrap();
    let c = load(&[&flag], &[]).unwrap();
    assert_eq!(c.security.auto_restart_of("US1").max_attempts, 4);
    assert_eq!(
        c.security.access.describe(),
        "access control: simple, ALLOW_CONNECT_INSPECT=true, ALLOW_CONNECT_EDIT=true"
    );
    assert!(
        c.warnings.contains(
            &"CONNECT_AUTO_RESTART is ignored: CONNECT_RESOURCE_IDS is set, so each cluster's \
          variables need its id as prefix"
                .to_string()
        )
    );
}

#[test]
fn warnings_for_settings_that_do_nothing_or_open_too_much() {
    let dir = tempfile::tempdir().unwrap();
    let rbac = dir.path().join("rbac.yaml");
    std::fs::write(
        &rbac,
        "authorized_roles: [\"*\"]\npolicies:\n  - resource: [\"connect\", \"*\"]\n    \
         effect: Allow\n    actions: [\"CONNECT_ALTER_STATE\"]\n    role: ops\n\
         principal_roles:\n  alice: ops\n",
    )
    .unwrap();
    let rbac = rbac.display().to_string();
    let c = load(
        &[],
        &[
            ("RBAC_CONFIGURATION_FILE", &rbac),
            ("ALLOW_CONNECT_INSPECT", "true"),
            ("CONNECT_AUTO_RESTART_MAX_ATTEMPTS", "3"),
        ],
    )
    .unwrap();
    assert_eq!(
        c.warnings,
        [
            "ALLOW_CONNECT_INSPECT ignored: RBAC_CONFIGURATION_FILE is set, and RBAC replaces \
             simple access control"
                .to_string(),
            "CONNECT_AUTO_RESTART_MAX_ATTEMPTS has no effect: CONNECT_AUTO_RESTART is not true"
                .to_string(),
            "RBAC_CONFIGURATION_FILE is set but the web configuration (KCONNECT_WEB_CONFIG_FILE) \
             authenticates nobody: RBAC admits authenticated principals only, so no user can act \
             (auto-restart can)"
                .to_string(),
        ]
    );
    let c = load(&[], &[("CONNECT_AUTO_RESTART", "true")]).unwrap();
    assert_eq!(
        c.warnings,
        [
            "auto-restart of cluster default is on but access control allows no \
          CONNECT_ALTER_STATE: it restarts nothing; set ALLOW_CONNECT_ALTER_STATE=true, or give \
          the principal auto-restart a role in RBAC_CONFIGURATION_FILE"
        ]
    );
}
