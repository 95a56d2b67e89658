//! What a built app keeps for its Forge routes: the FIT verifier and the record of handled
//! trigger deliveries.
//!
//! Forge retries an event delivery (up to 4 times, 60 s apart) on any non-2xx answer or a
//! timeout, and documents no event id; the FIT's `jti` identifies a delivery. A delivery whose
//! `jti` was handled successfully is acknowledged without running the handler again. The
//! record is bounded (a moka cache with a size cap and a TTL well beyond a FIT's 25 s life),
//! and a failed handler releases its claim, so Forge's retry runs it again.

use crate::auth::invocation::InvocationVerifier;
use std::time::Duration;

/// Deliveries remembered at once.
const MAX_REMEMBERED_DELIVERIES: u64 = 100_000;
/// How long a handled `jti` is remembered: a replayed FIT expires long before.
const DELIVERY_MEMORY: Duration = Duration::from_secs(10 * 60);
/// Forge's budget for answering an event delivery.
pub(crate) const EVENT_BUDGET: Duration = Duration::from_secs(5);

/// The Forge side of a built app (present when `FORGE_APP_ID` is set).
pub(crate) struct ForgeRuntime {
    pub(crate) verifier: InvocationVerifier,
    deliveries: moka::sync::Cache<String, ()>,
}

/// Whether a delivery should run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// First time this `jti` is seen: run the handler, then [`ForgeRuntime::release`] on
    /// failure.
    New,
    /// Already handled (or being handled): acknowledge without running the handler.
    Duplicate,
}

impl ForgeRuntime {
    pub(crate) fn new(verifier: InvocationVerifier) -> Self {
        Self {
            verifier,
            deliveries: moka::sync::Cache::builder()
                .max_capacity(MAX_REMEMBERED_DELIVERIES)
                .time_to_live(DELIVERY_MEMORY)
                .build(),
        }
    }

    /// Claims delivery `jti` (atomically: of two concurrent deliveries one runs).
    pub(crate) fn claim(&self, jti: &str) -> Delivery {
        if self.deliveries.entry_by_ref(jti).or_insert(()).is_fresh() {
            Delivery::New
        } else {
            Delivery::Duplicate
        }
    }

    /// Forgets `jti` after its handler failed, so Forge's retry runs it again.
    pub(crate) fn release(&self, jti: &str) {
        self.deliveries.invalidate(jti);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ForgeConfig;
    use connect_descriptor::ForgeAppId;

    #[test]
    fn a_jti_runs_once_until_released() {
        let verifier = InvocationVerifier::new(
            ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11")
                .unwrap(),
            &ForgeConfig::default(),
        )
        .unwrap();
        let runtime = ForgeRuntime::new(verifier);
        assert_eq!(runtime.claim("a"), Delivery::New);
        assert_eq!(runtime.claim("a"), Delivery::Duplicate);
        assert_eq!(runtime.claim("b"), Delivery::New);
        runtime.release("a");
        assert_eq!(runtime.claim("a"), Delivery::New);
    }
}
