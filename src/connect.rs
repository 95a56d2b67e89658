//! The attribute macros. Each module attribute takes the module's fields as arguments, checks
//! them at compile time (with the same rules the runtime applies when the app is built), and
//! yields the descriptor module, the route and its auth policy.
//!
//! Module attributes: [`general_page`](macro@crate::connect::general_page), [`admin_page`](macro@crate::connect::admin_page), [`configure_page`](macro@crate::connect::configure_page), [`project_page`](macro@crate::connect::project_page),
//! [`web_panel`](macro@crate::connect::web_panel), [`web_item`](macro@crate::connect::web_item), [`issue_glance`](macro@crate::connect::issue_glance), [`issue_content`](macro@crate::connect::issue_content), [`dialog`](macro@crate::connect::dialog), [`webhook`](macro@crate::connect::webhook),
//! [`dynamic_content_macro`](macro@crate::connect::dynamic_content_macro), [`static_content_macro`](macro@crate::connect::static_content_macro), [`space_tools_tab`](macro@crate::connect::space_tools_tab). Routes that are not
//! modules: [`route`](macro@crate::connect::route). Lifecycle hooks: [`installed`](macro@crate::connect::installed), [`uninstalled`](macro@crate::connect::uninstalled), [`enabled`](macro@crate::connect::enabled), [`disabled`](macro@crate::connect::disabled).
//!
//! Every module attribute also takes `extra = r#"{...}"#` (a JSON object merged into the
//! module, for fields the attribute does not model), `unchecked` (skip the location and event
//! lists, for ones newer than the framework) and `crate = "path"` (a renamed
//! `atlassian-connect`).
//!
//! Handler arguments are extractors (`Context`, `Tenant`, `HostClient`, `Json<T>`, `Query<T>`,
//! `State<T>`, guards) or context variables of the URL; the return value implements
//! `IntoResponse`. Mistakes are compile errors at the token at fault.
//!
//! A context variable of the URL binds the handler argument named after it in snake_case: a capital
//! letter becomes `_` and its lower-case letter, except at the start; a `.` or any other character
//! that is not an ASCII letter or digit becomes `_`; no `_` is doubled. `{issue.key}` in a module
//! URL's path binds `issue_key`; `issueKey={issue.key}` in its query binds `issue_key` too (an
//! argument named after either the query parameter or the variable binds it, so `space={space.key}`
//! binds `space` or `space_key`), with the value of the `issueKey` query parameter; `{issueKey}` in
//! a route path binds `issue_key` as well. The argument's type is any `T: FromStr`; a missing or
//! malformed value answers 400.

/// A page in the product's navigation (`generalPages`). GET, verified with the tenant's shared secret and the request's `qsh` ([`policy::Jwt`](crate::policy::Jwt)).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key, `a-z A-Z 0-9 -` |
/// | `name` | required | the page title |
/// | `url` | required | the page URL relative to the baseUrl; may carry context variables (`/page?projectKey={project.key}`) |
/// | `location` | optional | where its link appears, e.g. `system.top.navigation.bar` (checked against the known locations) |
/// | `weight` | optional | integer order among neighbours |
/// | `icon` | optional | icon URL (16×16) |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::general_page(key = "hello", name = "Hello", url = "/hello", location = "system.top.navigation.bar")]
/// async fn hello(ctx: Context) -> Html<String> {
///     Html(format!("Hello {}", ctx.tenant().base_url))
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![hello]);
/// ```
#[doc(inline)]
pub use connect_macros::general_page;

/// An administration page (`adminPages`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the page title |
/// | `url` | required | the page URL |
/// | `location` | optional | admin section, e.g. `admin_plugins_menu/my-section` |
/// | `weight` | optional | integer order |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::admin_page(key = "settings", name = "Settings", url = "/admin/settings")]
/// async fn settings(tenant: Tenant) -> Html<String> {
///     Html(format!("Settings of {}", tenant.base_url))
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![settings]);
/// ```
#[doc(inline)]
pub use connect_macros::admin_page;

/// The app's configure page (`configurePage`, one per app). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the page title |
/// | `url` | required | the page URL |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::configure_page(key = "configure", name = "Configure", url = "/configure")]
/// async fn configure() -> &'static str {
///     "configure me"
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![configure]);
/// ```
#[doc(inline)]
pub use connect_macros::configure_page;

/// A Jira project page (`jiraProjectPages`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the page title |
/// | `url` | required | the page URL, e.g. `/project/{project.key}` |
/// | `icon_url` | optional | sidebar icon URL |
/// | `weight` | optional | integer order |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::project_page(key = "board", name = "Board", url = "/project/{project.key}")]
/// async fn board(project_key: String) -> String {
///     project_key
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![board]);
/// ```
#[doc(inline)]
pub use connect_macros::project_page;

