//! A successful answer of the product, read whole (bounded) so that decoding it cannot fail
//! half-way through a stream.

use crate::http::ClientError;
use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;
use warp::http::{HeaderMap, StatusCode};

/// The largest answer the client reads; larger ones are refused rather than buffered.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A 2xx answer of the product.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl ClientResponse {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status (2xx: other statuses are [`ClientError`]s).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON of type `T`. Async for symmetry with other HTTP clients; the body is
    /// already read.
    ///
    /// A mismatch names the failing field (from `T`), never a value of the answer.
    pub async fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let mut deserializer = serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            ClientError::Decode(format!(
                "field `{}`: {:?} error at line {} column {}",
                error.path(),
                error.inner().classify(),
                error.inner().line(),
                error.inner().column()
            ))
        })
    }
}

/// Reads a body up to `limit` bytes.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, ClientError> {
    let too_large = || ClientError::Decode(format!("the answer is larger than {limit} bytes"));
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(super::transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
