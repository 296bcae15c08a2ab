//! A stand-in server running in a test's process: on 127.0.0.1 (a free port), on a thread and
//! runtime of its own so it works under any test runtime, stopped when the handle is dropped.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Serves `router` until the handle is dropped.
    pub fn start(router: axum::Router) -> Running {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("stand-in".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the stand-in's runtime builds");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("the stand-in binds a loopback port");
                    addr_tx
                        .send(
                            listener
                                .local_addr()
                                .expect("a bound listener has an address"),
                        )
                        .expect("the starter waits for the address");
                    axum::serve(listener, router)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await
                        .expect("the stand-in serves");
                });
            })
            .expect("the stand-in's thread starts");
        let addr = addr_rx.recv().expect("the stand-in reports its address");
        Running {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// For the stand-ins' example binaries: serves `router` on 127.0.0.1:`port` until SIGTERM or
/// SIGINT, after announcing the address.
pub fn serve_process(
    router: axum::Router,
    port: u16,
    addr_file: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        announce(listener.local_addr()?, addr_file)?;
        axum::serve(listener, router)
            .with_graceful_shutdown(terminated())
            .await
    })
}

/// Prints `listening on ADDR` as the first line of stdout
/// (and writes `ADDR` to `addr_file` when given), so whoever started the process knows where
/// it is.
pub fn announce(addr: SocketAddr, addr_file: Option<&std::path::Path>) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(path) = addr_file {
        // Written whole under another name, then renamed: a reader never sees half an address.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{addr}\n"))?;
        std::fs::rename(&tmp, path)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

/// Completes on SIGTERM or SIGINT.
pub async fn terminated() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
