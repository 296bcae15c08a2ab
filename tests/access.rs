//! Access control as an operator configures it: Kpow's RBAC file (with the exporter's
//! `principal_roles`), the `ALLOW_CONNECT_*` variables, and the decisions they give.

use std::collections::HashMap;
use std::path::Path;

use kconnect_exporter::access::Action::{self, *};
use kconnect_exporter::access::{AccessControl, LoadedAccess, Principal, Rbac, Reason, Resource};

const RBAC_PATH: &str = "/etc/kconnect/rbac.yaml";

/// Kpow's documented example, plus the exporter's `principal_roles`.
const KPOW_EXAMPLE: &str = r#"
authorized_roles: ["*"]
admin_roles: ["platform-admins"]
policies:
  - resource: ["connect", "*"]
    effect: Allow
    actions: ["CONNECT_INSPECT"]
    role: "*"
  - resource: ["connect", "US1", "connector", "orders-*"]
    effect: Allow
    actions: ["CONNECT_ALTER_STATE"]
    roles: ["orders-team", "sre"]
  - resource: ["connect", "*", "connector", "*-prod"]
    effect: Deny
    actions: ["CONNECT_ALTER_STATE"]
    role: "orders-team"
principal_roles:
  alice: [orders-team]
  bob: [sre]
  "kconnect-client": [prometheus]
"#;

/// Legacy CONNECT_EDIT, restricted authorized_roles, suffix patterns, auto-restart's roles.
const OPS_FILE: &str = r#"
authorized_roles: [ops, automation]
policies:
  - resource: ["connect", "*"]
    effect: Allow
    actions: [CONNECT_EDIT]
    role: ops
  - resource: ["connect", "EU2", "connector", "billing-*"]
    effect: Deny
    actions: [CONNECT_DELETE]
    role: "*"
  - resource: ["connect", "*", "connector", "*-sink"]
    effect: Allow
    actions: [CONNECT_ALTER_STATE]
    role: automation
principal_roles:
  dave: ops
  erin: [viewer]
  auto-restart: [automation]
"#;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Loads with `RBAC_CONFIGURATION_FILE` pointing at a file holding `text`.
fn load_rbac(text: &str, more: &[(&str, &str)]) -> Result<LoadedAccess, Vec<String>> {
    let mut vars = env(more);
    vars.insert("RBAC_CONFIGURATION_FILE".into(), RBAC_PATH.into());
    AccessControl::load_with(&vars, |path| {
        assert_eq!(path, Path::new(RBAC_PATH));
        Rbac::parse(path, text)
    })
    .map_err(|e| e.problems)
}

fn rbac(text: &str) -> AccessControl {
    let loaded = load_rbac(text, &[]).unwrap();
    loaded.control
}

