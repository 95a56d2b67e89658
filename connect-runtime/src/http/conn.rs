//! One accepted connection's socket, as the server needs it: it tells when the client first
//! sent something (connections that never did are the ones cut by the first-byte timeout and
//! the ones that give way when the connection cap is reached), and it closes by lingering.
//!
//! Lingering close (nginx's `lingering_close`): a refusal is often written before the body
//! of its request was read (a bad token on a 5 MiB upload). Closing a socket whose receive
//! buffer still holds data makes the kernel send a reset, and a client still writing its body
//! then fails with EPIPE/ECONNRESET before it reads the answer. So when hyper closes a
//! connection, the write side is shut first (the answer and a FIN go out), then whatever the
//! client still sends is read and discarded until it closes, for at most
//! [`Linger::timeout`] and [`Linger::max_bytes`].

pub use crate::config::Linger;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Sleep;

const SILENT: u8 = 0;
const SPOKE: u8 = 1;
const GONE: u8 = 2;

/// Whether a connection has sent anything yet, and the signal that tells it to give way.
#[derive(Debug, Default)]
pub(crate) struct ConnState {
    phase: AtomicU8,
    evicted: Notify,
}

impl ConnState {
    /// Marks that the client sent its first bytes (from then on it is never evicted).
    fn spoke(&self) {
        if self.phase.load(Ordering::Relaxed) == SILENT {
            let _ = self
                .phase
                .compare_exchange(SILENT, SPOKE, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    /// Ends a connection that has sent nothing yet; `false` if it has (or is already ending).
    pub(crate) fn evict(&self) -> bool {
        let evicted = self
            .phase
            .compare_exchange(SILENT, GONE, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok();
        if evicted {
            self.evicted.notify_one();
        }
        evicted
    }

    /// Resolves once [`evict`](Self::evict) succeeded.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

/// The connections that have sent nothing yet, oldest first: the ones that give way when the
/// connection cap is reached (as nginx reclaims idle connections), so that silent sockets
/// cannot keep a real client in the listen backlog.
#[derive(Debug, Default)]
pub(crate) struct SilentConnections {
    next: std::sync::atomic::AtomicU64,
    conns: Mutex<std::collections::BTreeMap<u64, Arc<ConnState>>>,
}

impl SilentConnections {
    /// A new connection, silent until its socket reads a byte.
    pub(crate) fn register(&self) -> (u64, Arc<ConnState>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState::default());
        self.lock().insert(id, Arc::clone(&state));
        (id, state)
    }

    /// A connection that ended.
    pub(crate) fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Evicts the oldest connection that has still sent nothing; `false` if there is none.
    pub(crate) fn evict_oldest(&self) -> bool {
        let mut conns = self.lock();
        // Connections that spoke are dropped from the candidates as they are met.
        while let Some((_, state)) = conns.pop_first() {
            if state.evict() {
                return true;
            }
        }
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<u64, Arc<ConnState>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A server-side socket: marks the first bytes read, lingers on close.
#[derive(Debug)]
pub(crate) struct ServerIo<S> {
    inner: S,
    state: Arc<ConnState>,
    linger: Linger,
    /// Set once the write side is shut: the deadline and the bytes discarded so far.
    closing: Option<(Pin<Box<Sleep>>, usize)>,
}

impl<S> ServerIo<S> {
    pub(crate) fn new(inner: S, state: Arc<ConnState>, linger: Linger) -> Self {
        Self {
            inner,
            state,
            linger,
            closing: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ServerIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            self.state.spoke();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ServerIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    /// Shuts the write side, then reads and discards until the client closes, the linger time
    /// is over or the byte budget is spent.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.closing.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.closing = Some((Box::pin(tokio::time::sleep(this.linger.timeout)), 0));
        }
        let Some((deadline, discarded)) = &mut this.closing else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    *discarded += buf.filled().len();
                    if *discarded > this.linger.max_bytes {
                        return Poll::Ready(Ok(()));
                    }
                }
                // The client closed (or failed): nothing left to wait for.
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    return match deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_silent_connection_gives_way_and_talkers_never_do() {
        let silent = SilentConnections::default();
        let (_, first) = silent.register();
        let (_, second) = silent.register();
        let (third_id, third) = silent.register();
        first.spoke();
        assert!(silent.evict_oldest());
        assert_eq!(second.phase.load(Ordering::Relaxed), GONE);
        assert_eq!(first.phase.load(Ordering::Relaxed), SPOKE);
        silent.forget(third_id);
        assert!(!silent.evict_oldest(), "{third:?} was forgotten");
        // A connection evicted does not speak afterwards.
        second.spoke();
        assert_eq!(second.phase.load(Ordering::Relaxed), GONE);
    }
}
