//! Calling the product back: [`HostClient`], as the app or as a user, rate-limit aware.
//!
//! - `target`: paths relative to the tenant's baseUrl; other hosts refused.
//! - [`sign`]: the request token (HS256, `qsh`) and the user-token assertion.
//! - `oauth`: user tokens from the JWT bearer grant, cached and single-flight.
//! - `request`: [`RequestBuilder`], a request built, signed or authorized, sent and retried.
//! - `retry`: which answers are rate limits, and the wait before the next attempt.
//! - [`permission`]: product permissions of the calling user, checked and cached briefly.
//! - [`response`]: the answer, [`ClientResponse`], read whole and bounded.
//! - [`forge`]: [`ForgeClient`], calls to `app.apiBaseUrl` with the tokens of a Forge
//!   invocation (or through a container's egress proxy), through the same builder, pool and
//!   rate-limit handling.
//! - [`container`]: a Forge Container's calls outside an invocation, and its installations.
//! - [`events`]: a Forge Container's pushes to its async event queues.
//!
//! Every app has one [`Outbound`]: one connection pool, one token cache, one permission cache,
//! shared by the `HostClient`s its handlers get.

/// `get`, `post`, `put`, `delete`: shorthands of a client's `request(method, path)`, the same
/// for every client.
macro_rules! request_verbs {
    () => {
        /// A `GET` of `path`.
        pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
            self.request(Method::GET, path)
        }

        /// A `POST` to `path`.
        pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
            self.request(Method::POST, path)
        }

        /// A `PUT` to `path`.
        pub fn put(&self, path: impl Into<String>) -> RequestBuilder {
            self.request(Method::PUT, path)
        }

        /// A `DELETE` of `path`.
        pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
            self.request(Method::DELETE, path)
        }
    };
}

pub mod container;
pub mod events;
pub mod forge;
mod oauth;
pub mod permission;
mod request;
pub mod response;
mod retry;
pub mod sign;
pub mod storage;
mod target;

pub use crate::http::ClientError;
pub use forge::ForgeClient;
pub use permission::Permission;
use request::Caller;
pub use request::RequestBuilder;
pub(crate) use request::transport_error;
pub use response::ClientResponse;

use crate::config::{ClientConfig, RetryPolicy};
use crate::store::TenantRecord;
use oauth::{Grant, TokenKey, UserTokens};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use target::SiteUrl;
use url::Url;
use warp::http::Method;

/// The `User-Agent` of every outbound request: the framework and its version.
pub const USER_AGENT: &str = concat!(
    "atlassian-connect-rust/",
    env!("CARGO_PKG_VERSION"),
    " (+https://crates.io/crates/atlassian-connect)"
);

/// What one app shares across its outbound calls: the HTTP connection pool, the retry policy,
/// the user-token and permission caches. Built with the app; handlers reach it through
/// [`HostClient`].
pub struct Outbound {
    pub(crate) http: reqwest::Client,
    app_key: Arc<str>,
    /// The descriptor's scopes, upper case and space separated: what user tokens ask for.
    scopes: Arc<str>,
    pub(crate) retry: RetryPolicy,
    user_tokens: UserTokens,
    permissions: permission::PermissionCache,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("app_key", &self.app_key)
            .field("scopes", &self.scopes)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// The outbound side of app `app_key` whose descriptor asks for `scopes`.
    pub fn new(
        app_key: &str,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        config: &ClientConfig,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(std::time::Duration::from_secs(5)))
            // A redirect could carry the signed request to another host: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let scopes: Vec<String> = scopes
            .into_iter()
            .map(|scope| scope.as_ref().to_ascii_uppercase())
            .collect();
        Ok(Self {
            http,
            app_key: app_key.into(),
            scopes: scopes.join(" ").into(),
            retry: config.retry,
            user_tokens: UserTokens::new(config.oauth_url.clone()),
            permissions: permission::PermissionCache::new(config.permission_ttl),
        })
    }
}

/// Calls to one tenant's site: as the app (HS256 `Authorization: JWT`, signed per request) or,
/// after [`as_user`](HostClient::as_user), as one of its users (OAuth 2.0 bearer token).
///
/// A handler argument on routes that verify a tenant (`auth = jwt`, `auth = context`) and in
/// lifecycle hooks; elsewhere, [`ConnectApp::client_for`](crate::ConnectApp::client_for).
/// Cheap to clone.
///
/// ```
/// use connect_runtime::HostClient;
/// use connect_runtime::AppError;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct User {
///     display_name: String,
/// }
///
/// // The handler of a page (`auth = jwt`): the product's answer, signed as the app.
/// async fn hello(jira: HostClient) -> Result<String, AppError> {
///     let me: User = jira.get("/rest/api/3/myself").send().await?.json().await?;
///     Ok(format!("Hello {}", me.display_name))
/// }
/// ```
///
/// Paths are relative to the tenant's baseUrl (`/rest/api/3/myself` on Jira,
/// `/rest/api/space` on Confluence, whose baseUrl ends in `/wiki`); an absolute URL must be on
/// the tenant's site, and any other host is refused before anything is sent. A 429 (or a 503
/// with `Retry-After`) is retried as the app's [`RetryPolicy`] allows, when the request is safe
/// to repeat.
#[derive(Clone)]
pub struct HostClient {
    outbound: Arc<Outbound>,
    tenant: Arc<TenantLink>,
    user: Option<Arc<UserLink>>,
}

/// What the client keeps of a tenant: no install payload, just what signing needs.
struct TenantLink {
    client_key: Arc<str>,
    site: SiteUrl,
    shared_secret: SecretString,
    oauth_client_id: Option<String>,
    product_type: Option<String>,
}

