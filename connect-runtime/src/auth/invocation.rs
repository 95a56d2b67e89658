//! The `ForgeInvocation` policy: verifying a Forge Invocation Token (FIT).
//!
//! RS256 only; the key by `kid` from the Forge JWKS ([`ForgeKeys`]); `iss` =
//! `forge/invocation-token`; `aud` (and `app.id` inside the token) = this app's Forge app id;
//! `exp`, `nbf` and `iat` within a few seconds of leeway; `jti` present; and `app.apiBaseUrl`,
//! where [`ForgeClient`](crate::client::ForgeClient) sends the product calls, on an allowed
//! host. Only then are the `x-forge-oauth-system` / `x-forge-oauth-user` tokens that came with
//! the request handed on, as secrets.

use super::jwks::ForgeKeys;
use super::jwt::{self, unix_now};
use super::{AuthError, VerifyError};
use crate::config::{ForgeConfig, HostRule, https_or_loopback_http};
use crate::http::trace::B3;
use connect_descriptor::ForgeAppId;
use jsonwebtoken::Algorithm;
use secrecy::SecretString;
use serde::Deserialize;
use std::sync::Arc;
use url::Url;

/// The `iss` of every FIT.
pub const FIT_ISSUER: &str = "forge/invocation-token";

/// The production API host a FIT's `app.apiBaseUrl` may name without configuration.
pub const ATLASSIAN_API_HOST: &str = "api.atlassian.com";
/// Atlassian's staging API host: accepted only for tokens verified with the staging JWKS
/// (`FORGE_STAGING_JWKS_URL`).
pub const ATLASSIAN_STAGING_API_HOST: &str = "api.stg.atlassian.com";

/// The longest lifetime (`exp - iat`) accepted. Forge's tokens live 25 s; a token that claims
/// minutes is not one Forge minted, and the delivery record assumes short-lived tokens.
pub const MAX_FIT_LIFETIME_SECS: i64 = 300;

/// The claims of a FIT. Only what handlers need is typed; the rest stays JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct FitClaims {
    /// Always `forge/invocation-token`.
    pub iss: String,
    /// The audience: the app id.
    pub aud: super::jwt::Audience,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// The token's id: what makes a trigger delivery idempotent.
    pub jti: String,
    /// The app and its installation.
    pub app: FitApp,
    /// The UI context (UI invocations only).
    #[serde(default)]
    pub context: Option<serde_json::Value>,
    /// The calling user's account id (UI invocations only).
    #[serde(default)]
    pub principal: Option<String>,
}

/// `app` of a FIT.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitApp {
    /// The app id (ARI); equal to `aud`.
    pub id: String,
    /// The deployed version.
    #[serde(default)]
    pub app_version: Option<String>,
    /// The installation (ARI): survives upgrades, changes on reinstall.
    pub installation_id: String,
    /// Where product API calls go, e.g. `https://api.atlassian.com/ex/jira/<cloudId>`.
    pub api_base_url: String,
    /// `{type: DEVELOPMENT|STAGING|PRODUCTION, id}`.
    #[serde(default)]
    pub environment: Option<FitEnvironment>,
    /// The module invoked: `{type, key}`.
    #[serde(default)]
    pub module: Option<FitModule>,
    /// The license (production paid apps only).
    #[serde(default)]
    pub license: Option<serde_json::Value>,
    /// `installation.contexts[] {name, apiBaseUrl, cloudId}`.
    #[serde(default)]
    pub installation: Option<serde_json::Value>,
}

/// `app.environment`.
#[derive(Debug, Clone, Deserialize)]
pub struct FitEnvironment {
    /// `DEVELOPMENT`, `STAGING` or `PRODUCTION`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The environment id.
    #[serde(default)]
    pub id: Option<String>,
}

/// `app.module`.
#[derive(Debug, Clone, Deserialize)]
pub struct FitModule {
    /// The module type, e.g. `core:endpoint`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The module key.
    pub key: String,
}

/// A verified Forge invocation: the FIT's claims (or, in container mode, the invocation
/// context the egress proxy answered, in the same shape) and how its outbound calls are
/// authorised. `Debug` hides the tokens and the invocation id.
#[derive(Clone)]
pub struct VerifiedInvocation {
    pub(crate) claims: Arc<FitClaims>,
    pub(crate) api_base_url: Arc<Url>,
    pub(crate) channel: Channel,
    /// The invocation's B3 trace, when Forge sent one.
    pub(crate) trace: Option<B3>,
}

