//! Configuration from environment variables, validated at start-up.
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

use connect_descriptor::ForgeAppId;
use std::time::Duration;
use url::Url;

/// Atlassian's production install-key CDNs: the newer primary first, the original as fallback.
pub const PRODUCTION_KEY_CDNS: [&str; 2] = [
    "https://asap-distribution.us-west-2.prod.atl-asap.net",
    "https://connect-install-keys.atlassian.com",
];
/// Host suffixes of Atlassian Cloud sites (production and staging).
pub const DEFAULT_TENANT_HOSTS: [&str; 3] = [".atlassian.net", ".jira.com", ".jira-dev.com"];
/// Default listen port.
pub const DEFAULT_PORT: u16 = 3000;
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

/// Atlassian's production OAuth 2.0 authorization server (acting as a user).
pub const PRODUCTION_OAUTH_URL: &str =
    "https://oauth-2-authorization-server.services.atlassian.com";
/// Atlassian's staging OAuth 2.0 authorization server, for sites on `.jira-dev.com`.
pub const STAGING_OAUTH_URL: &str =
    "https://oauth-2-authorization-server.stg.services.atlassian.com";
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
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            oauth_url: None,
            timeout: DEFAULT_HTTP_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }
}

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
    fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

/// A rule for the host of a tenant's baseUrl: `.atlassian.net` matches any subdomain,
/// `127.0.0.1` matches exactly that host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// The host must end with this suffix (which starts with a dot).
    Suffix(String),
    /// The host must equal this.
    Exact(String),
}

impl HostRule {
    /// Parses `.suffix` or `host` (of `CONNECT_ALLOWED_TENANT_HOSTS`).
    pub fn parse(rule: &str) -> Result<Self, ConfigError> {
        Self::parse_for("CONNECT_ALLOWED_TENANT_HOSTS", rule)
    }

    /// Parses `.suffix` or `host` of `variable`, whose errors name it.
    pub fn parse_for(variable: &'static str, rule: &str) -> Result<Self, ConfigError> {
        let rule = rule.trim().to_ascii_lowercase();
        if rule.is_empty() || rule == "." || rule.contains(['/', ':', '*', ' ']) {
            return Err(ConfigError::new(
                variable,
                format!("`{rule}` is not a host or a `.suffix` (example: `.atlassian.net`)"),
            ));
        }
        Ok(if rule.starts_with('.') {
            HostRule::Suffix(rule)
        } else {
            HostRule::Exact(rule)
        })
    }

