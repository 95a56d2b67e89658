//! Serving a filter: until Ctrl-C or SIGTERM ([`serve`]) or on a background task ([`spawn`],
//! for tests).
//!
//! The connection handling is ours rather than warp's, for what a server facing the internet
//! needs and warp does not set: a header-read timeout that also closes idle keep-alive
//! connections (hyper's, driven by a tokio timer), a cap on open connections (the accept loop
//! waits for a free slot instead of running the process out of file descriptors), client
//! mistakes logged at DEBUG rather than ERROR, the security headers on the error answers hyper
//! writes by itself, and a graceful drain on shutdown.

use super::Response;
use super::secure_io::SecureErrorHeads;
pub use crate::config::ConnectionLimits;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use warp::filters::BoxedFilter;

/// A server running on a background task.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (with the actual port when bound to port 0).
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The `http://` URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (port 0 for any free port) and serves `filter` on a background task.
pub async fn spawn(
    filter: BoxedFilter<(Response,)>,
    addr: SocketAddr,
) -> std::io::Result<RunningServer> {
    spawn_with(filter, addr, ConnectionLimits::default()).await
}

/// [`spawn`] with `limits`.
pub async fn spawn_with(
    filter: BoxedFilter<(Response,)>,
    addr: SocketAddr,
    limits: ConnectionLimits,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(filter, listener, limits, async {
        let _ = signal.await;
    }));
    Ok(RunningServer {
        addr,
        shutdown: Some(shutdown),
        task,
    })
}

/// Logs to stdout with the `RUST_LOG` filter (default `info`). Does nothing when the process
/// already installed a subscriber, so an app keeps full control of its own logging.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Binds `addr` and serves `filter` until Ctrl-C or SIGTERM, then stops accepting and lets the
/// requests in flight finish (a deploy's SIGTERM never cuts an install it is storing).
pub async fn serve(filter: BoxedFilter<(Response,)>, addr: SocketAddr) -> std::io::Result<()> {
    serve_with(filter, addr, ConnectionLimits::default()).await
}

/// [`serve`] with `limits`.
pub async fn serve_with(
    filter: BoxedFilter<(Response,)>,
    addr: SocketAddr,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    run(filter, listener, limits, async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests in flight");
    })
    .await;
    tracing::info!("stopped");
    Ok(())
}

/// The accept loop: one task per connection, at most `max_connections` at once, until
/// `shutdown` resolves; then waits (bounded) for the connections to finish their requests.
async fn run(
    filter: BoxedFilter<(Response,)>,
    listener: TcpListener,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(warp::service(filter.clone()));
        let io = TokioIo::new(SecureErrorHeads::new(stream));
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts, resets and malformed requests: the client's doing.
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the drain timeout");
    }
}

/// Ctrl-C, or SIGTERM on Unix (what process managers and orchestrators send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
