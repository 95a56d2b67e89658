//! The Forge attribute macros: Forge Remote routes beside the Connect modules, verified with a
//! Forge Invocation Token ([`policy::ForgeInvocation`](crate::policy::ForgeInvocation)), each declaring its module in the
//! Forge manifest (`App::run()`'s `manifest` command).
//!
//! Their handlers take [`ForgeContext`](crate::forge::ForgeContext) (the verified invocation; its
//! `tenant()` resolves the Connect tenant of the same site) and
//! [`ForgeClient`](crate::forge::ForgeClient) (product calls with the system or user token), besides
//! `Json<T>`, `Query<T>` and `State<T>`. Connect extractors (`Context`, `Tenant`,
//! `HostClient`) are compile errors here, and Forge extractors are compile errors on Connect
//! routes.
//!
//! The routes exist only when `FORGE_APP_ID` is set: without the app id no token could be
//! checked for its audience.

pub use connect_runtime::forge::{
    FitApp, FitClaims, FitEnvironment, FitModule, ForgeClient, ForgeContext,
};

/// A Forge Remote endpoint (`modules.endpoint` of the manifest), invoked by Forge with a FIT.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | endpoint key, `a-z A-Z 0-9 _ -`, at most 23 characters |
/// | `path` | required | the route on the app's baseUrl (fixed: no `{variables}`) |
/// | `method` | optional | `GET`, `POST` (default), `PUT`, `PATCH`, `DELETE` |
/// | `system_token` | flag | Forge sends the app's system token (`ForgeClient`), scope `read:app-system-token` |
/// | `user_token` | flag | Forge sends the calling user's token (`ForgeClient::as_user`), scope `read:app-user-token` |
/// | `crate` | optional | a renamed `atlassian-connect` |
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::remote(key = "notes-remote", path = "/forge/notes", system_token)]
/// async fn notes(forge: ForgeContext, jira: ForgeClient) -> Result<Json<serde_json::Value>, AppError> {
///     let me: serde_json::Value = jira.get("/rest/api/3/myself").send().await?.json().await?;
///     Ok(Json(serde_json::json!({"installation": forge.installation_id(), "me": me})))
/// }
/// ```
pub use connect_macros::forge_remote as remote;

/// A Forge trigger (`modules.trigger`, with an endpoint `<key>-ep` of its own): Forge delivers
/// `events` by POST to `path`.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | trigger key, `a-z A-Z 0-9 _ -`, at most 20 characters |
/// | `events` | required | e.g. `["avi:forge:installed:app"]`, checked against the known events |
/// | `path` | required | the route on the app's baseUrl |
/// | `system_token` | flag | Forge sends the app's system token |
/// | `unchecked` | flag | skip the event list (for events newer than the framework) |
/// | `crate` | optional | a renamed `atlassian-connect` |
///
/// Forge gives a delivery 5 seconds and retries it (up to 4 times, 60 s apart) on any answer
/// other than 2xx; answer 2xx with JSON. The framework sets no timeout of its own, but when
/// Forge gives up and closes the connection the handler's future is dropped: answer fast and
/// hand slow work to a spawned task (`tokio::spawn`) or a queue. A handler that runs past 5 s
/// is logged as a warning.
///
/// The same delivery (the same token, so the same `jti`) runs the handler once: a repeat is
/// acknowledged with `200 {}`, unless the first run failed or was cancelled. Forge's retries
/// carry a fresh token and `retryContext` (see `ForgeContext::retry_count`): make the effect
/// idempotent by installation, event and entity.
///
/// An `avi:forge:installed:app` trigger also links the installation to the Connect tenant of
/// the same site, when there is one.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::trigger(key = "lifecycle", events = ["avi:forge:installed:app"], path = "/forge/lifecycle")]
/// async fn installed(forge: ForgeContext, event: Json<serde_json::Value>) -> Json<serde_json::Value> {
///     tracing::info!(installation = forge.installation_id(), retry = ?forge.retry_count(), "installed");
///     let _ = event;
///     Json(serde_json::json!({}))
/// }
/// ```
pub use connect_macros::forge_trigger as trigger;

/// A Forge scheduled trigger (`modules.scheduledTrigger`, with an endpoint `<key>-ep`): Forge
/// POSTs to `path` every `interval` (`hour`, `day` or `week`). Takes `key`, `interval`, `path`
/// and optionally `system_token` and `crate`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::scheduled_trigger(key = "hourly", interval = "hour", path = "/forge/hourly", system_token)]
/// async fn hourly(forge: ForgeContext) -> Json<serde_json::Value> {
///     let _ = forge.installation_id();
///     Json(serde_json::json!({}))
/// }
/// ```
pub use connect_macros::forge_scheduled_trigger as scheduled_trigger;
