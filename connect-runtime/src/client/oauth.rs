//! Acting as a user: access tokens from the OAuth 2.0 JWT bearer grant, cached.
//!
//! One token per (tenant, account, scopes), kept until shortly before its `expires_in`, in a
//! bounded cache. Concurrent calls for one user wait for one token request (moka's
//! `try_get_with` is single-flight), and a failed request is not cached: the next call tries
//! again.

use super::sign;
use crate::config::{PRODUCTION_OAUTH_URL, STAGING_OAUTH_URL};
use crate::http::ClientError;
use moka::Expiry;
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The OAuth grant type of the user impersonation flow.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Tokens are dropped this long before they expire (or at half their life, if shorter), so a
/// token is never sent as it expires.
const SAFETY_MARGIN: Duration = Duration::from_secs(30);
/// Users whose tokens are kept at once, per app.
const CACHE_CAPACITY: u64 = 10_000;

/// Whose token: the tenant, the user and the scopes asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TokenKey {
    pub(crate) client_key: Arc<str>,
    pub(crate) account_id: Arc<str>,
    pub(crate) scopes: Arc<str>,
}

/// An access token and how long it may be used.
#[derive(Clone)]
pub(crate) struct UserToken {
    pub(crate) access_token: SecretString,
    usable_for: Duration,
}

struct UntilExpiry;

impl Expiry<TokenKey, Arc<UserToken>> for UntilExpiry {
    fn expire_after_create(
        &self,
        _: &TokenKey,
        token: &Arc<UserToken>,
        _: Instant,
    ) -> Option<Duration> {
        Some(token.usable_for)
    }
}

/// What a token request needs from the tenant.
pub(crate) struct Grant<'a> {
    pub(crate) oauth_client_id: &'a str,
    pub(crate) account_id: &'a str,
    pub(crate) tenant_base_url: &'a str,
    pub(crate) shared_secret: &'a SecretString,
    pub(crate) scopes: &'a str,
}

/// The user-token cache of one app, with the authorization server override.
#[derive(Clone)]
pub(crate) struct UserTokens {
    cache: Cache<TokenKey, Arc<UserToken>>,
    server_override: Option<Url>,
}

impl UserTokens {
    pub(crate) fn new(server_override: Option<Url>) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .expire_after(UntilExpiry)
                .build(),
            server_override,
        }
    }

    /// The authorization server for a tenant: the configured one, or Atlassian's staging server
    /// for `.jira-dev.com` sites and production otherwise. Without a trailing slash: it is also
    /// the assertion's `aud`.
    pub(crate) fn server_for(&self, tenant_base: &Url) -> String {
        if let Some(server) = &self.server_override {
            return server.as_str().trim_end_matches('/').to_owned();
        }
        let staging = tenant_base
            .host_str()
            .is_some_and(|host| host.ends_with(".jira-dev.com"));
        if staging {
            STAGING_OAUTH_URL.to_owned()
        } else {
            PRODUCTION_OAUTH_URL.to_owned()
        }
    }

    /// The cached token of `key`, or a new one from `server` (one request for concurrent
    /// callers; failures are not cached).
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        server: &str,
        key: TokenKey,
        grant: Grant<'_>,
    ) -> Result<Arc<UserToken>, ClientError> {
        self.cache
            .try_get_with(key, request_token(http, server, grant))
            .await
            .map_err(|shared| (*shared).clone())
    }

    /// Forgets a token the product refused (revoked, or the user lost access).
    pub(crate) async fn forget(&self, key: &TokenKey) {
        self.cache.invalidate(key).await;
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

async fn request_token(
    http: &reqwest::Client,
    server: &str,
    grant: Grant<'_>,
) -> Result<Arc<UserToken>, ClientError> {
    let assertion = sign::user_assertion(
        grant.oauth_client_id,
        grant.account_id,
        grant.tenant_base_url,
        server,
        grant.shared_secret.expose_secret().as_bytes(),
        crate::auth::jwt::unix_now(),
    )?;
    let mut form = vec![
        ("grant_type", GRANT_TYPE),
        ("assertion", assertion.as_str()),
    ];
    if !grant.scopes.is_empty() {
        form.push(("scope", grant.scopes));
    }
    let response = http
        .post(format!("{server}/oauth2/token"))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(super::transport_error)?;
    let status = response.status();
    let body = super::response::read_capped(response, 64 * 1024).await?;
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|json| {
                let error = json["error"].as_str()?.to_owned();
                Some(match json["error_description"].as_str() {
                    Some(description) => format!("{error}: {description}"),
                    None => error,
                })
            })
            .unwrap_or_else(|| format!("status {status}"));
        return Err(ClientError::Authorization(
            crate::http::client_error::product_message(message.as_bytes()),
        ));
    }
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|_| {
        ClientError::Authorization("the token answer is not the expected JSON".into())
    })?;
    let lifetime = Duration::from_secs(answer.expires_in);
    let margin = SAFETY_MARGIN.min(lifetime / 2);
    Ok(Arc::new(UserToken {
        access_token: SecretString::from(answer.access_token),
        usable_for: lifetime - margin,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_follows_the_tenant_unless_configured() {
        let tokens = UserTokens::new(None);
        let site = |url: &str| Url::parse(url).unwrap();
        assert_eq!(
            tokens.server_for(&site("https://acme.atlassian.net/wiki")),
            PRODUCTION_OAUTH_URL
        );
        assert_eq!(
            tokens.server_for(&site("https://acme.jira-dev.com")),
            STAGING_OAUTH_URL
        );
        let tokens = UserTokens::new(Some(site("http://127.0.0.1:4001/")));
        assert_eq!(
            tokens.server_for(&site("https://acme.atlassian.net")),
            "http://127.0.0.1:4001"
        );
    }
}
