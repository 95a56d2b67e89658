//! The one error type of request handling, the one place it becomes an HTTP status, and the
//! recovery that answers warp's own rejections in the same shape.
//!
//! Messages are written for the installing admin and the app's log: they say what failed and
//! never carry a shared secret, a key or a token (not even in `Debug`).

use crate::auth::keys::KeyFetchError;
use crate::auth::{AuthError, VerifyError};
use crate::http::body::BodyError;
use crate::http::error::FrameworkError;
use crate::http::{AppError, ClientError, Html, IntoResponse, Response, error_response};
use crate::lifecycle::{LifecycleError, PayloadError};
use crate::store::StoreError;
use std::convert::Infallible;
use warp::Rejection;
use warp::http::StatusCode;
use warp::reject::{
    InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader, PayloadTooLarge,
    UnsupportedMediaType,
};

/// Everything that can go wrong while the framework handles a request.
#[derive(Debug)]
pub enum ConnectError {
    /// The request's token is missing, forged, expired or for someone else.
    Unauthorized(AuthError),
    /// The lifecycle payload is not one the framework accepts.
    BadPayload(PayloadError),
    /// The request body is too large or could not be read.
    Body(BodyError),
    /// The install key could not be fetched; the product should try again later.
    KeyUnavailable(KeyFetchError),
    /// The tenant store failed; nothing was stored.
    Store(StoreError),
    /// Container mode: the egress proxy could not describe the invocation; Forge may retry.
    ProxyUnavailable(String),
    /// A handler argument could not be extracted (body, query or context parameter).
    BadRequest(String),
    /// The app's lifecycle hook failed after the event was stored.
    Hook {
        /// The lifecycle event.
        event: &'static str,
        /// The hook's error.
        error: AppError,
    },
    /// The route exists for other methods.
    MethodNotAllowed,
    /// A guard refused the verified caller (a missing product permission).
    Forbidden(String),
    /// A page load of a licensed app from a site without an active license (`lic=none`).
    Unlicensed,
    /// A guard's call to the product failed (a permission check).
    Client(ClientError),
    /// A framework invariant did not hold (a built app always has what this names). A bug in
    /// the framework, answered 500 rather than a panic, and never blamed on the caller.
    Internal(&'static str),
    /// A handler panicked: answered 500 `internal error` (the connection stays usable) and
    /// logged at ERROR with the route and the panic's message.
    Panicked {
        /// The route's method and path pattern, as declared.
        route: String,
        /// The panic's message.
        message: String,
    },
}

/// Not `std::error::Error`: a `ConnectError` reaches handlers only inside an [`AppError`], which
/// keeps its status and answer (`AppError`'s blanket conversion would make it a generic 500).
impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Unauthorized(inner) => write!(f, "authentication failed: {inner}"),
            ConnectError::BadPayload(inner) => write!(f, "malformed payload: {inner}"),
            ConnectError::Body(inner) => write!(f, "{inner}"),
            ConnectError::KeyUnavailable(inner) => write!(f, "install key unavailable: {inner}"),
            ConnectError::Store(inner) => write!(f, "tenant store failed: {inner}"),
            ConnectError::ProxyUnavailable(inner) => {
                write!(f, "the Forge egress proxy is unavailable: {inner}")
            }
            ConnectError::BadRequest(inner) => write!(f, "bad request: {inner}"),
            ConnectError::Hook { event, error } => {
                write!(f, "the app's {event} hook failed: {error}")
            }
            ConnectError::MethodNotAllowed => f.write_str("method not allowed"),
            ConnectError::Forbidden(inner) => write!(f, "forbidden: {inner}"),
            ConnectError::Unlicensed => f.write_str("the site has no active license for this app"),
            ConnectError::Client(inner) => write!(f, "{inner}"),
            ConnectError::Internal(what) => write!(f, "internal error: {what}"),
            ConnectError::Panicked { route, message } => {
                write!(f, "the handler of {route} panicked: {message}")
            }
        }
    }
}

impl From<AuthError> for ConnectError {
    fn from(error: AuthError) -> Self {
        ConnectError::Unauthorized(error)
    }
}

impl From<PayloadError> for ConnectError {
    fn from(error: PayloadError) -> Self {
        ConnectError::BadPayload(error)
    }
}

impl From<BodyError> for ConnectError {
    fn from(error: BodyError) -> Self {
        ConnectError::Body(error)
    }
}

impl From<StoreError> for ConnectError {
    fn from(error: StoreError) -> Self {
        ConnectError::Store(error)
    }
}

impl From<ClientError> for ConnectError {
    fn from(error: ClientError) -> Self {
        ConnectError::Client(error)
    }
}

