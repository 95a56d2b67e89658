//! Configuration from environment variables, validated at start-up. Each subsystem owns its
//! settings, how they are read and how they are checked, in a file of its own: `http`
//! ([`ConnectionLimits`]), `auth` ([`HostRule`]), `store` ([`PoolSettings`],
//! [`SealingKeys`]), `client` ([`ClientConfig`]), `forge` ([`ForgeConfig`]); this module holds
//! what verifies requests ([`ConnectConfig`]) and what a server needs ([`ServerSettings`]).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `PORT` | listen port | 3000 |
//! | `CONNECT_BASE_URL` | the app's public baseUrl (descriptor, `aud` check) | `http://localhost:$PORT` |
//! | `CONNECT_ALLOWED_BASE_URLS` | more accepted `aud` values, comma separated | none |
//! | `DATABASE_URL` | `sqlite://FILE`, `memory://` or `postgres://USER:PASSWORD@HOST:PORT/DB` | `sqlite://connect.db` |
//! | `DATABASE_POOL_SIZE` | PostgreSQL connections per instance | 16 |
//! | `DATABASE_TIMEOUT_MS` | PostgreSQL connect, pool wait and statement timeout | 5000 |
//! | `CONNECT_KEYS_CDN_URL` | install-key CDN base URL(s), comma separated, tried in order | Atlassian's production CDNs |
//! | `CONNECT_JWT_LEEWAY_SECS` | clock-skew leeway for `exp`/`iat` | 30 |
//! | `CONNECT_KEY_FETCH_TIMEOUT_MS` | timeout of one key CDN request | 5000 |
//! | `CONNECT_HEADER_TIMEOUT_SECS` | time to receive a request's headers, idle keep-alive included | 20 |
//! | `CONNECT_MAX_CONNECTIONS` | open connections at once (keep below the open-file limit) | 1024 |
//! | `CONNECT_SECRET_KEY` | 32 bytes (hex or base64) sealing shared secrets at rest | none (plaintext) |
//! | `CONNECT_SECRET_KEY_PREVIOUS` | the old key while rotating | none |
//! | `CONNECT_BODY_TIMEOUT_SECS` | time a request body may take to arrive (slow clients get 408) | 20 |
//! | `CONNECT_MAX_HANDLER_BODY_BYTES` | largest body of a handler route (larger: 413); lifecycle bodies stay capped at 64 KiB | 1048576 |
//! | `CONNECT_UNKNOWN_KID_TTL_SECS` | how long a kid no key CDN knows is remembered (not fetched again) | 60 |
//! | `CONNECT_ALLOWED_TENANT_HOSTS` | hosts a tenant's baseUrl may have (`.suffix` or exact host) | `.atlassian.net,.jira.com,.jira-dev.com` |
//! | `CONNECT_MOUNT_PATH` | path the routes are served under (`/` behind a proxy that strips the baseUrl's path) | the baseUrl's path |
//! | `CONNECT_OAUTH_URL` | OAuth 2.0 authorization server for calls as a user | chosen from the tenant's host (production / staging) |
//! | `CONNECT_HTTP_TIMEOUT_MS` | timeout of one outbound request to the product | 8000 |
//! | `CONNECT_RETRY_MAX_ATTEMPTS` | attempts of a rate-limited request (the first included) | 4 |
//! | `CONNECT_RETRY_MAX_WAIT_MS` | total time a request may wait between rate-limited attempts | 12000 |
//! | `FORGE_APP_ID` | the Forge app ARI (`ari:cloud:ecosystem::app/<uuid>`): turns on the manifest and the Forge routes | none |
//! | `FORGE_JWKS_URL` | JWKS of Forge Invocation Tokens | Atlassian's production JWKS |
//! | `FORGE_STAGING_JWKS_URL` | Atlassian's staging JWKS, for tokens whose `apiBaseUrl` is on `api.stg.atlassian.com` (refused without it) | none |
//! | `FORGE_JWKS_MIN_REFRESH_SECS` | least time between two JWKS fetches (unknown kids within it are refused without a fetch) | 30 |
//! | `FORGE_ALLOWED_API_HOSTS` | more hosts a FIT's `app.apiBaseUrl` may name (`http://` only for loopback) | none (`api.atlassian.com`, `api.stg.atlassian.com` only) |

mod auth;
mod client;
mod container;
mod env;
mod forge;
mod http;
mod store;

