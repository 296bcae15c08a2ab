//! The operator for each flavour of Connect, in process: Confluent Cloud's pause, resume and
//! whole restart under its path prefix with its error envelope, what it and MSK Connect do not
//! offer, and auto-restart's back-off schedule as a table.

mod common;

use std::time::{Duration, Instant, SystemTime};

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use kconnect_exporter::access::{AccessControl, Action, Principal, SimpleAccess};
use kconnect_exporter::config::{AutoRestart, ObservationVersion};
use kconnect_exporter::connect::{ConnectClient, State};
use kconnect_exporter::observe::{Connector, Task};
use kconnect_exporter::operate::{ActError, Audit, Done, Flavour, Operation, Operator, Target};
use kconnect_exporter::restart::{Attempt, Book, backoff};

use common::*;

const CLOUD_PREFIX: &str = "/connect/v1/environments/env-a1b2c3/clusters/lkc-x9y8z7";

fn operator(targets: Vec<Target>) -> Operator {
    Operator::new(
        targets,
        AccessControl::Simple(SimpleAccess::allowing([Action::ConnectAlterState])),
        false,
        Audit::default(),
    )
}

fn target(id: &str, flavour: Flavour, uri: &str) -> Target {
    let c = cluster(id, uri, ObservationVersion::V2);
    let (_, handle) = observer(&c, 1);
    Target {
        id: id.to_string(),
        flavour,
        client: (flavour != Flavour::Msk).then(|| ConnectClient::new(&c.client).unwrap()),
        handle,
    }
}

#[tokio::test]
async fn confluent_cloud_pauses_resumes_and_restarts_whole_connectors_only() {
    let cloud = MockServer::start().await;
    for (m, op) in [("PUT", "pause"), ("PUT", "resume"), ("POST", "restart")] {
        Mock::given(method(m))
            .and(path(format!("{CLOUD_PREFIX}/connectors/lcc-sink/{op}")))
            .respond_with(ResponseTemplate::new(202))
            .mount(&cloud)
            .await;
    }
    Mock::given(method("PUT"))
        .and(path(format!("{CLOUD_PREFIX}/connectors/gone/pause")))
        .respond_with(status_json(404, &fixture("confluent-cloud-error-404.json")))
        .mount(&cloud)
        .await;
    let op = operator(vec![target(
        "CLOUD",
        Flavour::ConfluentCloud,
        &format!("{}{CLOUD_PREFIX}", cloud.uri()),
    )]);
    let who = Principal::anonymous();
    let whole = Operation::Restart {
        include_tasks: true,
        only_failed: false,
    };
    for (operation, request) in [
        (Operation::Pause, "PUT"),
        (Operation::Resume, "PUT"),
        (whole, "POST"),
    ] {
        let done = op.act(&who, "CLOUD", "lcc-sink", operation).await.unwrap();
        assert_eq!(
            done,
            Done::Acted {
                requests: vec![format!(
                    "{request} {CLOUD_PREFIX}/connectors/lcc-sink/{}",
                    operation.name()
                )],
                body: None
            }
        );
    }
    for (operation, message) in [
        (
            Operation::Restart {
                include_tasks: true,
                only_failed: true,
            },
            "Confluent Cloud restarts a connector with all its tasks, nothing less; ask with \
             include_tasks=true&only_failed=false",
        ),
        (
            Operation::Stop,
            "Confluent Cloud has no stop; pause the connector instead",
        ),
        (
            Operation::RestartTask(0),
            "Confluent Cloud cannot restart one task; restart the connector with \
             include_tasks=true",
        ),
    ] {
        match op.act(&who, "CLOUD", "lcc-sink", operation).await {
            Err(ActError::NotSupported { message: m }) => assert_eq!(m, message),
            other => panic!("{operation:?}: {other:?}"),
        }
    }
    match op.act(&who, "CLOUD", "gone", Operation::Pause).await {
        Err(ActError::NotFound { message }) => assert_eq!(
            message,
            format!(
                "cluster CLOUD has no connector \"gone\" or no such task: PUT \
                 {CLOUD_PREFIX}/connectors/gone/pause answered HTTP 404: resource not found"
            )
        ),
        other => panic!("{other:?}"),
    }
    // Every request Cloud saw was one of the three accepted, or the 404: nothing for the rest.
    assert_eq!(request_count(&cloud).await, 4);
}

