//! Guards: handler arguments that carry no data but refuse the request before the handler
//! runs, on routes that verify a tenant.
//!
//! - [`Licensed`]: page loads of a licensed app from a site without an active license get a
//!   403 page; on Forge routes, an installation whose token says its license is not active
//!   gets a 403.
//! - [`Require<R>`]: the calling user must hold a product permission (Jira administrator,
//!   project or space administrator, or any rule the app writes), checked as that user and
//!   cached briefly.

use super::ConnectRequest;
use super::extract::FromRequest;
use crate::auth::{Context, License};
use crate::client::Permission;
use crate::error::ConnectError;
use crate::http::AppError;
use crate::policy::{ForgeInvocation, VerifiesTenant};
use std::marker::PhantomData;

/// Refuses page loads from sites whose license of the app is not active, with a 403 page that
/// tells the user to renew.
///
/// Only for apps with licensing on (`App::licensing(true)`); for free apps it accepts every
/// request. `lic=none` is refused; an absent `lic` ([`License::Unknown`]: development installs,
/// requests that are not page loads) is accepted, since the product sends `lic` on every page
/// load of a Marketplace-licensed app.
///
/// On `#[forge::...]` routes it reads the verified token's `app.license.active`
/// ([`ForgeContext::license`](crate::forge::ForgeContext::license)): `false` is refused with
/// 403 `{"message"}` (the caller is the app's own frontend or Forge, not a page in an
/// iframe); an absent license (free apps, development installs) is accepted.
///
/// ```
/// use connect_runtime::Html;
/// use connect_runtime::extract::Licensed;
///
/// // The handler of `#[connect::general_page(key = "reports", name = "Reports", url = "/reports")]`:
/// async fn reports(_: Licensed) -> Html<&'static str> {
///     Html("<p>Reports for licensed sites</p>")
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Licensed;

impl<P: VerifiesTenant> FromRequest<P> for Licensed {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let context = request.verified_context()?;
        if request.core.licensing && context.license() == License::Unlicensed {
            return Err(ConnectError::Unlicensed.into());
        }
        Ok(Licensed)
    }
}

impl FromRequest<ForgeInvocation> for Licensed {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let forge = request.verified_forge()?;
        if forge.license() == License::Unlicensed {
            return Err(ConnectError::Forbidden(
                "this installation has no active license for this app".to_owned(),
            )
            .into());
        }
        Ok(Licensed)
    }

    fn declare(requirements: &mut crate::state::Requirements) {
        requirements.forge_invocation("Licensed");
    }
}

/// A rule naming the product permission a [`Require`] guard checks, from the verified request.
pub trait Rule: Send + Sync + 'static {
    /// The permission the calling user must hold for `context`.
    fn permission(context: &Context) -> Result<Permission, AppError>;
}

/// Requires the calling user (the token's `sub`) to hold the permission rule `R` names, asked
/// of the product as that user (so the app needs the `ACT_AS_USER` scope) and cached per
/// (tenant, user, permission) for 30 s
/// ([`DEFAULT_PERMISSION_TTL`](crate::config::DEFAULT_PERMISSION_TTL); `CONNECT_PERMISSION_CACHE_SECS`
/// changes it, and 0 turns the cache off: set `config.client.permission_ttl` to zero in a test
/// that revokes a permission and expects the next request refused). Refused with 403 and a
/// message naming the permission.
///
/// ```
/// use connect_runtime::Json;
/// use connect_runtime::extract::{Require, SiteAdmin};
/// use warp::http::StatusCode;
///
/// // The handler of `#[connect::route(PUT, "/api/settings", auth = context)]`:
/// async fn save_settings(_: Require<SiteAdmin>, settings: Json<serde_json::Value>) -> StatusCode {
///     StatusCode::NO_CONTENT
/// }
/// ```
pub struct Require<R>(PhantomData<fn() -> R>);

impl<R> std::fmt::Debug for Require<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Require")
            .field(&std::any::type_name::<R>())
            .finish()
    }
}

impl<P: VerifiesTenant, R: Rule> FromRequest<P> for Require<R> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let context = request.verified_context()?;
        let account = context.account_id().ok_or_else(|| {
            ConnectError::Forbidden("this request carries no user to check permissions of".into())
        })?;
        let permission = R::permission(context)?;
        let client = request
            .core
            .host_client(context.tenant())
            .map_err(ConnectError::from)?
            .as_user(account);
        if client
            .has_permission(&permission)
            .await
            .map_err(ConnectError::from)?
        {
            Ok(Require(PhantomData))
        } else {
            Err(ConnectError::Forbidden(format!("this needs {}", permission.describe())).into())
        }
    }
}

/// Site administrators: Jira's `ADMINISTER` global permission, or Confluence administration,
/// by the tenant's product.
#[derive(Debug)]
pub struct SiteAdmin;

impl Rule for SiteAdmin {
    fn permission(context: &Context) -> Result<Permission, AppError> {
        Ok(match context.tenant().product_type.as_deref() {
            Some("confluence") => Permission::ConfluenceAdmin,
            _ => Permission::jira_admin(),
        })
    }
}

/// Jira project administrators (`ADMINISTER_PROJECTS`) of the project the request is about:
/// the `projectKey` (or `project.key`) query parameter, else the token's
/// `context.jira.project.key`.
#[derive(Debug)]
pub struct ProjectAdmin;

impl Rule for ProjectAdmin {
    fn permission(context: &Context) -> Result<Permission, AppError> {
        let project = context_value(context, &["projectKey", "project.key"], "/jira/project/key")
            .ok_or_else(|| {
            AppError::from(ConnectError::BadRequest(
                "no project in this request (projectKey parameter or context)".into(),
            ))
        })?;
        Ok(Permission::JiraProject {
            permission: "ADMINISTER_PROJECTS".into(),
            project,
        })
    }
}

/// Confluence space administrators of the space the request is about: the `spaceKey` (or
/// `space.key`) query parameter, else the token's `context.confluence.space.key`.
#[derive(Debug)]
pub struct SpaceAdmin;

impl Rule for SpaceAdmin {
    fn permission(context: &Context) -> Result<Permission, AppError> {
        let space = context_value(context, &["spaceKey", "space.key"], "/confluence/space/key")
            .ok_or_else(|| {
                AppError::from(ConnectError::BadRequest(
                    "no space in this request (spaceKey parameter or context)".into(),
                ))
            })?;
        Ok(Permission::ConfluenceSpaceAdmin { space })
    }
}

fn context_value(context: &Context, params: &[&str], pointer: &str) -> Option<String> {
    params
        .iter()
        .find_map(|name| context.query_param(name))
        .filter(|value| !value.is_empty())
        .or_else(|| {
            context
                .context_claim()?
                .pointer(pointer)?
                .as_str()
                .map(str::to_owned)
        })
}
