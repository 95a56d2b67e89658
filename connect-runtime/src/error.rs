//! The one error type of request handling, and the one place it becomes an HTTP status.
//!
//! Messages are written for the installing admin and the app's log: they say what failed and
//! never carry a shared secret, a key or a token (not even in `Debug`).

use crate::auth::AuthError;
use crate::auth::keys::KeyFetchError;
use crate::lifecycle::PayloadError;
use crate::store::StoreError;
use warp::http::StatusCode;

/// Everything that can go wrong while the framework handles a request.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The request's token is missing, forged, expired or for someone else.
    #[error("authentication failed: {0}")]
    Unauthorized(#[from] AuthError),
    /// The lifecycle payload is not one the framework accepts.
    #[error("malformed payload: {0}")]
    BadPayload(#[from] PayloadError),
    /// The request body is larger than the configured limit.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The install key could not be fetched; the product should try again later.
    #[error("install key unavailable: {0}")]
    KeyUnavailable(KeyFetchError),
    /// The tenant store failed; nothing was stored.
    #[error("tenant store failed")]
    Store(#[from] StoreError),
    /// A handler argument could not be extracted (body, query or context parameter).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The app's lifecycle hook failed after the event was stored.
    #[error("the app's {event} hook failed: {message}")]
    Hook {
        /// The lifecycle event.
        event: &'static str,
        /// The hook's error message.
        message: String,
    },
}

impl ConnectError {
    /// The status the product and the security scanner see for this error.
    ///
    /// 401 for authentication, 400 for malformed payloads, 413 for oversized bodies, 503 when
    /// the key CDN cannot be reached (the product offers the admin a retry), 500 when storage
    /// fails. Never 2xx: nothing was stored.
    pub fn status(&self) -> StatusCode {
        match self {
            ConnectError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ConnectError::BadPayload(_) | ConnectError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConnectError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ConnectError::KeyUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ConnectError::Store(_) | ConnectError::Hook { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message for the response body. Store failures stay generic: their detail (paths,
    /// SQL) is for the log only.
    pub fn public_message(&self) -> String {
        match self {
            ConnectError::Store(_) => "internal error: the tenant store failed".to_owned(),
            ConnectError::Hook { event, .. } => {
                format!("internal error: the app's {event} hook failed")
            }
            other => other.to_string(),
        }
    }
}

impl From<KeyFetchError> for ConnectError {
    fn from(error: KeyFetchError) -> Self {
        match error {
            // The kid is malformed or no CDN knows it: the token cannot be authentic.
            KeyFetchError::InvalidKid | KeyFetchError::UnknownKid => {
                ConnectError::Unauthorized(AuthError::UnknownKey(error))
            }
            unavailable => ConnectError::KeyUnavailable(unavailable),
        }
    }
}

impl warp::reject::Reject for ConnectError {}
