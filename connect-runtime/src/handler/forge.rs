//! The extractors of `#[forge::...]` routes: [`ForgeContext`] (the verified invocation) and
//! [`ForgeClient`] (product calls with its tokens). Both exist only for the
//! [`ForgeInvocation`] policy, so asking for one on a Connect route does not compile.

use super::ConnectRequest;
use super::extract::FromRequest;
use crate::auth::License;
use crate::auth::invocation::{FitClaims, VerifiedInvocation};
use crate::client::ForgeClient;
use crate::client::events::ForgeEvents;
use crate::client::storage::{ForgeSql, ForgeStorage};
use crate::error::ConnectError;
use crate::http::AppError;
use crate::lifecycle::installations::{self, Installations, Relink};
use crate::policy::ForgeInvocation;
use crate::state::Requirements;
use crate::store::Tenant;
use bytes::Bytes;
use std::sync::{Arc, OnceLock};
use url::Url;

/// A verified Forge invocation: who installed the app where, which module was invoked, and
/// (for UI invocations) the user and the UI context.
///
/// ```
/// use connect_runtime::forge::ForgeContext;
/// use connect_runtime::{AppError, Json};
///
/// // A `#[forge::remote(...)]` handler: which installation called, and its Connect tenant.
/// async fn who(forge: ForgeContext) -> Result<Json<serde_json::Value>, AppError> {
///     let client_key = forge.tenant().await?.map(|tenant| tenant.client_key.clone());
///     Ok(Json(serde_json::json!({
///         "installationId": forge.installation_id(),
///         "clientKey": client_key,
///     })))
/// }
/// ```
///
/// Built once per request by the Forge policy and shared: cloning it copies one `Arc`.
#[derive(Debug, Clone)]
pub struct ForgeContext {
    verified: Arc<VerifiedForge>,
}

#[derive(Debug)]
struct VerifiedForge {
    invocation: VerifiedInvocation,
    installations: Installations,
    /// The request body, for `retryContext`: read only when a handler asks.
    body: Bytes,
    retry: OnceLock<Option<RetryContext>>,
}

/// `retryContext` of a retried event delivery.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetryContext {
    #[serde(default)]
    retry_count: Option<u32>,
    #[serde(default)]
    retry_reason: Option<String>,
}

/// The part of an event body the framework reads.
#[derive(serde::Deserialize)]
struct EventEnvelope {
    #[serde(rename = "retryContext", default)]
    retry_context: Option<RetryContext>,
}

impl ForgeContext {
    /// The verified invocation of a request, with what `tenant()` and `retry_count()` need.
    pub(crate) fn new(
        invocation: VerifiedInvocation,
        installations: Installations,
        body: Bytes,
    ) -> Self {
        Self {
            verified: Arc::new(VerifiedForge {
                invocation,
                installations,
                body,
                retry: OnceLock::new(),
            }),
        }
    }

    /// The verified invocation.
    pub(crate) fn invocation(&self) -> &VerifiedInvocation {
        &self.verified.invocation
    }

    /// The verified claims, whole.
    pub fn claims(&self) -> &FitClaims {
        self.verified.invocation.claims()
    }

    /// `app.installationId`: the installation (survives upgrades, changes on reinstall). Key
    /// new data by it.
    pub fn installation_id(&self) -> &str {
        &self.claims().app.installation_id
    }

    /// `app.id`: this app's ARI.
    pub fn app_id(&self) -> &str {
        &self.claims().app.id
    }

    /// `app.appVersion`.
    pub fn app_version(&self) -> Option<&str> {
        self.claims().app.app_version.as_deref()
    }

    /// `app.environment.type`: `DEVELOPMENT`, `STAGING` or `PRODUCTION`.
    pub fn environment(&self) -> Option<&str> {
        Some(self.claims().app.environment.as_ref()?.kind.as_str())
    }

    /// `app.environment.id`.
    pub fn environment_id(&self) -> Option<&str> {
        self.claims().app.environment.as_ref()?.id.as_deref()
    }

    /// `app.module.key`: the module Forge invoked.
    pub fn module_key(&self) -> Option<&str> {
        Some(self.claims().app.module.as_ref()?.key.as_str())
    }

    /// `app.module.type`, e.g. `core:endpoint`.
    pub fn module_type(&self) -> Option<&str> {
        Some(self.claims().app.module.as_ref()?.kind.as_str())
    }