/// A web panel (`webPanels`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the panel title |
/// | `url` | required | the panel URL |
/// | `location` | required | where it appears, e.g. `atl.jira.view.issue.right.context` |
/// | `weight` | optional | integer order |
/// | `tooltip` | optional | tooltip text |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::web_panel(key = "panel", name = "Panel", url = "/panel?issueKey={issue.key}", location = "atl.jira.view.issue.right.context")]
/// async fn panel(issue_key: String) -> Html<String> {
///     Html(format!("<p>{issue_key}</p>"))
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![panel]);
/// ```
#[doc(inline)]
pub use connect_macros::web_panel;

/// A web item whose URL the app serves (`webItems`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the link text |
/// | `url` | required | the URL it opens |
/// | `location` | required | where it appears |
/// | `weight` | optional | integer order |
/// | `tooltip` | optional | tooltip text |
/// | `context` | optional | `page`, `addon` or `product` |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::web_item(key = "item", name = "Item", url = "/item", location = "system.top.navigation.bar")]
/// async fn item() -> &'static str {
///     "item"
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![item]);
/// ```
#[doc(inline)]
pub use connect_macros::web_item;

/// A Jira issue glance (`jiraIssueGlances`); its panel URL is the route. GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the glance title |
/// | `url` | required | the panel URL (`target.url`) |
/// | `icon` | required | icon URL (24×24) |
/// | `content` | required | the glance label |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::issue_glance(key = "glance", name = "Glance", url = "/glance?issueKey={issue.key}", icon = "/glance.svg", content = "Hello")]
/// async fn glance(issue_key: String) -> Html<String> {
///     Html(format!("<p>{issue_key}</p>"))
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![glance]);
/// ```
#[doc(inline)]
pub use connect_macros::issue_glance;

/// A Jira issue content (`jiraIssueContents`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the title |
/// | `url` | required | the panel URL (`target.url`) |
/// | `icon` | required | icon URL (24×24) |
/// | `tooltip` | required | tooltip text |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::issue_content(key = "content", name = "Content", url = "/content", icon = "/content.svg", tooltip = "Open")]
/// async fn content() -> &'static str {
///     "content"
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![content]);
/// ```
#[doc(inline)]
pub use connect_macros::issue_content;

/// A dialog (`dialogs`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `url` | required | the dialog URL |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::dialog(key = "confirm", url = "/dialogs/confirm")]
/// async fn confirm() -> Html<&'static str> {
///     Html("<p>Sure?</p>")
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![confirm]);
/// ```
#[doc(inline)]
pub use connect_macros::dialog;

/// A webhook (`webhooks`): the descriptor entry and its POST route. Verified with the tenant's shared secret ([`policy::Jwt`](crate::policy::Jwt)); the body arrives through `Json<T>`.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `event` | required | the event, e.g. `jira:issue_created` (checked against the known events) |
/// | `url` | required | the URL the product POSTs to |
/// | `filter` | optional | a JQL filter |
/// | `exclude_body` | optional | `true` to receive no body |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::webhook(event = "jira:issue_created", url = "/webhooks/issue-created")]
/// async fn issue_created(tenant: Tenant, event: Json<serde_json::Value>) -> StatusCode {
///     let _ = (tenant, event);
///     StatusCode::NO_CONTENT
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![issue_created]);
/// ```
#[doc(inline)]
pub use connect_macros::webhook;

/// A Confluence dynamic content macro (`dynamicContentMacros`). GET, [`policy::Jwt`](crate::policy::Jwt). The handler's doc comment becomes the macro's description.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key (macro keys are global) |
/// | `name` | required | the macro name |
/// | `url` | required | the rendering URL, e.g. `/macro?pageId={page.id}` |
/// | `output_type` | optional | `block` (default) or `inline` |
/// | `body_type` | optional | `none` (default), `plain-text` or `rich-text` |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// /// Shows the page id.
/// #[connect::dynamic_content_macro(key = "page-id", name = "Page id", url = "/macro?pageId={page.id}")]
/// async fn page_id(page_id: String) -> Html<String> {
///     Html(format!("<span>{page_id}</span>"))
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![page_id]);
/// ```
#[doc(inline)]
pub use connect_macros::dynamic_content_macro;

/// A Confluence static content macro (`staticContentMacros`): as `dynamic_content_macro`.
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the macro name |
/// | `url` | required | the rendering URL |
/// | `output_type` | optional | `block` (default) or `inline` |
/// | `body_type` | optional | `none` (default), `plain-text` or `rich-text` |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::static_content_macro(key = "static", name = "Static", url = "/static-macro")]
/// async fn static_macro() -> Html<&'static str> {
///     Html("<b>static</b>")
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![static_macro]);
/// ```
#[doc(inline)]
pub use connect_macros::static_content_macro;

