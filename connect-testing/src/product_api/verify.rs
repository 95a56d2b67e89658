//! How the simulated product verifies what the app sends: its request tokens (HS256, `qsh`),
//! user tokens this authorization server issued, and the assertions of the JWT bearer grant.

use super::*;

impl ApiState {
    pub(super) fn authenticate(
        &self,
        client_key: &str,
        method: &Method,
        path: &str,
        query: &str,
        base_path: &str,
        headers: &HeaderMap,
    ) -> Caller {
        let refused = |reason: &str| Caller::Refused(reason.to_owned());
        let Some(authorization) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
            return refused("no Authorization header");
        };
        if let Some(token) = authorization.strip_prefix("JWT ") {
            return self.verify_app_token(client_key, token, method, path, query, base_path);
        }
        if let Some(token) = authorization.strip_prefix("Bearer ") {
            return match self.tokens.get(token) {
                Some(issued) if issued.client_key != client_key => {
                    refused("the bearer token was issued for another site")
                }
                Some(issued) if issued.expires_at <= Instant::now() => {
                    refused("the bearer token has expired")
                }
                Some(issued) => Caller::User(issued.account_id.clone()),
                None => refused("unknown bearer token"),
            };
        }
        refused("unsupported Authorization scheme")
    }

    fn verify_app_token(
        &self,
        client_key: &str,
        token: &str,
        method: &Method,
        path: &str,
        query: &str,
        base_path: &str,
    ) -> Caller {
        let refused = |reason: &str| Caller::Refused(reason.to_owned());
        match jsonwebtoken::decode_header(token) {
            Ok(header) if header.alg == Algorithm::HS256 => {}
            _ => return refused("the JWT is not HS256"),
        }
        let Ok(unverified) = jsonwebtoken::dangerous::insecure_decode::<Value>(token) else {
            return refused("malformed JWT");
        };
        let Some(app_key) = unverified.claims["iss"].as_str() else {
            return refused("no iss");
        };
        let Some(install) = self
            .installs
            .get(&(client_key.to_owned(), app_key.to_owned()))
        else {
            return refused("iss names no app installed on this site");
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iat", "iss", "qsh"]);
        let Ok(verified) = jsonwebtoken::decode::<Value>(
            token,
            &DecodingKey::from_secret(install.shared_secret.as_bytes()),
            &validation,
        ) else {
            return refused("signature, exp or required claims invalid");
        };
        let expected = qsh::query_string_hash(method.as_str(), path, query, base_path);
        if verified.claims["qsh"] != expected.as_str() {
            return refused("qsh does not match the request");
        }
        Caller::App(app_key.to_owned())
    }

    pub(super) fn check_assertion(
        &self,
        assertion: &str,
        own_url: &str,
    ) -> Result<(String, String), &'static str> {
        match jsonwebtoken::decode_header(assertion) {
            Ok(header) if header.alg == Algorithm::HS256 => {}
            _ => return Err("the assertion is not HS256"),
        }
        let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(assertion)
            .map_err(|_| "malformed assertion")?
            .claims;
        let oauth_client = claims["iss"]
            .as_str()
            .and_then(|iss| iss.strip_prefix("urn:atlassian:connect:clientid:"))
            .ok_or("iss is not urn:atlassian:connect:clientid:<oauthClientId>")?;
        let site = self
            .sites
            .values()
            .find(|site| site.oauth_client_id() == oauth_client)
            .ok_or("unknown OAuth client")?;
        if claims["tnt"] != site.base_url.as_str() {
            return Err("tnt is not the site's baseUrl");
        }
        let installed: Vec<&Install> = self
            .installs
            .iter()
            .filter(|((client_key, _), _)| *client_key == site.client_key)
            .map(|(_, install)| install)
            .collect();
        if !installed.is_empty() && !installed.iter().any(|install| install.act_as_user) {
            return Err("the app does not have the ACT_AS_USER scope");
        }
        if claims["aud"] != own_url.trim_end_matches('/') {
            return Err("aud is not this authorization server");
        }
        let account = claims["sub"]
            .as_str()
            .and_then(|sub| sub.strip_prefix("urn:atlassian:connect:useraccountid:"))
            .filter(|account| !account.is_empty())
            .ok_or("sub is not urn:atlassian:connect:useraccountid:<accountId>")?;
        let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
            return Err("iat and exp are required");
        };
        if exp - iat > 60 {
            return Err("the assertion lives longer than 60 s");
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<Value>(
            assertion,
            &DecodingKey::from_secret(site.shared_secret.as_bytes()),
            &validation,
        )
        .map_err(|_| "the assertion's signature or exp is invalid")?;
        Ok((site.client_key.clone(), account.to_owned()))
    }
}