impl ConnectError {
    /// The status the product and the security scanner see for this error.
    ///
    /// 401 for authentication, 400 for malformed payloads, 413 for oversized bodies, 503 when
    /// the key CDN cannot be reached (the product offers the admin a retry), 500 when storage
    /// or a hook fails. Never 2xx: nothing was stored.
    pub fn status(&self) -> StatusCode {
        match self {
            ConnectError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ConnectError::BadPayload(_) | ConnectError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConnectError::Body(BodyError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            ConnectError::Body(BodyError::Unreadable) => StatusCode::BAD_REQUEST,
            ConnectError::Body(BodyError::TimedOut) => StatusCode::REQUEST_TIMEOUT,
            ConnectError::KeyUnavailable(_) | ConnectError::ProxyUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            // The database is down or overloaded: the product (and the admin) may retry.
            ConnectError::Store(StoreError::Database(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ConnectError::Store(_)
            | ConnectError::Hook { .. }
            | ConnectError::Internal(_)
            | ConnectError::Panicked { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ConnectError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ConnectError::Forbidden(_) | ConnectError::Unlicensed => StatusCode::FORBIDDEN,
            ConnectError::Client(error) => error.status(),
        }
    }

    /// The message for the response body. Store and hook failures stay generic: their detail
    /// (paths, SQL, the app's error) is for the log only.
    pub fn public_message(&self) -> String {
        match self {
            ConnectError::Store(StoreError::Database(_)) => {
                "tenant store unavailable: try again later".to_owned()
            }
            ConnectError::Store(_) => "internal error: the tenant store failed".to_owned(),
            ConnectError::Hook { event, .. } => {
                format!("internal error: the app's {event} hook failed")
            }
            ConnectError::Client(error) => error.public_message().to_owned(),
            ConnectError::Internal(_) | ConnectError::Panicked { .. } => {
                "internal error".to_owned()
            }
            // The detail (which CDN, why) is for the log; callers are unauthenticated.
            ConnectError::KeyUnavailable(_) => {
                "key service unavailable: try again later".to_owned()
            }
            ConnectError::ProxyUnavailable(_) => {
                "the Forge egress proxy is unavailable: try again later".to_owned()
            }
            ConnectError::Body(BodyError::Unreadable) => {
                "malformed payload: the request body could not be read".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl From<VerifyError> for ConnectError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Refused(error) => ConnectError::Unauthorized(error),
            VerifyError::KeyUnavailable(error) => ConnectError::KeyUnavailable(error),
            VerifyError::Store(error) => ConnectError::Store(error),
            VerifyError::ProxyUnavailable(error) => ConnectError::ProxyUnavailable(error),
        }
    }
}

impl From<LifecycleError> for ConnectError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::Auth(error) => ConnectError::Unauthorized(error),
            LifecycleError::Payload(error) => ConnectError::BadPayload(error),
            LifecycleError::Store(error) => ConnectError::Store(error),
            LifecycleError::Hook { event, error } => ConnectError::Hook { event, error },
        }
    }
}

impl FrameworkError for ConnectError {
    fn status(&self) -> StatusCode {
        ConnectError::status(self)
    }

    fn public_message(&self) -> String {
        ConnectError::public_message(self)
    }

    fn respond(self: Box<Self>) -> Response {
        (*self).into_response()
    }
}

impl From<ConnectError> for AppError {
    /// Carries the framework's error (an extractor's or a guard's refusal) to the dispatch,
    /// which answers it as its own.
    fn from(error: ConnectError) -> Self {
        AppError::framework(error)
    }
}

impl ConnectError {
    /// Logs the error (client mistakes at WARN, failures at ERROR, messages escaped) and
    /// answers `{"message": ...}` with its status.
    pub(crate) fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ConnectError::Hook { event, error } => {
                error.log(&format!("the app's {event} hook failed"))
            }
            _ if status.is_server_error() => {
                tracing::error!(status = status.as_u16(), error = ?self.to_string(), "request failed")
            }
            _ => {
                tracing::warn!(status = status.as_u16(), error = ?self.to_string(), "request refused")
            }
        }
        if let ConnectError::Unlicensed = self {
            return unlicensed_page();
        }
        error_response(status, &self.public_message())
    }
}

/// The page an unlicensed site sees in the app's iframe instead of the module.
fn unlicensed_page() -> Response {
    let mut response = Html(UNLICENSED_PAGE).into_response();
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

const UNLICENSED_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>License required</title></head>\n<body><h1>This app needs an active license</h1>\n<p>The license of this app on your site is not active (it may have expired or been cancelled). A site administrator can renew it under <em>Manage apps</em>.</p></body></html>\n";

impl warp::reject::Reject for ConnectError {}

/// Answers a warp rejection (from hand-built routes, or no route at all) as the framework
/// answers its own errors.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    Ok(rejection_response(&rejection))
}

fn rejection_response(rejection: &Rejection) -> Response {
    if let Some(error) = rejection.find::<ConnectError>() {
        let status = error.status();
        tracing::warn!(status = status.as_u16(), error = ?error.to_string(), "request refused");
        return error_response(status, &error.public_message());
    }
    if rejection.is_not_found() {
        return error_response(StatusCode::NOT_FOUND, "no route for this path");
    }
    let known = [
        (
            rejection.find::<MethodNotAllowed>().is_some(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        ),
        (
            rejection.find::<PayloadTooLarge>().is_some(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ),
        (
            rejection.find::<LengthRequired>().is_some(),
            StatusCode::LENGTH_REQUIRED,
            "content-length required",
        ),
        (
            rejection.find::<UnsupportedMediaType>().is_some(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
        ),
        (
            rejection.find::<InvalidHeader>().is_some(),
            StatusCode::BAD_REQUEST,
            "invalid request header",
        ),
        (
            rejection.find::<MissingHeader>().is_some(),
            StatusCode::BAD_REQUEST,
            "missing request header",
        ),
        (
            rejection.find::<InvalidQuery>().is_some(),
            StatusCode::BAD_REQUEST,
            "invalid query string",
        ),
    ];
    if let Some((_, status, message)) = known.into_iter().find(|(found, _, _)| *found) {
        return error_response(status, message);
    }
    tracing::error!(?rejection, "unhandled rejection");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_invariant_is_a_server_error_whose_detail_stays_in_the_log() {
        let broken = ConnectError::Internal("an app without an outbound client");
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.public_message(), "internal error");
        assert!(broken.to_string().contains("outbound client"));

        // The caller's mistakes stay 400 and keep their explanation.
        let mistake = ConnectError::BadRequest("invalid JSON body: EOF".to_owned());
        assert_eq!(mistake.status(), StatusCode::BAD_REQUEST);
        assert!(mistake.public_message().contains("invalid JSON body"));
    }
}
