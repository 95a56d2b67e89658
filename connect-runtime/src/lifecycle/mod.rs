//! Lifecycle events: install, uninstall, enable, disable.
//!
//! - [`payload`]: parsing and validating the JSON body.
//! - [`transitions`]: what each event does to the stored tenant (pure functions).
//! - [`routes`]: the warp routes, each behind its auth policy.

pub mod payload;
pub mod routes;
pub mod transitions;

pub use payload::{LifecycleEvent, LifecyclePayload, PayloadError};

use crate::error::ConnectError;
use crate::handler::HookCall;
use crate::store::Tenant;

/// The app's lifecycle hooks, run in order after an event was verified and stored.
#[derive(Clone, Default)]
pub struct LifecycleHooks {
    hooks: Vec<(LifecycleEvent, HookCall)>,
}

impl std::fmt::Debug for LifecycleHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.hooks.iter().map(|(event, _)| event))
            .finish()
    }
}

impl LifecycleHooks {
    /// Adds a hook for `event`.
    pub fn add(&mut self, event: LifecycleEvent, call: HookCall) {
        self.hooks.push((event, call));
    }

    /// Runs the hooks of `event` with the stored tenant. The first failure stops the rest and
    /// answers 500, so the product reports the event as failed and may retry it.
    pub async fn run(&self, event: LifecycleEvent, tenant: &Tenant) -> Result<(), ConnectError> {
        for (_, call) in self
            .hooks
            .iter()
            .filter(|(hook_event, _)| *hook_event == event)
        {
            call(tenant.clone())
                .await
                .map_err(|message| ConnectError::Hook {
                    event: event.name(),
                    message,
                })?;
        }
        Ok(())
    }
}
