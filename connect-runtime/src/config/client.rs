//! The outbound client's settings: the OAuth server for calls as a user, the request timeout
//! and the retry policy of rate-limited calls (`CONNECT_OAUTH_URL`, `CONNECT_HTTP_TIMEOUT_MS`,
//! `CONNECT_RETRY_MAX_ATTEMPTS`, `CONNECT_RETRY_MAX_WAIT_MS`, `CONNECT_PERMISSION_CACHE_SECS`).

use super::ConfigError;
use super::env::Env;
use std::time::Duration;
use url::Url;

/// Atlassian's production OAuth 2.0 authorization server (acting as a user).
pub const PRODUCTION_OAUTH_URL: &str =
    "https://oauth-2-authorization-server.services.atlassian.com";
/// Atlassian's staging OAuth 2.0 authorization server, for sites on `.jira-dev.com`.
pub const STAGING_OAUTH_URL: &str =
    "https://oauth-2-authorization-server.stg.services.atlassian.com";
/// How long a permission answer is trusted by default.
pub const DEFAULT_PERMISSION_TTL: Duration = Duration::from_secs(30);
/// Default timeout of one outbound request.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(8);

/// How a rate-limited (429, or 503 with `Retry-After`) request to the product is retried.
///
/// The defaults fit a page load: the product gives the app 25 s to answer an iframe, and
/// 4 attempts with at most 12 s of waiting leave room for the requests themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retrying).
    pub max_attempts: u32,
    /// The most a request waits between attempts in total; a `Retry-After` that would exceed
    /// it ends the retries at once rather than sleeping into a timeout.
    pub max_total_wait: Duration,
    /// The first backoff step when the product says nothing about when to retry.
    pub base_delay: Duration,
    /// The largest backoff step (before jitter).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_total_wait: Duration::from_secs(12),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// Settings of the outbound client that calls the product back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The OAuth 2.0 authorization server for calls as a user; `None` picks Atlassian's
    /// production or staging server from the tenant's host.
    pub oauth_url: Option<Url>,
    /// Timeout of one request (connect, send and read the answer).
    pub timeout: Duration,
    /// Retries of rate-limited requests.
    pub retry: RetryPolicy,
    /// How long a permission answer (`Require<...>` guards, `HostClient::has_permission`) is
    /// trusted (`CONNECT_PERMISSION_CACHE_SECS`, default 30 s); 0 asks the product every
    /// time, as a test that grants and revokes permissions needs.
    pub permission_ttl: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            oauth_url: None,
            timeout: DEFAULT_HTTP_TIMEOUT,
            retry: RetryPolicy::default(),
            permission_ttl: DEFAULT_PERMISSION_TTL,
        }
    }
}

impl ClientConfig {
    /// Reads the client's variables over the defaults.
    pub(crate) fn read(&mut self, env: &Env<'_>) -> Result<(), ConfigError> {
        if let Some(url) = env.url("CONNECT_OAUTH_URL")? {
            self.oauth_url = Some(url);
        }
        if let Some(timeout) = env.millis("CONNECT_HTTP_TIMEOUT_MS", "8000")? {
            self.timeout = timeout;
        }
        if let Some(attempts) = env.number("CONNECT_RETRY_MAX_ATTEMPTS", "a count, e.g. 4")? {
            self.retry.max_attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        }
        if let Some(wait) = env.millis("CONNECT_RETRY_MAX_WAIT_MS", "12000")? {
            self.retry.max_total_wait = wait;
        }
        if let Some(ttl) = env.number(
            "CONNECT_PERMISSION_CACHE_SECS",
            "whole seconds, e.g. 30 (0: no cache)",
        )? {
            self.permission_ttl = Duration::from_secs(ttl);
        }
        Ok(())
    }

    /// Checks the client's settings.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.oauth_url
            && (!matches!(url.scheme(), "https" | "http") || url.host().is_none())
        {
            return Err(ConfigError::new(
                "CONNECT_OAUTH_URL",
                "expected an absolute http(s) URL, e.g. https://oauth-2-authorization-server.services.atlassian.com",
            ));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::new(
                "CONNECT_HTTP_TIMEOUT_MS",
                "must be above 0",
            ));
        }
        if self.retry.max_attempts == 0 {
            return Err(ConfigError::new(
                "CONNECT_RETRY_MAX_ATTEMPTS",
                "must be at least 1 (1 disables retries)",
            ));
        }
        Ok(())
    }
}
