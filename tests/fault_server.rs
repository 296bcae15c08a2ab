//! The fault-injecting Connect of `tests/common/faulty.rs` itself: healthy, it answers with the
//! contract's fixtures; its faults hit only where they are aimed; it counts what it receives;
//! it stops listening when refused or dropped.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::faulty::{Cluster, Expand, Fault, FaultyConnect, Scope};
use common::fixture;
use serde_json::Value;

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("the fault server answers");
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

#[tokio::test]
async fn healthy_it_answers_with_the_fixtures() {
    let server = FaultyConnect::start().await;
    let base = server.uri();
    assert_eq!(get(&format!("{base}/")).await, (200, json("root.json")));
    let (status, names) = get(&format!("{base}/connectors")).await;
    let mut names: Vec<String> = serde_json::from_value(names).unwrap();
    let mut expected: Vec<String> = serde_json::from_value(json("connectors.json")).unwrap();
    names.sort();
    expected.sort();
    assert_eq!((status, names), (200, expected));
    for (query, file) in [
        (
            "expand=status&expand=info",
            "connectors-expand-status-info.json",
        ),
        (
            "expand=info&expand=status",
            "connectors-expand-status-info.json",
        ),
        ("expand=status", "connectors-expand-status.json"),
        ("expand=info", "connectors-expand-info.json"),
        ("expand=status,info", "connectors-expand-comma-apache.json"),
    ] {
        assert_eq!(
            get(&format!("{base}/connectors?{query}")).await,
            (200, json(file)),
            "{query}"
        );
    }
    for (path, file) in [
        ("orders-jdbc-source", "connector-orders-jdbc-source.json"),
        (
            "orders-jdbc-source/status",
            "connector-orders-jdbc-source-status.json",
        ),
        (
            "orders-jdbc-source/tasks",
            "connector-orders-jdbc-source-tasks.json",
        ),
        (
            "clickstream-es-sink/status",
            "connector-clickstream-es-sink-status.json",
        ),
        (
            "legacy-ftp-source/status",
            "connector-legacy-ftp-source-status.json",
        ),
    ] {
        assert_eq!(
            get(&format!("{base}/connectors/{path}")).await,
            (200, json(file)),
            "{path}"
        );
    }
    assert_eq!(
        get(&format!("{base}/connectors/orders-jdbc-sink")).await,
        (
            404,
            serde_json::json!({"error_code": 404, "message": "Connector orders-jdbc-sink not found"})
        )
    );
    assert_eq!(
        get(&format!("{base}/connectors/orders-jdbc-sink/status")).await,
        (
            404,
            serde_json::json!({"error_code": 404, "message": "No status found for connector orders-jdbc-sink"})
        )
    );
    assert_eq!(
        get(&format!("{base}/connector-plugins")).await,
        (404, json("error-404-unknown-path.json"))
    );
}

#[tokio::test]
async fn behind_a_strict_proxy_only_the_prefix_is_served() {
    let server = FaultyConnect::serve(Cluster::fixture().under_prefix("/connect")).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/connect", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (301, "/connect/")
    );
    assert_eq!(
        get(&format!("{}/connect/", server.uri())).await,
        (200, json("root.json"))
    );
    assert_eq!(
        get(&format!(
            "{}/connect/connectors/orders-jdbc-source",
            server.uri()
        ))
        .await
        .0,
        200
    );
    assert_eq!(get(&format!("{}/", server.uri())).await.0, 404);
    assert_eq!(get(&format!("{}/connectors", server.uri())).await.0, 404);
}

#[tokio::test]
async fn proxies_lose_expand_values() {
    for (expand, file) in [
        (Expand::ProxyKeepsFirst, "connectors-expand-status.json"),
        (Expand::ProxyKeepsLast, "connectors-expand-info.json"),
        (
            Expand::ProxyJoinsWithCommas,
            "connectors-expand-comma-apache.json",
        ),
    ] {
        let server = FaultyConnect::serve(Cluster::fixture().expand(expand)).await;
        let url = format!("{}/connectors?expand=status&expand=info", server.uri());
        assert_eq!(get(&url).await, (200, json(file)), "{expand:?}");
    }
}