pub use auth::{HostRule, https_or_loopback_http};
pub use client::{
    ClientConfig, DEFAULT_HTTP_TIMEOUT, DEFAULT_PERMISSION_TTL, PRODUCTION_OAUTH_URL, RetryPolicy,
    STAGING_OAUTH_URL,
};
pub use container::ContainerEnv;
pub use forge::{
    DEFAULT_FORGE_JWKS_TIMEOUT, ForgeConfig, MIN_FORGE_JWKS_REFRESH, PRODUCTION_FORGE_JWKS,
    STAGING_FORGE_JWKS,
};
pub use http::{ConnectionLimits, DEFAULT_PORT, HeaderLimits, Linger};
pub use store::{PoolSettings, SealingKeys};

use env::Env;
use std::time::Duration;
use url::Url;

/// Atlassian's production install-key CDNs: the newer primary first, the original as fallback.
pub const PRODUCTION_KEY_CDNS: [&str; 2] = [
    "https://asap-distribution.us-west-2.prod.atl-asap.net",
    "https://connect-install-keys.atlassian.com",
];
/// Host suffixes of Atlassian Cloud sites (production and staging).
pub const DEFAULT_TENANT_HOSTS: [&str; 3] = [".atlassian.net", ".jira.com", ".jira-dev.com"];
/// Default clock-skew leeway.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Default timeout of a key CDN request.
pub const DEFAULT_KEY_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a kid no CDN knows is remembered.
pub const DEFAULT_UNKNOWN_KID_TTL: Duration = Duration::from_secs(60);
/// Default largest accepted lifecycle body. Install payloads are around 1 KiB.
pub const DEFAULT_MAX_LIFECYCLE_BODY_BYTES: usize = 64 * 1024;
/// Default largest accepted body of a handler route (webhooks, API routes, Forge endpoints and
/// triggers). An issue event carries the whole issue, which with long descriptions, comments
/// and custom fields runs to hundreds of KiB; a body refused here is an event Forge or the
/// product retries and then drops.
pub const DEFAULT_MAX_HANDLER_BODY_BYTES: usize = 1024 * 1024;

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {reason}")]
pub struct ConfigError {
    /// The variable (or setting) at fault.
    pub variable: &'static str,
    /// What is wrong with it, and what would be right.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

/// What the runtime needs to verify requests for one app.
#[derive(Debug, Clone)]
pub struct ConnectConfig {
    /// The app's public baseUrl: the descriptor's `baseUrl` and the expected `aud`.
    pub base_url: Url,
    /// More accepted `aud` values (for example the previous baseUrl during a move).
    pub allowed_base_urls: Vec<Url>,
    /// Install-key CDN base URLs, tried in order.
    pub key_cdn_urls: Vec<Url>,
    /// Timeout of one key CDN request.
    pub key_fetch_timeout: Duration,
    /// How long a kid every CDN answered 404 for is refused without a fetch. A key published
    /// after a kid was seen is usable after this delay.
    pub unknown_kid_ttl: Duration,
    /// Clock-skew leeway for `exp` and `iat`.
    pub jwt_leeway: Duration,
    /// Hosts a tenant's baseUrl may have.
    pub allowed_tenant_hosts: Vec<HostRule>,
    /// Largest accepted lifecycle request body (`installed`, `uninstalled`, `enabled`,
    /// `disabled`): these are small, and `installed` is read before the tenant exists.
    pub max_lifecycle_body_bytes: usize,
    /// Largest accepted body of every other route, read once its token verified (or for
    /// `auth = none` routes, at once). Larger bodies are refused with 413.
    pub max_handler_body_bytes: usize,
    /// Time a request body may take to arrive; a slower body is refused with 408.
    pub body_timeout: Duration,
    /// Where the app's routes are served; `None` means the baseUrl's path (the product calls
    /// `baseUrl + url`, so an app at `https://host/jira` receives `/jira/installed`). Set
    /// `Some("")` behind a proxy that strips the prefix.
    pub mount_path: Option<String>,
    /// The outbound client (calls to the product, as the app or a user).
    pub client: ClientConfig,
    /// Forge: app id, JWKS, allowed API hosts.
    pub forge: ForgeConfig,
}

impl ConnectConfig {
    /// Defaults for an app served at `base_url`.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            allowed_base_urls: Vec::new(),
            key_cdn_urls: PRODUCTION_KEY_CDNS
                .iter()
                .filter_map(|url| Url::parse(url).ok())
                .collect(),
            key_fetch_timeout: DEFAULT_KEY_FETCH_TIMEOUT,
            unknown_kid_ttl: DEFAULT_UNKNOWN_KID_TTL,
            jwt_leeway: DEFAULT_LEEWAY,
            allowed_tenant_hosts: DEFAULT_TENANT_HOSTS
                .iter()
                .map(|suffix| HostRule::Suffix((*suffix).to_owned()))
                .collect(),
            max_lifecycle_body_bytes: DEFAULT_MAX_LIFECYCLE_BODY_BYTES,
            max_handler_body_bytes: DEFAULT_MAX_HANDLER_BODY_BYTES,
            body_timeout: Duration::from_secs(20),
            mount_path: None,
            client: ClientConfig::default(),
            forge: ForgeConfig::default(),
        }
    }

    /// Reads the variables of the module documentation from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (tests pass a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let port = http::port(&env)?;
        let base_url = match env.url("CONNECT_BASE_URL")? {
            Some(url) => url,
            None => env::parse_url("CONNECT_BASE_URL", &format!("http://localhost:{port}"))?,
        };
        let mut config = Self::new(base_url);
        config.read(&env)?;
        config.client.read(&env)?;
        // Within Forge's 5 s event budget, with room for the handler.
        config.forge.jwks_timeout = config.key_fetch_timeout.min(DEFAULT_FORGE_JWKS_TIMEOUT);
        config.forge.read(&env)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads the variables of the request-verification side (baseUrls, key CDNs, leeway, body
    /// limits, tenant hosts, mount path) over the defaults.
    fn read(&mut self, env: &Env<'_>) -> Result<(), ConfigError> {
        if let Some(urls) = env.urls("CONNECT_ALLOWED_BASE_URLS")? {
            self.allowed_base_urls = urls;
        }
        if let Some(urls) = env.urls("CONNECT_KEYS_CDN_URL")? {
            self.key_cdn_urls = urls;
        }
        if let Some(leeway) = env.secs("CONNECT_JWT_LEEWAY_SECS", "30")? {
            self.jwt_leeway = leeway;
        }
        if let Some(timeout) = env.millis("CONNECT_KEY_FETCH_TIMEOUT_MS", "5000")? {
            self.key_fetch_timeout = timeout;
        }
        if let Some(timeout) = env.secs("CONNECT_BODY_TIMEOUT_SECS", "20")? {
            self.body_timeout = timeout;
        }
        if let Some(bytes) = env.number("CONNECT_MAX_HANDLER_BODY_BYTES", "bytes, e.g. 1048576")? {
            self.max_handler_body_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
        }
        if let Some(ttl) = env.secs("CONNECT_UNKNOWN_KID_TTL_SECS", "60")? {
            self.unknown_kid_ttl = ttl;
        }
        if let Some(hosts) = env.host_rules("CONNECT_ALLOWED_TENANT_HOSTS")? {
            self.allowed_tenant_hosts = hosts;
        }
        if let Some(path) = env.get("CONNECT_MOUNT_PATH") {
            let path = path.trim();
            if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
                return Err(ConfigError::new(
                    "CONNECT_MOUNT_PATH",
                    "expected an absolute path such as `/` or `/jira`",
                ));
            }
            self.mount_path = Some(path.trim_end_matches('/').to_owned());
        }
        Ok(())
    }

    /// Checks the combination of settings; called by the app builder too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.base_url.scheme(), "https" | "http") || self.base_url.host().is_none() {
            return Err(ConfigError::new(
                "CONNECT_BASE_URL",
                "expected an absolute http(s) URL, e.g. https://my-app.example.com",
            ));
        }
        if self.key_cdn_urls.is_empty() {
            return Err(ConfigError::new(
                "CONNECT_KEYS_CDN_URL",
                "at least one URL is required",
            ));
        }
        if self.allowed_tenant_hosts.is_empty() {
            return Err(ConfigError::new(
                "CONNECT_ALLOWED_TENANT_HOSTS",
                "at least one host rule is required, e.g. .atlassian.net",
            ));
        }
        self.client.validate()?;
        if self.max_handler_body_bytes == 0 {
            return Err(ConfigError::new(
                "CONNECT_MAX_HANDLER_BODY_BYTES",
                "must be above 0, e.g. 1048576",
            ));
        }
        if self.key_fetch_timeout.is_zero() || self.forge.jwks_timeout.is_zero() {
            return Err(ConfigError::new(
                "CONNECT_KEY_FETCH_TIMEOUT_MS",
                "must be above 0",
            ));
        }
        self.forge.validate()
    }
}

