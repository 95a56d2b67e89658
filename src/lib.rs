//! # atlassian-connect
//!
//! Atlassian Connect apps in Rust, on warp. The framework serves the app descriptor (always
//! with `signed-install`, `context-qsh` and `gdpr`), wires the lifecycle routes, and verifies
//! every request with the policy its route requires:
//!
//! | policy | routes | verification |
//! |---|---|---|
//! | `Asymmetric` | `/installed`, `/uninstalled` | RS256, key by `kid` from Atlassian's key CDN, `aud`, `iss`, `qsh` |
//! | `SharedSecret` | `/enabled`, `/disabled`, pages, webhooks | HS256 with the tenant's secret, `qsh` of the request |
//! | `Context` | AJAX routes | as `SharedSecret`, `qsh` may be `context-qsh` |
//!
//! See `examples/hello.rs` and the README for a complete app.
#![warn(missing_docs)]

pub use connect_runtime::{
    AppInfo, ConnectApp, ConnectConfig, ConnectError, Context, Descriptor, Policy, Scope,
    ServerSettings, Tenant, TenantStore, auth, config, descriptor, error, lifecycle, server, store,
};

/// The simulated product host (feature `testing`).
#[cfg(feature = "testing")]
pub use connect_runtime::testing;

/// Re-exported so apps need not depend on warp separately.
pub use warp;

/// The names most apps need.
pub mod prelude {
    pub use connect_runtime::server::{serve, spawn};
    pub use connect_runtime::{
        AppInfo, ConnectApp, ConnectConfig, Context, Scope, ServerSettings, Tenant, TenantStore,
    };
    pub use warp::{Filter, Reply};
}
