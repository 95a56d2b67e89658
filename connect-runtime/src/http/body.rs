//! A request body read up to a limit, with or without `Content-Length`.
//!
//! warp's `content_length_limit` refuses chunked bodies (411); the product may send either, so
//! the declared length is checked up front and streamed bytes are counted otherwise.

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body (declared or streamed) exceeds the limit.
    #[error("request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while the body was read.
    #[error("the request body could not be read")]
    Unreadable,
    /// The body did not arrive within the body timeout (a slow or stalled client).
    #[error("the request body did not arrive in time")]
    TimedOut,
}

/// Reads the whole body of `stream` within `timeout`, refusing more than `limit` bytes (before
/// reading any when `declared` already says so).
pub async fn read_limited<S, B>(
    stream: S,
    declared: Option<u64>,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    tokio::time::timeout(timeout, read_all(stream, limit))
        .await
        .map_err(|_| BodyError::TimedOut)?
}

async fn read_all<S, B>(stream: S, limit: usize) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.remaining() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            body.extend_from_slice(part);
            let read = part.len();
            chunk.advance(read);
        }
    }
    Ok(body.freeze())
}