impl ConnectConfig {
    /// The `aud` values install tokens may carry: the baseUrl and the allowed alternates.
    pub fn accepted_audiences(&self) -> Vec<String> {
        std::iter::once(&self.base_url)
            .chain(&self.allowed_base_urls)
            .map(|url| url.as_str().trim_end_matches('/').to_owned())
            .collect()
    }

    /// The path of the baseUrl as the descriptor declares it (no trailing slash; `""` for a
    /// root URL), stripped from request paths before hashing, as the product does.
    pub fn base_path(&self) -> &str {
        self.base_url.path().trim_end_matches('/')
    }

    /// The path the app's routes are served under.
    pub fn mount_path(&self) -> &str {
        self.mount_path
            .as_deref()
            .unwrap_or_else(|| self.base_path())
    }
}

/// Where the server listens and where tenants are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Listen address (`CONNECT_BIND_ADDR`, default `0.0.0.0`).
    pub bind_addr: std::net::IpAddr,
    /// Listen port (`PORT`).
    pub port: u16,
    /// Tenant store location (`DATABASE_URL`).
    pub database_url: String,
    /// PostgreSQL pool (`DATABASE_POOL_SIZE`, `DATABASE_TIMEOUT_MS`).
    pub pool: PoolSettings,
    /// Connection limits (`CONNECT_HEADER_TIMEOUT_SECS`, `CONNECT_MAX_CONNECTIONS`, ...).
    pub limits: ConnectionLimits,
    /// Keys sealing shared secrets at rest (`CONNECT_SECRET_KEY`), if set.
    pub sealing: Option<SealingKeys>,
}

