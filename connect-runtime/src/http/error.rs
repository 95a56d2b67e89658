//! [`AppError`]: the error a handler or lifecycle hook returns.

use super::client_error::ClientError;
use super::response::{IntoResponse, Response, StatusCode, error_response};
use std::borrow::Cow;
use std::error::Error;
use std::fmt;

/// An error a handler answers with: a status and a public message, or any error converted with
/// `?`, which answers a generic 500 and is logged (its text never reaches the client).
///
/// ```
/// use connect_runtime::{AppError, Json};
///
/// async fn load(id: &str) -> Result<Json<u32>, AppError> {
///     let id: u32 = id.parse().map_err(|_| AppError::bad_request("id must be a number"))?;
///     let text = std::fs::read_to_string(format!("/notes/{id}"))?; // io::Error → 500
///     Ok(Json(text.len() as u32))
/// }
/// ```
///
/// `AppError` deliberately does not implement `std::error::Error`, so that every error type
/// converts into it (anyhow's design).
pub struct AppError {
    status: StatusCode,
    message: Cow<'static, str>,
    source: Option<Box<dyn Error + Send + Sync>>,
    /// A refusal of the framework's own (a guard, an extractor): answered and logged as the
    /// framework answers its errors.
    framework: Option<Box<dyn FrameworkError>>,
}

/// An error of the framework carried through an [`AppError`] (from an extractor or a guard):
/// it keeps its own status, message, log level and answer.
pub(crate) trait FrameworkError: fmt::Debug + fmt::Display + Send + Sync + 'static {
    /// The status it answers with.
    fn status(&self) -> StatusCode;
    /// The message the client sees.
    fn public_message(&self) -> String;
    /// Logs it and makes its answer.
    fn respond(self: Box<Self>) -> Response;
}

impl AppError {
    /// An error with `status` and a `message` the client sees.
    pub fn status(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            source: None,
            framework: None,
        }
    }

    /// Carries a framework error, answered as the framework answers it.
    pub(crate) fn framework(error: impl FrameworkError) -> Self {
        Self {
            status: error.status(),
            message: Cow::Owned(error.public_message()),
            source: None,
            framework: Some(Box::new(error)),
        }
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::status(StatusCode::NOT_FOUND, message)
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::status(StatusCode::BAD_REQUEST, message)
    }

    /// 403 with `message`.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::status(StatusCode::FORBIDDEN, message)
    }

    /// The status it answers with.
    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The message the client sees.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The converted error, when it came from one: for the log only.
    pub fn source(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// Logs a server-side failure: the converted error's text, escaped (it may quote request
    /// data), at ERROR.
    pub(crate) fn log(&self, what: &str) {
        if !self.status.is_server_error() {
            return;
        }
        match &self.source {
            Some(source) => {
                tracing::error!(status = self.status.as_u16(), error = ?source.to_string(), "{what}")
            }
            None => {
                tracing::error!(status = self.status.as_u16(), message = ?self.message, "{what}")
            }
        }
    }
}

impl<E: Into<Box<dyn Error + Send + Sync>>> From<E> for AppError {
    fn from(error: E) -> Self {
        let source: Box<dyn Error + Send + Sync> = error.into();
        // A failed call to the product keeps its gateway status (502/503/504) rather than 500.
        let (status, message) = if let Some(client) = source.downcast_ref::<ClientError>() {
            (client.status(), client.public_message())
        } else if let Some(storage) = source.downcast_ref::<super::StorageError>() {
            (storage.status(), storage.public_message())
        } else {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        };
        Self {
            status,
            message: Cow::Borrowed(message),
            source: Some(source),
            framework: None,
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppError")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("source", &self.source)
            .field("framework", &self.framework)
            .finish()
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.framework, &self.source) {
            (Some(framework), _) => fmt::Display::fmt(framework, f),
            (None, Some(source)) => write!(f, "{}: {source}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(framework) = self.framework {
            return framework.respond();
        }
        self.log("handler failed");
        error_response(self.status, &self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_errors_are_generic_500s() {
        let error: AppError = std::io::Error::other("disk /secret/path full").into();
        assert_eq!(error.status_code(), 500);
        assert_eq!(error.message(), "internal error");
        assert!(error.source().is_some());
        let error = AppError::forbidden("admins only");
        assert_eq!(error.status_code(), 403);
        assert_eq!(error.message(), "admins only");
    }
}
