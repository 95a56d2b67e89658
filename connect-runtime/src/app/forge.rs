//! What a built app keeps for its Forge routes: the FIT verifier, the record of deliveries
//! (trigger deliveries by `jti`, async events by job and event) and the tokens already used
//! for invocations.
//!
//! Forge retries an event delivery (up to 4 times, 60 s apart) on any non-2xx answer or a
//! timeout. A delivery that was handled successfully is acknowledged without running the
//! handler again. One that is being handled right now (Forge gave up waiting and delivered
//! again) is answered 409, so that Forge tries later rather than taking it as done: if the
//! first run then fails, the event is not lost. A handler that fails, panics or is cancelled
//! releases its claim, so the same delivery runs again. Both records are bounded moka caches
//! with a TTL well beyond a FIT's life, kept apart so that a burst of invocations cannot push
//! delivery claims out.
//!
//! Forge's own retries of a trigger (60 s later) carry a fresh token, so they are new
//! deliveries: handlers make their effects idempotent by installation, event and entity, and
//! can read `retryContext` through `ForgeContext::retry_count`.

use crate::auth::VerifyError;
use crate::auth::container::ContainerInvocations;
use crate::auth::invocation::{ForgeTokens, InvocationVerifier, VerifiedInvocation};
use connect_descriptor::forge::INSTALLED_EVENT;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Deliveries remembered at once.
const MAX_REMEMBERED_DELIVERIES: u64 = 100_000;
/// How long a handled delivery is remembered: a replayed FIT expires long before.
const DELIVERY_MEMORY: Duration = Duration::from_secs(10 * 60);
/// Invocation tokens remembered at once.
const MAX_REMEMBERED_TOKENS: u64 = 500_000;
/// How long a used invocation token is remembered: longer than the longest FIT the verifier
/// accepts (300 s) plus its leeway, so a replay is refused for as long as the token is valid.
const TOKEN_MEMORY: Duration = Duration::from_secs(6 * 60);
/// Forge's budget for answering an event delivery.
pub(crate) const EVENT_BUDGET: Duration = Duration::from_secs(5);

/// How a Forge route's caller is verified.
pub(crate) enum Verification {
    /// A Forge Remote: the FIT in `Authorization`.
    Fit(InvocationVerifier),
    /// A Forge Container: the invocation id the sidecar adds, described by the egress proxy.
    Container(ContainerInvocations),
}

/// The Forge side of a built app (present when `FORGE_APP_ID` is set).
pub(crate) struct ForgeRuntime {
    pub(crate) verification: Verification,
    /// Deliveries by id; the flag says whether the handler succeeded (else it is running).
    deliveries: moka::sync::Cache<String, Arc<AtomicBool>>,
    /// Invocation tokens (`jti`) already used.
    used_tokens: moka::sync::Cache<String, ()>,
}

/// Why a delivery was not claimed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Its handler succeeded: acknowledge it.
    Handled,
    /// Its handler is running: ask Forge to try again later.
    InProgress,
}

/// The claim of a delivery being handled: released when dropped, unless
/// [`Claim::handled`] kept it (a failed, panicking or cancelled handler runs again on the
/// next delivery of the same id).
pub(crate) struct Claim<'a> {
    runtime: &'a ForgeRuntime,
    id: String,
    done: Arc<AtomicBool>,
    handled: bool,
}

impl Claim<'_> {
    /// The handler succeeded: the delivery stays recorded as handled.
    pub(crate) fn handled(mut self) {
        self.done.store(true, Ordering::Release);
        self.handled = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.handled {
            self.runtime.deliveries.invalidate(&self.id);
        }
    }
}

impl ForgeRuntime {
    pub(crate) fn new(verification: Verification) -> Self {
        Self {
            verification,
            deliveries: moka::sync::Cache::builder()
                .max_capacity(MAX_REMEMBERED_DELIVERIES)
                .time_to_live(DELIVERY_MEMORY)
                .build(),
            used_tokens: moka::sync::Cache::builder()
                .max_capacity(MAX_REMEMBERED_TOKENS)
                .time_to_live(TOKEN_MEMORY)
                .build(),
        }
    }

    /// Whether the app runs as a Forge Container.
    pub(crate) fn in_container(&self) -> bool {
        matches!(self.verification, Verification::Container(_))
    }

    /// The verified invocation of a request: its FIT (`authorization`), or in container mode
    /// the context of its invocation id.
    pub(crate) async fn verify(
        &self,
        authorization: Option<&str>,
        tokens: ForgeTokens,
    ) -> Result<VerifiedInvocation, VerifyError> {
        match &self.verification {
            Verification::Fit(verifier) => verifier.verify(authorization, tokens).await,
            Verification::Container(contexts) => contexts.verify(tokens).await,
        }
    }

    /// Claims delivery `id` (atomically: of two concurrent deliveries one runs), or says why
    /// not: handled already, or being handled.
    pub(crate) fn claim(&self, id: &str) -> Result<Claim<'_>, Seen> {
        let entry = self
            .deliveries
            .entry_by_ref(id)
            .or_insert_with(|| Arc::new(AtomicBool::new(false)));
        if entry.is_fresh() {
            return Ok(Claim {
                runtime: self,
                id: id.to_owned(),
                done: entry.into_value(),
                handled: false,
            });
        }
        if entry.value().load(Ordering::Acquire) {
            Err(Seen::Handled)
        } else {
            Err(Seen::InProgress)
        }
    }

    /// Records invocation token `jti` as used; `false` when it was used before (a replay).
    pub(crate) fn first_use(&self, jti: &str) -> bool {
        self.used_tokens.entry_by_ref(jti).or_insert(()).is_fresh()
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
        let runtime = ForgeRuntime::new(Verification::Fit(verifier));
        let first = runtime.claim("a").expect("new");
        assert_eq!(runtime.claim("a").err(), Some(Seen::InProgress));
        first.handled();
        assert_eq!(runtime.claim("a").err(), Some(Seen::Handled));
        let failed = runtime.claim("b").expect("new");
        drop(failed);
        assert!(
            runtime.claim("b").is_ok(),
            "a failed or cancelled handler is released"
        );
        assert!(runtime.first_use("t"));
        assert!(!runtime.first_use("t"), "a replayed token");
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
