//! Runtime of `atlassian-connect`: everything that happens when the product talks to the app.
//!
//! Apps depend on the `atlassian-connect` facade, which re-exports this crate's public items
//! (the same root, prelude and modules). Internal layers, each depending only on the ones
//! above it in this list:
//! - `policy`: the route policies as types ([`policy`]).
//! - `config`: configuration from the environment, one part per subsystem ([`config`]).
//! - `store`: the [`TenantStore`] trait, SQLite, PostgreSQL and in-memory
//!   backends ([`store`]).
//! - `state`: shared app state, [`State<T>`].
//! - `http`: bodies, the response trait [`IntoResponse`], [`AppError`], security headers, the
//!   tower stack, serving.
//! - `auth`: `qsh`, HS256/RS256 verification, install keys, the Forge JWKS and Forge
//!   Invocation Tokens.
//! - `lifecycle`: install, uninstall, enable, disable: payload checks, transitions, hooks;
//!   Forge installations linked to Connect tenants.
//! - `client`: calls to the product as the app or a user (and with Forge's tokens), rate
//!   limits, permission checks.
//! - `error`: the framework's refusals and their HTTP statuses, in one place.
//! - `handler`: what annotated handlers become; the extractors ([`extract`], [`forge`]).
//! - `privacy`: personal data reporting, the cycle the framework runs for the app
//!   ([`privacy`]).
//! - `app`: the [`App`] definition, building it into one route table, the dispatch, `run()`.
//!
//! The simulated product, Forge platform, key CDN and token minting for tests live in the
//! `connect-testing` crate, not here.
#![warn(missing_docs)]

mod app;
mod auth;
mod client;
pub mod config;
mod error;
mod handler;
mod http;
mod lifecycle;
pub mod policy;
pub mod privacy;
mod state;
pub mod store;

#[cfg(test)]
mod layering;
#[cfg(test)]
mod robustness;

pub use app::{App, ConnectApp, Error, Exit, apps_filter, serve};
pub use auth::{Context, License};
pub use client::{ClientError, ClientResponse, HostClient, Permission};
pub use config::ConnectConfig;
pub use connect_descriptor::{Product, Scope};
pub use http::{AppError, Html, IntoResponse, Json, Response, WarpReply};
pub use state::State;
pub use store::{Tenant, TenantStore};

/// What a custom extractor or guard needs: the [`FromRequest`](extract::FromRequest) trait
/// and the verified [`ConnectRequest`](extract::ConnectRequest) it reads, the guards, and
/// [`Query`](extract::Query).
///
/// A handler argument is any type implementing `FromRequest<P>` for its route's
/// [`Policy`](crate::policy::Policy) `P`:
///
/// ```
/// use connect_runtime::AppError;
/// use connect_runtime::extract::{ConnectRequest, FromRequest};
/// use connect_runtime::policy::VerifiesTenant;
///
/// /// The calling user's account id, on routes that verify a Connect JWT.
/// struct Caller(String);
///
/// impl<P: VerifiesTenant> FromRequest<P> for Caller {
///     async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
///         let account = request.context().and_then(|context| context.account_id());
///         account
///             .map(|account| Caller(account.to_owned()))
///             .ok_or_else(|| AppError::forbidden("this request carries no user"))
///     }
/// }
/// ```
pub mod extract {
    pub use crate::auth::jwt::{Audience, Claims};
    pub use crate::handler::HookOutcome;
    pub use crate::handler::extract::{FromHook, FromRequest, Query};
    pub use crate::handler::guard::{Licensed, ProjectAdmin, Require, Rule, SiteAdmin, SpaceAdmin};
    pub use crate::handler::{ConnectRequest, HookRequest};
}

/// Forge: the extractors of `#[forge::...]` routes, the verified Forge Invocation Token, and
/// the Forge Container an app runs as.
pub mod forge {
    pub use crate::app::ForgeContainer;
    pub use crate::auth::invocation::{FitApp, FitClaims, FitEnvironment, FitModule};
    pub use crate::client::ForgeClient;
    pub use crate::client::container::{ContainerApi, Installation, MAX_INSTALLATIONS_PAGE};
    pub use crate::client::events::{ForgeEvents, MAX_EVENTS_PER_PUSH, MAX_PUSH_BYTES};
    pub use crate::client::storage::{
        BatchOutcome, EntityQuery, EntityStore, Entry, ForgeSql, ForgeStorage, KeyPolicy,
        MAX_KEY_LEN, MAX_OPERATIONS, MAX_QUERY_LIMIT, MAX_SQL_REQUEST_BYTES, MAX_VALUE_BYTES,
        MAX_VALUE_DEPTH, Page, SecretStore, SetOptions, SqlOutcome, Statement, StorageError,
        Transaction, Ttl, TtlUnit,
    };
    pub use crate::config::ContainerEnv;
    pub use crate::handler::ForgeContext;
    pub use crate::handler::forge_event::{
        ActionSchema, AsyncEvent, RetryContext, WebtriggerOutput,
    };
    pub use connect_descriptor::forge::container::ContainerResources;
}

/// Items the macros' generated code, the `connect-testing` crate and the framework's own tests
/// name. Not a public API: nothing here is covered by semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::auth::Verifier;
    pub use crate::auth::crypto::install_provider;
    pub use crate::auth::invocation::{ForgeTokens, InvocationVerifier};
    pub use crate::auth::jwt::UnverifiedHs256;
    pub use crate::auth::keys::MAX_CONCURRENT_FETCHES;
    pub use crate::auth::qsh;
    pub use crate::auth::query::QueryParams;
    pub use crate::auth::token::find_token;
    pub use crate::auth::verifier::{QshRule, RequestTarget};
    pub use crate::handler::{
        ConnectRequest, FromHook, FromRequest, Handler, HandlerItem, HandlerKind, HookRequest,
        ModuleSpec, RouteSpec, context_param, hook_call, route_call, same_key,
    };
    pub use crate::http::{
        ConnectionLimits, RunningServer, error_response, init_logging, serve, serve_with, spawn,
        spawn_with,
    };
    pub use crate::lifecycle::{LifecycleEvent, payload};
    pub use crate::state::Requirements;
    pub use connect_descriptor::forge as forge_model;
    pub use connect_descriptor::{ArgValue, ModuleType};
}
