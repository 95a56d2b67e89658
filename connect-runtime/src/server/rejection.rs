//! Turning every rejection into a response: `{"message": ...}` with the status of
//! [`ConnectError::status`] for our errors, and the matching status for warp's own.
//!
//! This is the only place a failure becomes an HTTP answer, and the only place it is logged.

use crate::error::ConnectError;
use std::convert::Infallible;
use warp::Rejection;
use warp::http::StatusCode;
use warp::reject::{
    InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader, PayloadTooLarge,
    UnsupportedMediaType,
};
use warp::reply::{Reply, Response};

/// The recovery every app filter ends with.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let (status, message) = describe(&rejection);
    Ok(error_response(status, &message))
}

fn describe(rejection: &Rejection) -> (StatusCode, String) {
    if let Some(error) = rejection.find::<ConnectError>() {
        let status = error.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), %error, "request failed");
        } else {
            tracing::warn!(status = status.as_u16(), %error, "request refused");
        }
        return (status, error.public_message());
    }
    if rejection.is_not_found() {
        return (StatusCode::NOT_FOUND, "no route for this path".to_owned());
    }
    let known = [
        (
            rejection.find::<MethodNotAllowed>().is_some()
                || rejection.find::<super::MethodMismatch>().is_some(),
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
        return (status, message.to_owned());
    }
    tracing::error!(?rejection, "unhandled rejection");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error".to_owned(),
    )
}

/// A JSON error body with `status`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    warp::reply::with_status(
        warp::reply::json(&serde_json::json!({ "message": message })),
        status,
    )
    .into_response()
}