/// How the calls of an invocation reach Atlassian.
#[derive(Clone)]
pub(crate) enum Channel {
    /// Forge Remote: straight to `apiBaseUrl`, with the tokens Forge sent along with the FIT
    /// (`x-forge-oauth-system`, `x-forge-oauth-user`) as `Bearer`.
    Tokens {
        system: Option<SecretString>,
        user: Option<SecretString>,
    },
    /// Forge Container: through the egress proxy, naming the invocation (or, outside one, the
    /// installation) in `forge-proxy-authorization`; the proxy adds the tokens.
    Proxy(ProxyRoute),
}

/// Where a container's calls go and whom they name.
#[derive(Clone)]
pub(crate) struct ProxyRoute {
    /// `FORGE_EGRESS_PROXY_URL`.
    pub(crate) proxy: Arc<Url>,
    /// `jira` or `confluence`: the prefix of product calls.
    pub(crate) product: &'static str,
    /// The invocation or installation the calls are made for.
    pub(crate) on_behalf: OnBehalf,
}

/// What a container's `forge-proxy-authorization` names.
#[derive(Clone)]
pub(crate) enum OnBehalf {
    /// `id=<x-forge-invocation-id>`: a call made while handling an invocation. The id lets
    /// whoever holds it call Atlassian as the app, so it is kept as a secret.
    Invocation(SecretString),
    /// `installationId=<id>`: background work outside any invocation.
    Installation(String),
}

impl std::fmt::Debug for VerifiedInvocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("VerifiedInvocation");
        debug
            .field("installation_id", &self.claims.app.installation_id)
            .field("jti", &self.claims.jti)
            .field("api_base_url", &self.api_base_url.as_str());
        match &self.channel {
            Channel::Tokens { system, user } => debug
                .field("system_token", &system.as_ref().map(|_| "[REDACTED]"))
                .field("user_token", &user.as_ref().map(|_| "[REDACTED]")),
            Channel::Proxy(_) => debug.field("invocation_id", &"[REDACTED]"),
        };
        debug.finish()
    }
}

impl VerifiedInvocation {
    /// The verified claims.
    pub fn claims(&self) -> &FitClaims {
        &self.claims
    }

    /// The verified `app.apiBaseUrl` (in container mode, the proxy's product prefix).
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// The product and the site's cloud id: from the verified `apiBaseUrl`
    /// (`/ex/<product>/<cloudId>`) for a remote, from the invocation context for a container.
    pub(crate) fn product_and_cloud_id(&self) -> Option<(&str, &str)> {
        match &self.channel {
            Channel::Tokens { .. } => site_path(&self.api_base_url),
            Channel::Proxy(route) => Some((
                route.product,
                self.claims.context.as_ref()?.get("cloudId")?.as_str()?,
            )),
        }
    }
}

/// Verifies FITs for one Forge app.
#[derive(Debug, Clone)]
pub struct InvocationVerifier {
    app_id: ForgeAppId,
    keys: ForgeKeys,
    /// The staging JWKS, for apps that opted in: tokens whose `apiBaseUrl` is on Atlassian's
    /// staging API host are verified with it (and only those).
    staging_keys: Option<ForgeKeys>,
    leeway_secs: u64,
    api_hosts: Arc<[HostRule]>,
}

/// The product tokens of a Forge request (`x-forge-oauth-system`, `x-forge-oauth-user`),
/// its trace ids (`x-b3-traceid`, `x-b3-spanid`), and in container mode what the sidecar
/// adds (`x-forge-invocation-id`, `x-forge-invocation-log-attributes`).
#[derive(Default)]
pub struct ForgeTokens {
    /// The app's system token.
    pub system: Option<String>,
    /// The calling user's token.
    pub user: Option<String>,
    /// The invocation's trace, for log lines and outbound calls.
    pub(crate) trace: Option<B3>,
    /// `x-forge-invocation-id` (container mode only; ignored by a remote).
    pub(crate) invocation_id: Option<String>,
    /// `x-forge-invocation-log-attributes` (container mode only): logged, escaped.
    pub(crate) log_attributes: Option<String>,
}