#[derive(Clone, Copy)]
enum Who {
    User(&'static str),
    Cert(&'static str),
    AutoRestart,
    Anonymous,
}

fn principal(control: &AccessControl, who: Who) -> Principal {
    let p = match who {
        Who::User(name) => Principal::basic_auth(name),
        Who::Cert(cn) => Principal::client_certificate(cn),
        Who::AutoRestart => Principal::auto_restart(),
        Who::Anonymous => Principal::anonymous(),
    };
    control.with_roles(p)
}

fn on(cluster: &str, connector: Option<&str>) -> Resource {
    match connector {
        Some(name) => Resource::connector(cluster, name),
        None => Resource::cluster(cluster),
    }
}

/// (who, action, cluster, connector, reason, deciding policy index)
type Row = (
    Who,
    Action,
    &'static str,
    Option<&'static str>,
    Reason,
    Option<usize>,
);

fn check(control: &AccessControl, rows: &[Row]) {
    for (i, &(who, action, cluster, connector, reason, policy)) in rows.iter().enumerate() {
        let p = principal(control, who);
        let d = control.decide(&p, action, &on(cluster, connector));
        let allowed = matches!(reason, Reason::AllowedByPolicy | Reason::AllowedBySetting);
        let label = format!("row {i}: {p} {action} {cluster}/{connector:?} -> {d}");
        assert_eq!(d.reason, reason, "{label}");
        assert_eq!(d.allowed, allowed, "{label}");
        match policy {
            Some(n) => assert!(
                d.explanation.starts_with(&format!("policies[{n}] (")),
                "{label}"
            ),
            None => assert!(!d.explanation.contains("policies["), "{label}"),
        }
    }
}

#[test]
fn kpow_example_file_decides_as_documented() {
    use Reason::*;
    use Who::*;
    let control = rbac(KPOW_EXAMPLE);
    let rows: &[Row] = &[
        // role "*" lets every authenticated principal inspect everything
        (
            User("alice"),
            ConnectInspect,
            "US1",
            Some("orders-eu"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("carol"),
            ConnectInspect,
            "EU2",
            None,
            AllowedByPolicy,
            Some(0),
        ),
        (
            Cert("kconnect-client"),
            ConnectInspect,
            "default",
            Some("x"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            AutoRestart,
            ConnectInspect,
            "US1",
            Some("orders-eu"),
            AllowedByPolicy,
            Some(0),
        ),
        // not authenticated: "*" in authorized_roles means authenticated principals
        (
            Anonymous,
            ConnectInspect,
            "US1",
            None,
            NotAuthorizedRole,
            None,
        ),
        // prefix pattern, exact cluster
        (
            User("alice"),
            ConnectAlterState,
            "US1",
            Some("orders-eu"),
            AllowedByPolicy,
            Some(1),
        ),
        (
            User("bob"),
            ConnectAlterState,
            "US1",
            Some("orders-eu"),
            AllowedByPolicy,
            Some(1),
        ),
        // deny wins over allow, for the role it names only
        (
            User("alice"),
            ConnectAlterState,
            "US1",
            Some("orders-prod"),
            DeniedByPolicy,
            Some(2),
        ),
        (
            User("bob"),
            ConnectAlterState,
            "US1",
            Some("orders-prod"),
            AllowedByPolicy,
            Some(1),
        ),
        // implicit deny: other cluster, the cluster itself, other names, other actions
        (
            User("bob"),
            ConnectAlterState,
            "EU2",
            Some("orders-eu"),
            NoPolicy,
            None,
        ),
        (User("bob"), ConnectAlterState, "US1", None, NoPolicy, None),
        (
            User("bob"),
            ConnectAlterState,
            "US1",
            Some("billing"),
            NoPolicy,
            None,
        ),
        (
            User("alice"),
            ConnectEditConfig,
            "US1",
            Some("orders-eu"),
            NoPolicy,
            None,
        ),
        (
            User("carol"),
            ConnectAlterState,
            "US1",
            Some("orders-eu"),
            NoPolicy,
            None,
        ),
        (
            Cert("kconnect-client"),
            ConnectAlterState,
            "US1",
            Some("orders-eu"),
            NoPolicy,
            None,
        ),
        (
            AutoRestart,
            ConnectAlterState,
            "US1",
            Some("orders-eu"),
            NoPolicy,
            None,
        ),
    ];
    check(&control, rows);
}

#[test]
fn legacy_edit_authorized_roles_wildcards_and_auto_restart() {
    use Reason::*;
    use Who::*;
    let control = rbac(OPS_FILE);
    let rows: &[Row] = &[
        // CONNECT_EDIT covers inspect, alter state, edit config and delete, on every cluster
        (
            User("dave"),
            ConnectInspect,
            "US1",
            Some("orders"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("dave"),
            ConnectAlterState,
            "default",
            Some("x"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("dave"),
            ConnectEditConfig,
            "EU2",
            Some("orders"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("dave"),
            ConnectDelete,
            "EU2",
            Some("orders"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("dave"),
            ConnectEdit,
            "EU2",
            None,
            AllowedByPolicy,
            Some(0),
        ),
        // ... but not create
        (User("dave"), ConnectCreate, "US1", None, NoPolicy, None),
        // a Deny for role "*" beats the Allow that CONNECT_EDIT gives
        (
            User("dave"),
            ConnectDelete,
            "EU2",
            Some("billing-eu"),
            DeniedByPolicy,
            Some(1),
        ),
        (
            User("dave"),
            ConnectDelete,
            "US1",
            Some("billing-eu"),
            AllowedByPolicy,
            Some(0),
        ),
        (
            User("dave"),
            ConnectAlterState,
            "EU2",
            Some("billing-eu"),
            AllowedByPolicy,
            Some(0),
        ),
        // roles outside authorized_roles, and no roles at all
        (
            User("erin"),
            ConnectInspect,
            "US1",
            None,
            NotAuthorizedRole,
            None,
        ),
        (
            User("frank"),
            ConnectInspect,
            "US1",
            None,
            NotAuthorizedRole,
            None,
        ),
        // auto-restart holds its roles; suffix pattern on any cluster
        (
            AutoRestart,
            ConnectAlterState,
            "US1",
            Some("orders-sink"),
            AllowedByPolicy,
            Some(2),
        ),
        (
            AutoRestart,
            ConnectAlterState,
            "EU2",
            Some("s3-sink"),
            AllowedByPolicy,
            Some(2),
        ),
        (
            AutoRestart,
            ConnectAlterState,
            "EU2",
            Some("s3-sink-2"),
            NoPolicy,
            None,
        ),
        (
            AutoRestart,
            ConnectInspect,
            "EU2",
            Some("s3-sink"),
            NoPolicy,
            None,
        ),
        // the reserved name gives nothing to a user or certificate that carries it
        (
            User("auto-restart"),
            ConnectAlterState,
            "US1",
            Some("orders-sink"),
            NotAuthorizedRole,
            None,
        ),
        (
            Cert("auto-restart"),
            ConnectAlterState,
            "US1",
            Some("orders-sink"),
            NotAuthorizedRole,
            None,
        ),
    ];
    check(&control, rows);
}

#[test]
fn explanations_name_the_policy_the_principal_and_the_resource() {
    let control = rbac(KPOW_EXAMPLE);
    let alice = principal(&control, Who::User("alice"));
    let d = control.decide(&alice, ConnectAlterState, &on("US1", Some("orders-prod")));
    assert_eq!(
        d.to_string(),
        "denied (denied_by_policy): policies[2] (Deny CONNECT_ALTER_STATE on \
         connect/*/connector/*-prod for role orders-team) denies CONNECT_ALTER_STATE on \
         connect/US1/connector/orders-prod to alice (basic_auth, roles: orders-team)"
    );
    assert_eq!(
        serde_json::to_string(&d.to_json()).unwrap(),
        "{\"allowed\":false,\"message\":\"policies[2] (Deny CONNECT_ALTER_STATE on \
         connect/*/connector/*-prod for role orders-team) denies CONNECT_ALTER_STATE on \
         connect/US1/connector/orders-prod to alice (basic_auth, roles: orders-team)\",\
         \"reason\":\"denied_by_policy\"}"
    );
    let bob = principal(&control, Who::User("bob"));
    let d = control.decide(&bob, ConnectAlterState, &on("US1", Some("orders-eu")));
    assert_eq!(
        d.explanation,
        "policies[1] (Allow CONNECT_ALTER_STATE on connect/US1/connector/orders-* for roles \
         orders-team, sre) allows CONNECT_ALTER_STATE on connect/US1/connector/orders-eu to bob \
         (basic_auth, roles: sre)"
    );
    let d = control.decide(&bob, ConnectAlterState, &on("US1", None));
    assert_eq!(
        d.explanation,
        "no policy allows CONNECT_ALTER_STATE on connect/US1 to bob (basic_auth, roles: sre)"
    );
    let cn = principal(&control, Who::Cert("kconnect-client"));
    let d = control.decide(&cn, ConnectInspect, &on("default", None));
    assert_eq!(
        d.explanation,
        "policies[0] (Allow CONNECT_INSPECT on connect/* for every role) allows CONNECT_INSPECT \
         on connect/default to kconnect-client (client_certificate, roles: prometheus)"
    );
    let d = control.decide(&Principal::anonymous(), ConnectInspect, &on("US1", None));
    assert_eq!(
        d.explanation,
        "anonymous (anonymous) is not authenticated; RBAC admits authenticated principals only \
         (basic auth or a client certificate)"
    );
    let ops = rbac(OPS_FILE);
    let erin = principal(&ops, Who::User("erin"));
    let d = ops.decide(&erin, ConnectInspect, &on("US1", None));
    assert_eq!(
        d.explanation,
        "erin (basic_auth, roles: viewer) holds none of the authorized_roles (ops, automation)"
    );
    let frank = principal(&ops, Who::User("frank"));
    let d = ops.decide(&frank, ConnectInspect, &on("US1", None));
    assert_eq!(
        d.explanation,
        "frank (basic_auth, no roles) holds none of the authorized_roles (ops, automation)"
    );
}

#[test]
fn simple_access_control_from_the_allow_variables() {
    // (variables, action, allowed, reason, explanation)
    type Row = (
        &'static [(&'static str, &'static str)],
        Action,
        Reason,
        &'static str,
    );
    let rows: &[Row] = &[
        (
            &[],
            ConnectInspect,
            Reason::ActionNotAllowed,
            "CONNECT_INSPECT is not allowed: no access control is configured; set \
             ALLOW_CONNECT_INSPECT=true or RBAC_CONFIGURATION_FILE",
        ),
        (
            &[("ALLOW_CONNECT_INSPECT", "true")],
            ConnectInspect,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_INSPECT=true allows CONNECT_INSPECT on every resource",
        ),
        (
            &[("ALLOW_CONNECT_INSPECT", "true")],
            ConnectAlterState,
            Reason::ActionNotAllowed,
            "CONNECT_ALTER_STATE is not allowed: ALLOW_CONNECT_ALTER_STATE is not true",
        ),
        (
            &[
                ("ALLOW_CONNECT_ALTER_STATE", "1"),
                ("ALLOW_CONNECT_INSPECT", "0"),
            ],
            ConnectAlterState,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_ALTER_STATE=true allows CONNECT_ALTER_STATE on every resource",
        ),
        (
            &[
                ("ALLOW_CONNECT_ALTER_STATE", "1"),
                ("ALLOW_CONNECT_INSPECT", "No"),
            ],
            ConnectInspect,
            Reason::ActionNotAllowed,
            "CONNECT_INSPECT is not allowed: ALLOW_CONNECT_INSPECT is not true",
        ),
        (
            &[("ALLOW_CONNECT_EDIT", "YES")],
            ConnectInspect,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_EDIT=true allows CONNECT_INSPECT on every resource",
        ),
        (
            &[("ALLOW_CONNECT_EDIT", "True")],
            ConnectAlterState,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_EDIT=true allows CONNECT_ALTER_STATE on every resource",
        ),
        (
            &[("ALLOW_CONNECT_EDIT", "true")],
            ConnectEditConfig,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_EDIT=true allows CONNECT_EDIT_CONFIG on every resource",
        ),
        (
            &[("ALLOW_CONNECT_EDIT", "true")],
            ConnectDelete,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_EDIT=true allows CONNECT_DELETE on every resource",
        ),
        (
            &[("ALLOW_CONNECT_EDIT", "true")],
            ConnectCreate,
            Reason::ActionNotAllowed,
            "CONNECT_CREATE is not allowed: ALLOW_CONNECT_CREATE is not true",
        ),
        (
            &[
                ("ALLOW_CONNECT_EDIT", "true"),
                ("ALLOW_CONNECT_DELETE", "true"),
            ],
            ConnectDelete,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_DELETE=true allows CONNECT_DELETE on every resource",
        ),
        (
            &[
                ("ALLOW_CONNECT_CREATE", "true"),
                ("ALLOW_CONNECT_EDIT_CONFIG", "true"),
            ],
            ConnectCreate,
            Reason::AllowedBySetting,
            "ALLOW_CONNECT_CREATE=true allows CONNECT_CREATE on every resource",
        ),
    ];
    // The answer is the same for anyone, anywhere.
    let who = [
        Principal::anonymous(),
        Principal::basic_auth("alice"),
        Principal::auto_restart(),
    ];
    let wheres = [on("US1", None), on("default", Some("orders"))];
    for (vars, action, reason, explanation) in rows {
        let control = AccessControl::load(&env(vars)).unwrap().control;
        for p in &who {
            for r in &wheres {
                let d = control.decide(p, *action, r);
                assert_eq!(d.reason, *reason, "{vars:?} {action}");
                assert_eq!(d.allowed, *reason == Reason::AllowedBySetting, "{vars:?}");
                assert_eq!(d.explanation, *explanation, "{vars:?} {action}");
            }
        }
    }
}

#[test]
fn simple_access_control_reports_every_bad_value_and_overridden_false() {
    let err = AccessControl::load(&env(&[
        ("ALLOW_CONNECT_CREATE", "maybe"),
        ("ALLOW_CONNECT_INSPECT", "true"),
        ("ALLOW_CONNECT_DELETE", ""),
    ]))
    .unwrap_err();
    assert_eq!(
        err.problems,
        [
            "ALLOW_CONNECT_CREATE: \"maybe\" is not true or false (1/0 and yes/no work too)",
            "ALLOW_CONNECT_DELETE: \"\" is not true or false (1/0 and yes/no work too)",
        ]
    );
    let loaded = AccessControl::load(&env(&[
        ("ALLOW_CONNECT_EDIT", "true"),
        ("ALLOW_CONNECT_DELETE", "false"),
        ("ALLOW_CONNECT_CREATE", "false"),
    ]))
    .unwrap();
    assert_eq!(
        loaded.warnings,
        ["ALLOW_CONNECT_DELETE=false has no effect: ALLOW_CONNECT_EDIT=true allows CONNECT_DELETE"]
    );
    assert_eq!(
        loaded.control.describe(),
        "access control: simple, ALLOW_CONNECT_EDIT=true"
    );
    assert_eq!(
        AccessControl::load(&env(&[])).unwrap().control,
        AccessControl::DenyAll
    );
}

#[test]
fn rbac_replaces_simple_access_control_with_a_warning() {
    let loaded = load_rbac(
        KPOW_EXAMPLE,
        &[
            ("ALLOW_CONNECT_EDIT", "true"),
            ("ALLOW_CONNECT_CREATE", "bogus"),
        ],
    )
    .unwrap();
    assert_eq!(
        loaded.warnings,
        [
            "ALLOW_CONNECT_CREATE, ALLOW_CONNECT_EDIT ignored: RBAC_CONFIGURATION_FILE is set, \
          and RBAC replaces simple access control"
        ]
    );
    let carol = principal(&loaded.control, Who::User("carol"));
    let d = loaded
        .control
        .decide(&carol, ConnectAlterState, &on("US1", Some("x")));
    assert_eq!(d.reason, Reason::NoPolicy);
    assert_eq!(
        loaded.control.describe(),
        "access control: RBAC from /etc/kconnect/rbac.yaml (3 policies on Kafka Connect, 3 \
         principals with roles)"
    );
}

#[test]
fn every_mistake_in_a_file_is_reported_at_once() {
    let text = r#"
authorized_roles: "*"
admin_roles: [platform-admins]
polices: []
policies:
  - resource: ["connect", "*"]
    effect: Stage
    actions: [CONNECT_INSPECT]
    role: "*"
  - resource: ["connect", "US*"]
    effect: allow
    actions: CONNECT_INSPECT
    roles: []
  - resource: ["connect", "US1", "connector"]
    effect: Allow
    actions: [CONNECT_PAUSE, CONNECT_INSPECT, 7]
    role: [sre, ops]
  - resource: connect
    actions: []
    role: sre
    roles: [ops]
    priority: 1
  - effect: Deny
    role: "*"
  - just a string
  - resource: ["connect", "*", "connector", "a*b*"]
    effect: Allow
    actions: [CONNECT_INSPECT]
    role: ""
principal_roles:
  alice: {team: sre}
  bob: [sre, ""]
  carol: 3
"#;
    let f = "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml";
    let shape = "a Connect resource is [\"connect\", CLUSTER] or \
                 [\"connect\", CLUSTER, \"connector\", NAME]";
    let actions = "CONNECT_INSPECT, CONNECT_ALTER_STATE, CONNECT_EDIT_CONFIG, CONNECT_CREATE, \
                   CONNECT_DELETE and CONNECT_EDIT";
    let want = vec![
        format!(
            "{f}: polices: unknown key; the keys here are authorized_roles, admin_roles, \
             policies, principal_roles, tenants"
        ),
        format!("{f}: authorized_roles: must be a list of roles such as [\"*\"], not a string"),
        format!(
            "{f}: policies[0].effect: Stage is not supported: in Kpow it holds an action for an \
             admin's approval, and the exporter has no approval UI; use Allow for the roles that \
             may take the action without approval, or Deny"
        ),
        format!(
            "{f}: policies[1].resource: cluster id \"US*\" is a pattern; a cluster id is a \
             resource id such as US1 (or default), or \"*\" for every cluster"
        ),
        format!(
            "{f}: policies[1].effect: \"allow\" is not Allow or Deny (Kpow's spelling, \
             capitalised)"
        ),
        format!(
            "{f}: policies[1].actions: must be a list of actions such as [\"CONNECT_INSPECT\"], \
             not a string"
        ),
        format!("{f}: policies[1].roles: is empty; the policy would apply to no one"),
        format!("{f}: policies[2].resource: names no connector after \"connector\"; {shape}"),
        format!(
            "{f}: policies[2].actions[0]: unknown action \"CONNECT_PAUSE\"; the Connect actions \
             are {actions}"
        ),
        format!("{f}: policies[2].actions[2]: must be a string, not a number; put it in quotes"),
        format!("{f}: policies[2].role: must be one role; use roles for a list"),
        format!(
            "{f}: policies[3].priority: unknown key; the keys here are resource, effect, \
             actions, role, roles"
        ),
        format!("{f}: policies[3].resource: must be a list, not a string; {shape}"),
        format!("{f}: policies[3].effect: missing; use Allow or Deny"),
        format!("{f}: policies[3].actions: is empty; list the actions the policy allows or denies"),
        format!("{f}: policies[3]: has both role and roles; give one of them"),
        format!("{f}: policies[4].resource: missing; {shape}"),
        format!(
            "{f}: policies[4].actions: missing; list actions such as [\"CONNECT_INSPECT\"] (the \
             Connect actions are {actions})"
        ),
        format!("{f}: policies[5]: must be a mapping, not a string"),
        format!(
            "{f}: policies[6].resource: connector name \"a*b*\" may hold one * only, at its \
             start or its end (\"orders-*\", \"*-prod\"), or be \"*\""
        ),
        format!("{f}: policies[6].role: is an empty role name"),
        format!(
            "{f}: principal_roles.alice: must be a role or a list of roles such as [sre, ops], \
             not a mapping"
        ),
        format!("{f}: principal_roles.bob[1]: is an empty role name"),
        format!(
            "{f}: principal_roles.carol: must be a role or a list of roles such as [sre, ops], \
             not a number"
        ),
    ];
    assert_eq!(load_rbac(text, &[]).unwrap_err(), want);
}

#[test]
fn stage_is_refused_and_says_what_to_use_instead() {
    let text = r#"
authorized_roles: ["*"]
policies:
  - resource: ["connect", "*"]
    effect: Stage
    actions: [CONNECT_ALTER_STATE]
    role: sre
principal_roles: {alice: sre}
"#;
    assert_eq!(
        load_rbac(text, &[]).unwrap_err(),
        [
            "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml: policies[0].effect: Stage is not \
          supported: in Kpow it holds an action for an admin's approval, and the exporter has no \
          approval UI; use Allow for the roles that may take the action without approval, or \
          Deny"
        ]
    );
}

#[test]
fn a_kpow_file_with_topic_policies_and_tenants_loads_with_warnings() {
    let text = r#"
authorized_roles: ["*"]
admin_roles: ["platform-admins"]
policies:
  - resource: ["cluster", "*", "topic", "orders-*"]
    effect: Stage
    actions: ["TOPIC_PRODUCE"]
    role: "orders-team"
  - resource: ["connect", "*"]
    effect: Allow
    actions: ["CONNECT_INSPECT"]
    role: "*"
  - resource: ["group", "*"]
    effect: Allow
    actions: ["GROUP_EDIT"]
    roles: ["sre"]
tenants:
  - name: "Orders"
    roles: ["orders-team"]
principal_roles:
  alice: orders-team
"#;
    let loaded = load_rbac(text, &[]).unwrap();
    let f = "/etc/kconnect/rbac.yaml";
    assert_eq!(
        loaded.warnings,
        [
            format!(
                "{f}: tenants: ignored: multi-tenancy is a Kpow feature the exporter does not have"
            ),
            format!(
                "{f}: policies[0].resource: domain \"cluster\" is not Kafka Connect (\"connect\"); \
                 the exporter ignores this policy"
            ),
            format!(
                "{f}: policies[2].resource: domain \"group\" is not Kafka Connect (\"connect\"); \
                 the exporter ignores this policy"
            ),
        ]
    );
    let AccessControl::Rbac(rbac) = &loaded.control else {
        panic!("{:?}", loaded.control)
    };
    assert_eq!(rbac.policies.len(), 1);
    assert_eq!(rbac.policies[0].index, 1);
    let alice = principal(&loaded.control, Who::User("alice"));
    let d = loaded
        .control
        .decide(&alice, ConnectInspect, &on("US1", None));
    assert!(d.allowed, "{d}");
    assert!(d.explanation.starts_with("policies[1] ("), "{d}");
}

#[test]
fn files_that_are_not_rbac_files_are_refused_clearly() {
    let f = "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml";
    let rows: &[(&str, &[&str])] = &[
        (
            "",
            &[
                "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml must be a mapping with \
               authorized_roles, policies and principal_roles, not empty",
            ],
        ),
        (
            "- a\n- b\n",
            &[
                "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml must be a mapping with \
               authorized_roles, policies and principal_roles, not a list",
            ],
        ),
        (
            "policies: {}\n",
            &[
                "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml: authorized_roles: missing; \
                 list the roles that may use the exporter, or [\"*\"] for every authenticated \
                 principal",
                "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml: policies: must be a list of \
                 policies (resource, effect, actions, role), not a mapping",
            ],
        ),
        (
            "authorized_roles: [\"*\"]\n1: x\n",
            &[
                "RBAC_CONFIGURATION_FILE: /etc/kconnect/rbac.yaml has a key that is a number; \
               keys must be strings",
            ],
        ),
    ];
    for (text, want) in rows {
        let got = load_rbac(text, &[]).unwrap_err();
        assert_eq!(got, *want, "{text:?}");
    }
    let err = load_rbac("authorized_roles: [a\n", &[]).unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(
        err[0].starts_with(&format!("{f} is not valid YAML: ")),
        "{err:?}"
    );
    let empty = AccessControl::load(&env(&[("RBAC_CONFIGURATION_FILE", " ")])).unwrap_err();
    assert_eq!(
        empty.problems,
        [
            "RBAC_CONFIGURATION_FILE: is empty; name the RBAC file, or unset it for simple access \
          control"
        ]
    );
}

#[test]
fn a_minimal_file_warns_about_what_it_lacks() {
    let loaded = load_rbac("authorized_roles: [\"*\"]\n", &[]).unwrap();
    assert_eq!(
        loaded.warnings,
        [
            "/etc/kconnect/rbac.yaml: principal_roles: missing: no principal holds a role, so \
             only policies for role \"*\" apply",
            "/etc/kconnect/rbac.yaml: policies: no policy on Kafka Connect: every action is \
             denied",
        ]
    );
}

#[test]
fn the_file_is_read_from_disk_and_a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rbac.yaml");
    std::fs::write(&path, KPOW_EXAMPLE).unwrap();
    let vars = env(&[("RBAC_CONFIGURATION_FILE", path.to_str().unwrap())]);
    let loaded = AccessControl::load(&vars).unwrap();
    assert_eq!(loaded.warnings, Vec::<String>::new());
    assert!(matches!(loaded.control, AccessControl::Rbac(_)));

    let missing = dir.path().join("nope.yaml");
    let vars = env(&[("RBAC_CONFIGURATION_FILE", missing.to_str().unwrap())]);
    let err = AccessControl::load(&vars).unwrap_err();
    assert_eq!(
        err.problems,
        [format!(
            "RBAC_CONFIGURATION_FILE: {} cannot be read: No such file or directory (os error 2)",
            missing.display()
        )]
    );
}

/// Truncations and byte-level mutations of real files, from a fixed seed: loading answers every
/// one with a value or a list of problems, never a panic.
#[test]
fn no_text_makes_loading_panic() {
    let seeds = [KPOW_EXAMPLE, OPS_FILE];
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let alphabet = b"[]{}:,-*&!|>'\"#\n \t0aZ?%@`";
    let mut tried = 0;
    for seed in seeds {
        for end in 0..=seed.len() {
            if seed.is_char_boundary(end) {
                let _ = Rbac::parse(Path::new(RBAC_PATH), &seed[..end]);
                tried += 1;
            }
        }
        for _ in 0..2000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = next() % bytes.len();
                bytes[at] = alphabet[next() % alphabet.len()];
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = Rbac::parse(Path::new(RBAC_PATH), &text);
            tried += 1;
        }
    }
    assert!(tried > 4000);
}
