//! [`StorageError`]: why a Forge storage call failed, and the status the app's caller sees.
//! Beside [`ClientError`] (which it wraps) so that [`AppError`](super::AppError) maps both.

use super::ClientError;
use warp::http::StatusCode;

/// Why a storage call failed. Secrets and values never appear in it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A key breaks Forge's rule (checked before sending).
    #[error("storage key `{key}` is invalid: {reason}")]
    InvalidKey {
        /// The key (its first 80 characters).
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An entity name breaks Forge's rule.
    #[error(
        "entity name `{0}` is invalid: use 3 to 60 of a-z 0-9 : - _ ., not starting with - or _, no `..`"
    )]
    InvalidEntity(String),
    /// A value is larger than 240 KiB as JSON.
    #[error("the value is {0} bytes as JSON; Forge storage holds at most 245760")]
    ValueTooLarge(usize),
    /// A value nests deeper than Forge allows.
    #[error("the value nests deeper than 31 levels")]
    ValueTooDeep,
    /// A batch or transaction with no operation, or too many.
    #[error("a {what} has 1 to 25 operations, not {count}")]
    Operations {
        /// `batch` or `transaction`.
        what: &'static str,
        /// How many it had.
        count: usize,
    },
    /// A key appears twice in one batch or transaction.
    #[error("the key `{0}` appears twice in one batch or transaction")]
    DuplicateKey(String),
    /// A Forge SQL request or an async events push larger than Forge accepts (checked before
    /// sending).
    #[error("the {what} is {bytes} bytes; Forge accepts at most {max}")]
    RequestTooLarge {
        /// `SQL request` or `events push`.
        what: &'static str,
        /// Its size as JSON.
        bytes: usize,
        /// Forge's limit.
        max: usize,
    },
    /// An async events push with no event, or more than 50.
    #[error("a push has 1 to 50 events, not {0}")]
    EventCount(usize),
    /// A queue name Forge would refuse.
    #[error("queue name `{0}` is invalid: {1}")]
    InvalidQueue(String, String),
    /// A value could not be serialised, or a stored value is not the type asked for.
    #[error("storage value: {0}")]
    Serde(String),
    /// A write with [`KeyPolicy::FailIfExists`](crate::client::storage::KeyPolicy::FailIfExists), or a transaction condition, failed: the key
    /// exists (or the condition does not hold).
    #[error("the key exists or a condition failed: {message}")]
    Conflict {
        /// Forge's message.
        message: String,
    },
    /// Forge refused the call: a refused or expired system token (401, 403), a limit, a
    /// malformed request. `code` is Forge's (`INVALID_KEY`, `MAX_SIZE`...).
    #[error("Forge storage answered {status}: {code}: {message}")]
    Forge {
        /// The HTTP status.
        status: StatusCode,
        /// Forge's error code.
        code: String,
        /// Forge's message.
        message: String,
    },
    /// The call did not complete: still rate limited after the retries, a timeout, the
    /// connection, or no system token (the route must declare `system_token`).
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl StorageError {
    /// The status the app's caller sees when a handler returns this error with `?`: 500 for
    /// the app's own mistakes (keys, values, sizes), 409 for a conflict, 503 when rate
    /// limited, 502 for a refusal by Forge. Never 401: `invokeRemote` reserves it for a
    /// token the app could not verify.
    pub fn status(&self) -> StatusCode {
        match self {
            StorageError::Conflict { .. } => StatusCode::CONFLICT,
            StorageError::Forge { .. } => StatusCode::BAD_GATEWAY,
            StorageError::Client(error) => error.status(),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the app's caller sees: what kind of failure, never Forge's text.
    pub fn public_message(&self) -> &'static str {
        match self {
            StorageError::Conflict { .. } => "the data changed: try again",
            StorageError::Forge { .. } => "a storage call failed",
            StorageError::Client(error) => error.public_message(),
            _ => "internal error",
        }
    }
}