#[tokio::test]
async fn a_fault_on_one_path_leaves_the_others_healthy_and_requests_are_counted() {
    let server = FaultyConnect::start().await;
    let base = server.uri();
    server
        .set(
            Fault::Conflict,
            Scope::path("/connectors/orders-jdbc-source/status"),
        )
        .await;
    assert_eq!(
        get(&format!("{base}/connectors/orders-jdbc-source/status")).await,
        (409, json("error-409.json"))
    );
    assert_eq!(
        get(&format!("{base}/connectors/orders-jdbc-source"))
            .await
            .0,
        200
    );
    assert_eq!(
        get(&format!("{base}/connectors?expand=status")).await.0,
        200
    );
    server
        .set(Fault::Unauthorized, Scope::path("/connectors"))
        .await;
    let r = reqwest::get(format!("{base}/connectors?expand=info"))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().await.unwrap(), fixture("error-401-basic-auth.txt"));
    server.clear().await;
    assert_eq!(
        get(&format!("{base}/connectors/orders-jdbc-source/status"))
            .await
            .0,
        200
    );

    assert_eq!(server.requests("/connectors/orders-jdbc-source/status"), 2);
    assert_eq!(server.requests("/connectors?expand=status"), 1);
    assert_eq!(server.requests_to_path("/connectors"), 2);
    assert_eq!(server.total_requests(), 5);
    assert_eq!(
        server.targets(),
        [
            "/connectors/orders-jdbc-source/status",
            "/connectors/orders-jdbc-source",
            "/connectors?expand=status",
            "/connectors?expand=info",
            "/connectors/orders-jdbc-source/status",
        ]
    );
}

/// A raw request on a fresh connection, and what came back before the server closed it.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_faults_break_the_body_as_described() {
    let server = FaultyConnect::start().await;
    let addr = server.addr();
    let healthy =
        tokio::task::spawn_blocking(move || raw_get(addr, "/connectors/orders-jdbc-source"))
            .await
            .unwrap()
            .unwrap();
    let (head, body) = split(&healthy);
    assert!(
        head.contains(&format!("content-length: {}", body.len())),
        "{head}"
    );

    server.set(Fault::Truncated, Scope::Everywhere).await;
    let truncated =
        tokio::task::spawn_blocking(move || raw_get(addr, "/connectors/orders-jdbc-source"))
            .await
            .unwrap()
            .unwrap();
    let (head, cut) = split(&truncated);
    assert_eq!(cut, body, "the whole body is sent");
    assert!(
        head.contains(&format!("content-length: {}", body.len() + 100)),
        "{head}"
    );

    server.set(Fault::ResetMidBody, Scope::Everywhere).await;
    let reset =
        tokio::task::spawn_blocking(move || raw_get(addr, "/connectors/orders-jdbc-source"))
            .await
            .unwrap();
    let e = reset.expect_err("the connection is reset");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");

    server
        .set(
            Fault::Oversized {
                bytes: 100_000,
                chunked: true,
            },
            Scope::Everywhere,
        )
        .await;
    let r = reqwest::get(format!("{}/", server.uri())).await.unwrap();
    assert_eq!(r.headers()["transfer-encoding"], "chunked");
    let big = r.bytes().await.unwrap();
    assert_eq!(big.len(), 100_000);
    assert!(serde_json::from_slice::<Vec<String>>(&big).is_ok());

    let every = Duration::from_millis(10);
    server
        .set(Fault::SlowDrip { every }, Scope::Everywhere)
        .await;
    let started = Instant::now();
    let r = reqwest::get(format!("{}/", server.uri())).await.unwrap();
    let body = r.bytes().await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json("root.json")
    );
    assert!(
        started.elapsed() >= every * body.len() as u32,
        "{:?}",
        started.elapsed()
    );
}

fn split(response: &[u8]) -> (String, Vec<u8>) {
    let at = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    (
        String::from_utf8_lossy(&response[..at]).into_owned(),
        response[at..].to_vec(),
    )
}

/// A connection on which a request has been answered (so the server holds it, idle).
fn served_connection(addr: std::net::SocketAddr) -> TcpStream {
    let mut open = TcpStream::connect(addr).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(open, "GET / HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 15];
    open.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_stops_listening_and_clearing_listens_on_the_same_port() {
    let server = FaultyConnect::start().await;
    let addr = server.addr();
    let mut open = served_connection(addr);
    server.set(Fault::Refused, Scope::Everywhere).await;
    let e = TcpStream::connect(addr).expect_err("refused");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    let mut rest = Vec::new();
    open.read_to_end(&mut rest)
        .expect("open connections are closed");
    server.clear().await;
    assert_eq!(
        get(&format!("{}/", server.uri())).await,
        (200, json("root.json"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_it_closes_the_listener_and_every_connection() {
    let server = FaultyConnect::start().await;
    let addr = server.addr();
    let mut open = served_connection(addr);
    drop(server);
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).expect("closed, not reset");
    let until = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < until, "still listening on {addr}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