#[tokio::test]
async fn msk_connect_offers_no_operation() {
    let op = operator(vec![target("MSK", Flavour::Msk, "http://127.0.0.1:9")]);
    for operation in [Operation::Pause, Operation::Stop, Operation::RestartTask(1)] {
        match op.act(&Principal::anonymous(), "MSK", "c", operation).await {
            Err(ActError::NotSupported { message }) => assert_eq!(
                message,
                format!(
                    "MSK Connect has no {} operation in its API",
                    operation.name().replace('_', " ")
                )
            ),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(Flavour::Msk.auto_restart(), None);
}

fn connector(name: &str, state: State, tasks: &[State]) -> Connector {
    Connector {
        name: name.to_string(),
        state,
        worker_id: "w:8083".into(),
        kind: "sink".into(),
        class: None,
        tasks_max: None,
        task_count: Some(tasks.len()),
        exception: None,
        tasks: tasks
            .iter()
            .enumerate()
            .map(|(i, s)| Task {
                id: i as u32,
                state: s.clone(),
                worker_id: "w:8083".into(),
                exception: None,
                version: None,
            })
            .collect(),
        ..Connector::default()
    }
}

#[test]
fn back_off_grows_as_n_squared_plus_n_units() {
    let unit = Duration::from_secs(60);
    let minutes: Vec<u64> = (1..=6).map(|n| backoff(unit, n).as_secs() / 60).collect();
    assert_eq!(minutes, [2, 6, 12, 20, 30, 42]);
    assert_eq!(backoff(unit, u32::MAX), Duration::from_secs(60) * u32::MAX);
}

#[test]
fn failing_connectors_are_restarted_on_schedule_until_attempts_run_out() {
    use State::*;
    let settings = AutoRestart {
        enabled: true,
        max_attempts: 3,
        reset_after: Duration::from_secs(100),
        backoff_unit: Duration::from_secs(1),
    };
    let mut book = Book::new(settings);
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    let wall = SystemTime::UNIX_EPOCH;
    let failing = vec![
        connector("task-failure-sink", Running, &[Running, Failed]),
        connector("connector-failure-sink", Failed, &[]),
        connector("paused", Paused, &[Paused]),
        connector("ok", Running, &[Running]),
    ];
    // (second, connectors due) with every attempt succeeding at once
    let rows: &[(u64, &[&str])] = &[
        (0, &["connector-failure-sink", "task-failure-sink"]),
        (1, &[]),
        // attempt 1 at 0 s: the next from 0 + 2 s
        (2, &["connector-failure-sink", "task-failure-sink"]),
        (7, &[]),
        // attempt 2 at 2 s: the next from 2 + 6 s
        (8, &["connector-failure-sink", "task-failure-sink"]),
        // three attempts made: given up
        (100, &[]),
        (1000, &[]),
    ];
    for (second, want) in rows {
        let due = book.observe(&failing, at(*second));
        assert_eq!(due, *want, "at {second} s");
        for c in &due {
            book.record(
                c,
                Attempt::Succeeded,
                at(*second),
                wall + Duration::from_secs(*second),
            );
        }
    }
    let entries = book.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (
            entries[1].connector.as_str(),
            entries[1].attempts_left,
            entries[1].next_attempt,
            entries[1].succeeded
        ),
        ("task-failure-sink", 0, None, 3)
    );

    // Running cleanly for reset_after clears the count; a failure on the way does not.
    let healed = vec![connector("task-failure-sink", Running, &[Running, Running])];
    assert!(book.observe(&healed, at(1001)).is_empty());
    assert!(book.observe(&healed, at(1050)).is_empty());
    assert_eq!(book.entries()[0].attempts, 3);
    assert!(book.observe(&healed, at(1101)).is_empty());
    assert_eq!(book.entries()[0].attempts, 0, "reset after 100 s clean");
    assert_eq!(book.entries()[0].attempts_left, 3);
    let again = vec![connector("task-failure-sink", Running, &[Failed, Running])];
    assert_eq!(book.observe(&again, at(1102)), ["task-failure-sink"]);
    // A connector that is gone is forgotten.
    assert!(book.observe(&[], at(1103)).is_empty());
    assert!(book.entries().is_empty());
}

#[test]
fn a_denied_connector_is_left_alone_until_it_recovers() {
    use State::*;
    let settings = AutoRestart {
        enabled: true,
        max_attempts: 5,
        reset_after: Duration::from_secs(10),
        backoff_unit: Duration::from_secs(1),
    };
    let mut book = Book::new(settings);
    let t0 = Instant::now();
    let failed = vec![connector("prod-sink", Failed, &[])];
    assert_eq!(book.observe(&failed, t0), ["prod-sink"]);
    book.record("prod-sink", Attempt::Denied, t0, SystemTime::now());
    for s in 1..100 {
        assert!(
            book.observe(&failed, t0 + Duration::from_secs(s))
                .is_empty()
        );
    }
    // A failed attempt counts and backs off like a successful one.
    let mut book = Book::new(settings);
    assert_eq!(book.observe(&failed, t0), ["prod-sink"]);
    book.record("prod-sink", Attempt::Failed, t0, SystemTime::UNIX_EPOCH);
    assert!(
        book.observe(&failed, t0 + Duration::from_secs(1))
            .is_empty()
    );
    assert_eq!(
        book.observe(&failed, t0 + Duration::from_secs(2)),
        ["prod-sink"]
    );
    let e = &book.entries()[0];
    assert_eq!(
        (e.attempts, e.attempts_left, e.failed, e.next_attempt),
        (
            1,
            4,
            1,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(2))
        )
    );
}
