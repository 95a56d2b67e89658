//! The query string hash (`qsh` claim): a SHA-256 over the canonical form of a request.
//!
//! The canonical form follows the reference library `atlassian-jwt` (used by
//! atlassian-connect-express) to the byte, including its quirks: names and values are sorted by
//! UTF-16 code units (JavaScript's default sort), `+` decodes to a space, invalid percent escapes
//! stay literal and invalid UTF-8 becomes U+FFFD. Any divergence would make the product's
//! signature and ours disagree, so `tests/qsh_vectors.rs` and the differential test against the
//! npm package keep this honest.

use super::query::{QueryParams, decoded_pairs};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The literal `qsh` of tokens issued by `AP.context.getToken()` (the `context-qsh` migration).
pub const CONTEXT_QSH: &str = "context-qsh";

/// RFC 3986 unreserved characters stay; everything else is `%XX` with upper-case hex.
const RFC3986_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The query parameter that carries the token itself; it never takes part in the hash.
const JWT_PARAM: &str = "jwt";

/// `METHOD&PATH&QUERY` for a request, relative to the path of `base_path` (the path of the
/// app's or the tenant's baseUrl, e.g. `/wiki`; empty when the baseUrl has none).
///
/// `path` is the request path exactly as sent (not decoded) and `query` the raw query string
/// without the leading `?`.
pub fn canonical_request(method: &str, path: &str, query: &str, base_path: &str) -> String {
    let mut out = Vec::with_capacity(method.len() + path.len() + query.len() + 2);
    let query = canonical_query(query);
    write_canonical(method, path, &query, base_path, |piece| {
        out.extend_from_slice(piece)
    });
    // Every piece is UTF-8 (the method upper-cased, the path as sent, the query encoded).
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Lower-case hex SHA-256 of [`canonical_request`].
pub fn query_string_hash(method: &str, path: &str, query: &str, base_path: &str) -> String {
    hex::encode(digest(method, path, &canonical_query(query), base_path))
}

/// Whether `claimed` is the `qsh` of the request. The canonical request is fed to the hash
/// piece by piece and the hex form lives on the stack: a request whose query holds nothing
/// to sort (none, or only the token) allocates nothing here. This runs on every verified
/// request.
pub fn query_string_hash_matches(
    method: &str,
    path: &str,
    query: &str,
    base_path: &str,
    claimed: &str,
) -> bool {
    digest_matches(
        digest(method, path, &canonical_query(query), base_path),
        claimed,
    )
}

/// [`query_string_hash_matches`] for a query already split into its parameters (the one split
/// of a request, shared with the token lookup and the extractors).
pub(crate) fn params_hash_matches(
    method: &str,
    path: &str,
    params: &QueryParams,
    base_path: &str,
    claimed: &str,
) -> bool {
    let query = canonical_query_of(params.iter());
    digest_matches(digest(method, path, &query, base_path), claimed)
}

fn digest_matches(digest: [u8; 32], claimed: &str) -> bool {
    let mut hex = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    hex::encode_to_slice(digest, &mut hex).is_ok() && hex.as_slice() == claimed.as_bytes()
}

fn digest(method: &str, path: &str, canonical_query: &str, base_path: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    write_canonical(method, path, canonical_query, base_path, |piece| {
        hasher.update(piece)
    });
    hasher.finalize().into()
}

/// Writes `METHOD&PATH&QUERY` to `sink` in pieces (`canonical_query` already canonical).
fn write_canonical(
    method: &str,
    path: &str,
    canonical_query: &str,
    base_path: &str,
    mut sink: impl FnMut(&[u8]),
) {
    if method.bytes().any(|byte| byte.is_ascii_lowercase()) {
        sink(method.to_ascii_uppercase().as_bytes());
    } else {
        sink(method.as_bytes());
    }
    sink(b"&");
    write_canonical_path(path, base_path, &mut sink);
    sink(b"&");
    sink(canonical_query.as_bytes());
}

fn write_canonical_path(path: &str, base_path: &str, sink: &mut impl FnMut(&[u8])) {
    // The reference strips the base path as a plain string prefix (even `/base` from `/basement`);
    // the product computes the same, so we must too.
    let relative = path.strip_prefix(base_path).unwrap_or(path);
    if relative.is_empty() {
        return sink(b"/");
    }
    let add_slash = !relative.starts_with('/');
    // A trailing `/` is dropped unless it is the whole path.
    let relative = match relative.strip_suffix('/') {
        Some(trimmed) if add_slash || !trimmed.is_empty() => trimmed,
        _ => relative,
    };
    if add_slash {
        sink(b"/");
    }
    let mut pieces = relative.split('&');
    if let Some(first) = pieces.next() {
        sink(first.as_bytes());
    }
    for piece in pieces {
        sink(b"%26");
        sink(piece.as_bytes());
    }
}

/// Splits a request target (`/path?query`) and hashes it; convenient for outbound calls and tests.
pub fn query_string_hash_of_target(method: &str, target: &str, base_path: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    query_string_hash(method, path, query, base_path)
}

fn canonical_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    canonical_query_of(decoded_pairs(query))
}

