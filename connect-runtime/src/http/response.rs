//! [`IntoResponse`]: what a handler may return, owned by the framework (axum's `IntoResponse`
//! and Rocket's `Responder` are the models).
//!
//! | returned | answer |
//! |---|---|
//! | [`Json<T>`] | 200, `application/json` |
//! | [`Html<T>`] | 200, `text/html; charset=utf-8` |
//! | `String`, `&'static str` | 200, `text/plain; charset=utf-8` |
//! | `()` | 200, empty |
//! | [`StatusCode`] | that status; an error status gets `{"message": reason}` |
//! | `(StatusCode, T)` | `T`'s answer with that status |
//! | `Option<T>` | `T`'s answer, or 404 `{"message": "not found"}` |
//! | `Result<T, E>` | `T`'s or `E`'s answer |
//! | [`AppError`](super::AppError) | its status and `{"message"}`; converted errors answer a generic 500 |
//! | [`WarpReply<R>`] | any `warp::Reply`, explicitly adapted |
//!
//! The framework adds the security headers to whatever a handler returns.

use bytes::Bytes;
use serde::Serialize;
pub use warp::http::StatusCode;
use warp::http::header::{CONTENT_TYPE, HeaderValue};

/// The HTTP response type of the framework (warp's).
pub type Response = warp::reply::Response;

/// A value a handler can return.
///
/// ```
/// use connect_runtime::{AppError, Json};
///
/// async fn show(found: bool) -> Result<Json<Vec<u32>>, AppError> {
///     if !found {
///         return Err(AppError::not_found("no such note"));
///     }
///     Ok(Json(vec![1, 2, 3]))
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a connect handler",
    label = "this return type is not a response",
    note = "return `Html<String>`, `Json<T>`, `String`, `&'static str`, `()`, `StatusCode`, `(StatusCode, T)`, `Option<T>` or `Result<T, AppError>`",
    note = "a warp reply can be returned through the explicit adapter `WarpReply(reply)`"
)]
pub trait IntoResponse {
    /// The response.
    fn into_response(self) -> Response;
}

fn with_content_type(body: impl Into<Bytes>, content_type: &'static str) -> Response {
    let mut response = Response::new(body.into().into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(self, "text/plain; charset=utf-8")
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(self, "text/plain; charset=utf-8")
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Bytes::new().into())
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        if self.is_client_error() || self.is_server_error() {
            error_response(self, self.canonical_reason().unwrap_or("error"))
        } else {
            let mut response = ().into_response();
            *response.status_mut() = self;
            response
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }
}

impl<T: IntoResponse> IntoResponse for Option<T> {
    fn into_response(self) -> Response {
        match self {
            Some(value) => value.into_response(),
            None => error_response(StatusCode::NOT_FOUND, "not found"),
        }
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

/// A JSON body: an extractor (argument) or a response (return value).
///
/// ```
/// use connect_runtime::Json;
///
/// #[derive(serde::Serialize)]
/// struct Note { text: String }
///
/// async fn note() -> Json<Note> {
///     Json(Note { text: "hello".into() })
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => with_content_type(body, "application/json"),
            Err(error) => {
                tracing::error!(error = ?error.to_string(), "the handler's JSON response could not be serialised");
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

/// An HTML page: `Html(format!(...))`. Escape what you interpolate (`html_escape` and similar
/// crates do it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Html<T>(pub T);

impl<T: Into<Bytes>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(self.0, "text/html; charset=utf-8")
    }
}

/// The explicit adapter for a `warp::Reply` (for example `warp::reply::with_header(...)`).
///
/// A blanket implementation over warp's trait would collide with the framework's own, so a
/// warp reply is wrapped instead.
#[derive(Debug)]
pub struct WarpReply<R>(pub R);

impl<R: warp::Reply> IntoResponse for WarpReply<R> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// A JSON error body `{"message": message}` with `status`: the shape of every error answer.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = with_content_type(body, "application/json");
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_content_types() {
        let response = (StatusCode::CREATED, Json(1)).into_response();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(Option::<String>::None.into_response().status(), 404);
        assert_eq!(StatusCode::NO_CONTENT.into_response().status(), 204);
        let html = Html("<p>hi</p>").into_response();
        assert_eq!(html.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        let result: Result<&'static str, StatusCode> = Err(StatusCode::CONFLICT);
        assert_eq!(result.into_response().status(), 409);
    }
}
