//! The verification procedures behind the auth policies, independent of warp.
//!
//! A [`Context`] can only be built here, after its token verified against the stored tenant's
//! secret; a [`VerifiedInstall`] only after an RS256 signature verified against a CDN key. The
//! constructors are private, so no handler can hold a tenant that a policy did not verify.

use super::jwt::{self, Claims};
use super::keys::InstallKeys;
use super::qsh;
use super::query::QueryParams;
use super::token::find_token;
use super::{AuthError, VerifyError};
use crate::config::ConnectConfig;
use crate::store::{Tenant, TenantStore};
use jsonwebtoken::Algorithm;
use std::sync::Arc;
use warp::http::Method;

/// The parts of a request that the `qsh` claim covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    /// The HTTP method.
    pub method: Method,
    /// The path as received, not decoded.
    pub path: String,
    /// The query string, without `?`, split into its parameters once.
    pub query: QueryParams,
}

impl RequestTarget {
    /// The `qsh` a token for this request must carry, relative to `base_path`.
    pub fn query_string_hash(&self, base_path: &str) -> String {
        qsh::query_string_hash(
            self.method.as_str(),
            &self.path,
            self.query.as_str(),
            base_path,
        )
    }

    /// Refuses `claims` unless their `qsh` is this request's.
    fn check_qsh(&self, claims: &Claims, base_path: &str) -> Result<(), AuthError> {
        claims.check_qsh(self.method.as_str(), &self.path, &self.query, base_path)
    }
}

/// Which `qsh` values a shared-secret route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QshRule {
    /// Only the hash of this very request (page loads, webhooks, lifecycle notifications).
    ThisRequest,
    /// The hash of this request or `context-qsh` (AJAX routes called with `AP.context.getToken()`).
    ThisRequestOrContext,
}

/// A request from a verified tenant: what handlers of [`Jwt`](crate::policy::Jwt) and
/// [`ContextJwt`](crate::policy::ContextJwt) routes get.
///
/// Built once per request by the route's policy and shared: cloning it (each extractor that
/// reads it does) copies one `Arc`, never the claims or the tenant.
#[derive(Debug, Clone)]
pub struct Context {
    verified: Arc<VerifiedRequest>,
}

#[derive(Debug)]
struct VerifiedRequest {
    tenant: Tenant,
    claims: Claims,
    target: Arc<RequestTarget>,
}

impl Context {
    /// The verified tenant (installed, not uninstalled).
    pub fn tenant(&self) -> &Tenant {
        &self.verified.tenant
    }

    /// The verified claims of the request's token.
    pub fn claims(&self) -> &Claims {
        &self.verified.claims
    }

    /// The user's account id: `sub`, or `context.user.accountId` of older tokens.
    pub fn account_id(&self) -> Option<&str> {
        let claims = self.claims();
        claims.sub.as_deref().or_else(|| {
            claims
                .context
                .as_ref()?
                .pointer("/user/accountId")?
                .as_str()
        })
    }

    /// The `context` claim (user, issue, project...), when the token has one.
    pub fn context_claim(&self) -> Option<&serde_json::Value> {
        self.claims().context.as_ref()
    }

    /// Whether the token was a context token (`qsh: context-qsh`).
    pub fn is_context_token(&self) -> bool {
        self.claims().is_context_token()
    }

    /// The first value of query parameter `name` (decoded), e.g. a context variable such as
    /// `issueKey` of a module URL `/panel?issueKey={issue.key}`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.verified
            .target
            .query
            .get(name)
            .map(std::borrow::Cow::into_owned)
    }

    /// The site's license of this app, from the `lic` query parameter of a page load.
    ///
    /// `lic` is covered by the verified `qsh`, so it cannot be forged. The product sends it on
    /// page loads of apps with licensing enabled: `active` or `none`. It is absent for free
    /// apps, for development installs and on requests that are not page loads (webhooks,
    /// context-token AJAX calls), which all read as [`License::Unknown`].
    pub fn license(&self) -> License {
        match self.query_param("lic").as_deref() {
            Some("active") => License::Active,
            Some("none") => License::Unlicensed,
            _ => License::Unknown,
        }
    }
}