    /// Whether `host` (lower case) satisfies this rule.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostRule::Suffix(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
            HostRule::Exact(exact) => host == exact,
        }
    }
}

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
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let port = port_from(get("PORT"))?;
        let base_url = match get("CONNECT_BASE_URL") {
            Some(url) => parse_url("CONNECT_BASE_URL", &url)?,
            None => parse_url("CONNECT_BASE_URL", &format!("http://localhost:{port}"))?,
        };
        let mut config = Self::new(base_url);
        if let Some(urls) = get("CONNECT_ALLOWED_BASE_URLS") {
            config.allowed_base_urls = parse_url_list("CONNECT_ALLOWED_BASE_URLS", &urls)?;
        }
        if let Some(urls) = get("CONNECT_KEYS_CDN_URL") {
            config.key_cdn_urls = parse_url_list("CONNECT_KEYS_CDN_URL", &urls)?;
        }
        if let Some(secs) = get("CONNECT_JWT_LEEWAY_SECS") {
            config.jwt_leeway = Duration::from_secs(number(
                "CONNECT_JWT_LEEWAY_SECS",
                &secs,
                "whole seconds, e.g. 30",
            )?);
        }
        if let Some(ms) = get("CONNECT_KEY_FETCH_TIMEOUT_MS") {
            config.key_fetch_timeout = Duration::from_millis(number(
                "CONNECT_KEY_FETCH_TIMEOUT_MS",
                &ms,
                "milliseconds, e.g. 5000",
            )?);
        }
        if let Some(secs) = get("CONNECT_BODY_TIMEOUT_SECS") {
            config.body_timeout = Duration::from_secs(number(
                "CONNECT_BODY_TIMEOUT_SECS",
                &secs,
                "whole seconds, e.g. 20",
            )?);
        }
        if let Some(bytes) = get("CONNECT_MAX_HANDLER_BODY_BYTES") {
            let bytes = number(
                "CONNECT_MAX_HANDLER_BODY_BYTES",
                &bytes,
                "bytes, e.g. 1048576",
            )?;
            config.max_handler_body_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
        }
        if let Some(secs) = get("CONNECT_UNKNOWN_KID_TTL_SECS") {
            config.unknown_kid_ttl = Duration::from_secs(number(
                "CONNECT_UNKNOWN_KID_TTL_SECS",
                &secs,
                "whole seconds, e.g. 60",
            )?);
        }
        if let Some(hosts) = get("CONNECT_ALLOWED_TENANT_HOSTS") {
            config.allowed_tenant_hosts = hosts
                .split(',')
                .filter(|rule| !rule.trim().is_empty())
                .map(HostRule::parse)
                .collect::<Result<_, _>>()?;
        }
        if let Some(path) = get("CONNECT_MOUNT_PATH") {
            let path = path.trim();
            if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
                return Err(ConfigError::new(
                    "CONNECT_MOUNT_PATH",
                    "expected an absolute path such as `/` or `/jira`",
                ));
            }
            config.mount_path = Some(path.trim_end_matches('/').to_owned());
        }
        if let Some(url) = get("CONNECT_OAUTH_URL") {
            config.client.oauth_url = Some(parse_url("CONNECT_OAUTH_URL", &url)?);
        }
        if let Some(ms) = get("CONNECT_HTTP_TIMEOUT_MS") {
            config.client.timeout = Duration::from_millis(number(
                "CONNECT_HTTP_TIMEOUT_MS",
                &ms,
                "milliseconds, e.g. 8000",
            )?);
        }
        if let Some(attempts) = get("CONNECT_RETRY_MAX_ATTEMPTS") {
            let attempts = number("CONNECT_RETRY_MAX_ATTEMPTS", &attempts, "a count, e.g. 4")?;
            config.client.retry.max_attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        }
        if let Some(ms) = get("CONNECT_RETRY_MAX_WAIT_MS") {
            config.client.retry.max_total_wait = Duration::from_millis(number(
                "CONNECT_RETRY_MAX_WAIT_MS",
                &ms,
                "milliseconds, e.g. 12000",
            )?);
        }
        // Within Forge's 5 s event budget, with room for the handler.
        config.forge.jwks_timeout = config.key_fetch_timeout.min(DEFAULT_FORGE_JWKS_TIMEOUT);
        if let Some(id) = get("FORGE_APP_ID") {
            config.forge.app_id = Some(
                ForgeAppId::parse(id.trim())
                    .map_err(|error| ConfigError::new("FORGE_APP_ID", error.to_string()))?,
            );
        }
        if let Some(url) = get("FORGE_JWKS_URL") {
            config.forge.jwks_url = parse_url("FORGE_JWKS_URL", &url)?;
        }
        if let Some(url) = get("FORGE_STAGING_JWKS_URL") {
            config.forge.staging_jwks_url = Some(parse_url("FORGE_STAGING_JWKS_URL", &url)?);
        }
        if let Some(secs) = get("FORGE_JWKS_MIN_REFRESH_SECS") {
            config.forge.jwks_min_refresh = Duration::from_secs(number(
                "FORGE_JWKS_MIN_REFRESH_SECS",
                &secs,
                "whole seconds, e.g. 30",
            )?);
        }
        if let Some(hosts) = get("FORGE_ALLOWED_API_HOSTS") {
            config.forge.allowed_api_hosts = hosts
                .split(',')
                .filter(|rule| !rule.trim().is_empty())
                .map(|rule| HostRule::parse_for("FORGE_ALLOWED_API_HOSTS", rule))
                .collect::<Result<_, _>>()?;
        }
        config.validate()?;
        Ok(config)
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
        if let Some(url) = &self.client.oauth_url
            && (!matches!(url.scheme(), "https" | "http") || url.host().is_none())
        {
            return Err(ConfigError::new(
                "CONNECT_OAUTH_URL",
                "expected an absolute http(s) URL, e.g. https://oauth-2-authorization-server.services.atlassian.com",
            ));
        }
        if self.client.timeout.is_zero() {
            return Err(ConfigError::new(
                "CONNECT_HTTP_TIMEOUT_MS",
                "must be above 0",
            ));
        }
        if self.client.retry.max_attempts == 0 {
            return Err(ConfigError::new(
                "CONNECT_RETRY_MAX_ATTEMPTS",
                "must be at least 1 (1 disables retries)",
            ));
        }
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

