//! The security headers Atlassian's requirements ask of every Connect app response.
//!
//! Pages are loaded with a token in the URL, so nothing may be cached and no referrer may carry
//! the URL elsewhere. `SECURITY_HEADERS` is the one list: the HTTP stack sets it on every
//! response the app produces (errors and panics included, replacing any value a handler set),
//! and the socket wrapper adds the same lines to the error answers hyper writes by itself.

use std::sync::LazyLock;
use warp::http::header::{
    CACHE_CONTROL, HeaderName, HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS,
};

/// The headers on every response, as static values.
pub(crate) const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (CACHE_CONTROL, "no-cache, no-store"),
    (REFERRER_POLICY, "no-referrer"),
    (
        STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    ),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// Sets the security headers on `response`, replacing any value it had.
pub(crate) fn secure<B>(mut response: warp::http::Response<B>) -> warp::http::Response<B> {
    let headers = response.headers_mut();
    for (name, value) in &SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// [`SECURITY_HEADERS`] as HTTP/1 header lines (`name: value\r\n` each), for heads written
/// by hyper itself.
pub(crate) static SECURITY_LINES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    SECURITY_HEADERS
        .iter()
        .flat_map(|(name, value)| [name.as_str().as_bytes(), b": ", value.as_bytes(), b"\r\n"])
        .flatten()
        .copied()
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_and_the_headers_are_the_same_list() {
        let lines = String::from_utf8(SECURITY_LINES.clone()).unwrap();
        let response = secure(warp::http::Response::new(()));
        assert_eq!(response.headers().len(), SECURITY_HEADERS.len());
        for (name, value) in response.headers() {
            let line = format!("{}: {}\r\n", name, value.to_str().unwrap());
            assert!(lines.contains(&line), "{line} missing from {lines}");
        }
        assert_eq!(lines.lines().count(), SECURITY_HEADERS.len());
    }
}
