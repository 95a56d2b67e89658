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
//!
//! ```ignore
//! use atlassian_connect::prelude::*;
//!
//! #[connect::general_page(key = "hello", name = "Hello", url = "/hello",
//!                         location = "system.top.navigation.bar")]
//! async fn hello(ctx: Context) -> impl Reply {
//!     html(format!("Hello {}", ctx.account_id().unwrap_or("anonymous")))
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     App::new("com.example.hello", "Hello").handlers(handlers![hello]).serve_from_env().await?;
//!     Ok(())
//! }
//! ```
#![warn(missing_docs)]

pub use connect_runtime::{
    App, AppInfo, ConnectApp, ConnectConfig, ConnectError, Context, Descriptor, Json, Policy,
    Query, Scope, ServerSettings, Tenant, TenantStore, app, auth, config, descriptor, error,
    handler, lifecycle, server, store,
};

/// The attribute macros, used as `#[connect::general_page(...)]` after importing the prelude.
pub mod connect {
    pub use connect_macros::{
        admin_page, configure_page, dialog, disabled, dynamic_content_macro, enabled, general_page,
        installed, issue_content, issue_glance, project_page, route, space_tools_tab,
        static_content_macro, uninstalled, web_item, web_panel, webhook,
    };
}

pub use connect_macros::handlers;

/// The simulated product host (feature `testing`).
#[cfg(feature = "testing")]
pub use connect_runtime::testing;

/// Re-exported so apps need not depend on warp separately.
pub use warp;

/// The names most apps need.
pub mod prelude {
    pub use crate::connect;
    pub use connect_macros::handlers;
    pub use connect_runtime::server::{serve, spawn};
    pub use connect_runtime::{
        App, AppInfo, ConnectApp, ConnectConfig, Context, Json, Query, Scope, ServerSettings,
        Tenant, TenantStore,
    };
    pub use warp::reply::html;
    pub use warp::{Filter, Reply};
}

/// Items the macros' generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use connect_runtime::Tenant;
    pub use connect_runtime::handler::extract::{
        ContextToken, Jwt, PolicyMarker, Public, context_param,
    };
    pub use connect_runtime::handler::{
        ConnectRequest, FromRequest, Handler, HandlerItem, HookOutcome, ModuleSpec, RouteSpec,
        hook_call, route_call, same_key,
    };
    pub use connect_runtime::lifecycle::LifecycleEvent;
    pub use warp::Reply;
    pub use warp::http::Method;
}
