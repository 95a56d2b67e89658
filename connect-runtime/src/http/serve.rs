//! Serving a filter: until Ctrl-C ([`serve`]) or on a background task ([`spawn`], for tests).

use super::Response;
use std::net::SocketAddr;
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
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let server = warp::serve(filter).incoming(listener).graceful(async {
        let _ = signal.await;
    });
    let task = tokio::spawn(server.run());
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
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    warp::serve(filter)
        .incoming(listener)
        .graceful(async {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing the requests in flight");
        })
        .run()
        .await;
    tracing::info!("stopped");
    Ok(())
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
