//! [`AsyncEvent<T>`]: the extractor of `#[forge::consumer]` routes, the delivery of one event
//! pushed to a Forge async events queue; and [`ActionSchema`], what a Rovo action's input and
//! output types provide.
//!
//! Forge's SDK types the consumer side as `{body, jobId, eventId, queueName, retryContext?}`
//! (`@forge/events` 3.0.8 `AsyncEvent`), its docs list `body`, `jobId` and `retryContext`, and
//! Atlassian's container sample reads `event.body.<field>` from the HTTP body: the delivery is
//! that envelope, with the pushed object as `body`. Only `body` and `jobId` are required here;
//! unknown fields are ignored.

use super::ConnectRequest;
use super::extract::FromRequest;
use crate::http::AppError;
use crate::policy::ForgeInvocation;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The answer of a web trigger with static responses (`outputs = [...]` on
/// `#[forge::webtrigger]`): the key of the output Forge sends to the caller, answered as
/// `{"outputKey": key}` (the shape Forge's function contract uses for static web triggers).
///
/// ```
/// use connect_runtime::forge::WebtriggerOutput;
///
/// async fn hook(body: connect_runtime::Json<serde_json::Value>) -> WebtriggerOutput {
///     if body.0.get("ping").is_some() { WebtriggerOutput("ok") } else { WebtriggerOutput("refused") }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebtriggerOutput(pub &'static str);

impl crate::http::IntoResponse for WebtriggerOutput {
    fn into_response(self) -> crate::http::Response {
        crate::http::Json(serde_json::json!({ "outputKey": self.0 })).into_response()
    }
}

/// A type whose JSON Schema becomes a Rovo action's `inputs` (the `T` of the handler's
/// `Json<T>`) or `outputs` (`outputs = T`): any type deriving `schemars::JsonSchema`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot describe a Rovo action's inputs or outputs",
    note = "derive `schemars::JsonSchema` on it (with `serde::Deserialize` for inputs): its fields become the manifest's entries"
)]
pub trait ActionSchema {
    /// The type's JSON Schema.
    fn schema() -> serde_json::Value;
}

impl<T: schemars::JsonSchema> ActionSchema for T {
    fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
    }
}

/// One async event, as a `#[forge::consumer]` handler receives it: the pushed `body` typed as
/// `T`, the job id and, for a retried delivery, the retry context.
///
/// A body that is not the envelope, or whose `body` is not a `T`, is refused with 400 and the
/// handler does not run.
///
/// ```
/// use connect_runtime::forge::AsyncEvent;
/// use warp::http::StatusCode;
///
/// #[derive(serde::Deserialize)]
/// struct Reindex { issue_key: String }
///
/// async fn reindex(event: AsyncEvent<Reindex>) -> StatusCode {
///     let attempt = event.retry_context().map_or(0, |retry| retry.retry_count);
///     tracing::info!(job = event.job_id(), attempt, issue = event.body.issue_key, "reindex");
///     StatusCode::OK
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AsyncEvent<T> {
    /// The object pushed to the queue.
    pub body: T,
    job_id: String,
    event_id: Option<String>,
    queue_name: Option<String>,
    retry_context: Option<RetryContext>,
}

/// `retryContext` of a retried async event delivery.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RetryContext {
    /// How many times the event was delivered before.
    #[serde(default)]
    pub retry_count: u32,
    /// Why it is retried (`FUNCTION_RETRY_REQUEST`, a timeout...).
    #[serde(default)]
    pub retry_reason: Option<String>,
    /// What the app attached when it asked for the retry.
    #[serde(default)]
    pub retry_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    body: T,
    job_id: String,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    queue_name: Option<String>,
    #[serde(default)]
    retry_context: Option<RetryContext>,
}

/// What identifies one event of a delivery body, for the de-duplication of deliveries: its
/// job and its `eventId` (a push of several events shares one job id), or the job and a hash
/// of the event's `body` when Forge sends no event id. `None` without a job id.
pub(crate) fn delivery_key(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Ids {
        job_id: String,
        #[serde(default)]
        event_id: Option<String>,
        #[serde(default)]
        body: serde_json::Value,
    }
    let ids: Ids = serde_json::from_slice(body).ok()?;
    let event = match ids.event_id {
        Some(event_id) => format!("event:{event_id}"),
        None => {
            use sha2::Digest as _;
            let canonical = serde_json::to_vec(&ids.body).unwrap_or_default();
            format!(
                "body:{}",
                hex::encode(&sha2::Sha256::digest(&canonical)[..16])
            )
        }
    };
    Some(format!("{}:{event}", ids.job_id))
}

impl<T> AsyncEvent<T> {
    /// The job id Forge gave the push (shared by the events of one push, and by every
    /// delivery of each).
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The event's id, when Forge sends it.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// The queue's name, when Forge sends it.
    pub fn queue_name(&self) -> Option<&str> {
        self.queue_name.as_deref()
    }

    /// The retry context of a retried delivery.
    pub fn retry_context(&self) -> Option<&RetryContext> {
        self.retry_context.as_ref()
    }
}

impl<T: DeserializeOwned + Send> FromRequest<ForgeInvocation> for AsyncEvent<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let envelope: Envelope<T> = serde_json::from_slice(request.body()).map_err(|error| {
            AppError::bad_request(format!(
                "the body is not an async event delivery ({{\"body\", \"jobId\", ...}}) of the expected type: {error}"
            ))
        })?;
        Ok(Self {
            body: envelope.body,
            job_id: envelope.job_id,
            event_id: envelope.event_id,
            queue_name: envelope.queue_name,
            retry_context: envelope.retry_context,
        })
    }

    fn declare(requirements: &mut crate::state::Requirements) {
        requirements.forge_invocation("AsyncEvent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_told_apart_by_job_and_event() {
        let key = |body: &[u8]| delivery_key(body);
        assert_eq!(
            key(br#"{"body":{},"jobId":"j-1","eventId":"e-1"}"#).as_deref(),
            Some("j-1:event:e-1")
        );
        // One push, two events: two deliveries.
        assert_ne!(
            key(br#"{"body":{},"jobId":"j-1","eventId":"e-1"}"#),
            key(br#"{"body":{},"jobId":"j-1","eventId":"e-2"}"#)
        );
        // Without event ids, the event's body tells them apart, whatever the retry context.
        let a = key(br#"{"body":{"n":1},"jobId":"j-1"}"#);
        assert_ne!(a, key(br#"{"body":{"n":2},"jobId":"j-1"}"#));
        assert_eq!(
            a,
            key(br#"{"body":{"n":1},"jobId":"j-1","retryContext":{"retryCount":1}}"#)
        );
        assert_eq!(key(br#"{"body":{}}"#), None);
        assert_eq!(key(b"not json"), None);
    }
}
