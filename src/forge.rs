//! The Forge attribute macros: Forge routes verified with a Forge Invocation Token
//! ([`policy::ForgeInvocation`](crate::policy::ForgeInvocation)), each declaring its module in
//! the Forge manifest (`App::run()`'s `manifest` command), beside Connect modules or in a
//! Forge-native app (`App::forge_native`).
//!
//! | attribute | manifest |
//! |---|---|
//! | `remote` | `endpoint` with `route` (for Forge functions' `invokeRemote`) |
//! | `resolver` | `endpoint` without `route`, shared by its handlers: the UI modules' resolver |
//! | `issue_panel`, `jira_global_page`, `admin_page`, `project_page`, `issue_glance`, `issue_context`, `dashboard_gadget`, `confluence_macro`, `confluence_global_page`, `space_page` | the UI module, its `resources` entry and `resolver: {endpoint}` (above a `resolver`) |
//! | `trigger` | `trigger` + its endpoint |
//! | `scheduled_trigger` | `scheduledTrigger` + its endpoint |
//! | `action` | Rovo `action` + its endpoint; `inputs` from the handler's `Json<T>` |
//! | `consumer` | async events `consumer` + its endpoint |
//! | `webtrigger` | `webtrigger` (dynamic response) + its endpoint |
//! | `pre_uninstall` | `preUninstall` + its endpoint |
//!
//! The endpoint of a backend module (every kind but `remote` and `resolver`) is named
//! `endpoint = "..."`, or `<key>-ep` by default (so its key has at most 20 characters).
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
//!
//! A Forge-native app also runs as a Forge Container service (`serve --container`): the same
//! routes, each verified by asking Forge's egress proxy about the request's
//! `x-forge-invocation-id` instead of a FIT, and every `ForgeClient` and `ForgeStorage` call
//! sent through the proxy. [`ContainerApi`](crate::forge::ContainerApi) makes the calls of
//! background work.

