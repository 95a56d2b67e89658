//! Typed handler arguments, and which routes may have them.
//!
//! [`FromRequest`] is generic over the route's policy marker: `Context` and `Tenant` exist only
//! for verified policies ([`Jwt`], [`ContextToken`]), so a handler on an `auth = none` route that
//! asks for one does not compile. Body, query and state extractors work everywhere.
//! [`FromHook`] is the same for lifecycle hooks, which take the stored `Tenant`, a `HostClient`
//! for it and `State<T>` values.

use super::ConnectRequest;
use crate::auth::{Context, RoutePolicy};
use crate::client::{HostClient, Outbound};
use crate::error::ConnectError;
use crate::http::Json;
use crate::state::{Requirements, State, StateMap};
use crate::store::Tenant;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A route's auth policy at the type level. Only the policies a handler route can have exist
/// as markers, so the install policy cannot be asked for.
pub trait PolicyMarker: Send + Sync + 'static {
    /// The runtime policy.
    const POLICY: RoutePolicy;
}

/// A policy that verifies a tenant, so its handlers may extract one.
#[diagnostic::on_unimplemented(
    message = "this route verifies no Connect tenant, so its handler cannot take `Context`, `Tenant`, `HostClient` or a guard",
    label = "needs a route verified with a Connect JWT",
    note = "use `auth = jwt` (request-bound tokens) or `auth = context` (`AP.context.getToken()` tokens), or drop this argument",
    note = "on a `#[forge::...]` route, take `ForgeContext` (its `tenant()` resolves the Connect tenant) and `ForgeClient` instead"
)]
pub trait VerifiedPolicy: PolicyMarker {}

/// `auth = jwt`: HS256 with the tenant's secret and the request's qsh (pages, webhooks).
#[derive(Debug)]
pub struct Jwt;
/// `auth = context`: HS256, qsh of the request or `context-qsh`.
#[derive(Debug)]
pub struct ContextToken;
/// `auth = none`.
#[derive(Debug)]
pub struct Public;
/// `#[forge::...]` routes: a Forge Invocation Token, verified with the Forge JWKS. Its
/// handlers take [`ForgeContext`](super::ForgeContext) and
/// [`ForgeClient`](crate::client::ForgeClient); no Connect tenant is verified, so `Context`,
/// `Tenant` and `HostClient` are not available (use `ForgeContext::tenant`).
#[derive(Debug)]
pub struct ForgeInvocation;

impl PolicyMarker for Jwt {
    const POLICY: RoutePolicy = RoutePolicy::SharedSecret;
}
impl PolicyMarker for ContextToken {
    const POLICY: RoutePolicy = RoutePolicy::Context;
}
impl PolicyMarker for Public {
    const POLICY: RoutePolicy = RoutePolicy::None;
}
impl PolicyMarker for ForgeInvocation {
    const POLICY: RoutePolicy = RoutePolicy::ForgeInvocation;
}
impl VerifiedPolicy for Jwt {}
impl VerifiedPolicy for ContextToken {}

/// A value a handler can take as an argument on a route with policy `P`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler argument on this route",
    label = "not an extractor for this route's auth policy",
    note = "handler arguments are extractors (`Context`, `Tenant`, `HostClient`, `Json<T>`, `Query<T>`, `State<T>`, guards such as `Licensed` and `Require<SiteAdmin>`) or context parameters named after a `{{variable}}` or query parameter of the URL",
    note = "`Context`, `Tenant`, `HostClient` and guards need a verified route: use `auth = jwt` or `auth = context`, not `auth = none`",
    note = "`ForgeContext` and `ForgeClient` exist only on `#[forge::remote]`, `#[forge::trigger]` and `#[forge::scheduled_trigger]` routes"
)]
pub trait FromRequest<P: PolicyMarker>: Sized {
    /// Extracts the value, or refuses the request. Async, so that a guard can ask the product
    /// (a permission check) before the handler runs.
    fn from_request(
        request: &ConnectRequest,
    ) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    /// Declares what the extractor needs from the app, checked when the app is built.
    fn declare(_requirements: &mut Requirements) {}
}

/// A value a lifecycle hook can take as an argument: `Tenant`, `HostClient` or `State<T>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a lifecycle hook argument",
    label = "not available to lifecycle hooks",
    note = "lifecycle hooks take the verified and stored `Tenant`, a `HostClient` for it, and `State<T>` values"
)]
pub trait FromHook: Sized {
    /// Extracts the value.
    fn from_hook(tenant: &Tenant, state: &StateMap) -> Result<Self, ConnectError>;

    /// Declares what the extractor needs from the app, checked when the app is built.
    fn declare(_requirements: &mut Requirements) {}
}