impl InvocationVerifier {
    /// A verifier for app `app_id` with the JWKS and hosts of `config`.
    pub fn new(app_id: ForgeAppId, config: &ForgeConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            keys: ForgeKeys::new(
                config.jwks_url.clone(),
                config.jwks_timeout,
                config.jwks_min_refresh,
            )?,
            staging_keys: match &config.staging_jwks_url {
                Some(url) => Some(ForgeKeys::new(
                    url.clone(),
                    config.jwks_timeout,
                    config.jwks_min_refresh,
                )?),
                None => None,
            },
            leeway_secs: config.leeway.as_secs(),
            api_hosts: config.allowed_api_hosts.clone().into(),
            app_id,
        })
    }

    /// Verifies the FIT of `authorization` (`Bearer <FIT>`) and takes `tokens` along.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        tokens: ForgeTokens,
    ) -> Result<VerifiedInvocation, VerifyError> {
        let token = bearer(authorization).ok_or(AuthError::MissingBearer)?;
        // `alg` first: `none`, HS256 (even "signed" with the public key) are refused here.
        let header = jwt::header_with_algorithm(token, Algorithm::RS256)?;
        let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
        let parts = jwt::Compact::split(token)?;
        // Decoded once, for the staging peek and the claims; an undecodable payload is refused
        // after the signature check, as any other malformed claim.
        let payload = jwt::decode_segment(parts.payload);
        // Which JWKS signs it depends on the environment the token claims; the claim is
        // trusted only once that JWKS verified it (and checked again below).
        let staging = payload.as_deref().is_ok_and(claims_staging_host);
        let keys = match (staging, &self.staging_keys) {
            (false, _) => &self.keys,
            (true, Some(staging_keys)) => staging_keys,
            (true, None) => return Err(AuthError::ForeignApiBaseUrl.into()),
        };
        let key = keys.public_key(&kid).await.map_err(forge_key_error)?;
        // The signature with the key parsed when the JWKS was fetched (jsonwebtoken would
        // parse it again for every token), then the claims, parsed once.
        let signature = jwt::decode_segment(parts.signature)?;
        key.verify_sig(parts.message.as_bytes(), &signature)
            .map_err(|_| AuthError::InvalidSignature)?;
        let payload = payload?;
        let claims: FitClaims = serde_json::from_slice(&payload).map_err(|_| {
            AuthError::InvalidClaims(
                "the FIT payload does not have the documented shape (exp, nbf, iat, iss, aud, jti and app are required)",
            )
        })?;
        let now = unix_now();
        let leeway = i64::try_from(self.leeway_secs).unwrap_or(i64::MAX);
        if claims.exp.saturating_add(leeway) < now {
            return Err(AuthError::Expired.into());
        }
        if claims.nbf > now.saturating_add(leeway) {
            return Err(AuthError::NotYetValid.into());
        }
        if claims.iat > now.saturating_add(leeway) {
            return Err(AuthError::IssuedInFuture.into());
        }
        if claims.iss != FIT_ISSUER {
            return Err(AuthError::WrongIssuer.into());
        }
        if !claims.aud.contains(self.app_id.as_str()) {
            return Err(AuthError::ForgeAudience.into());
        }
        if claims.exp.saturating_sub(claims.iat) > MAX_FIT_LIFETIME_SECS {
            return Err(
                AuthError::InvalidClaims("the token lives longer than a Forge token does").into(),
            );
        }
        if claims.app.id != self.app_id.as_str() {
            return Err(AuthError::ForgeAudience.into());
        }
        if claims.jti.is_empty() || claims.app.installation_id.is_empty() {
            return Err(AuthError::InvalidClaims("jti and app.installationId are required").into());
        }
        let api_base_url = self.check_api_base_url(&claims.app.api_base_url, staging)?;
        Ok(VerifiedInvocation {
            claims: Arc::new(claims),
            api_base_url: Arc::new(api_base_url),
            channel: Channel::Tokens {
                system: tokens
                    .system
                    .filter(|t| !t.is_empty())
                    .map(SecretString::from),
                user: tokens
                    .user
                    .filter(|t| !t.is_empty())
                    .map(SecretString::from),
            },
            trace: tokens.trace,
        })
    }

    /// `app.apiBaseUrl` on `https://api.atlassian.com` (or the staging host, for a token the
    /// staging JWKS verified) or an allowed host (`FORGE_ALLOWED_API_HOSTS`; `http://` only for
    /// loopback hosts), with a site-scoped path.
    fn check_api_base_url(&self, api_base_url: &str, staging: bool) -> Result<Url, AuthError> {
        let url = Url::parse(api_base_url).map_err(|_| AuthError::ForeignApiBaseUrl)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if staging != (host == ATLASSIAN_STAGING_API_HOST) {
            return Err(AuthError::ForeignApiBaseUrl);
        }
        let known = host == ATLASSIAN_API_HOST || host == ATLASSIAN_STAGING_API_HOST;
        let allowed = self.api_hosts.iter().any(|rule| rule.matches(&host));
        let clean = url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        // Atlassian's hosts on their default port only; every host with a site-scoped path,
        // so the system token can never address the whole API host.
        let port_ok = !known || url.port().is_none();
        if (known || allowed)
            && https_or_loopback_http(&url)
            && clean
            && port_ok
            && site_path(&url).is_some()
        {
            Ok(url)
        } else {
            Err(AuthError::ForeignApiBaseUrl)
        }
    }
}