    /// The installation's license of the app, from the verified `app.license.active`: the
    /// same name and type as [`Context::license`](crate::Context::license) on Connect routes.
    /// Forge sends `app.license` for paid apps only, so a free app, a development install and
    /// a token without it read as [`License::Unknown`].
    pub fn license(&self) -> License {
        match self
            .license_claim()
            .and_then(|license| license.get("active")?.as_bool())
        {
            Some(true) => License::Active,
            Some(false) => License::Unlicensed,
            None => License::Unknown,
        }
    }

    /// The raw `app.license` claim (`active`, `type`, `isEvaluation`, ...), when Forge sent
    /// one.
    pub fn license_claim(&self) -> Option<&serde_json::Value> {
        self.claims().app.license.as_ref()
    }

    /// The site's cloud id (from the verified `apiBaseUrl`).
    pub fn cloud_id(&self) -> Option<&str> {
        installations::product_and_cloud_id(self.invocation()).map(|(_, cloud_id)| cloud_id)
    }

    /// The product invoking the app, `jira` or `confluence` (from the verified `apiBaseUrl`,
    /// `https://api.atlassian.com/ex/<product>/<cloudId>`).
    pub fn product(&self) -> Option<&str> {
        installations::product_and_cloud_id(self.invocation()).map(|(product, _)| product)
    }

    /// `context.siteUrl` (UI invocations): the site, equal to the Connect tenant's baseUrl.
    pub fn site_url(&self) -> Option<&str> {
        self.claims().context.as_ref()?.get("siteUrl")?.as_str()
    }

    /// The calling user's account id: the FIT's `principal` (UI invocations only). The same
    /// name as [`Context::account_id`](crate::Context::account_id) on Connect routes.
    pub fn account_id(&self) -> Option<&str> {
        self.claims().principal.as_deref()
    }

    /// The raw `context` claim (UI invocations): `extension`, `localId`, `moduleKey`... The
    /// same name as [`Context::context_claim`](crate::Context::context_claim) on Connect
    /// routes.
    pub fn context_claim(&self) -> Option<&serde_json::Value> {
        self.claims().context.as_ref()
    }

    /// `context.extension` of a UI invocation: what the UI module the call came from knows
    /// (an issue panel's issue and project, a macro's content and space...).
    ///
    /// It comes from the user's browser: the token is signed, but Forge does not vouch for
    /// these values, so they say where the user is, never what the user may do. Authorize by
    /// [`account_id`](Self::account_id) (re-reading the entity from the product as the user
    /// when it matters). The typed accessors below read it with the same caveat.
    pub fn extension(&self) -> Option<&serde_json::Value> {
        self.context_claim()?.get("extension")
    }

    /// `extension.issue.key` (Jira issue panels, glances, issue contexts). See
    /// [`extension`](Self::extension): a hint, not an authorization.
    pub fn issue_key(&self) -> Option<&str> {
        self.extension_str("/issue/key")
    }

    /// `extension.issue.id` (a string, as Forge sends ids).
    pub fn issue_id(&self) -> Option<&str> {
        self.extension_str("/issue/id")
    }

    /// `extension.project.key` (Jira issue modules and project pages).
    pub fn project_key(&self) -> Option<&str> {
        self.extension_str("/project/key")
    }

    /// `extension.project.id`.
    pub fn project_id(&self) -> Option<&str> {
        self.extension_str("/project/id")
    }

    /// `extension.content.id` (Confluence macros).
    pub fn content_id(&self) -> Option<&str> {
        self.extension_str("/content/id")
    }

    /// `extension.space.key` (Confluence macros and space pages).
    pub fn space_key(&self) -> Option<&str> {
        self.extension_str("/space/key")
    }

    /// `context.localId`: the id of this instance of the UI module on the page (a macro
    /// placed twice has two).
    pub fn local_id(&self) -> Option<&str> {
        self.context_claim()?.get("localId")?.as_str()
    }

    /// `context.moduleKey`: the UI module the call came from (for a resolver call, the
    /// panel or page, where [`module_key`](Self::module_key) names the endpoint's module).
    pub fn ui_module_key(&self) -> Option<&str> {
        self.context_claim()?.get("moduleKey")?.as_str()
    }