impl FromHook for Tenant {
    fn from_hook(tenant: &Tenant, _: &StateMap) -> Result<Self, ConnectError> {
        Ok(tenant.clone())
    }
}

fn state<T: Send + Sync + 'static>(map: &StateMap) -> Result<State<T>, ConnectError> {
    // Unreachable once built: `App::build` refused an app missing a declared state type.
    map.get::<T>().ok_or_else(|| {
        tracing::error!(
            state = std::any::type_name::<T>(),
            "a handler's `State` is missing from its app"
        );
        ConnectError::Internal("a declared `State` missing from a built app")
    })
}

impl<T: Send + Sync + 'static> FromHook for State<T> {
    fn from_hook(_: &Tenant, map: &StateMap) -> Result<Self, ConnectError> {
        state(map)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.state::<T>();
    }
}

impl<P: PolicyMarker, T: Send + Sync + 'static> FromRequest<P> for State<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        state(&request.state)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.state::<T>();
    }
}

pub(crate) fn verified(request: &ConnectRequest) -> Result<&Context, ConnectError> {
    // Unreachable by construction (verified policies always set it); refuse rather than panic.
    request.context.as_ref().ok_or(ConnectError::Internal(
        "a verified extractor on a request without a verified context",
    ))
}

impl<P: VerifiedPolicy> FromRequest<P> for Context {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        verified(request).cloned()
    }
}

impl<P: VerifiedPolicy> FromRequest<P> for Tenant {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        verified(request).map(|context| context.tenant().clone())
    }
}

/// The client of the app's outbound side for `tenant`.
pub(crate) fn host_client(map: &StateMap, tenant: &Tenant) -> Result<HostClient, ConnectError> {
    // Every built app holds its `Outbound`; a missing one is a bug, refused rather than a panic.
    let outbound = map
        .get::<Arc<Outbound>>()
        .ok_or(ConnectError::Internal("an app without an outbound client"))?;
    Ok(HostClient::new(Arc::clone(&outbound), tenant)?)
}

impl<P: VerifiedPolicy> FromRequest<P> for HostClient {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        host_client(&request.state, verified(request)?.tenant())
    }
}

impl FromHook for HostClient {
    fn from_hook(tenant: &Tenant, state: &StateMap) -> Result<Self, ConnectError> {
        host_client(state, tenant)
    }
}

impl<P: PolicyMarker, T: DeserializeOwned + Send> FromRequest<P> for Json<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        let invalid =
            |problem: String| ConnectError::BadRequest(format!("invalid JSON body: {problem}"));
        let mut deserializer = serde_json::Deserializer::from_slice(&request.body);
        let value = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| invalid(json_problem(&error)))?;
        deserializer.end().map_err(|error| {
            invalid(format!(
                "trailing characters at line {} column {}",
                error.line(),
                error.column()
            ))
        })?;
        Ok(Json(value))
    }
}

/// The query string, deserialized (`jwt` included if the type asks for it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query<T>(pub T);

impl<P: PolicyMarker, T: DeserializeOwned + Send> FromRequest<P> for Query<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        serde_urlencoded_from(&request.target.query).map(Query)
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(query: &str) -> Result<T, ConnectError> {
    serde_urlencoded::from_str(query)
        .map_err(|error| ConnectError::BadRequest(format!("invalid query parameters: {error}")))
}

/// What is wrong with a JSON body, naming the field (from the handler's own type) but never
/// quoting a value: serde's messages may echo what the client sent.
fn json_problem(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = error.inner();
    let at = format!("line {} column {}", inner.line(), inner.column());
    let path = error.path().to_string();
    let message = inner.to_string();
    match inner.classify() {
        serde_json::error::Category::Data if message.starts_with("missing field") => {
            let field = message.split('`').nth(1).unwrap_or("?");
            if path == "." {
                format!("missing field `{field}` ({at})")
            } else {
                format!("missing field `{path}.{field}` ({at})")
            }
        }
        serde_json::error::Category::Data => {
            format!("field `{path}` has the wrong type or value ({at})")
        }
        category => format!("{category:?} error at {at}"),
    }
}

/// Parses a context parameter (`issue_key: String` for `{issue.key}`), used by generated code.
pub fn context_param<T: std::str::FromStr>(
    request: &ConnectRequest,
    names: &[&str],
) -> Result<T, ConnectError> {
    let value = names
        .iter()
        .find_map(|name| request.param(name))
        .ok_or_else(|| {
            ConnectError::BadRequest(format!("missing context parameter `{}`", names[0]))
        })?;
    value.parse().map_err(|_| {
        ConnectError::BadRequest(format!(
            "context parameter `{}` has the wrong format",
            names[0]
        ))
    })
}
