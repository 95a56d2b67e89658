//! What a built app keeps for its Forge routes: the FIT verifier and the record of handled
//! trigger deliveries.
//!
//! Forge retries an event delivery (up to 4 times, 60 s apart) on any non-2xx answer or a
//! timeout, and documents no event id; the FIT's `jti` identifies a delivery. A delivery whose
//! `jti` was handled successfully is acknowledged without running the handler again. The
//! record is bounded (a moka cache with a size cap and a TTL well beyond a FIT's 25 s life),
//! and a handler that fails, panics or is cancelled (Forge hung up) releases its claim, so
//! the same delivery runs again.
//!
//! Forge's own retries (60 s later) carry a fresh token, so they are new deliveries: handlers
//! make their effects idempotent by installation, event and entity, and can read
//! `retryContext` through `ForgeContext::retry_count`.

use crate::auth::invocation::InvocationVerifier;
use connect_descriptor::forge::INSTALLED_EVENT;
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

/// The claim of a delivery being handled: released when dropped, unless
/// [`Claim::handled`] kept it (a failed, panicking or cancelled handler runs again on the
/// next delivery of the same `jti`).
pub(crate) struct Claim<'a> {
    runtime: &'a ForgeRuntime,
    jti: String,
    handled: bool,
}

impl Claim<'_> {
    /// The handler succeeded: the `jti` stays recorded.
    pub(crate) fn handled(mut self) {
        self.handled = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.handled {
            self.runtime.deliveries.invalidate(&self.jti);
        }
    }
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

    /// Claims delivery `jti` (atomically: of two concurrent deliveries one runs), or `None`
    /// when it was handled (or is being handled) already.
    pub(crate) fn claim(&self, jti: &str) -> Option<Claim<'_>> {
        self.deliveries
            .entry_by_ref(jti)
            .or_insert(())
            .is_fresh()
            .then(|| Claim {
                runtime: self,
                jti: jti.to_owned(),
                handled: false,
            })
    }
}

/// Whether a trigger delivery's body is Forge's `avi:forge:installed:app` event: only that
/// event may move a tenant's link to another installation. A trigger subscribed to more
/// events receives the others at the same route, and a body that does not parse is not it.
pub(crate) fn is_installed_event(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Event<'a> {
        #[serde(rename = "eventType", borrow)]
        event_type: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Event<'_>>(body)
        .is_ok_and(|event| event.event_type.as_deref() == Some(INSTALLED_EVENT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ForgeConfig;
    use connect_descriptor::ForgeAppId;

    #[test]
    fn a_jti_runs_once_unless_its_handler_did_not_finish() {
        let verifier = InvocationVerifier::new(
            ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11")
                .unwrap(),
            &ForgeConfig::default(),
        )
        .unwrap();
        let runtime = ForgeRuntime::new(verifier);
        let first = runtime.claim("a").expect("new");
        assert!(runtime.claim("a").is_none(), "being handled");
        first.handled();
        assert!(runtime.claim("a").is_none(), "handled");
        let failed = runtime.claim("b").expect("new");
        drop(failed);
        assert!(
            runtime.claim("b").is_some(),
            "a failed or cancelled handler is released"
        );
    }

    #[test]
    fn only_the_installed_event_type_counts() {
        assert!(is_installed_event(
            br#"{"eventType":"avi:forge:installed:app","context":{}}"#
        ));
        for other in [
            &br#"{"eventType":"avi:forge:upgraded:app"}"#[..],
            br#"{"eventType":"avi:jira:created:issue","issue":{}}"#,
            br#"{"context":{}}"#,
            br#"{"eventType":42}"#,
            b"not json",
            b"",
        ] {
            assert!(
                !is_installed_event(other),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
