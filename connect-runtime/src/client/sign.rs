//! The tokens the app signs with a tenant's shared secret: one per request to the product, and
//! the assertion of the OAuth 2.0 JWT bearer grant for acting as a user.

use crate::http::ClientError;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Lifetime of a request token: the product checks it on arrival, so a short one suffices.
pub const REQUEST_TOKEN_LIFETIME_SECS: i64 = 180;
/// Lifetime of a user-token assertion: at most 60 s, as the authorization server requires.
pub const ASSERTION_LIFETIME_SECS: i64 = 60;

#[derive(Serialize)]
struct RequestClaims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    qsh: &'a str,
}

/// The HS256 token of one request as the app: `iss` = the app key, `iat`, `exp` and the
/// request's `qsh`.
pub fn request_token(
    app_key: &str,
    shared_secret: &[u8],
    qsh: &str,
    now: i64,
) -> Result<String, ClientError> {
    let claims = RequestClaims {
        iss: app_key,
        iat: now,
        exp: now + REQUEST_TOKEN_LIFETIME_SECS,
        qsh,
    };
    encode(&claims, shared_secret)
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: String,
    sub: String,
    tnt: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The assertion of the JWT bearer grant: `iss` = the tenant's OAuth client, `sub` = the user,
/// `tnt` = the tenant's baseUrl (with `/wiki` for Confluence), `aud` = the authorization server.
pub fn user_assertion(
    oauth_client_id: &str,
    account_id: &str,
    tenant_base_url: &str,
    authorization_server: &str,
    shared_secret: &[u8],
    now: i64,
) -> Result<String, ClientError> {
    let claims = AssertionClaims {
        iss: format!("urn:atlassian:connect:clientid:{oauth_client_id}"),
        sub: format!("urn:atlassian:connect:useraccountid:{account_id}"),
        tnt: tenant_base_url,
        aud: authorization_server,
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    encode(&claims, shared_secret)
}

fn encode(claims: &impl Serialize, secret: &[u8]) -> Result<String, ClientError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    // Only a serialisation failure of our own claims structs can end here.
    .map_err(|error| ClientError::Body(format!("signing failed: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn request_tokens_verify_with_the_secret_and_carry_the_claims() {
        let now = crate::auth::jwt::unix_now();
        let token = request_token("com.example.app", b"secret", "abc", now).unwrap();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"secret"),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["iss"], "com.example.app");
        assert_eq!(claims["qsh"], "abc");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            180
        );
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &DecodingKey::from_secret(b"other"),
                &validation
            )
            .is_err()
        );
    }

    #[test]
    fn assertions_name_client_user_tenant_and_server() {
        let now = crate::auth::jwt::unix_now();
        let token = user_assertion(
            "client-1",
            "557058:abc",
            "https://acme.atlassian.net/wiki",
            "https://auth.example",
            b"secret",
            now,
        )
        .unwrap();
        let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token)
            .unwrap()
            .claims;
        assert_eq!(claims["iss"], "urn:atlassian:connect:clientid:client-1");
        assert_eq!(
            claims["sub"],
            "urn:atlassian:connect:useraccountid:557058:abc"
        );
        assert_eq!(claims["tnt"], "https://acme.atlassian.net/wiki");
        assert_eq!(claims["aud"], "https://auth.example");
        assert!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap() <= 60);
    }
}
