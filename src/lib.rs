//! # atlassian-connect
//!
//! Atlassian Connect apps in Rust, on warp. Attributes on handler functions declare the app;
//! the framework generates the descriptor (always declaring `signed-install`, `context-qsh` and
//! `gdpr`), wires the lifecycle routes, and verifies every route with the policy its attribute
//! implies:
//!
//! | policy | routes | verification |
//! |---|---|---|
//! | (the framework's own) | `/installed`, `/uninstalled` | RS256, key by `kid` from Atlassian's key CDN, `aud`, `iss`, `qsh` |
//! | [`policy::Jwt`] | `/enabled`, `/disabled`, module pages, webhooks, `auth = jwt` routes | HS256 with the tenant's secret, `qsh` of the request |
//! | [`policy::ContextJwt`] | `auth = context` routes | as `Jwt`, `qsh` may be `context-qsh` |
//! | [`policy::Public`] | `auth = none` routes, the descriptor | none |
//! | [`policy::ForgeInvocation`] | every `#[forge::...]` route: remotes, UI resolvers, triggers, actions, consumers, pre-uninstall (web triggers: when a token is sent) | RS256 Forge Invocation Token, key from the Forge JWKS, `aud` = `FORGE_APP_ID`, used once for an invocation |
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
//! [`HostClient`] for calls back to the product, [`Json<T>`], [`extract::Query<T>`],
//! [`State<T>`], guards such as [`extract::Licensed`] and [`extract::Require`], or context
//! variables of the URL by name), their return value anything that implements
//! [`IntoResponse`] (`Result<T, AppError>` lets them use `?`). See the README for the whole
//! tour.
//!
//! The crate root holds what an app names; [`prelude`] what handlers and `main` name;
//! [`extract`] what a custom extractor or guard needs; [`forge`] the Forge side (Forge
//! Remote routes, UI modules, Rovo actions, async events, web triggers, Forge storage, and
//! Forge-native apps with `App::forge_native`); [`config`]
//! and [`store`] the settings and tenant storage. Three error types: [`AppError`] (handlers),
//! [`Error`] (building and running an app), [`ClientError`] (calls to the product).
#![warn(missing_docs)]

pub use connect_runtime::{
    App, AppError, ClientError, ClientResponse, ConnectApp, ConnectConfig, Context, Error, Exit,
    HostClient, Html, IntoResponse, Json, License, Permission, Product, Scope, State, Tenant,
    TenantStore, WarpReply, apps_filter, config, extract, policy, privacy, serve, store,
};

/// The typed descriptor and manifest model and the rules the macros and the runtime share.
pub use connect_descriptor as descriptor;

/// The attribute macros, used as `#[connect::general_page(...)]` after importing the prelude.
pub mod connect;

/// Forge: the attribute macros (`#[forge::remote(...)]` after importing the prelude), the
/// extractors of their routes and the verified Forge Invocation Token.
pub mod forge;

pub use connect_macros::handlers;

/// The test kit (feature `testing`, the `connect-testing` crate): the simulated product and
/// Forge platform, token minting, the store conformance suite.
#[cfg(feature = "testing")]
pub use connect_testing as testing;

/// Re-exported so apps need not depend on warp separately.
pub use warp;

/// The names handlers and `main` need.
pub mod prelude {
    pub use crate::config::ServerSettings;
    pub use crate::extract::{Licensed, Query};
    pub use crate::forge::{AsyncEvent, ForgeClient, ForgeContext, ForgeStorage};
    pub use crate::{
        App, AppError, ConnectApp, ConnectConfig, Context, Exit, HostClient, Html, IntoResponse,
        Json, Product, Scope, State, Tenant, WarpReply, connect, forge, handlers,
    };
    pub use warp::http::StatusCode;
}

/// Items the macros' generated code names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use connect_runtime::__private::*;
    pub use serde_json;
    pub use warp::http::Method;
}

/// The README's code, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
