//! Forge: the app id, the JWKS of Forge Invocation Tokens and the API hosts a token may name
//! (`FORGE_APP_ID`, `FORGE_JWKS_URL`, `FORGE_STAGING_JWKS_URL`, `FORGE_JWKS_MIN_REFRESH_SECS`,
//! `FORGE_ALLOWED_API_HOSTS`).

use super::env::Env;
use super::{ConfigError, HostRule, https_or_loopback_http};
use connect_descriptor::ForgeAppId;
use std::time::Duration;
use url::Url;

/// Atlassian's production JWKS for Forge Invocation Tokens.
pub const PRODUCTION_FORGE_JWKS: &str =
    "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";
/// Atlassian's staging JWKS (set `FORGE_STAGING_JWKS_URL` to it for apps on staging).
pub const STAGING_FORGE_JWKS: &str =
    "https://forge.cdn.stg.atlassian-dev.net/.well-known/jwks.json";

/// The longest a JWKS fetch may take by default: well inside Forge's 5 s event budget.
pub const DEFAULT_FORGE_JWKS_TIMEOUT: Duration = Duration::from_secs(3);
/// The least time between two JWKS fetches that configuration may set.
pub const MIN_FORGE_JWKS_REFRESH: Duration = Duration::from_secs(1);

/// Forge: the app id that turns on the manifest and the Forge routes, and how Forge
/// Invocation Tokens are verified.
#[derive(Debug, Clone)]
pub struct ForgeConfig {
    /// `FORGE_APP_ID`: the app's ARI. Without it the app serves no Forge route and has no
    /// manifest.
    pub app_id: Option<ForgeAppId>,
    /// `FORGE_JWKS_URL`: where FIT keys come from.
    pub jwks_url: Url,
    /// `FORGE_STAGING_JWKS_URL`: Atlassian's staging JWKS, for apps tested on staging
    /// ([`STAGING_FORGE_JWKS`]). Only tokens whose `apiBaseUrl` is on
    /// `api.stg.atlassian.com` are verified with it; without it such tokens are refused.
    pub staging_jwks_url: Option<Url>,
    /// Timeout of one JWKS request (`CONNECT_KEY_FETCH_TIMEOUT_MS`, at most 3 s).
    pub jwks_timeout: Duration,
    /// `FORGE_JWKS_MIN_REFRESH_SECS`: the least time between two JWKS fetches. An unknown kid
    /// within it is refused without a fetch.
    pub jwks_min_refresh: Duration,
    /// Clock-skew leeway for `exp`, `nbf` and `iat` (a FIT lives 25 s).
    pub leeway: Duration,
    /// `FORGE_ALLOWED_API_HOSTS`: more hosts a FIT's `app.apiBaseUrl` may name, beside
    /// `api.atlassian.com` (`http://` only for loopback).
    pub allowed_api_hosts: Vec<HostRule>,
}

impl Default for ForgeConfig {
    fn default() -> Self {
        Self {
            app_id: None,
            jwks_url: Url::parse(PRODUCTION_FORGE_JWKS).unwrap_or_else(|_| unreachable!()),
            staging_jwks_url: None,
            jwks_timeout: DEFAULT_FORGE_JWKS_TIMEOUT,
            jwks_min_refresh: Duration::from_secs(30),
            leeway: Duration::from_secs(5),
            allowed_api_hosts: Vec::new(),
        }
    }
}

impl ForgeConfig {
    /// Reads the Forge variables over the defaults.
    pub(crate) fn read(&mut self, env: &Env<'_>) -> Result<(), ConfigError> {
        if let Some(id) = env.get("FORGE_APP_ID") {
            self.app_id = Some(
                ForgeAppId::parse(id.trim())
                    .map_err(|error| ConfigError::new("FORGE_APP_ID", error.to_string()))?,
            );
        }
        if let Some(url) = env.url("FORGE_JWKS_URL")? {
            self.jwks_url = url;
        }
        if let Some(url) = env.url("FORGE_STAGING_JWKS_URL")? {
            self.staging_jwks_url = Some(url);
        }
        if let Some(refresh) = env.secs("FORGE_JWKS_MIN_REFRESH_SECS", "30")? {
            self.jwks_min_refresh = refresh;
        }
        if let Some(hosts) = env.host_rules("FORGE_ALLOWED_API_HOSTS")? {
            self.allowed_api_hosts = hosts;
        }
        Ok(())
    }
}

impl ForgeConfig {
    /// Checks the Forge settings: the JWKS over https (http only on loopback, for tests) and
    /// refetched at most once a second.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !https_or_loopback_http(&self.jwks_url) {
            return Err(ConfigError::new(
                "FORGE_JWKS_URL",
                "expected an https URL (http only on 127.0.0.1 or localhost), e.g. https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json",
            ));
        }
        if self
            .staging_jwks_url
            .as_ref()
            .is_some_and(|url| !https_or_loopback_http(url))
        {
            return Err(ConfigError::new(
                "FORGE_STAGING_JWKS_URL",
                "expected an https URL (http only on 127.0.0.1 or localhost), e.g. https://forge.cdn.stg.atlassian-dev.net/.well-known/jwks.json",
            ));
        }
        if self.jwks_min_refresh < MIN_FORGE_JWKS_REFRESH {
            return Err(ConfigError::new(
                "FORGE_JWKS_MIN_REFRESH_SECS",
                "must be at least 1: a stream of unknown kids must not become a stream of JWKS fetches",
            ));
        }
        Ok(())
    }
}