struct UserLink {
    account_id: Arc<str>,
    scopes: Arc<str>,
}

impl std::fmt::Debug for HostClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostClient")
            .field("tenant", &self.tenant.client_key)
            .field("base_url", &self.tenant.site.base().as_str())
            .field("as_user", &self.user.as_ref().map(|u| &u.account_id))
            .finish_non_exhaustive()
    }
}

impl HostClient {
    /// The client of `tenant`, sharing `outbound`'s pool and caches.
    pub(crate) fn new(outbound: Arc<Outbound>, tenant: &TenantRecord) -> Result<Self, ClientError> {
        Ok(Self {
            outbound,
            tenant: Arc::new(TenantLink {
                client_key: tenant.client_key.as_str().into(),
                site: SiteUrl::parse(&tenant.base_url)?,
                shared_secret: tenant.shared_secret.clone(),
                oauth_client_id: tenant.oauth_client_id.clone(),
                product_type: tenant.product_type.clone(),
            }),
            user: None,
        })
    }

    /// The same tenant, as user `account_id`, with the scopes the app's descriptor declares.
    /// Needs the `ACT_AS_USER` scope (and so the tenant's `oauthClientId`).
    pub fn as_user(&self, account_id: impl Into<Arc<str>>) -> HostClient {
        let scopes = Arc::clone(&self.outbound.scopes);
        self.as_user_with_scopes_str(account_id.into(), scopes)
    }

    /// As [`as_user`](Self::as_user), asking only for `scopes` (e.g. `["READ"]`).
    pub fn as_user_with_scopes<S: AsRef<str>>(
        &self,
        account_id: impl Into<Arc<str>>,
        scopes: impl IntoIterator<Item = S>,
    ) -> HostClient {
        let scopes: Vec<String> = scopes
            .into_iter()
            .map(|scope| scope.as_ref().to_ascii_uppercase())
            .collect();
        self.as_user_with_scopes_str(account_id.into(), scopes.join(" ").into())
    }

    fn as_user_with_scopes_str(&self, account_id: Arc<str>, scopes: Arc<str>) -> HostClient {
        HostClient {
            outbound: Arc::clone(&self.outbound),
            tenant: Arc::clone(&self.tenant),
            user: Some(Arc::new(UserLink { account_id, scopes })),
        }
    }

    /// The user this client acts as, if any.
    pub fn account_id(&self) -> Option<&str> {
        self.user.as_ref().map(|user| &*user.account_id)
    }

    /// The tenant's clientKey.
    pub fn client_key(&self) -> &str {
        &self.tenant.client_key
    }

    /// The tenant's baseUrl.
    pub fn base_url(&self) -> &Url {
        self.tenant.site.base()
    }

    /// `jira` or `confluence`, as the install payload said.
    pub fn product_type(&self) -> Option<&str> {
        self.tenant.product_type.as_deref()
    }

    /// A request with `method` to `path` (relative to the tenant's baseUrl).
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(Caller::Host(self.clone()), method, path.into())
    }

    request_verbs!();

    /// The URL and `Authorization` header value of a request as the app, without sending it:
    /// for a request another HTTP client must make (a multipart upload, a streamed download).
    /// The token is bound to this method, path and query by its `qsh` and expires in 3 minutes.
    pub fn sign(&self, method: &Method, path: &str) -> Result<SignedRequest, ClientError> {
        let url = self.tenant.site.resolve(path, &[])?;
        let authorization = SecretString::from(self.app_authorization(method, &url)?);
        Ok(SignedRequest { url, authorization })
    }

    /// `JWT <token>` for `method` on `url` as the app: a fresh token bound by its `qsh`.
    fn app_authorization(&self, method: &Method, url: &Url) -> Result<String, ClientError> {
        let qsh = self.tenant.site.query_string_hash(method.as_str(), url);
        let token = sign::request_token(
            &self.outbound.app_key,
            self.tenant.shared_secret.expose_secret().as_bytes(),
            &qsh,
            crate::auth::jwt::unix_now(),
        )?;
        Ok(format!("JWT {token}"))
    }

    /// The `Authorization` header value for one attempt.
    async fn authorization(&self, method: &Method, url: &Url) -> Result<String, ClientError> {
        match &self.user {
            None => self.app_authorization(method, url),
            Some(user) => {
                let token = self.user_token(user).await?;
                Ok(format!("Bearer {}", token.access_token.expose_secret()))
            }
        }
    }

    fn token_key(&self, user: &UserLink) -> TokenKey {
        TokenKey {
            client_key: Arc::clone(&self.tenant.client_key),
            account_id: Arc::clone(&user.account_id),
            scopes: Arc::clone(&user.scopes),
        }
    }

    async fn user_token(&self, user: &UserLink) -> Result<Arc<oauth::UserToken>, ClientError> {
        let tenant = &self.tenant;
        let oauth_client_id = tenant
            .oauth_client_id
            .as_deref()
            .ok_or(ClientError::NoOAuthClient)?;
        let tokens = &self.outbound.user_tokens;
        let server = tokens.server_for(tenant.site.base());
        let base_url = tenant.site.base().as_str().trim_end_matches('/');
        tokens
            .token(
                &self.outbound.http,
                &server,
                self.token_key(user),
                Grant {
                    oauth_client_id,
                    account_id: &user.account_id,
                    tenant_base_url: base_url,
                    shared_secret: &tenant.shared_secret,
                    scopes: &user.scopes,
                },
            )
            .await
    }
}

/// A request signed as the app by [`HostClient::sign`]. `Debug` hides the token.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Where to send it.
    pub url: Url,
    /// The `Authorization` header value (`JWT <token>`).
    pub authorization: SecretString,
}
