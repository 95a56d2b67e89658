//! A request body read up to a limit, with or without `Content-Length`.
//!
//! warp's `content_length_limit` refuses chunked bodies (411); the product may send either, so
//! this filter checks a declared length up front and counts streamed bytes otherwise.

use crate::error::ConnectError;
use crate::lifecycle::PayloadError;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::{Filter, Rejection};

/// The whole body, or `413` ([`ConnectError::PayloadTooLarge`]) beyond `limit` bytes.
pub fn limited_body(limit: usize) -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .and(warp::body::stream())
        .and_then(move |declared: Option<u64>, stream| async move {
            let too_large = || warp::reject::custom(ConnectError::PayloadTooLarge { limit });
            if declared.is_some_and(|length| length > limit as u64) {
                return Err(too_large());
            }
            collect(stream, limit).await.map_err(|error| match error {
                BodyError::TooLarge => too_large(),
                BodyError::Read => {
                    warp::reject::custom(ConnectError::BadPayload(PayloadError::Unreadable))
                }
            })
        })
}

enum BodyError {
    TooLarge,
    Read,
}

async fn collect<S, B>(stream: S, limit: usize) -> Result<Bytes, BodyError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|_| BodyError::Read)?;
        if body.len() + chunk.remaining() > limit {
            return Err(BodyError::TooLarge);
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