/// The sorted, encoded query of decoded `pairs`, without the token's own `jwt` parameter.
fn canonical_query_of<'q>(pairs: impl Iterator<Item = (Cow<'q, str>, Cow<'q, str>)>) -> String {
    let mut params: Vec<(Cow<'q, str>, Cow<'q, str>)> =
        pairs.filter(|(name, _)| name != JWT_PARAM).collect();
    if params.is_empty() {
        return String::new();
    }
    params.sort_by(|(a_name, a_value), (b_name, b_value)| {
        utf16_order(a_name, b_name).then_with(|| utf16_order(a_value, b_value))
    });

    // Encoding may grow a character to 9 bytes (`%XX` per UTF-8 byte); most stay as they are.
    let plain: usize = params
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2)
        .sum();
    let mut out = String::with_capacity(plain + plain / 2);
    let mut previous_name: Option<&str> = None;
    for (name, value) in &params {
        if previous_name == Some(name.as_ref()) {
            out.push(',');
        } else {
            if previous_name.is_some() {
                out.push('&');
            }
            out.extend(utf8_percent_encode(name, RFC3986_RESERVED));
            out.push('=');
            previous_name = Some(name);
        }
        out.extend(utf8_percent_encode(value, RFC3986_RESERVED));
    }
    out
}

/// JavaScript's default string order: by UTF-16 code unit, not by code point.
fn utf16_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_agrees_with_the_hex_hash() {
        let hash = query_string_hash("GET", "/p", "a=1", "");
        assert!(query_string_hash_matches("GET", "/p", "a=1", "", &hash));
        assert!(!query_string_hash_matches("GET", "/p", "a=2", "", &hash));
        assert!(!query_string_hash_matches(
            "GET",
            "/p",
            "a=1",
            "",
            &hash[..63]
        ));
        assert!(!query_string_hash_matches(
            "GET",
            "/p",
            "a=1",
            "",
            &hash.to_uppercase()
        ));
    }

    #[test]
    fn paths_are_canonical_as_the_reference_makes_them() {
        for (path, base, expected) in [
            ("", "", "/"),
            ("/", "", "/"),
            ("a/", "", "/a"),
            ("a", "", "/a"),
            ("/", "/", "/"),
            ("/p/", "", "/p"),
            ("/a&b/c&&d/", "", "/a%26b/c%26%26d"),
            ("/wiki/", "/wiki", "/"),
            ("/basement", "/base", "/ment"),
            ("//", "", "/"),
        ] {
            assert_eq!(
                canonical_request("GET", path, "", base),
                format!("GET&{expected}&"),
                "{path} under {base}"
            );
        }
    }

    #[test]
    fn empty_request_is_root_with_two_separators() {
        assert_eq!(canonical_request("get", "", "", ""), "GET&/&");
    }

    #[test]
    fn base_path_is_removed_and_trailing_slash_dropped() {
        assert_eq!(
            canonical_request("GET", "/wiki/rest/api/", "", "/wiki"),
            "GET&/rest/api&"
        );
        assert_eq!(canonical_request("GET", "/wiki", "", "/wiki"), "GET&/&");
    }

    #[test]
    fn jwt_parameter_is_excluded_but_not_its_lookalikes() {
        assert_eq!(
            canonical_request("GET", "/p", "jwt=a.b.c&JWT=x&jwt2=y", ""),
            "GET&/p&JWT=x&jwt2=y"
        );
    }

    #[test]
    fn supplementary_characters_sort_before_private_use_like_javascript() {
        // U+1F600 is encoded as surrogates 0xD83D..., which sort before U+E000 in UTF-16 but
        // after it by code point.
        assert_eq!(
            canonical_query("a=%EE%80%80&a=%F0%9F%98%80"),
            "a=%F0%9F%98%80,%EE%80%80"
        );
    }

    #[test]
    fn invalid_escapes_stay_literal_and_invalid_utf8_is_replaced() {
        assert_eq!(canonical_query("%zz=%&b=%C3"), "%25zz=%25&b=%EF%BF%BD");
    }
}
