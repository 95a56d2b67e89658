//! The security headers Atlassian's requirements ask of every Connect app response.
//!
//! Pages are loaded with a token in the URL, so nothing may be cached and no referrer may carry
//! the URL elsewhere. Applied last, to every response the app produces (errors included), and
//! they replace any value a handler set.

use warp::http::header::{
    CACHE_CONTROL, HeaderMap, HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};

/// The headers set on every response.
pub fn security_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers
}

/// Sets the security headers on `response`.
pub fn secure(mut response: super::Response) -> super::Response {
    let headers = response.headers_mut();
    for (name, value) in security_headers() {
        if let Some(name) = name {
            headers.insert(name, value);
        }
    }
    response
}
