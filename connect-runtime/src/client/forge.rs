//! [`ForgeClient`]: product calls from a Forge route. As a Forge Remote: to the verified
//! `app.apiBaseUrl`, with the app's system token or the calling user's token as
//! `Authorization: Bearer`. As a Forge Container: to the egress proxy's `/jira` or
//! `/confluence` prefix, naming the invocation in `forge-proxy-authorization` (the proxy adds
//! the tokens).

use super::target::SiteUrl;
use super::{Caller, ClientError, Outbound, RequestBuilder};
use crate::auth::container::{PROXY_AUTHORIZATION, is_proxy_field};
use crate::auth::invocation::{Channel, OnBehalf, VerifiedInvocation};
use crate::http::trace::B3;
use secrecy::ExposeSecret;
use std::sync::Arc;
use url::Url;
use warp::http::Method;
use warp::http::header::{AUTHORIZATION, HeaderName};

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
    channel: Channel,
    as_user: bool,
    /// `accountId=` of a container's call as another user (impersonation).
    account_id: Option<Arc<str>>,
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
            channel: invocation.channel.clone(),
            as_user: false,
            account_id: None,
            trace: invocation.trace.clone(),
        })
    }

    /// A container's client outside any invocation, for `installation_id`
    /// (`installationId=`), at `base` (the proxy's product prefix).
    pub(crate) fn for_installation(
        outbound: Arc<Outbound>,
        route: crate::auth::invocation::ProxyRoute,
        base: &Url,
    ) -> Result<Self, ClientError> {
        let installation_id = match &route.on_behalf {
            OnBehalf::Installation(id) => id.as_str().into(),
            OnBehalf::Invocation(_) => "".into(),
        };
        Ok(Self {
            outbound,
            site: Arc::new(SiteUrl::parse(base.as_str())?),
            installation_id,
            channel: Channel::Proxy(route),
            as_user: false,
            account_id: None,
            trace: None,
        })
    }

    /// The same invocation, as the calling user: a remote sends `x-forge-oauth-user` (the
    /// route needs `user_token`, and a user must be in session: never for triggers); a
    /// container asks the proxy for `as=user`.
    pub fn as_user(&self) -> ForgeClient {
        ForgeClient {
            as_user: true,
            account_id: None,
            ..self.clone()
        }
    }

    /// As the user `account_id` (a container's `as=user,accountId=`: user impersonation,
    /// which the app must be allowed; the only way to act as a user in background work). A
    /// remote has no such call: its requests fail with
    /// [`ClientError::MissingForgeToken`].
    pub fn as_account(&self, account_id: &str) -> ForgeClient {
        ForgeClient {
            as_user: true,
            account_id: Some(account_id.into()),
            ..self.clone()
        }
    }

    /// The same invocation, as the app, where Forge's own APIs live (storage under
    /// `/forge/storage/...`, events under `/atlassian/forge/...`): the origin of `apiBaseUrl`
    /// for a remote, the egress proxy for a container.
    pub(crate) fn at_platform(&self) -> Result<ForgeClient, ClientError> {
        let base = match &self.channel {
            Channel::Tokens { .. } => self.site.base().origin().ascii_serialization(),
            Channel::Proxy(route) => route.proxy.as_str().to_owned(),
        };
        Ok(ForgeClient {
            site: Arc::new(SiteUrl::parse(&base)?),
            as_user: false,
            account_id: None,
            ..self.clone()
        })
    }

    /// Whether the calls go through a Forge Container's egress proxy.
    pub fn in_container(&self) -> bool {
        matches!(self.channel, Channel::Proxy(_))
    }

    /// Whether calls as the app can be made: Forge sent the system token (a remote), or the
    /// proxy adds it (a container).
    pub fn has_system_token(&self) -> bool {
        match &self.channel {
            Channel::Tokens { system, .. } => system.is_some(),
            Channel::Proxy(_) => true,
        }
    }

    /// Whether calls as the user can be made: Forge sent a user token (a remote), or the
    /// proxy acts for the invocation's user (a container).
    pub fn has_user_token(&self) -> bool {
        match &self.channel {
            Channel::Tokens { user, .. } => user.is_some(),
            Channel::Proxy(_) => true,
        }
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

    /// The header that authorises a call and its value: `Authorization: Bearer <token>` of
    /// the chosen token (a remote), or `forge-proxy-authorization: Forge as=...,id=...` (a
    /// container); or which token is missing.
    pub(super) fn authorization(&self) -> Result<(HeaderName, String), ClientError> {
        match &self.channel {
            Channel::Tokens { system, user } => {
                let (token, which) = if self.as_user {
                    (user, "user")
                } else {
                    (system, "system")
                };
                let token = token
                    .as_ref()
                    .filter(|_| self.account_id.is_none())
                    .ok_or(ClientError::MissingForgeToken(which))?;
                Ok((AUTHORIZATION, format!("Bearer {}", token.expose_secret())))
            }
            Channel::Proxy(route) => Ok((
                HeaderName::from_static(PROXY_AUTHORIZATION),
                proxy_authorization(&route.on_behalf, self.as_user, self.account_id.as_deref())?,
            )),
        }
    }
}