/// Whether `url` is `https` on some host, or plain `http` on a loopback host (`127.0.0.0/8`,
/// `::1`, `localhost`): the one transport rule for URLs that carry or vouch for secrets
/// (tenant baseUrls, key sets, Forge API bases), with `http` left for local tests.
pub fn https_or_loopback_http(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback,
        _ => false,
    }
}

/// Pool settings (`DATABASE_POOL_SIZE`, `DATABASE_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections per instance.
    pub max_size: usize,
    /// How long a request waits for a connection, to connect, or for a statement.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Limits on the connections a server holds (`CONNECT_HEADER_TIMEOUT_SECS`,
/// `CONNECT_FIRST_BYTE_TIMEOUT_SECS`, `CONNECT_MAX_CONNECTIONS`, `CONNECT_MAX_HEADER_BYTES`,
/// `CONNECT_MAX_HEADERS`, `CONNECT_LINGER_SECS`, `CONNECT_LINGER_MAX_BYTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a request's headers, counted from when the connection starts waiting
    /// for them: closes idle keep-alive connections and clients that dribble their headers.
    pub header_read_timeout: Duration,
    /// Time a new connection has to send its first byte; a silent one is closed after it.
    pub first_byte_timeout: Duration,
    /// Connections open at once (kept below the open-file limit at start). At the cap, the
    /// oldest connection that has sent nothing yet gives way to a new one; when all are
    /// talking, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Limits on a request's header lines and fields (431 above them).
    pub headers: HeaderLimits,
    /// How long and how much a closing connection reads what its client still sends.
    pub linger: Linger,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(20),
            first_byte_timeout: Duration::from_secs(5),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(25),
            headers: HeaderLimits::default(),
            linger: Linger::default(),
        }
    }
}

/// Limits on a request's head, checked before any route runs (`CONNECT_MAX_HEADER_BYTES`,
/// `CONNECT_MAX_HEADERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// The longest header line (`name: value`) accepted; longer: 431.
    pub max_line_bytes: usize,
    /// The most header fields accepted; more: 431.
    pub max_fields: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 * 1024,
            max_fields: 100,
        }
    }
}

/// How long and how much a closing connection keeps reading (`CONNECT_LINGER_SECS`,
/// `CONNECT_LINGER_MAX_BYTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linger {
    /// The longest a closing connection keeps reading what its client still sends.
    pub timeout: Duration,
    /// The most bytes read and discarded that way.
    pub max_bytes: usize,
}

impl Default for Linger {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The keys that seal shared secrets at rest (`CONNECT_SECRET_KEY`, and
/// `CONNECT_SECRET_KEY_PREVIOUS` while rotating). `Debug` shows no key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingKeys {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl std::fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKeys([REDACTED])")
    }
}

impl SealingKeys {
    /// Keys from raw bytes.
    pub fn from_bytes(current: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        Self { current, previous }
    }

    /// Parses a key: 64 hex digits, or base64 of 32 bytes (`openssl rand -hex 32`).
    pub fn parse_key(variable: &'static str, value: &str) -> Result<[u8; 32], ConfigError> {
        use base64::Engine as _;
        let value = value.trim();
        let bytes = if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(value).ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(value).ok()
        };
        bytes
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                ConfigError::new(
                    variable,
                    "expected 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)",
                )
            })
    }

    /// The key new writes are sealed with.
    pub fn current(&self) -> &[u8; 32] {
        &self.current
    }

    /// The key being rotated away from, if any.
    pub fn previous(&self) -> Option<&[u8; 32]> {
        self.previous.as_ref()
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
    /// Connection limits (`CONNECT_HEADER_TIMEOUT_SECS`, `CONNECT_MAX_CONNECTIONS`).
    pub limits: ConnectionLimits,
    /// Keys sealing shared secrets at rest (`CONNECT_SECRET_KEY`), if set.
    pub sealing: Option<SealingKeys>,
}

