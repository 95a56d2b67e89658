//! Runtime of `atlassian-connect`: everything that happens when the product talks to the app.
//!
//! Layers, each depending only on the ones above it in this list:
//! - [`config`]: configuration from the environment.
//! - [`store`]: the [`TenantStore`] trait, SQLite, PostgreSQL and in-memory
//!   backends.
//! - [`state`]: shared app state, [`State<T>`].
//! - [`http`]: bodies, the response trait [`IntoResponse`], [`AppError`], security headers,
//!   serving.
//! - [`auth`]: `qsh`, HS256/RS256 verification, install keys, the Forge JWKS and Forge
//!   Invocation Tokens, the closed set of policies.
//! - [`lifecycle`]: install, uninstall, enable, disable: payload checks, transitions, hooks;
//!   Forge installations linked to Connect tenants.
//! - [`client`]: calls to the product as the app or a user (and with Forge's tokens), rate
//!   limits, permission checks.
//! - [`error`]: the one error type of request handling and its HTTP statuses.
//! - [`handler`]: what annotated handlers become; typed extractors (`ForgeContext` on Forge
//!   routes).
//! - [`app`]: the [`App`] definition, building it into one route table, the dispatch, `run()`.
//!
//! The simulated product, Forge platform, key CDN and token minting for tests live in the
//! `connect-testing` crate, not here.
#![warn(missing_docs)]

pub mod app;
pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod handler;
pub mod http;
pub mod lifecycle;
pub mod state;
pub mod store;

#[cfg(test)]
mod layering;
#[cfg(test)]
mod robustness;

pub use app::{App, BuildError, ConnectApp, Exit, RunError, apps_filter};
pub use auth::{Context, License, Policy, RoutePolicy};
pub use client::{ClientError, ClientResponse, ForgeClient, HostClient, Permission};
pub use config::{ConnectConfig, ServerSettings};
/// The typed descriptor and manifest model.
pub use connect_descriptor as descriptor;
pub use connect_descriptor::{Descriptor, Product, Scope};
pub use error::ConnectError;
pub use handler::{ForgeContext, Licensed, Query, Require};
pub use http::{AppError, Html, IntoResponse, Json, WarpReply};
pub use state::State;
pub use store::{Tenant, TenantStore};