/// The value of `forge-proxy-authorization`: `Forge as=app|user`, then `id=<invocation id>`
/// or `installationId=<id>`, and `accountId=<id>` for a call as a named user (Atlassian's
/// Forge Containers API: "Forge as=user,accountId=user-123,id=invocation-123"). An account or
/// installation id that could add or change a field (`,`, `=`, spaces) is refused before
/// anything is sent.
pub(crate) fn proxy_authorization(
    on_behalf: &OnBehalf,
    as_user: bool,
    account_id: Option<&str>,
) -> Result<String, ClientError> {
    let field = |name: &str, value: &str| {
        if is_proxy_field(value) {
            Ok(())
        } else {
            Err(ClientError::InvalidHeader(format!(
                "`{name}` is not a valid account or installation id for forge-proxy-authorization"
            )))
        }
    };
    let mut value = String::from(if as_user {
        "Forge as=user"
    } else {
        "Forge as=app"
    });
    if let (true, Some(account_id)) = (as_user, account_id) {
        field("accountId", account_id)?;
        value.push_str(",accountId=");
        value.push_str(account_id);
    }
    match on_behalf {
        OnBehalf::Invocation(id) => {
            value.push_str(",id=");
            value.push_str(id.expose_secret());
        }
        OnBehalf::Installation(id) => {
            field("installationId", id)?;
            value.push_str(",installationId=");
            value.push_str(id);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn proxy_authorization_names_who_and_for_what() {
        let invocation = OnBehalf::Invocation(SecretString::from("inv-1"));
        assert_eq!(
            proxy_authorization(&invocation, false, None).unwrap(),
            "Forge as=app,id=inv-1"
        );
        assert_eq!(
            proxy_authorization(&invocation, true, None).unwrap(),
            "Forge as=user,id=inv-1"
        );
        assert_eq!(
            proxy_authorization(&invocation, true, Some("557058:u")).unwrap(),
            "Forge as=user,accountId=557058:u,id=inv-1"
        );
        let installation = OnBehalf::Installation("i-1".to_owned());
        assert_eq!(
            proxy_authorization(&installation, false, Some("ignored")).unwrap(),
            "Forge as=app,installationId=i-1"
        );
        // Values that would add or change a field are refused.
        for smuggled in ["x,as=app", "x,installationId=other", "a b", ""] {
            assert!(
                proxy_authorization(&invocation, true, Some(smuggled)).is_err(),
                "{smuggled}"
            );
            let installation = OnBehalf::Installation(smuggled.to_owned());
            assert!(
                proxy_authorization(&installation, false, None).is_err(),
                "{smuggled}"
            );
        }
    }
}
