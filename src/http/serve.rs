//! The listening side of the HTTP server: binding the listen address (both IPv6 and IPv4 for
//! `:PORT`), accepting connections (HTTP/1.1, or with the web configuration's TLS, HTTP/1.1 and
//! HTTP/2 as ALPN chose), and the limits that keep the server from being exhausted by its
//! clients: a deadline for the TLS handshake, a timeout for reading a request's headers (which
//! also closes idle keep-alive connections), a timeout for a write the client does not take (a
//! reader that stopped reading), and a bounded drain on shutdown.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt as _;

use crate::config::ListenAddress;
use crate::web::TlsServer;

/// How long a client has to send a request's headers, and how long an idle keep-alive
/// connection is kept: Prometheus reconnects at no cost when a longer scrape interval finds it
/// closed, while a client that opens connections and sends nothing cannot keep them.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write may wait for the client to take the bytes: a reader that stops reading
/// loses its connection, and with it whatever its response held.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long requests in flight may take to finish after SIGTERM before the exporter exits anyway.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client has to complete the TLS handshake: a client that connects and sends
/// nothing must not hold a connection.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The address a connection came from, in every request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The principal a verified client certificate names (its subject's CN, or the whole subject),
/// in the extensions of every request of that connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate(pub String);

/// Binds `address`. `:PORT` is one socket for IPv6 and IPv4 (IPv4 clients arrive as mapped
/// addresses); on a host without IPv6 it is IPv4 alone.
pub fn bind(address: ListenAddress) -> io::Result<TcpListener> {
    match address {
        ListenAddress::AnyInterface(port) => {
            match bind_one(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port), true) {
                Ok(l) => Ok(l),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
                    ) =>
                {
                    Err(e)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "IPv6 is not available: listening on IPv4 only");
                    bind_one(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port), false)
                }
            }
        }
        ListenAddress::Addr(a) => bind_one(a, false),
    }
}

fn bind_one(addr: SocketAddr, dual_stack: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    // As every server does on Unix: a restarted exporter can bind while old connections linger
    // in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, gives the
/// requests in flight [`DRAIN_TIMEOUT`] to finish, and returns. With `tls`, every connection is
/// a TLS connection, served as HTTP/2 when ALPN chose `h2` and as HTTP/1.1 otherwise.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was taken: the
                    // listener itself is fine, so wait a little and go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            tcp,
            peer,
            router.clone(),
            tls.clone(),
            graceful.watcher(),
        ));
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight {} s after the shutdown signal: closing them",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    Ok(())
}

/// One accepted connection: the TLS handshake when configured, then HTTP until it ends.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    tls: Option<TlsServer>,
    watcher: Watcher,
) {
    let _ = tcp.set_nodelay(true);
    let mut io = TimeoutStream::new(tcp);
    io.set_write_timeout(Some(WRITE_STALL_TIMEOUT));
    let io = Box::pin(io);
    let Some(tls) = tls else {
        serve_http(io, false, peer, None, router, watcher).await;
        return;
    };
    let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.acceptor().accept(io)).await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(peer = %peer, "TLS handshake not completed in time");
            return;
        }
    };
    let (_, conn) = stream.get_ref();
    let principal = tls.client_principal(conn).map(ClientCertificate);
    let h2 = conn.alpn_protocol() == Some(b"h2");
    serve_http(stream, h2, peer, principal, router, watcher).await;
}

async fn serve_http<I>(
    io: I,
    h2: bool,
    peer: SocketAddr,
    principal: Option<ClientCertificate>,
    router: Router,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(Peer(peer));
        if let Some(p) = &principal {
            request.extensions_mut().insert(p.clone());
        }
        router.clone().oneshot(request)
    });
    let io = TokioIo::new(io);
    let result = if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        // Pings find a peer that went away; a live one keeps its connection, as in Go's server.
        builder
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(HEADER_READ_TIMEOUT))
            .keep_alive_timeout(Duration::from_secs(20));
        watcher.watch(builder.serve_connection(io, service)).await
    } else {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT);
        watcher.watch(builder.serve_connection(io, service)).await
    };
    if let Err(e) = result {
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}
