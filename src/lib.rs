//! # atlassian-connect
//!
//! Atlassian Connect apps in Rust, on warp. Attributes on handler functions declare the app;
//! the framework generates the descriptor (always declaring `signed-install`, `context-qsh` and
//! `gdpr`), wires the lifecycle routes, and verifies every route with the policy its attribute
//! implies:
//!
//! | policy | routes | verification |
//! |---|---|---|
//! | `Asymmetric` | `/installed`, `/uninstalled` | RS256, key by `kid` from Atlassian's key CDN, `aud`, `iss`, `qsh` |
//! | `SharedSecret` | `/enabled`, `/disabled`, module pages, webhooks, `auth = jwt` routes | HS256 with the tenant's secret, `qsh` of the request |
//! | `Context` | `auth = context` routes | as `SharedSecret`, `qsh` may be `context-qsh` |
//! | `ForgeInvocation` | `#[forge::remote]`, `#[forge::trigger]`, `#[forge::scheduled_trigger]` | RS256 Forge Invocation Token, key from the Forge JWKS, `aud` = `FORGE_APP_ID` |
//!
//! ```no_run
//! use atlassian_connect::prelude::*;
//!
//! #[connect::general_page(key = "hello", name = "Hello", url = "/hello",
//!                         location = "system.top.navigation.bar")]
//! async fn hello(ctx: Context) -> Html<String> {
//!     Html(format!("Hello {}", ctx.account_id().unwrap_or("anonymous")))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Exit {
//!     App::new("com.example.hello", "Hello").handlers(handlers![hello]).run().await.into()
//! }
//! ```
//!
//! Handlers are plain `async fn`s: their arguments are extractors ([`Context`], [`Tenant`],
//! [`HostClient`] for calls back to the product, [`Json<T>`], [`Query<T>`], [`State<T>`],
//! guards such as [`Licensed`] and [`guard::Require`], or context variables of the URL by
//! name), their
//! return value anything that implements [`IntoResponse`] (`Result<T, AppError>` lets them use
//! `?`). See the README for the whole tour.
#![warn(missing_docs)]

pub use connect_runtime::{
    App, AppError, BuildError, ClientError, ClientResponse, ConnectApp, ConnectConfig,
    ConnectError, Context, Descriptor, Exit, ForgeClient, ForgeContext, HostClient, Html,
    IntoResponse, Json, License, Licensed, Permission, Policy, Product, Query, RoutePolicy,
    RunError, Scope, ServerSettings, State, Tenant, TenantStore, WarpReply, app, apps_filter, auth,
    client, config, error, handler, http, lifecycle, state, store,
};

/// Guards: handler arguments that refuse a request before the handler runs.
pub mod guard {
    pub use connect_runtime::handler::guard::{
        Licensed, ProjectAdmin, Require, Rule, SiteAdmin, SpaceAdmin,
    };
}

/// The typed descriptor model and the rules the macros and the runtime share.
pub use connect_descriptor as descriptor;

/// The attribute macros, used as `#[connect::general_page(...)]` after importing the prelude.
pub mod connect;

/// The Forge attribute macros, used as `#[forge::remote(...)]` after importing the prelude.
pub mod forge;

pub use connect_macros::handlers;

/// The test kit (feature `testing`, the `connect-testing` crate): the simulated product and
/// Forge platform, token minting, the store conformance suite.
#[cfg(feature = "testing")]
pub use connect_testing as testing;

/// Re-exported so apps need not depend on warp separately.
pub use warp;

/// The names most apps need.
pub mod prelude {
    pub use crate::{connect, forge};
    pub use connect_macros::handlers;
    pub use connect_runtime::{
        App, AppError, ConnectApp, ConnectConfig, Context, Exit, ForgeClient, ForgeContext,
        HostClient, Html, IntoResponse, Json, Licensed, Product, Query, Scope, ServerSettings,
        State, Tenant, TenantStore, WarpReply,
    };
    pub use warp::http::StatusCode;
}

/// Items the macros' generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use connect_descriptor::{ArgValue, ForgeModule, Interval, ModuleType};
    pub use connect_runtime::Tenant;
    pub use connect_runtime::handler::{
        ConnectRequest, ContextToken, ForgeInvocation, FromHook, FromRequest, Handler, HandlerItem,
        HandlerKind, HookOutcome, Jwt, ModuleSpec, PolicyMarker, Public, RouteSpec, context_param,
        hook_call, respond, route_call, same_key,
    };
    pub use connect_runtime::lifecycle::LifecycleEvent;
    pub use connect_runtime::state::{Requirements, StateMap};
    pub use serde_json;
    pub use warp::http::Method;
}

/// The README's code, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
