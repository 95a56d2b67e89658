//! Runtime of `atlassian-connect`: everything that happens when the product talks to the app.
//!
//! - [`descriptor`]: the typed app descriptor, always with the right `apiMigrations`.
//! - [`auth`]: `qsh`, HS256/RS256 verification, install keys, the auth policies as warp filters.
//! - [`lifecycle`]: install, uninstall, enable, disable: payload validation and transitions.
//! - [`store`]: the [`TenantStore`](store::TenantStore) trait, SQLite and in-memory backends.
//! - [`handler`]: what annotated handlers become; typed extractors.
//! - [`app`]: the [`App`] builder users' `main` functions write.
//! - [`server`]: [`ConnectApp`](server::ConnectApp), recovery, security headers, serving.
//! - [`config`]: configuration from the environment.
//! - [`error`]: the one error type and its HTTP statuses.
//! - `testing` (feature `testing`): a simulated product host for tests.
#![warn(missing_docs)]

pub mod app;
pub mod auth;
pub mod config;
pub mod descriptor;
pub mod error;
pub mod handler;
pub mod lifecycle;
pub mod server;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::App;
pub use auth::{Context, Policy};
pub use config::{ConnectConfig, ServerSettings};
pub use descriptor::{AppInfo, Descriptor, Scope};
pub use error::ConnectError;
pub use handler::{Json, Query};
pub use server::ConnectApp;
pub use store::{Tenant, TenantStore};
