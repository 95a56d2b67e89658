//! Finding the token in a request: `Authorization: JWT <token>` or `?jwt=<token>`.

use super::AuthError;
use super::query::QueryParams;
use std::borrow::Cow;

/// The token of a request, from the `Authorization` header or the `jwt` query parameter:
/// borrowed from the header or the query when it needs no decoding (the usual case).
///
/// A request that carries two different tokens (header and query, or the parameter twice) is
/// refused rather than guessing which one the handler should trust.
pub fn find_token<'a>(
    authorization: Option<&'a str>,
    query: &'a QueryParams,
) -> Result<Cow<'a, str>, AuthError> {
    let mut found: Option<Cow<'a, str>> =
        authorization.and_then(token_from_header).map(Cow::Borrowed);
    let from_query = query
        .iter()
        .filter(|(name, _)| name == "jwt")
        .map(|(_, value)| value);
    for token in from_query {
        match &found {
            Some(existing) if *existing != token => return Err(AuthError::ConflictingTokens),
            Some(_) => {}
            None => found = Some(token),
        }
    }
    found
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::MissingToken)
}

fn token_from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("JWT").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> QueryParams {
        QueryParams::parse(raw.to_owned())
    }

    #[test]
    fn header_and_query_are_both_accepted() {
        assert_eq!(find_token(Some("JWT a.b.c"), &q("")).unwrap(), "a.b.c");
        assert_eq!(find_token(None, &q("x=1&jwt=a.b.c")).unwrap(), "a.b.c");
        assert_eq!(
            find_token(Some("JWT a.b.c"), &q("jwt=a.b.c")).unwrap(),
            "a.b.c"
        );
    }

    #[test]
    fn two_different_tokens_are_refused() {
        assert!(matches!(
            find_token(Some("JWT a.b.c"), &q("jwt=d.e.f")),
            Err(AuthError::ConflictingTokens)
        ));
        assert!(matches!(
            find_token(None, &q("jwt=a.b.c&jwt=d.e.f")),
            Err(AuthError::ConflictingTokens)
        ));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_missing_tokens() {
        assert!(matches!(
            find_token(Some("Bearer a.b.c"), &q("")),
            Err(AuthError::MissingToken)
        ));
        assert!(matches!(
            find_token(None, &q("jwt=")),
            Err(AuthError::MissingToken)
        ));
        assert!(matches!(
            find_token(None, &q("")),
            Err(AuthError::MissingToken)
        ));
    }
}