/// A site's license of the app, as a verified page load states it ([`Context::license`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum License {
    /// `lic=active`: the site holds a valid license.
    Active,
    /// `lic=none`: licensing is on and the site has no valid license (expired, cancelled).
    Unlicensed,
    /// No `lic` parameter: a free app, a development install, or a request that is not a
    /// page load. Only the product's licensing REST resource can tell more.
    Unknown,
}

/// A verified RS256 install or uninstall token. The payload's clientKey must still be compared
/// with [`VerifiedInstall::client_key`] by the lifecycle handler.
#[derive(Debug, Clone)]
pub struct VerifiedInstall {
    claims: Claims,
}

impl VerifiedInstall {
    /// The clientKey the token was issued for (its `iss`).
    pub fn client_key(&self) -> &str {
        &self.claims.iss
    }
}

/// Verifies requests for one app (one key, one baseUrl, one tenant table).
#[derive(Clone)]
pub struct Verifier {
    app_key: Arc<str>,
    audiences: Arc<[String]>,
    base_path: Arc<str>,
    leeway_secs: u64,
    keys: InstallKeys,
    store: Arc<dyn TenantStore>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("app_key", &self.app_key)
            .field("audiences", &self.audiences)
            .field("leeway_secs", &self.leeway_secs)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `app_key` configured by `config`, with tenants in `store`.
    pub fn new(
        app_key: &str,
        config: &ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            app_key: app_key.into(),
            audiences: config.accepted_audiences().into(),
            base_path: config.base_path().into(),
            leeway_secs: config.jwt_leeway.as_secs(),
            keys: InstallKeys::new(
                config.key_cdn_urls.clone(),
                config.key_fetch_timeout,
                config.unknown_kid_ttl,
            )?,
            store,
        })
    }

    /// The app key whose tenants this verifier looks up.
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// The tenant store.
    pub fn store(&self) -> &Arc<dyn TenantStore> {
        &self.store
    }

    /// The install policy: RS256 only, key by `kid` from the key CDN, `aud` is this app,
    /// `qsh` of this request, `exp`/`iat` within the leeway. Context tokens are refused.
    pub async fn verify_install(
        &self,
        target: &RequestTarget,
        authorization: Option<&str>,
    ) -> Result<VerifiedInstall, VerifyError> {
        let token = find_token(authorization, &target.query)?;
        let header = jwt::header_with_algorithm(&token, Algorithm::RS256)?;
        let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
        let key = self.keys.decoding_key(&kid).await?;
        let claims = jwt::verify(&token, &key, Algorithm::RS256, self.leeway_secs)?;
        claims.check_audience(&self.audiences)?;
        if claims.is_context_token() {
            return Err(AuthError::ContextTokenNotAllowed.into());
        }
        target.check_qsh(&claims, &self.base_path)?;
        Ok(VerifiedInstall { claims })
    }

    /// The [`Jwt`](crate::policy::Jwt) (with [`QshRule::ThisRequest`]) and
    /// [`ContextJwt`](crate::policy::ContextJwt) (with
    /// [`QshRule::ThisRequestOrContext`]) policies: HS256 only, tenant by `iss`, signature with
    /// its stored secret, `exp`/`iat` within the leeway, `qsh` by `rule`.
    pub async fn verify_tenant(
        &self,
        target: &Arc<RequestTarget>,
        authorization: Option<&str>,
        rule: QshRule,
    ) -> Result<Context, VerifyError> {
        let token = find_token(authorization, &target.query)?;
        // Decoded once; nothing in it is trusted until the tenant's secret verifies it.
        let unverified = jwt::UnverifiedHs256::parse(&token)?;
        let tenant = self
            .store
            .get(&self.app_key, unverified.issuer())
            .await?
            .ok_or(AuthError::UnknownTenant)?;
        let key = tenant.signing_key().ok_or(AuthError::InvalidSignature)?;
        let claims = unverified.verify_with(key, self.leeway_secs)?;
        if tenant.uninstalled {
            return Err(AuthError::TenantUninstalled.into());
        }
        match (rule, claims.is_context_token()) {
            (QshRule::ThisRequestOrContext, true) => {}
            (QshRule::ThisRequest, true) => return Err(AuthError::ContextTokenNotAllowed.into()),
            (_, false) => target.check_qsh(&claims, &self.base_path)?,
        }
        Ok(Context {
            verified: Arc::new(VerifiedRequest {
                tenant,
                claims,
                target: Arc::clone(target),
            }),
        })
    }
}
