//! A test, not a module of the runtime: property tests over everything that parses request
//! data (the qsh canonicalizer, token location, the HS256 token parser, install payloads and
//! tenant baseUrls). Arbitrary and structurally mutated inputs must give a value or a typed
//! error, never a panic.

use crate::auth::jwt::UnverifiedHs256;
use crate::auth::qsh::{canonical_request, query_string_hash, query_string_hash_matches};
use crate::auth::query::QueryParams;
use crate::auth::token::find_token;
use crate::config::{ConnectConfig, HostRule};
use crate::lifecycle::{LifecycleEvent, payload};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

/// Strings with the characters request targets are made of, plus anything.
fn target_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9/?&=%+.~_,;:@!$'()*-]{0,64}",
        any::<String>(),
        "(%[0-9a-fA-F]{0,2}|[&=+])*",
    ]
}

/// Base64url of arbitrary JSON-ish text, to reach past the token's base64 layer.
fn encoded(text: String) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn qsh_never_panics_and_is_deterministic(
        method in "[A-Za-z]{0,8}",
        path in target_text(),
        query in target_text(),
        base in target_text(),
    ) {
        let canonical = canonical_request(&method, &path, &query, &base);
        prop_assert_eq!(&canonical, &canonical_request(&method, &path, &query, &base));
        let hash = query_string_hash(&method, &path, &query, &base);
        prop_assert_eq!(hash.len(), 64);
        prop_assert!(query_string_hash_matches(&method, &path, &query, &base, &hash));
    }

    #[test]
    fn token_location_never_panics(
        header in proptest::option::of(any::<String>()),
        query in target_text(),
    ) {
        let _ = find_token(header.as_deref(), &QueryParams::parse(query));
    }

    #[test]
    fn the_shared_split_hashes_as_the_raw_query_does(
        path in target_text(),
        query in target_text(),
    ) {
        // The request's one split of its query (shared with the token lookup and the
        // extractors) gives the qsh the reference algorithm gives the raw string.
        let hash = query_string_hash("GET", &path, &query, "");
        let params = QueryParams::parse(query.clone());
        prop_assert!(crate::auth::qsh::params_hash_matches("GET", &path, &params, "", &hash));
        let expected: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let split: Vec<(String, String)> = params
            .iter()
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        prop_assert_eq!(split, expected);
    }

    #[test]
    fn hs256_parser_never_panics_on_arbitrary_tokens(token in any::<String>()) {
        if let Ok(unverified) = UnverifiedHs256::parse(&token) {
            let _ = unverified.issuer();
            let _ = unverified.verify(b"secret", 30);
        }
    }

    #[test]
    fn hs256_parser_never_panics_on_structured_tokens(
        header in prop_oneof![
            Just(r#"{"alg":"HS256","typ":"JWT"}"#.to_owned()),
            Just(r#"{"alg":"HS256","crit":["b64"]}"#.to_owned()),
            Just(r#"{"alg":"none"}"#.to_owned()),
            any::<String>(),
        ],
        claims in prop_oneof![
            Just(r#"{"iss":"t","iat":0,"exp":99999999999,"qsh":"x"}"#.to_owned()),
            Just(r#"{"iss":"t","iat":"0","exp":-1,"qsh":null}"#.to_owned()),
            Just(r#"{"iss":"t","iat":9223372036854775807,"exp":9223372036854775807,"qsh":"x"}"#.to_owned()),
            any::<String>(),
        ],
        signature in "[A-Za-z0-9_-]{0,64}",
    ) {
        let token = format!("{}.{}.{signature}", encoded(header), encoded(claims));
        if let Ok(unverified) = UnverifiedHs256::parse(&token) {
            // Never verifies with a guessed signature, whatever the claims say.
            prop_assert!(unverified.verify(b"secret", u64::MAX).is_err());
        }
    }

    #[test]
    fn install_payloads_never_panic(body in prop_oneof![
        any::<Vec<u8>>().prop_map(|bytes| bytes),
        any::<String>().prop_map(String::into_bytes),
        (any::<String>(), any::<String>(), any::<String>()).prop_map(|(key, client, base)| {
            serde_json::json!({
                "key": key, "clientKey": client, "sharedSecret": "s", "baseUrl": base,
                "eventType": "installed", "productType": "jira",
            })
            .to_string()
            .into_bytes()
        }),
    ]) {
        let config = ConnectConfig::new("https://app.example.com".parse().unwrap());
        if let Ok(parsed) = payload::parse(&body) {
            let _ = parsed.payload.validate(LifecycleEvent::Installed, "com.example.app", &config);
        }
    }

    #[test]
    fn tenant_base_urls_never_panic(url in prop_oneof![
        any::<String>(),
        "https?://[a-zA-Z0-9.\\\\@:/%\\t\\n-]{0,40}",
    ]) {
        let allowed = [HostRule::Suffix(".atlassian.net".into())];
        if let Ok(parsed) = payload::validate_tenant_base_url(&url, &allowed) {
            // What is accepted is already in normal form.
            prop_assert_eq!(parsed.as_str().trim_end_matches('/'), url.trim_end_matches('/'));
        }
    }
}