pub use connect_descriptor::manifest::WillMigrate;
pub use connect_runtime::forge::{
    ActionSchema, AsyncEvent, BatchOutcome, ContainerApi, ContainerEnv, ContainerResources,
    EntityQuery, EntityStore, Entry, FitApp, FitClaims, FitEnvironment, FitModule, ForgeClient,
    ForgeContainer, ForgeContext, ForgeEvents, ForgeSql, ForgeStorage, Installation, KeyPolicy,
    MAX_EVENTS_PER_PUSH, MAX_INSTALLATIONS_PAGE, MAX_KEY_LEN, MAX_OPERATIONS, MAX_PUSH_BYTES,
    MAX_QUERY_LIMIT, MAX_SQL_REQUEST_BYTES, MAX_VALUE_BYTES, MAX_VALUE_DEPTH, Page, RetryContext,
    SecretStore, SetOptions, SqlOutcome, Statement, StorageError, Transaction, Ttl, TtlUnit,
    WebtriggerOutput,
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

/// A route of a UI resolver endpoint (`modules.endpoint` without `route`): the frontend of
/// the UI modules above it (Custom UI) calls it with `invokeRemote({path, method, body})`, and
/// Forge sends the call to `path` on the app's baseUrl with a FIT that carries the UI context
/// (`ForgeContext::issue_key`...) and the user (`ForgeContext::account_id`). Several handlers
/// share one endpoint: one per path and method.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `endpoint` | required | the endpoint's key, at most 23 characters |
/// | `path` | required | the route, as the frontend's `invokeRemote` names it |
/// | `method` | optional | `GET`, `POST` (default), `PUT`, `PATCH`, `DELETE` |
/// | `system_token` | flag | Forge sends the app's system token (`ForgeClient`, `ForgeStorage`) |
/// | `user_token` | flag | Forge sends the calling user's token |
/// | `crate` | optional | a renamed `atlassian-connect` |
///
/// The UI context (`context.extension`) comes from the browser: use it to find what the user
/// looks at, never to decide what they may do.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::issue_panel(key = "notes-panel", title = "Notes", icon = "https://example.com/notes.svg",
///                      resource = "panel", resource_path = "static/panel/build")]
/// #[forge::resolver(endpoint = "notes-api", path = "/notes", method = GET, system_token)]
/// async fn list(forge: ForgeContext) -> Result<Json<serde_json::Value>, AppError> {
///     let issue = forge.issue_key().ok_or_else(|| AppError::bad_request("not on an issue"))?;
///     Ok(Json(serde_json::json!({"issueKey": issue})))
/// }
/// ```
pub use connect_macros::forge_resolver as resolver;

/// A Rovo action backed by an endpoint (`modules.action`): an agent calls it by POST to `path`
/// with the inputs as top-level JSON keys (plus a `context` object Forge adds). The handler's
/// `Json<T>` argument, with `T: Deserialize + JsonSchema`, becomes the manifest's `inputs`: one
/// per field, its doc comment the description, `required` unless it is an `Option`. Only flat
/// fields (boolean, integer, number, string) are allowed, at most 10.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | the action's key |
/// | `verb` | required | `GET`, `CREATE`, `UPDATE`, `DELETE` or `TRIGGER` (`actionVerb`) |
/// | `description` | required | what the agent reads to choose the action (1 to 255 characters) |
/// | `path` | required | the endpoint's route |
/// | `name` | optional | the name users see |
/// | `outputs` | optional | a type deriving `JsonSchema`, rendered as `outputs` |
/// | `endpoint`, `system_token`, `user_token`, `crate` | optional | as for the other kinds |
///
/// **Inputs come from a language model.** They say what the user asked for, never what the
/// user may do: authorize by the principal (`ForgeContext::account_id`), for instance by
/// reading the entity through `ForgeClient::as_user`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// #[serde(rename_all = "camelCase")]
/// struct FindNotes {
///     /// The key of the issue whose notes to find, e.g. TEST-1.
///     issue_key: String,
/// }
///
/// #[forge::action(key = "find-notes", verb = GET, description = "Finds the notes of an issue",
///                 path = "/actions/find-notes", system_token)]
/// async fn find_notes(forge: ForgeContext, input: Json<FindNotes>) -> Json<serde_json::Value> {
///     let _ = forge.account_id();
///     Json(serde_json::json!({"issueKey": input.0.issue_key, "notes": []}))
/// }
/// ```
pub use connect_macros::forge_action as action;

/// An async event consumer (`modules.consumer`): Forge delivers each event pushed to `queue`
/// by POST to `path`, in the envelope `{"body", "jobId", "eventId", "queueName",
/// "retryContext"}`; the handler reads it with [`AsyncEvent<T>`]. An event (job and event
/// id) handled successfully is acknowledged without running again; one still being handled
/// is answered 409; any answer other than 2xx makes Forge retry.
///
/// ```
/// use atlassian_connect::prelude::*;
/// use atlassian_connect::forge::AsyncEvent;
///
/// #[derive(serde::Deserialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Reindex { issue_key: String }
///
/// #[forge::consumer(key = "reindex", queue = "notes-reindex", path = "/events/reindex")]
/// async fn reindex(event: AsyncEvent<Reindex>) -> StatusCode {
///     tracing::info!(job = event.job_id(), issue = %event.body.issue_key, "reindex");
///     StatusCode::OK
/// }
/// ```
pub use connect_macros::forge_consumer as consumer;

/// A web trigger (`modules.webtrigger`): Forge passes the caller's request (method, headers,
/// query, body, and any path after the trigger's URL) to `path` and relays the handler's
/// answer (a dynamic response). With `outputs = ["key|status|content type|body", ...]` (up
/// to 20; content type and body optional, the body at most 1024 characters) the responses
/// are static: the manifest holds them and the handler answers which one with
/// [`WebtriggerOutput`] (`{"outputKey": ...}`, as Forge's function contract has it; that an
/// endpoint answers the same way is inferred). Forge does not authenticate the caller: treat the request as coming
/// from anyone. Whether Forge adds a Forge Invocation Token for a remote is not documented:
/// a request with `Authorization: Bearer` is verified as one (401 when it is not valid), and a
/// request without gets no installation, token or storage (`Option<ForgeContext>` is `None`).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::webtrigger(key = "notes-hook", path = "/hooks/notes")]
/// async fn hook(forge: Option<ForgeContext>, body: Json<serde_json::Value>) -> Json<serde_json::Value> {
///     let _ = forge.map(|forge| forge.installation_id().to_owned());
///     Json(serde_json::json!({"received": body.0}))
/// }
/// ```
pub use connect_macros::forge_webtrigger as webtrigger;

/// Forge's pre-uninstall call (`modules.preUninstall`): POSTed to `path` before the app is
/// uninstalled from a site, with no user. Forge ignores the answer and may not call at all:
/// use it to clean up early, not as the only way.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::pre_uninstall(key = "uninstall", path = "/lifecycle/pre-uninstall", system_token)]
/// async fn uninstalling(forge: ForgeContext) -> StatusCode {
///     tracing::info!(installation = forge.installation_id(), "uninstalling");
///     StatusCode::NO_CONTENT
/// }
/// ```
pub use connect_macros::forge_pre_uninstall as pre_uninstall;

/// The Jira UI module `jira:issuePanel` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, icon, `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::issue_panel(key = "notes-panel", title = "Notes", icon = "https://example.com/notes.svg",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_issue_panel as issue_panel;

/// The Jira UI module `jira:globalPage` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::jira_global_page(key = "notes-page", title = "Notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_jira_global_page as jira_global_page;

/// The Jira UI module `jira:adminPage` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::admin_page(key = "notes-admin", title = "Notes settings",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_admin_page as admin_page;

/// The Jira UI module `jira:projectPage` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::project_page(key = "notes-project", title = "Notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_project_page as project_page;

/// The Jira UI module `jira:issueGlance` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, label (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::issue_glance(key = "notes-glance", title = "Notes", label = "Notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_issue_glance as issue_glance;

/// The Jira UI module `jira:issueContext` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, label (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::issue_context(key = "notes-context", title = "Notes", label = "Notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_issue_context as issue_context;

/// The Jira UI module `jira:dashboardGadget` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, description, thumbnail, `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::dashboard_gadget(key = "notes-gadget", title = "Notes", description = "Recent notes", thumbnail = "https://example.com/thumb.png",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_dashboard_gadget as dashboard_gadget;

/// The Confluence UI module `macro` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title (description optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::confluence_macro(key = "notes-macro", title = "Notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_confluence_macro as confluence_macro;

/// The Confluence UI module `confluence:globalPage` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, route (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::confluence_global_page(key = "notes-page", title = "Notes", route = "notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_confluence_global_page as confluence_global_page;

/// The Confluence UI module `confluence:spacePage` (Custom UI), placed right above the
/// [`resolver`] whose endpoint answers its frontend. Takes `key`, title, route (icon optional), `resource` (its
/// `resources` key, at most 23 characters) and `resource_path` (the Custom UI build folder,
/// relative to the crate root, holding `index.html`); `resolver`, if given, must name the
/// endpoint below.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[forge::space_page(key = "notes-space", title = "Notes", route = "notes",
///     resource = "ui", resource_path = "static/ui/build")]
/// #[forge::resolver(endpoint = "ui-api", path = "/ui/data", method = GET)]
/// async fn data(forge: ForgeContext) -> Json<serde_json::Value> {
///     Json(serde_json::json!({"module": forge.ui_module_key()}))
/// }
/// ```
pub use connect_macros::forge_space_page as space_page;
