//! Lifecycle events: install, uninstall, enable, disable.
//!
//! - [`payload`]: parsing and validating the JSON body.
//! - [`transitions`]: what each event does to the stored tenant (pure functions).
//! - [`routes`]: the warp routes, each behind its auth policy.

pub mod payload;
pub mod routes;
pub mod transitions;

pub use payload::{LifecycleEvent, LifecyclePayload, PayloadError};
