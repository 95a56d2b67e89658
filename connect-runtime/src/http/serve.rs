//! Serving a filter: until Ctrl-C or SIGTERM ([`serve`]) or on a background task ([`spawn`],
//! for tests).
//!
//! The connection handling is ours rather than warp's, for what a server facing the internet
//! needs and warp does not set: the HTTP stack around the filter (`stack`), a
//! first-byte timeout (a connection that sends nothing is cut after a few seconds) distinct
//! from the header-read timeout that also closes idle keep-alive connections, a cap on open
//! connections kept below the open-file limit (silent connections give way to new ones when it
//! is reached), lingering close (`conn`), client mistakes logged at DEBUG rather
//! than ERROR, the security headers on the error answers hyper writes by itself, and a
//! graceful drain on shutdown.

use super::Response;
use super::conn::{ServerIo, SilentConnections};
use super::secure_io::SecureErrorHeads;
use super::stack::stack;
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

/// Logs JSON lines to stdout with the `RUST_LOG` filter (default `info`), each with the
/// fields of its spans (a Forge invocation's trace ids and log attributes): what a Forge
/// Container's log collection reads. Does nothing when the process already has a subscriber.
pub fn init_json_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .try_init();
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
///
/// At the cap, the oldest connection that has sent nothing yet gives way to the new one; only
/// when every open connection is talking does a new one wait (in the listen backlog) for a
/// slot. A connection that sends nothing within the first-byte timeout is closed.
async fn run(
    filter: BoxedFilter<(Response,)>,
    listener: TcpListener,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = fit_to_file_limit(limits.max_connections);
    let slots = Arc::new(Semaphore::new(max_connections));
    let silent = Arc::new(SilentConnections::default());
    let service = stack(warp::service(filter), limits.headers);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    if limits.headers.max_fields > 100 {
        // hyper's own parser refuses more than 100 fields unless told otherwise.
        http.max_headers(limits.headers.max_fields);
    }
    loop {
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
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if silent.evict_oldest() {
                    tracing::debug!("connection cap reached: a silent connection gave way");
                }
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (id, state) = silent.register();
        let io = TokioIo::new(SecureErrorHeads::new(ServerIo::new(
            stream,
            Arc::clone(&state),
            limits.linger,
        )));
        let service = TowerToHyperService::new(service.clone());
        let connection = graceful.watch(http.serve_connection(io, service));
        let silent = Arc::clone(&silent);
        let first_byte_timeout = limits.first_byte_timeout;
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut first_byte = std::pin::pin!(tokio::time::sleep(first_byte_timeout));
            let mut waiting_for_first_byte = true;
            loop {
                tokio::select! {
                    ended = &mut connection => {
                        if let Err(error) = ended {
                            // Timeouts, resets and malformed requests: the client's doing.
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        break;
                    }
                    () = &mut first_byte, if waiting_for_first_byte => {
                        waiting_for_first_byte = false;
                        if state.evict() {
                            tracing::debug!("connection closed: nothing sent within the first-byte timeout");
                            break;
                        }
                    }
                    () = state.evicted() => break,
                }
            }
            silent.forget(id);
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

/// Raises the open-file soft limit to the hard limit (as servers do at start) and keeps the
/// connection cap below it, with room for the store, outbound calls and logs; a cap at the
/// limit would turn a full server into a storm of failing accepts (EMFILE).
fn fit_to_file_limit(max_connections: usize) -> usize {
    let wanted = max_connections.max(1);
    #[cfg(unix)]
    {
        let before = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft);
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(soft) => {
                let reserve = (soft / 8).max(32);
                let room = usize::try_from(soft.saturating_sub(reserve))
                    .unwrap_or(usize::MAX)
                    .max(1);
                let cap = wanted.min(room);
                tracing::info!(
                    open_file_limit_before = before.unwrap_or(soft),
                    open_file_limit = soft,
                    max_connections = cap,
                    configured_max_connections = wanted,
                    "connection cap set below the open-file limit"
                );
                cap
            }
            Err(error) => {
                tracing::warn!(%error, max_connections = wanted, "could not read the open-file limit");
                wanted
            }
        }
    }
    #[cfg(not(unix))]
    {
        wanted
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
