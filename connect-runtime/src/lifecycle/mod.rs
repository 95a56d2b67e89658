//! Lifecycle events: install, uninstall, enable, disable.
//!
//! - [`payload`]: parsing and validating the JSON body.
//! - [`transitions`]: what each event does to the stored tenant (pure functions).
//! - `events`: [`Lifecycle`], which applies a verified event: payload checks, one store
//!   write, then the app's hooks.
//! - `installations`: Forge installations resolved to (and linked with) Connect tenants.

mod events;
pub(crate) mod installations;
pub mod payload;
pub mod transitions;

pub use events::{HookCall, HookFuture, Lifecycle, LifecycleError};
pub use payload::{LifecycleEvent, PayloadError};
