//! What an annotated handler becomes: a [`Handler`] carrying its descriptor module, its route
//! (method, path, auth policy) and the call that extracts arguments and runs it.
//!
//! The attribute macros generate one [`HandlerItem`] impl per handler; `handlers![...]` only
//! collects them. Nothing is registered globally: an [`App`](crate::App) is exactly the list
//! it was given.

pub mod extract;
pub mod forge;
pub mod forge_event;
pub mod guard;

pub use extract::{FromHook, FromRequest, context_param};
pub use forge::ForgeContext;

use crate::auth::Context;
use crate::auth::verifier::RequestTarget;
use crate::client::{ClientError, HostClient, Outbound};
use crate::error::ConnectError;
use crate::http::{AppError, Response};
use crate::lifecycle::installations::Installations;
use crate::lifecycle::{HookFuture, LifecycleEvent};
use crate::policy::{ConnectAuth, ConnectRoute};
use crate::state::{Requirements, StateMap};
use crate::store::{Tenant, TenantRecord};
use bytes::Bytes;
use connect_descriptor::{ArgValue, ForgeModule, ModuleType};
use futures_util::future::BoxFuture;
use std::sync::Arc;
use warp::http::Method;

/// The framework's services every extractor reaches, typed (not in the app's `StateMap`):
/// built once with the app, shared by `Arc` with every request and hook.
#[derive(Debug)]
pub(crate) struct Core {
    /// The app's own `State<T>` values.
    pub(crate) state: StateMap,
    /// The outbound side: `HostClient`, `ForgeClient`, permission checks.
    pub(crate) outbound: Arc<Outbound>,
    /// Whether the app declared `enableLicensing`, read by `Licensed`.
    pub(crate) licensing: bool,
    /// Forge installations linked to Connect tenants, for `ForgeContext::tenant`.
    pub(crate) installations: Installations,
}

impl Core {
    /// A `HostClient` for `tenant` on the app's outbound side: the one constructor of the
    /// `HostClient` extractor, hooks, guards and `ConnectApp::client_for`.
    pub(crate) fn host_client(&self, tenant: &TenantRecord) -> Result<HostClient, ClientError> {
        HostClient::new(Arc::clone(&self.outbound), tenant)
    }
}

/// What a route's policy verified: nothing, a Connect tenant's token, or a Forge invocation.
/// One value per request, shared by `Arc`: extractors clone the handle, never the claims.
#[derive(Debug, Clone)]
pub(crate) enum Verified {
    /// [`Public`](crate::policy::Public).
    Nothing,
    /// [`Jwt`](crate::policy::Jwt), [`ContextJwt`](crate::policy::ContextJwt).
    Connect(Context),
    /// [`ForgeInvocation`](crate::policy::ForgeInvocation).
    Forge(ForgeContext),
}

/// A request after its route's policy ran: what extractors read from.
#[derive(Debug)]
pub struct ConnectRequest {
    pub(crate) verified: Verified,
    pub(crate) target: Arc<RequestTarget>,
    pub(crate) path_params: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) core: Arc<Core>,
}

impl ConnectRequest {
    /// The verified Connect context, on [`Jwt`](crate::policy::Jwt) and
    /// [`ContextJwt`](crate::policy::ContextJwt) routes.
    pub fn context(&self) -> Option<&Context> {
        match &self.verified {
            Verified::Connect(context) => Some(context),
            _ => None,
        }
    }

    /// The verified Forge invocation, on `#[forge::...]` routes.
    pub fn forge(&self) -> Option<&ForgeContext> {
        match &self.verified {
            Verified::Forge(forge) => Some(forge),
            _ => None,
        }
    }

    /// [`context`](Self::context) for extractors of routes whose policy verifies a tenant:
    /// always there by construction, refused (500) rather than a panic if it were not.
    pub(crate) fn verified_context(&self) -> Result<&Context, ConnectError> {
        self.context().ok_or(ConnectError::Internal(
            "a verified extractor on a request without a verified context",
        ))
    }

    /// [`forge`](Self::forge) for extractors of Forge routes, likewise.
    pub(crate) fn verified_forge(&self) -> Result<&ForgeContext, ConnectError> {
        self.forge().ok_or(ConnectError::Internal(
            "a Forge extractor on a request without a verified invocation",
        ))
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.target.method
    }

    /// The path as received (not decoded).
    pub fn path(&self) -> &str {
        &self.target.path
    }

    /// The raw query string, without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.target.query.as_str()
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// A context parameter: a `{variable}` path segment of the route, or a query parameter
    /// (decoded). `name` is the query parameter name or the variable (`issueKey` or `issue.key`).
    pub fn param(&self, name: &str) -> Option<String> {
        self.path_params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| {
                self.target
                    .query
                    .get(name)
                    .map(std::borrow::Cow::into_owned)
            })
    }
}

/// A lifecycle event after the framework verified and stored it: what hook arguments read.
#[derive(Debug)]
pub struct HookRequest {
    pub(crate) tenant: Tenant,
    pub(crate) core: Arc<Core>,
}

impl HookRequest {
    /// The verified and stored tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }
}

/// The future a route call returns.
pub type RouteFuture = BoxFuture<'static, Result<Response, AppError>>;
/// A route's call: extract the arguments, run the handler, make the response.
pub type RouteCall = Arc<dyn Fn(ConnectRequest) -> RouteFuture + Send + Sync>;
/// A lifecycle hook's call, as generated: extract the arguments, run the hook.
pub type HookCall = Arc<dyn Fn(HookRequest) -> HookFuture + Send + Sync>;

