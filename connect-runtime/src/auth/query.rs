//! A request's query string, split into its parameters once per request and shared by
//! everything that reads it: the token lookup (`jwt`), the `qsh` check, the license (`lic`),
//! context parameters and `Query<T>`.
//!
//! Names and values are decoded as `application/x-www-form-urlencoded` (what Node's
//! `querystring`, and so the product's `qsh`, use: `+` is a space, invalid escapes stay
//! literal, invalid UTF-8 becomes U+FFFD), on access, and borrowed from the raw query when
//! there is nothing to decode: most names and values.

use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::ops::Range;

/// The raw query string (without `?`) and where each `name=value` pair lies in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    raw: String,
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl QueryParams {
    /// Splits `raw` at `&` (empty pieces skipped) and each piece at its first `=`.
    pub fn parse(raw: String) -> Self {
        let pairs = pair_ranges(&raw).collect();
        Self { raw, pairs }
    }

    /// The raw query string, as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the query has no parameter.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Every parameter, decoded, in order (repeated names included).
    pub fn iter(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> + '_ {
        self.pairs.iter().map(|(name, value)| {
            (
                decode(&self.raw[name.clone()]),
                decode(&self.raw[value.clone()]),
            )
        })
    }

    /// The first value of parameter `name`, decoded.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }
}

/// Where each `name=value` pair of `raw` lies: `raw` split at `&` (empty pieces skipped), each
/// piece at its first `=` (a piece without one is a name with an empty value). The one split
/// of a query, for [`QueryParams`] and the `qsh` of a raw query string.
pub(crate) fn pair_ranges(raw: &str) -> impl Iterator<Item = (Range<usize>, Range<usize>)> + '_ {
    let mut start = 0;
    raw.split('&').filter_map(move |piece| {
        let (begin, end) = (start, start + piece.len());
        start = end + 1;
        (!piece.is_empty()).then(|| match piece.find('=') {
            Some(eq) => (begin..begin + eq, begin + eq + 1..end),
            None => (begin..end, end..end),
        })
    })
}

/// The decoded pairs of a raw query string, without keeping the split.
pub(crate) fn decoded_pairs(raw: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    pair_ranges(raw).map(move |(name, value)| (decode(&raw[name]), decode(&raw[value])))
}

/// One name or value, decoded; borrowed when it holds no `%` or `+`.
pub(crate) fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|byte| byte == b'%' || byte == b'+') {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_as_forms_do() {
        let query = QueryParams::parse("a=1&&b&c=x%20y+z&a=2&d=%zz&e=%C3".to_owned());
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let expected: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_str().as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect();
        assert_eq!(pairs, expected);
        assert_eq!(query.get("a").as_deref(), Some("1"));
        assert_eq!(query.get("b").as_deref(), Some(""));
        assert_eq!(query.get("zz"), None);
        assert!(matches!(query.get("a"), Some(Cow::Borrowed(_))));
        assert!(QueryParams::parse(String::new()).is_empty());
        assert!(QueryParams::parse("&&".to_owned()).is_empty());
    }
}
