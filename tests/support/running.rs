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
