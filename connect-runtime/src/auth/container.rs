//! Container mode's counterpart of FIT verification: the Forge sidecar in front of the
//! container authenticates every caller and names the invocation in `x-forge-invocation-id`;
//! the app asks the egress proxy what that invocation is (`GET {proxy}/invocation/context`
//! with `forge-proxy-authorization: Forge id=<id>`). An id the proxy does not know is refused
//! (401), as a forged FIT is for a remote.
//!
//! The context comes back in the shape of a FIT's claims ([`FitClaims`]), so
//! `ForgeContext` has the same accessors in both modes. What the container receives differs:
//! no license, no app version, and a UI `extension` only when the proxy includes one.
//!
//! Source: Atlassian's Forge Containers API collection (`invocation/context`, the
//! `forge-proxy-authorization` format) and the containers reference (`x-forge-invocation-id`).

use super::invocation::{
    Channel, FitApp, FitClaims, FitEnvironment, FitModule, ForgeTokens, OnBehalf, ProxyRoute,
    VerifiedInvocation,
};
use super::jwt::{Audience, unix_now};
use super::{AuthError, VerifyError};
use connect_descriptor::ForgeAppId;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The header a container names its invocation or installation in, towards the proxy.
pub const PROXY_AUTHORIZATION: &str = "forge-proxy-authorization";

/// The `iss` of claims made from a container's invocation context: not a token Forge signed.
pub const CONTAINER_ISSUER: &str = "forge/container-invocation";

/// The longest invocation id accepted (ids are UUID-like; this only bounds what is sent on).
const MAX_INVOCATION_ID_LEN: usize = 256;

/// The largest invocation context read.
const MAX_CONTEXT_BYTES: usize = 64 * 1024;

/// How long the proxy may take to answer the context (the docs call it low latency: it is
/// cached in the proxy).
const CONTEXT_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the egress proxy for the context of each invocation.
#[derive(Debug, Clone)]
pub(crate) struct ContainerInvocations {
    http: reqwest::Client,
    proxy: Arc<Url>,
    context_url: Url,
    app_id: ForgeAppId,
    product: &'static str,
}

/// The invocation context as the proxy answers it: only what the framework reads is typed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvocationContext {
    app: ContextApp,
    #[serde(default)]
    context: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextApp {
    id: String,
    installation_id: String,
    /// `{type, id}`, or only the type as a string.
    #[serde(default)]
    environment: Option<Value>,
    #[serde(default)]
    module: Option<ContextModule>,
    #[serde(default)]
    license: Option<Value>,
}

#[derive(Deserialize)]
struct ContextModule {
    key: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

impl ContainerInvocations {
    /// The contexts of app `app_id`'s invocations, from the proxy at `proxy`. Product calls
    /// go to its `/jira` or `/confluence` prefix (`product`).
    pub(crate) fn new(
        proxy: Url,
        app_id: ForgeAppId,
        product: &'static str,
    ) -> Result<Self, reqwest::Error> {
        let context_url = join(&proxy, "/invocation/context");
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(CONTEXT_TIMEOUT)
                .no_proxy()
                // A redirect would carry the invocation id to another host.
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            proxy: Arc::new(proxy),
            context_url,
            app_id,
            product,
        })
    }

    /// The invocation `tokens.invocation_id` names, as the proxy describes it. No id, a
    /// malformed one, or one the proxy refuses is [`AuthError::UnknownInvocation`]; a proxy
    /// that cannot be reached is [`VerifyError::ProxyUnavailable`] (503: try again).
    pub(crate) async fn verify(
        &self,
        tokens: ForgeTokens,
    ) -> Result<VerifiedInvocation, VerifyError> {
        let id = tokens
            .invocation_id
            .filter(|id| is_proxy_field(id))
            .ok_or(AuthError::MissingInvocationId)?;
        let id = SecretString::from(id);
        let mut authorization =
            reqwest::header::HeaderValue::try_from(format!("Forge id={}", id.expose_secret()))
                .map_err(|_| AuthError::MissingInvocationId)?;
        authorization.set_sensitive(true);
        let response = self
            .http
            .get(self.context_url.clone())
            .header(PROXY_AUTHORIZATION, authorization)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| VerifyError::ProxyUnavailable(error.without_url().to_string()))?;
        let status = response.status();
        if matches!(status.as_u16(), 400 | 401 | 403 | 404) {
            return Err(AuthError::UnknownInvocation.into());
        }
        if !status.is_success() {
            return Err(VerifyError::ProxyUnavailable(format!(
                "the invocation context answered {status}"
            )));
        }
        let mut response = response;
        let body = super::keys::read_capped(&mut response, MAX_CONTEXT_BYTES)
            .await
            .map_err(|error| VerifyError::ProxyUnavailable(error.without_url().to_string()))?
            .ok_or_else(|| {
                VerifyError::ProxyUnavailable("the invocation context is too large".to_owned())
            })?;
        let context: InvocationContext = serde_json::from_slice(&body).map_err(|_| {
            VerifyError::ProxyUnavailable(
                "the invocation context does not have the documented shape".to_owned(),
            )
        })?;
        if context.app.id != self.app_id.as_str() {
            return Err(AuthError::ForgeAudience.into());
        }
        if context.app.installation_id.is_empty() {
            return Err(AuthError::UnknownInvocation.into());
        }
        Ok(self.invocation(id, context, tokens.trace))
    }

    /// The claims of `context`, and the channel of calls made for invocation `id`.
    fn invocation(
        &self,
        id: SecretString,
        context: InvocationContext,
        trace: Option<crate::http::trace::B3>,
    ) -> VerifiedInvocation {
        let now = unix_now();
        let api_base_url = join(&self.proxy, &format!("/{}", self.product));
        let principal = context
            .context
            .as_ref()
            .and_then(|context| context.get("accountId")?.as_str())
            .map(str::to_owned);
        let claims = FitClaims {
            iss: CONTAINER_ISSUER.to_owned(),
            aud: Audience::One(self.app_id.as_str().to_owned()),
            exp: now,
            iat: now,
            nbf: now,
            jti: invocation_digest(id.expose_secret()),
            app: FitApp {
                id: context.app.id,
                app_version: None,
                installation_id: context.app.installation_id,
                api_base_url: api_base_url.to_string(),
                environment: context.app.environment.and_then(environment),
                module: context.app.module.map(|module| FitModule {
                    kind: module.kind.unwrap_or_default(),
                    key: module.key,
                }),
                license: context.app.license,
                installation: None,
            },
            context: context.context,
            principal,
        };
        VerifiedInvocation {
            claims: Arc::new(claims),
            api_base_url: Arc::new(api_base_url),
            channel: Channel::Proxy(ProxyRoute {
                proxy: Arc::clone(&self.proxy),
                product: self.product,
                on_behalf: OnBehalf::Invocation(id),
            }),
            trace,
        }
    }
}

