//! [`ForgeEvents`]: pushing async events to the app's queues from a Forge Container
//! (`POST {proxy}/atlassian/forge/events/v1/async-events`, `{queueName, jobId, events:
//! [{body}]}`), at most 50 events and 200 KB per push. The events reach the app's
//! `#[forge::consumer]` of that queue.
//!
//! A Forge Remote has no documented path to publish events (open question 5 of the Forge-native
//! research), so an app whose handler takes it is served only with `serve --container`.

use super::storage::{StorageError, forge_call};
use super::{ClientError, ForgeClient};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The most events one push carries.
pub const MAX_EVENTS_PER_PUSH: usize = 50;
/// The largest push, in bytes of JSON.
pub const MAX_PUSH_BYTES: usize = 200 * 1024;

const ASYNC_EVENTS: &str = "/atlassian/forge/events/v1/async-events";

/// Pushes events to the app's async event queues, for the invocation's installation.
#[derive(Clone, Debug)]
pub struct ForgeEvents {
    client: Arc<ForgeClient>,
}

impl ForgeEvents {
    /// The queues of `client`'s installation (through the container's proxy).
    pub(crate) fn new(client: &ForgeClient) -> Result<Self, ClientError> {
        Ok(Self {
            client: Arc::new(client.at_platform()?),
        })
    }

    /// Pushes `events` to `queue` as one job, and returns the job id (the consumer sees it as
    /// `AsyncEvent::job_id`). Checked before sending: the queue name, 1 to 50 events, 200 KB.
    pub async fn push<T: Serialize>(
        &self,
        queue: &str,
        events: &[T],
    ) -> Result<String, StorageError> {
        connect_descriptor::forge::check_queue(queue)
            .map_err(|error| StorageError::InvalidQueue(queue.to_owned(), error.to_string()))?;
        if events.is_empty() || events.len() > MAX_EVENTS_PER_PUSH {
            return Err(StorageError::EventCount(events.len()));
        }
        let events = events
            .iter()
            .map(|event| {
                serde_json::to_value(event)
                    .map(|body| json!({ "body": body }))
                    .map_err(|error| StorageError::Serde(error.to_string()))
            })
            .collect::<Result<Vec<Value>, _>>()?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let body = json!({ "queueName": queue, "jobId": job_id, "events": events });
        let bytes = body.to_string().len();
        if bytes > MAX_PUSH_BYTES {
            return Err(StorageError::RequestTooLarge {
                what: "events push",
                bytes,
                max: MAX_PUSH_BYTES,
            });
        }
        let answer = forge_call(&self.client, ASYNC_EVENTS, &body).await?;
        Ok(answer
            .as_ref()
            .and_then(|answer| answer.get("jobId")?.as_str())
            .map_or(job_id, str::to_owned))
    }
}