/// Whether the (not yet verified) claims, decoded, name an `apiBaseUrl` on Atlassian's staging
/// API host.
fn claims_staging_host(claims: &[u8]) -> bool {
    // Most tokens never mention the staging host: a byte search rules them out without
    // parsing JSON or a URL.
    let mentions_staging = claims
        .windows(ATLASSIAN_STAGING_API_HOST.len())
        .any(|window| window.eq_ignore_ascii_case(ATLASSIAN_STAGING_API_HOST.as_bytes()));
    if !mentions_staging {
        return false;
    }
    #[derive(Deserialize)]
    struct Peek {
        app: PeekApp,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PeekApp {
        api_base_url: String,
    }
    serde_json::from_slice::<Peek>(claims)
        .ok()
        .and_then(|peek| Url::parse(&peek.app.api_base_url).ok())
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|host| host == ATLASSIAN_STAGING_API_HOST)
}

/// The product and cloud id of an `apiBaseUrl` path `/ex/{jira|confluence}/{cloudId}`.
pub(crate) fn site_path(url: &Url) -> Option<(&str, &str)> {
    let mut segments = url.path_segments()?;
    let (ex, product, cloud_id) = (segments.next()?, segments.next()?, segments.next()?);
    let rest_empty = segments.all(str::is_empty);
    let cloud_ok = !cloud_id.is_empty()
        && cloud_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (ex == "ex" && matches!(product, "jira" | "confluence") && cloud_ok && rest_empty)
        .then_some((product, cloud_id))
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// A JWKS failure: a kid the (fresh) set lacks is refused; an unreachable JWKS is a
/// dependency failure the caller may retry.
fn forge_key_error(error: super::keys::KeyFetchError) -> VerifyError {
    use super::keys::KeyFetchError;
    match error {
        KeyFetchError::InvalidKid | KeyFetchError::UnknownKid => {
            VerifyError::Refused(AuthError::UnknownForgeKey)
        }
        unavailable => VerifyError::KeyUnavailable(unavailable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_only() {
        assert_eq!(bearer(Some("Bearer a.b.c")), Some("a.b.c"));
        assert_eq!(bearer(Some("bearer  a.b.c ")), Some("a.b.c"));
        assert_eq!(bearer(Some("JWT a.b.c")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn api_base_urls() {
        let config = ForgeConfig {
            allowed_api_hosts: vec![HostRule::Exact("127.0.0.1".into())],
            ..ForgeConfig::default()
        };
        let verifier = InvocationVerifier::new(
            ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11")
                .unwrap(),
            &config,
        )
        .unwrap();
        for good in [
            "https://api.atlassian.com/ex/jira/abc",
            "http://127.0.0.1:4000/ex/jira/abc",
        ] {
            assert!(verifier.check_api_base_url(good, false).is_ok(), "{good}");
        }
        let staging = "https://api.stg.atlassian.com/ex/confluence/abc";
        assert!(
            verifier.check_api_base_url(staging, false).is_err(),
            "staging needs its JWKS"
        );
        assert!(verifier.check_api_base_url(staging, true).is_ok());
        assert!(
            verifier
                .check_api_base_url("https://api.atlassian.com/ex/jira/abc", true)
                .is_err(),
            "a staging-signed token cannot name production"
        );
        for bad in [
            "http://api.atlassian.com/ex/jira/abc",
            "https://api.atlassian.com.evil.example/ex/jira/abc",
            "https://evil.example/ex/jira/abc",
            "https://user:pw@api.atlassian.com/ex/jira/abc",
            "http://10.0.0.1/ex/jira/abc",
            "https://api.atlassian.com:8443/ex/jira/abc",
            "https://api.atlassian.com",
            "https://api.atlassian.com/admin",
            "https://api.atlassian.com/ex/jira/abc/../../admin",
            "https://api.atlassian.com/ex/jira/a%2Fb",
            "https://api.atlassian.com/ex/bitbucket/abc",
            "not a url",
        ] {
            assert!(verifier.check_api_base_url(bad, false).is_err(), "{bad}");
        }
    }
}