/// `app.environment` as an object `{type, id}` or a bare type.
fn environment(value: Value) -> Option<FitEnvironment> {
    match value {
        Value::String(kind) => Some(FitEnvironment { kind, id: None }),
        Value::Object(object) => Some(FitEnvironment {
            kind: object.get("type")?.as_str()?.to_owned(),
            id: object.get("id").and_then(Value::as_str).map(str::to_owned),
        }),
        _ => None,
    }
}

/// `base` with `path` appended below its own path.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Whether `value` can stand in a `forge-proxy-authorization` field (an invocation id, an
/// installation id, an account id): visible ASCII without the header's separators (`,`, `=`)
/// or spaces, and not overlong, so that it cannot add or change a field.
pub(crate) fn is_proxy_field(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_INVOCATION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',' && b != b'=')
}

/// What stands for the invocation id where a FIT has its `jti` (the de-duplication of trigger
/// deliveries, `ForgeContext::jti`): a digest, since the id itself must not reach a log.
fn invocation_digest(id: &str) -> String {
    let digest = sha2::Sha256::digest(id.as_bytes());
    format!("invocation:{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_ids_cannot_smuggle_fields() {
        assert!(is_proxy_field("0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11"));
        for bad in [
            "",
            "a,as=user",
            "a=b",
            "a b",
            "a\u{7f}",
            "é",
            &"x".repeat(300),
        ] {
            assert!(!is_proxy_field(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_hides_the_id() {
        let digest = invocation_digest("secret-invocation");
        assert!(!digest.contains("secret"));
        assert_eq!(digest, invocation_digest("secret-invocation"));
        assert_ne!(digest, invocation_digest("other"));
    }

    #[test]
    fn paths_join_below_the_proxy_path() {
        let proxy = Url::parse("http://127.0.0.1:7072/egress/").unwrap();
        assert_eq!(
            join(&proxy, "/invocation/context").as_str(),
            "http://127.0.0.1:7072/egress/invocation/context"
        );
        let bare = Url::parse("http://127.0.0.1:7072").unwrap();
        assert_eq!(join(&bare, "/jira").as_str(), "http://127.0.0.1:7072/jira");
    }

    #[test]
    fn environments_in_either_shape() {
        assert_eq!(
            environment(serde_json::json!("PRODUCTION")).map(|e| e.kind),
            Some("PRODUCTION".to_owned())
        );
        let full = environment(serde_json::json!({"type": "DEVELOPMENT", "id": "e1"})).unwrap();
        assert_eq!(
            (full.kind.as_str(), full.id.as_deref()),
            ("DEVELOPMENT", Some("e1"))
        );
        assert!(environment(serde_json::json!(3)).is_none());
    }
}
