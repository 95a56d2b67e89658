//! [`ForgeClient`]: product calls from a Forge Remote route, to the verified `app.apiBaseUrl`,
//! with the app's system token or the calling user's token as `Authorization: Bearer`.

use super::target::SiteUrl;
use super::{Caller, ClientError, Outbound, RequestBuilder};
use crate::auth::invocation::VerifiedInvocation;
use crate::http::trace::B3;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use url::Url;
use warp::http::Method;

/// Calls to the product of a Forge invocation: `app.apiBaseUrl` (verified with the FIT) plus a
/// path, as the app (the system token, `x-forge-oauth-system`) or, after
/// [`as_user`](ForgeClient::as_user), as the calling user (`x-forge-oauth-user`).
///
/// A handler argument on `#[forge::...]` routes only. The route must ask Forge for the token:
/// `system_token` (and `user_token`) on the attribute; a missing token is
/// [`ClientError::MissingForgeToken`] before anything is sent. It shares the app's connection
/// pool and the rate-limit handling of [`HostClient`](super::HostClient); the tokens never
/// appear in logs or `Debug`.
///
/// ```
/// use connect_runtime::forge::ForgeClient;
/// use connect_runtime::AppError;
///
/// // On Jira, apiBaseUrl is `https://api.atlassian.com/ex/jira/<cloudId>`.
/// async fn me(jira: ForgeClient) -> Result<String, AppError> {
///     let me: serde_json::Value = jira.get("/rest/api/3/myself").send().await?.json().await?;
///     Ok(me["displayName"].as_str().unwrap_or_default().to_owned())
/// }
/// ```
#[derive(Clone)]
pub struct ForgeClient {
    outbound: Arc<Outbound>,
    site: Arc<SiteUrl>,
    installation_id: Arc<str>,
    system_token: Option<SecretString>,
    user_token: Option<SecretString>,
    as_user: bool,
    /// The invocation's trace, sent on along with every call.
    trace: Option<B3>,
}

impl std::fmt::Debug for ForgeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgeClient")
            .field("api_base_url", &self.site.base().as_str())
            .field("installation_id", &self.installation_id)
            .field("as_user", &self.as_user)
            .finish_non_exhaustive()
    }
}

impl ForgeClient {
    /// The client of a verified invocation, sharing `outbound`'s pool.
    pub(crate) fn new(
        outbound: Arc<Outbound>,
        invocation: &VerifiedInvocation,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            outbound,
            site: Arc::new(SiteUrl::parse(invocation.api_base_url().as_str())?),
            installation_id: invocation.claims().app.installation_id.as_str().into(),
            system_token: invocation.system_token.clone(),
            user_token: invocation.user_token.clone(),
            as_user: false,
            trace: invocation.trace.clone(),
        })
    }

    /// The same invocation, as the calling user (`x-forge-oauth-user`; the route needs
    /// `user_token`, and a user must be in session: never for triggers).
    pub fn as_user(&self) -> ForgeClient {
        ForgeClient {
            as_user: true,
            ..self.clone()
        }
    }

    /// The same invocation with the system token, at the origin of `apiBaseUrl`: where Forge
    /// storage lives (`/forge/storage/kvs/v1/...`).
    pub(crate) fn at_origin(&self) -> Result<ForgeClient, ClientError> {
        let origin = self.site.base().origin().ascii_serialization();
        Ok(ForgeClient {
            site: Arc::new(SiteUrl::parse(&origin)?),
            as_user: false,
            ..self.clone()
        })
    }

    /// Whether Forge sent the system token.
    pub fn has_system_token(&self) -> bool {
        self.system_token.is_some()
    }

    /// Whether Forge sent a user token.
    pub fn has_user_token(&self) -> bool {
        self.user_token.is_some()
    }

    /// The verified `app.apiBaseUrl` requests go to.
    pub fn api_base_url(&self) -> &Url {
        self.site.base()
    }

    /// A request with `method` to `path` (relative to `apiBaseUrl`, e.g. `/rest/api/3/myself`).
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        let request = RequestBuilder::new(Caller::Forge(self.clone()), method, path.into());
        match &self.trace {
            // The invocation's trace goes on with the calls it makes, as Forge asks.
            Some(trace) => request
                .header("x-b3-traceid", trace.trace_id())
                .header("x-b3-spanid", trace.span_id()),
            None => request,
        }
    }

    request_verbs!();

    pub(super) fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    pub(super) fn site(&self) -> &SiteUrl {
        &self.site
    }

    pub(super) fn installation_id(&self) -> &str {
        &self.installation_id
    }

    /// `Bearer <token>` of the chosen token, or which one is missing.
    pub(super) fn authorization(&self) -> Result<String, ClientError> {
        let (token, which) = if self.as_user {
            (&self.user_token, "user")
        } else {
            (&self.system_token, "system")
        };
        let token = token
            .as_ref()
            .ok_or(ClientError::MissingForgeToken(which))?;
        Ok(format!("Bearer {}", token.expose_secret()))
    }
}