    fn extension_str(&self, pointer: &str) -> Option<&str> {
        self.extension()?.pointer(pointer)?.as_str()
    }

    /// `retryContext.retryCount` of an event delivery Forge retries (1 for the first retry),
    /// `None` for a first delivery. Retries carry a fresh token: make effects idempotent by
    /// installation, event and entity.
    pub fn retry_count(&self) -> Option<u32> {
        self.retry_context()?.retry_count
    }

    /// `retryContext.retryReason` of a retried delivery, e.g. `FUNCTION_UPSTREAM_ERROR`.
    pub fn retry_reason(&self) -> Option<&str> {
        self.retry_context()?.retry_reason.as_deref()
    }

    /// `retryContext` of the body (event bodies may carry it; anything else has none), parsed
    /// on first use.
    fn retry_context(&self) -> Option<&RetryContext> {
        let verified = &*self.verified;
        verified
            .retry
            .get_or_init(|| {
                verified
                    .body
                    .starts_with(b"{")
                    .then(|| serde_json::from_slice::<EventEnvelope>(&verified.body).ok())
                    .flatten()
                    .and_then(|envelope| envelope.retry_context)
            })
            .as_ref()
    }

    /// `jti`: the token's id.
    pub fn jti(&self) -> &str {
        &self.claims().jti
    }

    /// The verified `app.apiBaseUrl`.
    pub fn api_base_url(&self) -> &Url {
        self.invocation().api_base_url()
    }

    /// The Connect tenant of this installation's site, when the app was installed there
    /// through Connect too: matched by installation id, else by cloud id (and then linked,
    /// unless the tenant is linked to another installation already).
    pub async fn tenant(&self) -> Result<Option<Tenant>, AppError> {
        Ok(self
            .verified
            .installations
            .resolve(self.invocation(), Relink::IfUnlinked)
            .await
            .map_err(ConnectError::from)?)
    }
}

impl FromRequest<ForgeInvocation> for ForgeContext {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        Ok(request.verified_forge()?.clone())
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_invocation("ForgeContext");
    }
}

/// On a web trigger, whose caller may come without a Forge Invocation Token: `None` then.
impl FromRequest<ForgeInvocation> for Option<ForgeContext> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        Ok(request.forge().cloned())
    }
}

/// The product client of `forge`'s invocation, sharing the app's connection pool.
fn client_of(request: &ConnectRequest, forge: &ForgeContext) -> Result<ForgeClient, AppError> {
    Ok(
        ForgeClient::new(Arc::clone(&request.core.outbound), forge.invocation())
            .map_err(ConnectError::from)?,
    )
}

/// Forge storage for `forge`'s installation, with its system token.
fn storage_of(request: &ConnectRequest, forge: &ForgeContext) -> Result<ForgeStorage, AppError> {
    Ok(ForgeStorage::new(&client_of(request, forge)?).map_err(ConnectError::from)?)
}

impl FromRequest<ForgeInvocation> for ForgeClient {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        client_of(request, request.verified_forge()?)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_invocation("ForgeClient");
    }
}

impl FromRequest<ForgeInvocation> for ForgeStorage {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        storage_of(request, request.verified_forge()?)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_system_token("ForgeStorage", "storage:app");
        requirements.forge_invocation("ForgeStorage");
    }
}

/// On a web trigger, whose caller may come without a Forge Invocation Token: `None` then.
impl FromRequest<ForgeInvocation> for Option<ForgeStorage> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        request
            .forge()
            .map(|forge| storage_of(request, forge))
            .transpose()
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_system_token("Option<ForgeStorage>", "storage:app");
    }
}

/// Forge SQL, in a Forge Container: the installation's database, through the proxy.
impl FromRequest<ForgeInvocation> for ForgeSql {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let client = client_of(request, request.verified_forge()?)?;
        Ok(ForgeSql::new(&client).map_err(ConnectError::from)?)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_invocation("ForgeSql");
        requirements.container_only("ForgeSql");
        requirements.forge_sql = true;
    }
}

/// Async event pushes, in a Forge Container: the app's queues, for the installation.
impl FromRequest<ForgeInvocation> for ForgeEvents {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let client = client_of(request, request.verified_forge()?)?;
        Ok(ForgeEvents::new(&client).map_err(ConnectError::from)?)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.forge_invocation("ForgeEvents");
        requirements.container_only("ForgeEvents");
    }
}