impl ServerSettings {
    /// Reads `PORT` and `DATABASE_URL` from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `PORT`, `DATABASE_URL` and the rest through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let mut pool = PoolSettings::default();
        pool.read(&env)?;
        let mut limits = ConnectionLimits::default();
        limits.read(&env)?;
        Ok(Self {
            bind_addr: http::bind_addr(&env)?,
            port: http::port(&env)?,
            database_url: env
                .get("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://connect.db".to_owned()),
            pool,
            limits,
            sealing: SealingKeys::read(&env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<ConnectConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ConnectConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_port() {
        let c = config(&[("PORT", "4100")]).unwrap();
        assert_eq!(c.base_url.as_str(), "http://localhost:4100/");
        assert_eq!(c.jwt_leeway, DEFAULT_LEEWAY);
        assert_eq!(c.key_cdn_urls.len(), 2);
        assert!(
            c.allowed_tenant_hosts
                .iter()
                .any(|r| r.matches("acme.atlassian.net"))
        );
    }

    #[test]
    fn variables_override_defaults() {
        let c = config(&[
            ("CONNECT_BASE_URL", "https://app.example.com/jira/"),
            (
                "CONNECT_KEYS_CDN_URL",
                "http://127.0.0.1:9000, http://127.0.0.1:9001",
            ),
            ("CONNECT_JWT_LEEWAY_SECS", "5"),
            ("CONNECT_ALLOWED_TENANT_HOSTS", "127.0.0.1,.example.net"),
        ])
        .unwrap();
        assert_eq!(c.base_path(), "/jira");
        assert_eq!(c.accepted_audiences(), vec!["https://app.example.com/jira"]);
        assert_eq!(c.key_cdn_urls.len(), 2);
        assert_eq!(c.jwt_leeway, Duration::from_secs(5));
        assert!(c.allowed_tenant_hosts[0].matches("127.0.0.1"));
        assert!(!c.allowed_tenant_hosts[0].matches("127.0.0.10"));
    }

    #[test]
    fn mount_path_defaults_to_the_base_path_and_can_be_overridden() {
        let c = config(&[("CONNECT_BASE_URL", "https://host.example.com/jira")]).unwrap();
        assert_eq!(c.mount_path(), "/jira");
        let c = config(&[
            ("CONNECT_BASE_URL", "https://host.example.com/jira"),
            ("CONNECT_MOUNT_PATH", "/"),
        ])
        .unwrap();
        assert_eq!(c.mount_path(), "");
        assert_eq!(
            c.base_path(),
            "/jira",
            "qsh still strips the baseUrl's path"
        );
        let error = config(&[("CONNECT_MOUNT_PATH", "jira")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_MOUNT_PATH");
    }

    #[test]
    fn handler_bodies_have_their_own_limit() {
        let c = config(&[]).unwrap();
        assert_eq!(c.max_handler_body_bytes, DEFAULT_MAX_HANDLER_BODY_BYTES);
        assert_eq!(c.max_lifecycle_body_bytes, DEFAULT_MAX_LIFECYCLE_BODY_BYTES);
        let c = config(&[("CONNECT_MAX_HANDLER_BODY_BYTES", "4096")]).unwrap();
        assert_eq!(c.max_handler_body_bytes, 4096);
        assert_eq!(c.max_lifecycle_body_bytes, DEFAULT_MAX_LIFECYCLE_BODY_BYTES);
        for bad in ["0", "-1", "1MB"] {
            let error = config(&[("CONNECT_MAX_HANDLER_BODY_BYTES", bad)]).unwrap_err();
            assert_eq!(error.variable, "CONNECT_MAX_HANDLER_BODY_BYTES", "{bad}");
        }
    }

    #[test]
    fn server_settings_bind_address_and_http_limits() {
        let settings = |vars: &[(&str, &str)]| {
            let vars: std::collections::HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            ServerSettings::from_lookup(|name| vars.get(name).cloned())
        };
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.bind_addr.to_string(), "0.0.0.0");
        assert_eq!(defaults.limits, ConnectionLimits::default());
        let set = settings(&[
            ("CONNECT_BIND_ADDR", "127.0.0.1"),
            ("CONNECT_FIRST_BYTE_TIMEOUT_SECS", "2"),
            ("CONNECT_MAX_HEADER_BYTES", "8192"),
            ("CONNECT_MAX_HEADERS", "50"),
            ("CONNECT_LINGER_SECS", "1"),
            ("CONNECT_LINGER_MAX_BYTES", "1024"),
        ])
        .unwrap();
        assert_eq!(set.bind_addr.to_string(), "127.0.0.1");
        assert_eq!(set.limits.first_byte_timeout, Duration::from_secs(2));
        assert_eq!(set.limits.headers.max_line_bytes, 8192);
        assert_eq!(set.limits.headers.max_fields, 50);
        assert_eq!(set.limits.linger.timeout, Duration::from_secs(1));
        assert_eq!(set.limits.linger.max_bytes, 1024);
        assert_eq!(
            settings(&[("CONNECT_BIND_ADDR", "localhost")])
                .unwrap_err()
                .variable,
            "CONNECT_BIND_ADDR"
        );
        for blank in ["", " "] {
            assert_eq!(
                settings(&[("CONNECT_SECRET_KEY", blank)])
                    .unwrap_err()
                    .variable,
                "CONNECT_SECRET_KEY"
            );
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        let error = config(&[("CONNECT_JWT_LEEWAY_SECS", "soon")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_JWT_LEEWAY_SECS");
        let error = config(&[("CONNECT_ALLOWED_TENANT_HOSTS", "*.atlassian.net")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_ALLOWED_TENANT_HOSTS");
        let error = config(&[("CONNECT_BASE_URL", "not a url")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_BASE_URL");
        // A bad port is an error even when the baseUrl does not need it.
        let error = config(&[
            ("PORT", "eighty"),
            ("CONNECT_BASE_URL", "https://x.example.com"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "PORT");
    }

    #[test]
    fn client_settings_come_from_the_environment() {
        let c = config(&[
            ("CONNECT_OAUTH_URL", "http://127.0.0.1:4001"),
            ("CONNECT_HTTP_TIMEOUT_MS", "2500"),
            ("CONNECT_RETRY_MAX_ATTEMPTS", "2"),
            ("CONNECT_RETRY_MAX_WAIT_MS", "3000"),
        ])
        .unwrap();
        assert_eq!(
            c.client.oauth_url.unwrap().as_str(),
            "http://127.0.0.1:4001/"
        );
        assert_eq!(c.client.timeout, Duration::from_millis(2500));
        assert_eq!(c.client.retry.max_attempts, 2);
        assert_eq!(c.client.retry.max_total_wait, Duration::from_secs(3));
        let error = config(&[("CONNECT_RETRY_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_RETRY_MAX_ATTEMPTS");
        let error = config(&[("CONNECT_OAUTH_URL", "ftp://x")]).unwrap_err();
        assert_eq!(error.variable, "CONNECT_OAUTH_URL");
    }

    #[test]
    fn suffix_rules_need_a_subdomain() {
        let rule = HostRule::parse(".atlassian.net").unwrap();
        assert!(rule.matches("acme.atlassian.net"));
        assert!(!rule.matches("atlassian.net"));
        assert!(!rule.matches("evilatlassian.net"));
    }
}
