//! The security headers on the answers hyper writes by itself.
//!
//! A malformed request line, two `Content-Length`s or oversized headers are answered by hyper
//! (400, 431, …) before any service runs, so [`secure`](super::headers::secure) never sees
//! them. This wrapper around the connection's socket adds the security headers to any error
//! head written without them. Every head the framework produces already carries them and
//! passes through untouched. The lines come from the one list,
//! [`SECURITY_HEADERS`](super::headers::SECURITY_HEADERS).

use super::headers::SECURITY_LINES;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A socket whose outgoing error heads always carry the security headers.
#[derive(Debug)]
pub(crate) struct SecureErrorHeads<S> {
    inner: S,
    /// A rewritten buffer being written: its bytes, how many are written, and how many bytes
    /// of the caller's buffer it stands for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<S> SecureErrorHeads<S> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

/// `buf` with the security lines inserted, if it starts an HTTP/1 error head (4xx, 5xx) that
/// has no `referrer-policy` header.
fn with_security_lines(buf: &[u8]) -> Option<Vec<u8>> {
    let status = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    if !matches!(status.first(), Some(b'4' | b'5')) {
        return None;
    }
    let end = buf.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = &buf[..end];
    let has_policy = head
        .windows(b"referrer-policy:".len())
        .any(|window| window.eq_ignore_ascii_case(b"referrer-policy:"));
    if has_policy {
        return None;
    }
    let insert_at = end + 2; // after the last header line's CRLF
    let mut rewritten = Vec::with_capacity(buf.len() + SECURITY_LINES.len());
    rewritten.extend_from_slice(&buf[..insert_at]);
    rewritten.extend_from_slice(&SECURITY_LINES);
    rewritten.extend_from_slice(&buf[insert_at..]);
    Some(rewritten)
}

impl<S: AsyncRead + Unpin> AsyncRead for SecureErrorHeads<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> SecureErrorHeads<S> {
    /// Writes the rest of a rewritten buffer; `Ready(n)` with the caller's byte count when done.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<usize>>> {
        while let Some((bytes, written, stands_for)) = &mut self.pending {
            if *written == bytes.len() {
                let stands_for = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(Some(stands_for)));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(None))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SecureErrorHeads<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && let Some(rewritten) = with_security_lines(buf)
        {
            this.pending = Some((rewritten, 0, buf.len()));
        }
        match ready!(this.poll_pending(cx))? {
            Some(stands_for) => Poll::Ready(Ok(stands_for)),
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each head in one buffer, which is what gets inspected.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_heads_without_the_headers_get_them() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let rewritten = with_security_lines(head).expect("rewritten");
        let text = String::from_utf8(rewritten).unwrap();
        assert!(text.starts_with("HTTP/1.1 431"));
        assert!(text.contains("\r\nreferrer-policy: no-referrer\r\n"));
        assert!(text.ends_with("nosniff\r\n\r\n"));
    }

    #[test]
    fn successes_and_heads_that_have_them_pass_untouched() {
        assert!(with_security_lines(b"HTTP/1.1 200 OK\r\n\r\n").is_none());
        assert!(
            with_security_lines(
                b"HTTP/1.1 401 Unauthorized\r\nReferrer-Policy: no-referrer\r\n\r\n"
            )
            .is_none()
        );
        assert!(with_security_lines(b"{\"message\": \"HTTP/1.1 400\"}").is_none());
        assert!(with_security_lines(b"HTTP/1.1 400 Bad Request\r\nno end").is_none());
    }
}
