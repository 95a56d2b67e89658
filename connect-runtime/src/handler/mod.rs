//! What an annotated handler becomes: a [`Handler`] carrying its descriptor module, its route
//! (method, path pattern, auth policy) and the call that extracts arguments and runs it.
//!
//! The attribute macros generate one [`HandlerItem`] impl per handler; `handlers![...]` only
//! collects them. Nothing is registered globally: an [`App`](crate::app::App) is exactly the
//! list it was given.

pub mod extract;
mod path;

pub use extract::{FromRequest, Json, Query};
pub use path::{PathPattern, PatternError};

use crate::auth::verifier::RequestTarget;
use crate::auth::{Context, Policy};
use crate::error::ConnectError;
use crate::lifecycle::LifecycleEvent;
use crate::store::Tenant;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use warp::http::Method;
use warp::reply::Response;

/// A request after its route's policy ran: what extractors read from.
#[derive(Debug)]
pub struct ConnectRequest {
    pub(crate) context: Option<Context>,
    pub(crate) target: RequestTarget,
    pub(crate) path_params: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl ConnectRequest {
    /// The verified context, when the route's policy verifies one.
    pub fn context(&self) -> Option<&Context> {
        self.context.as_ref()
    }

    /// The request target (method, raw path, raw query).
    pub fn target(&self) -> &RequestTarget {
        &self.target
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
                url::form_urlencoded::parse(self.target.query.as_bytes())
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.into_owned())
            })
    }
}

/// The future a route call returns.
pub type RouteFuture = BoxFuture<'static, Result<Response, ConnectError>>;
/// A route's call: extract the arguments, run the handler, make the response.
pub type RouteCall = Arc<dyn Fn(ConnectRequest) -> RouteFuture + Send + Sync>;
/// The future a lifecycle hook returns; an error message is logged and answered with 500.
pub type HookFuture = BoxFuture<'static, Result<(), String>>;
/// A lifecycle hook's call, with the verified and stored tenant.
pub type HookCall = Arc<dyn Fn(Tenant) -> HookFuture + Send + Sync>;

/// A module's descriptor entry, rendered to JSON at compile time by the attribute.
#[derive(Debug, Clone, Copy)]
pub struct ModuleSpec {
    /// The descriptor's module type, e.g. `generalPages`.
    pub kind: &'static str,
    /// The entry as JSON text.
    pub json: &'static str,
    /// Whether the module type holds one object rather than an array (`configurePage`).
    pub single: bool,
}

/// A route: method, path pattern (relative to the app's mount path), policy and call.
#[derive(Clone)]
pub struct RouteSpec {
    /// The HTTP method.
    pub method: Method,
    /// The path with `{variable}` segments, e.g. `/issue/{issue.key}`.
    pub path: &'static str,
    /// How requests are verified.
    pub policy: Policy,
    /// The call.
    pub call: RouteCall,
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteSpec")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// One handler of an app.
#[derive(Clone)]
pub enum Handler {
    /// A route, with the descriptor module it serves (none for `#[connect::route]`).
    Route {
        /// The module entry.
        module: Option<ModuleSpec>,
        /// The route.
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

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handler::Route { module, route } => f
                .debug_struct("Route")
                .field("module", module)
                .field("route", route)
                .finish(),
            Handler::Hook { event, .. } => f
                .debug_struct("Hook")
                .field("event", event)
                .finish_non_exhaustive(),
        }
    }
}

/// Implemented by the hidden item each handler attribute generates; `handlers![...]` calls it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connect handler",
    label = "not annotated with a `#[connect::...]` attribute",
    note = "`handlers![...]` lists functions annotated with `#[connect::general_page]`, `#[connect::webhook]`, `#[connect::route]`, `#[connect::installed]`, ..."
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

/// Builds a [`RouteCall`] from an async closure (used by generated code).
pub fn route_call<F, Fut>(call: F) -> RouteCall
where
    F: Fn(ConnectRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response, ConnectError>> + Send + 'static,
{
    Arc::new(move |request| Box::pin(call(request)))
}

/// Builds a [`HookCall`] from an async closure (used by generated code).
pub fn hook_call<F, Fut>(call: F) -> HookCall
where
    F: Fn(Tenant) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move |tenant| Box::pin(call(tenant)))
}

/// What a lifecycle hook may return: `()` or a `Result` whose error displays.
pub trait HookOutcome {
    /// `Ok` or the error's message.
    fn into_outcome(self) -> Result<(), String>;
}

impl HookOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Display> HookOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}