/// A module declared by an attribute: its type and arguments, turned into the typed module by
/// [`ModuleType::build`] when the app is built (the same function the macro checked them with).
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    /// The module type.
    pub module_type: ModuleType,
    /// The attribute's arguments.
    pub args: Vec<(&'static str, ArgValue)>,
    /// The handler's doc comment, for module types with a description.
    pub doc: Option<&'static str>,
}

/// A route: method, path (relative to the app's mount path) and call. Its policy is the
/// [`HandlerKind`]'s: a Connect route's, or the Forge policy of a Forge route.
#[derive(Clone)]
pub struct RouteSpec {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) call: RouteCall,
}

impl RouteSpec {
    /// The route `method path`, running `call`. `path` has `{variable}` segments, e.g.
    /// `/issue/{issue.key}`.
    pub fn new(method: Method, path: &'static str, call: RouteCall) -> Self {
        Self { method, path, call }
    }
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteSpec")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What a handler's kind is.
#[derive(Clone)]
pub enum HandlerKind {
    /// A route, with the descriptor module it serves (none for `#[connect::route]`). Built
    /// with [`HandlerKind::route`], which takes its policy from the type.
    Route {
        /// The module.
        module: Option<ModuleSpec>,
        /// The route.
        route: RouteSpec,
        /// How the dispatch verifies it: a Connect policy, never the Forge one.
        auth: ConnectAuth,
    },
    /// A Forge Remote route (`#[forge::...]`), with the Forge module it declares. Routed only
    /// when the app has a Forge app id (`FORGE_APP_ID`).
    Forge {
        /// The endpoint, trigger or scheduled trigger.
        module: ForgeModule,
        /// The route; its policy is always
        /// [`ForgeInvocation`](crate::policy::ForgeInvocation).
        route: RouteSpec,
    },
    /// A lifecycle hook, run after the framework verified and stored the event.
    Hook {
        /// The event.
        event: LifecycleEvent,
        /// The call.
        call: HookCall,
    },
}

impl HandlerKind {
    /// A Connect route verified by policy `P` ([`Jwt`](crate::policy::Jwt),
    /// [`ContextJwt`](crate::policy::ContextJwt) or [`Public`](crate::policy::Public)).
    pub fn route<P: ConnectRoute>(module: Option<ModuleSpec>, route: RouteSpec) -> Self {
        HandlerKind::Route {
            module,
            route,
            auth: P::AUTH,
        }
    }
}

/// One handler of an app.
#[derive(Clone)]
pub struct Handler {
    /// The function's name, for build errors.
    pub name: &'static str,
    /// Route or hook.
    pub kind: HandlerKind,
    /// Declares what its extractors need from the app (`State<T>` values).
    pub requires: fn(&mut Requirements),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("Handler");
        s.field("name", &self.name);
        match &self.kind {
            HandlerKind::Route { module, route, .. } => {
                s.field("module", &module.as_ref().map(|m| m.module_type));
                s.field("route", route)
            }
            HandlerKind::Forge { module, route } => {
                s.field("forge", &module.key());
                s.field("route", route)
            }
            HandlerKind::Hook { event, .. } => s.field("event", event),
        };
        s.finish_non_exhaustive()
    }
}

/// Implemented by the hidden item each handler attribute generates; `handlers![...]` calls it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connect handler",
    label = "not annotated with a `#[connect::...]` or `#[forge::...]` attribute",
    note = "`handlers![...]` lists functions annotated with `#[connect::general_page]`, `#[connect::webhook]`, `#[connect::route]`, `#[connect::installed]`, `#[forge::remote]`, ..."
)]
pub trait HandlerItem {
    /// The module key, for duplicate detection across a `handlers![...]` list.
    const MODULE_KEY: Option<&'static str> = None;
    /// `METHOD /path`, for duplicate detection across a `handlers![...]` list.
    const ROUTE: Option<&'static str> = None;
    /// The handler's definition.
    fn handler() -> Handler;
}

/// Whether both are `Some` and equal; evaluated in constants by `handlers![...]`.
pub const fn same_key(a: Option<&str>, b: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Builds a `RouteCall` from an async closure (used by generated code).
pub fn route_call<F, Fut>(call: F) -> RouteCall
where
    F: Fn(ConnectRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response, AppError>> + Send + 'static,
{
    Arc::new(move |request| Box::pin(call(request)))
}

/// Builds a `HookCall` from an async closure (used by generated code).
pub fn hook_call<F, Fut>(call: F) -> HookCall
where
    F: Fn(HookRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    Arc::new(move |hook| Box::pin(call(hook)))
}

/// What a lifecycle hook may return: `()` or `Result<(), E>` with `E` convertible into
/// [`AppError`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by a lifecycle hook",
    label = "return `()` or `Result<(), AppError>`",
    note = "lifecycle hooks return `()` or `Result<(), E>` where `E` converts into `AppError` (any error does)"
)]
pub trait HookOutcome {
    /// `Ok` or the error.
    fn into_outcome(self) -> Result<(), AppError>;
}

impl HookOutcome for () {
    fn into_outcome(self) -> Result<(), AppError> {
        Ok(())
    }
}

impl<E: Into<AppError>> HookOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), AppError> {
        self.map_err(Into::into)
    }
}
