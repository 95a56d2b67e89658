//! The HTTP stack around warp, composed in one place (`stack`).
//!
//! warp stays the route layer (the framework's dispatch and any filters an app adds); every
//! HTTP concern that is not routing is a tower layer around it, outermost first:
//!
//! 1. the security headers (the one list of [`headers`](super::headers)), set on
//!    every answer, including the two below;
//! 2. the panic boundary (tower-http's `CatchPanicLayer`): a panic anywhere in the service
//!    answers 500 `{"message": "internal error"}` and the connection stays usable;
//! 3. the request guard: what RFC 9112 and the header limits refuse before
//!    any route runs (a target that is not a path, a missing or repeated `Host`, a header line
//!    or a header count over the limit).
//!
//! Connection-level limits (timeouts, the connection cap, lingering close) belong to the
//! server ([`serve`](mod@super::serve)); body limits to the routes, which know whose body it is.

use super::headers::secure;
use super::response::{Response, error_response};
pub use crate::config::HeaderLimits;
use futures_util::future::{Either, Ready, ready};
use std::any::Any;
use std::task::{Context, Poll};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use warp::http::header::{CONNECTION, HOST, HeaderValue};
use warp::http::{Request, StatusCode, Version};

/// The whole stack around `service` (warp's, for a filter).
pub(crate) fn stack<S, B>(
    service: S,
    limits: HeaderLimits,
) -> impl Service<
    Request<B>,
    Response = warp::http::Response<
        impl warp::hyper::body::Body<Data = bytes::Bytes, Error = impl Into<tower::BoxError>>
        + Send
        + 'static,
    >,
    Error = S::Error,
    Future = impl Send,
> + Clone
+ Send
+ 'static
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    ServiceBuilder::new()
        .map_response(secure)
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(RequestGuardLayer(limits))
        .service(service)
}

/// The answer to a panic that escaped a route (handler panics are caught by the dispatch
/// first, which logs the route).
fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!(panic = ?panic_message(&*panic), "panic while answering a request");
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// Runs `future`; a panic in it becomes `Err` with the panic's message instead of unwinding
/// into the caller (a handler's, or the app's code in a background job).
pub(crate) async fn catch_panic<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    use futures_util::FutureExt as _;
    std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|panic| panic_message(&*panic).to_owned())
}

/// The text of a panic payload, when it has one.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The layer of [`RequestGuard`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestGuardLayer(HeaderLimits);

impl<S> Layer<S> for RequestGuardLayer {
    type Service = RequestGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestGuard {
            inner,
            limits: self.0,
        }
    }
}

/// Refuses, before any route runs, the requests RFC 9112 or the header limits refuse.
#[derive(Debug, Clone)]
pub(crate) struct RequestGuard<S> {
    inner: S,
    limits: HeaderLimits,
}

impl<S, B> Service<Request<B>> for RequestGuard<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        match refusal(&request, self.limits) {
            Some((status, message)) => {
                let mut answer = error_response(status, message);
                // The rest of the request cannot be trusted to frame the next one.
                answer
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
                Either::Left(ready(Ok(answer)))
            }
            None => Either::Right(self.inner.call(request)),
        }
    }
}

/// Why `request` is refused before routing, if it is.
fn refusal<B>(request: &Request<B>, limits: HeaderLimits) -> Option<(StatusCode, &'static str)> {
    // Only origin-form (`/path?query`) and absolute-form (`http://host/path`) targets name a
    // resource here; authority-form (`CONNECT host:port`, `GET 127.0.0.1:80`) and `*` do not.
    let is_path = request
        .uri()
        .path_and_query()
        .is_some_and(|target| target.path().starts_with('/'));
    if !is_path || request.method() == warp::http::Method::CONNECT {
        return Some((StatusCode::BAD_REQUEST, "the request target must be a path"));
    }
    let headers = request.headers();
    if headers.len() > limits.max_fields {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too many header fields",
        ));
    }
    if headers
        .iter()
        .any(|(name, value)| name.as_str().len() + value.len() + 2 > limits.max_line_bytes)
    {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "a header field is too large",
        ));
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one before it.
    let hosts = headers.get_all(HOST).iter().count();
    let host_ok = match request.version() {
        Version::HTTP_10 | Version::HTTP_09 => hosts <= 1,
        _ => hosts == 1,
    };
    if !host_ok {
        return Some((
            StatusCode::BAD_REQUEST,
            "the request must carry exactly one Host header",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn app() -> impl Service<
        Request<()>,
        Response = warp::http::Response<
            impl warp::hyper::body::Body<Data = bytes::Bytes, Error = impl Into<tower::BoxError>>
            + Send
            + 'static,
        >,
        Error = std::convert::Infallible,
        Future = impl Send,
    > + Clone {
        let inner = tower::service_fn(|request: Request<()>| async move {
            if request.uri().path() == "/panic" {
                panic!("handler bug");
            }
            Ok::<_, std::convert::Infallible>(Response::new(
                bytes::Bytes::from_static(b"ok").into(),
            ))
        });
        stack(inner, HeaderLimits::default())
    }

    fn request(target: &str) -> warp::http::request::Builder {
        Request::builder().uri(target).header(HOST, "x")
    }

    async fn status(request: Request<()>) -> (StatusCode, warp::http::HeaderMap) {
        let answer = app().oneshot(request).await.unwrap();
        (answer.status(), answer.headers().clone())
    }

    #[tokio::test]
    async fn answers_carry_the_security_headers_panics_included() {
        for (target, expected) in [("/ok", 200), ("/panic", 500)] {
            let (status, headers) = status(request(target).body(()).unwrap()).await;
            assert_eq!(status, expected, "{target}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{target}");
            assert_eq!(headers["cache-control"], "no-cache, no-store", "{target}");
        }
    }

    #[tokio::test]
    async fn targets_that_are_not_paths_are_400() {
        for target in ["127.0.0.2:80", "*"] {
            let (status, headers) = status(request(target).body(()).unwrap()).await;
            assert_eq!(status, 400, "{target}");
            assert_eq!(headers["connection"], "close");
        }
        let connect = request("example.com:443")
            .method("CONNECT")
            .body(())
            .unwrap();
        assert_eq!(status(connect).await.0, 400);
        let absolute = request("http://x/ok").body(()).unwrap();
        assert_eq!(status(absolute).await.0, 200);
    }

    #[tokio::test]
    async fn header_limits_and_host_rules() {
        let long = "a".repeat(16 * 1024);
        let (code, _) = status(request("/ok").header("x-big", long).body(()).unwrap()).await;
        assert_eq!(code, 431);
        let mut many = request("/ok");
        for index in 0..100 {
            many = many.header(format!("x-{index}"), "v");
        }
        assert_eq!(status(many.body(()).unwrap()).await.0, 431);
        let no_host = Request::builder().uri("/ok").body(()).unwrap();
        assert_eq!(status(no_host).await.0, 400);
        let two_hosts = request("/ok").header(HOST, "y").body(()).unwrap();
        assert_eq!(status(two_hosts).await.0, 400);
        let http10 = Request::builder()
            .uri("/ok")
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        assert_eq!(status(http10).await.0, 200);
    }
}