/// A Confluence space tools tab (`spaceToolsTabs`). GET, [`policy::Jwt`](crate::policy::Jwt).
///
/// | argument | | meaning |
/// |---|---|---|
/// | `key` | required | module key |
/// | `name` | required | the tab title |
/// | `url` | required | the tab URL, e.g. `/space?spaceKey={space.key}` |
/// | `location` | optional | the tab's section |
///
/// Also `extra`, `unchecked` and `crate`, as every module attribute: see the
/// [module documentation](self).
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::space_tools_tab(key = "tools", name = "Tools", url = "/space?spaceKey={space.key}")]
/// async fn tools(space_key: String) -> String {
///     space_key
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![tools]);
/// ```
#[doc(inline)]
pub use connect_macros::space_tools_tab;

/// An app route that is not a descriptor module (AJAX endpoints, public assets):
/// `#[connect::route(METHOD, "/path", auth = jwt|context|none)]`.
///
/// | argument | | meaning |
/// |---|---|---|
/// | method | required, first | `GET`, `POST`, `PUT`, `DELETE` or `PATCH` |
/// | path | required, second | the route path; `{variable}` segments bind arguments by name |
/// | `auth` | optional | `jwt` (default: HS256 with the request's `qsh`), `context` (also accepts `AP.context.getToken()` tokens, `qsh: context-qsh`) or `none` (public: `Context` and `Tenant` cannot be asked for) |
/// | `crate` | optional | path of a renamed `atlassian-connect` |
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::route(GET, "/api/notes/{id}", auth = context)]
/// async fn note(id: u32, ctx: Context) -> Result<Json<String>, AppError> {
///     if id == 0 {
///         return Err(AppError::not_found("no such note"));
///     }
///     Ok(Json(format!("note {id} of {}", ctx.tenant().client_key)))
/// }
///
/// #[connect::route(GET, "/images/icon.svg", auth = none)]
/// async fn icon() -> &'static str {
///     "<svg/>"
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![note, icon]);
/// ```
#[doc(inline)]
pub use connect_macros::route;

/// A lifecycle hook: runs after a verified signed install (or reinstall) was stored. The framework
/// owns the `/installed` route; the hook takes `Tenant` (the stored tenant), `HostClient` (calls to
/// its site) and `State<T>` arguments, and returns `()` or `Result<(), E>` with `E` convertible
/// into `AppError`. A failing hook answers 500, so the product reports the event as failed and may
/// retry. The only argument is `crate = "path"`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::installed]
/// async fn on_installed(tenant: Tenant) -> Result<(), AppError> {
///     let _ = tenant.client_key;
///     Ok(())
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![on_installed]);
/// ```
#[doc(inline)]
pub use connect_macros::installed;

/// A lifecycle hook: runs after a verified uninstall marked the tenant uninstalled. The framework
/// owns the `/uninstalled` route; the hook takes `Tenant` (the stored tenant), `HostClient` (calls
/// to its site) and `State<T>` arguments, and returns `()` or `Result<(), E>` with `E` convertible
/// into `AppError`. A failing hook answers 500, so the product reports the event as failed and may
/// retry. The only argument is `crate = "path"`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::uninstalled]
/// async fn on_uninstalled(tenant: Tenant) -> Result<(), AppError> {
///     let _ = tenant.client_key;
///     Ok(())
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![on_uninstalled]);
/// ```
#[doc(inline)]
pub use connect_macros::uninstalled;

/// A lifecycle hook: runs after a verified `enabled` event was stored. The framework owns the
/// `/enabled` route; the hook takes `Tenant` (the stored tenant), `HostClient` (calls to its site)
/// and `State<T>` arguments, and returns `()` or `Result<(), E>` with `E` convertible into
/// `AppError`. A failing hook answers 500, so the product reports the event as failed and may
/// retry. The only argument is `crate = "path"`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::enabled]
/// async fn on_enabled(tenant: Tenant) -> Result<(), AppError> {
///     let _ = tenant.client_key;
///     Ok(())
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![on_enabled]);
/// ```
#[doc(inline)]
pub use connect_macros::enabled;

/// A lifecycle hook: runs after a verified `disabled` event was stored. The framework owns the
/// `/disabled` route; the hook takes `Tenant` (the stored tenant), `HostClient` (calls to its site)
/// and `State<T>` arguments, and returns `()` or `Result<(), E>` with `E` convertible into
/// `AppError`. A failing hook answers 500, so the product reports the event as failed and may
/// retry. The only argument is `crate = "path"`.
///
/// ```
/// use atlassian_connect::prelude::*;
///
/// #[connect::disabled]
/// async fn on_disabled(tenant: Tenant) -> Result<(), AppError> {
///     let _ = tenant.client_key;
///     Ok(())
/// }
///
/// let app = App::new("com.example.app", "App").handlers(handlers![on_disabled]);
/// ```
#[doc(inline)]
pub use connect_macros::disabled;
