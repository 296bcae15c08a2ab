//! The web configuration's log lines about certificate rotation. A test binary of its own:
//! tracing's per-thread subscriber misses lines when other tests run alongside it.

mod tls_support;

use std::sync::Arc;

use tls_support::{Ca, Client, Files, serve, yaml};

/// Log lines written while `f` runs on a current-thread runtime (so that the server task's
/// lines are caught too).
fn logged<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F) -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f())
    });
    String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
}

#[test]
fn a_broken_rotation_is_logged_once_without_key_material() {
    let ca = Ca::new("server CA");
    let first = ca.server("server-1");
    let second = ca.server("server-2");
    let other = ca.server("server-3");
    let files = Files::new(&first, &ca);
    let d = files.dir.path().display().to_string();
    let log = logged(|| async {
        let config = files.config(&yaml("NoClientCert", ""));
        let (port, _seen, task) = serve(&config).await;
        let client = Client::new();
        files.write("server.key", &other.key_pem);
        for _ in 0..3 {
            assert_eq!(
                client.connect(port, &ca).await.unwrap().server_cert,
                first.der
            );
        }
        files.server(&second);
        assert_eq!(
            client.connect(port, &ca).await.unwrap().server_cert,
            second.der
        );
        task.abort();
    });
    assert_eq!(
        log,
        format!(
            " WARN web configuration: the private key in {d}/server.key does not match the \
             certificate in {d}/server.crt; serving the previous certificate\n \
             INFO web configuration: loaded the new certificate from {d}/server.crt\n"
        )
    );
    for leaf in [&first, &second, &other] {
        assert!(!log.contains(leaf.key_pem.lines().nth(1).unwrap()));
    }
}