impl ServerSettings {
    /// Reads `PORT` and `DATABASE_URL` from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `PORT` and `DATABASE_URL` through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut pool = PoolSettings::default();
        if let Some(size) = get("DATABASE_POOL_SIZE") {
            pool.max_size =
                usize::try_from(number("DATABASE_POOL_SIZE", &size, "a count, e.g. 16")?)
                    .unwrap_or(usize::MAX);
        }
        if let Some(ms) = get("DATABASE_TIMEOUT_MS") {
            pool.timeout = Duration::from_millis(number(
                "DATABASE_TIMEOUT_MS",
                &ms,
                "milliseconds, e.g. 5000",
            )?);
        }
        let mut limits = ConnectionLimits::default();
        if let Some(secs) = get("CONNECT_HEADER_TIMEOUT_SECS") {
            limits.header_read_timeout = Duration::from_secs(number(
                "CONNECT_HEADER_TIMEOUT_SECS",
                &secs,
                "whole seconds, e.g. 20",
            )?);
        }
        if let Some(secs) = get("CONNECT_FIRST_BYTE_TIMEOUT_SECS") {
            limits.first_byte_timeout = Duration::from_secs(number(
                "CONNECT_FIRST_BYTE_TIMEOUT_SECS",
                &secs,
                "whole seconds, e.g. 5",
            )?);
        }
        let count = |variable: &'static str, example: &str| -> Result<Option<usize>, ConfigError> {
            get(variable)
                .map(|value| {
                    number(variable, &value, example)
                        .map(|count| usize::try_from(count).unwrap_or(usize::MAX).max(1))
                })
                .transpose()
        };
        if let Some(max) = count("CONNECT_MAX_CONNECTIONS", "a count, e.g. 1024")? {
            limits.max_connections = max;
        }
        if let Some(max) = count("CONNECT_MAX_HEADER_BYTES", "bytes, e.g. 16384")? {
            limits.headers.max_line_bytes = max;
        }
        if let Some(max) = count("CONNECT_MAX_HEADERS", "a count, e.g. 100")? {
            limits.headers.max_fields = max;
        }
        if let Some(secs) = get("CONNECT_LINGER_SECS") {
            limits.linger.timeout = Duration::from_secs(number(
                "CONNECT_LINGER_SECS",
                &secs,
                "whole seconds, e.g. 5",
            )?);
        }
        if let Some(max) = count("CONNECT_LINGER_MAX_BYTES", "bytes, e.g. 16777216")? {
            limits.linger.max_bytes = max;
        }
        // A key variable that is set must hold a key: a blank one would silently store secrets
        // in plaintext.
        for variable in ["CONNECT_SECRET_KEY", "CONNECT_SECRET_KEY_PREVIOUS"] {
            if lookup(variable).is_some_and(|value| value.trim().is_empty()) {
                return Err(ConfigError::new(
                    variable,
                    "is set but empty: give 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`), or unset it to store secrets unsealed",
                ));
            }
        }
        let sealing = match get("CONNECT_SECRET_KEY") {
            Some(key) => Some(SealingKeys::from_bytes(
                SealingKeys::parse_key("CONNECT_SECRET_KEY", &key)?,
                get("CONNECT_SECRET_KEY_PREVIOUS")
                    .map(|key| SealingKeys::parse_key("CONNECT_SECRET_KEY_PREVIOUS", &key))
                    .transpose()?,
            )),
            None if get("CONNECT_SECRET_KEY_PREVIOUS").is_some() => {
                return Err(ConfigError::new(
                    "CONNECT_SECRET_KEY_PREVIOUS",
                    "set only while rotating, together with the new CONNECT_SECRET_KEY",
                ));
            }
            None => None,
        };
        let bind_addr = match get("CONNECT_BIND_ADDR") {
            Some(addr) => addr.trim().parse().map_err(|_| {
                ConfigError::new(
                    "CONNECT_BIND_ADDR",
                    "expected an IP address, e.g. 0.0.0.0, 127.0.0.1 or ::",
                )
            })?,
            None => std::net::IpAddr::from([0, 0, 0, 0]),
        };
        Ok(Self {
            bind_addr,
            port: port_from(get("PORT"))?,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://connect.db".to_owned()),
            pool,
            limits,
            sealing,
        })
    }
}

fn port_from(value: Option<String>) -> Result<u16, ConfigError> {
    value.map_or(Ok(DEFAULT_PORT), |port| {
        port.trim()
            .parse()
            .map_err(|_| ConfigError::new("PORT", "expected a port number, e.g. 3000"))
    })
}

fn number(variable: &'static str, value: &str, expected: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(variable, format!("expected {expected}")))
}

fn parse_url(variable: &'static str, value: &str) -> Result<Url, ConfigError> {
    Url::parse(value.trim())
        .map_err(|error| ConfigError::new(variable, format!("`{}`: {error}", value.trim())))
}

fn parse_url_list(variable: &'static str, value: &str) -> Result<Vec<Url>, ConfigError> {
    value
        .split(',')
        .filter(|url| !url.trim().is_empty())
        .map(|url| parse_url(variable, url))
        .collect()
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
