//! A Jira app declared with attributes: a general page that greets the user with a name read
//! from Jira, an issue glance with `{issue.key}`, a webhook with a typed body, JSON routes for
//! the iframe's `AP.context.getToken()` calls (one of them calling Jira as the user), and an
//! install hook. With `FORGE_APP_ID` set it is also a Connect-on-Forge app with a Forge Remote
//! endpoint (`POST /forge/myself`) and a Forge lifecycle trigger (`POST /forge/lifecycle`).
//!
//! ```text
//! cargo run --example hello
//! FORGE_APP_ID=ari:cloud:ecosystem::app/<uuid> cargo run --example hello -- manifest -o manifest.yml
//! ```
//!
//! Configured by the environment (see the README): `PORT`, `CONNECT_BASE_URL`, `DATABASE_URL`
//! (default `sqlite://connect.db`), `CONNECT_KEYS_CDN_URL`, `CONNECT_JWT_LEEWAY_SECS`,
//! `CONNECT_ALLOWED_TENANT_HOSTS`, `CONNECT_OAUTH_URL`, `FORGE_APP_ID`, `FORGE_JWKS_URL`,
//! `FORGE_ALLOWED_API_HOSTS`.

use atlassian_connect::ClientError;
use atlassian_connect::prelude::*;
use atlassian_connect::warp;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Who `GET /rest/api/3/myself` says the caller is.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Myself {
    /// The name Jira shows for the caller.
    pub display_name: String,
}

/// A page in Jira's top navigation. Verified with the tenant's shared secret and the qsh claim;
/// greets with the `displayName` Jira gives for `/rest/api/3/myself`, asked as the app. When
/// Jira cannot be reached (or rate limits the app past its retries) the page still loads and
/// says so.
#[connect::general_page(
    key = "hello",
    name = "Hello",
    url = "/hello",
    location = "system.top.navigation.bar"
)]
async fn hello(ctx: Context, jira: HostClient) -> Html<String> {
    let greeting = match myself(&jira).await {
        Ok(me) => format!("Hello {}", html_escape::encode_text(&me.display_name)),
        Err(error) => {
            tracing::warn!(client_key = ?ctx.tenant().client_key, error = ?error.to_string(), "could not read /rest/api/3/myself");
            format!(
                "Hello! (Jira did not tell us your name: {}.)",
                html_escape::encode_text(error.public_message())
            )
        }
    };
    Html(format!(
        "<!DOCTYPE html><html><head><script src=\"https://connect-cdn.atl-paas.net/all.js\" async></script></head>\
         <body><p>{greeting}</p><p>Site: {}</p></body></html>",
        html_escape::encode_text(&ctx.tenant().base_url),
    ))
}

async fn myself(client: &HostClient) -> Result<Myself, ClientError> {
    client.get("/rest/api/3/myself").send().await?.json().await
}

/// The calling user's name, read from Jira **as that user** (the `sub` of the context token),
/// for the iframe's JavaScript.
#[connect::route(GET, "/api/me", auth = context)]
async fn me(ctx: Context, jira: HostClient) -> Result<Json<serde_json::Value>, AppError> {
    let account_id = ctx
        .account_id()
        .ok_or_else(|| AppError::bad_request("this token names no user"))?;
    let me = myself(&jira.as_user(account_id)).await?;
    Ok(Json(serde_json::json!({ "displayName": me.display_name })))
}

/// A glance on the issue view; the issue key arrives as a typed context parameter.
#[connect::issue_glance(
    key = "hello-glance",
    name = "Hello glance",
    url = "/glance?issueKey={issue.key}",
    icon = "/images/hello.svg",
    content = "Hello"
)]
async fn glance(issue_key: String, ctx: Context) -> Html<String> {
    Html(format!(
        "<p>{} is looking at {}</p>",
        html_escape::encode_text(ctx.account_id().unwrap_or("someone")),
        html_escape::encode_text(&issue_key)
    ))
}

/// The glance icon: a public asset, so `auth = none` (and no `Context` can be asked for).
#[connect::route(GET, "/images/hello.svg", auth = none)]
async fn glance_icon() -> WarpReply<impl warp::Reply> {
    WarpReply(warp::reply::with_header(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" fill="#0052CC"/></svg>"##,
        "content-type",
        "image/svg+xml",
    ))
}

/// The part of Jira's `jira:issue_created` payload this app reads.
#[derive(Debug, Deserialize, Serialize)]
pub struct IssueEvent {
    /// The event name.
    #[serde(rename = "webhookEvent")]
    pub webhook_event: String,
    /// The issue.
    pub issue: Issue,
}

/// An issue of a webhook payload.
#[derive(Debug, Deserialize, Serialize)]
pub struct Issue {
    /// The issue key, e.g. `TEST-1`.
    pub key: String,
}

/// The issues this app heard about, per tenant: shared state given to `App::state`.
#[derive(Debug, Default)]
pub struct Issues(Mutex<Vec<(String, String)>>);

impl Issues {
    fn record(&self, client_key: &str, issue_key: &str) -> Result<(), AppError> {
        let mut issues = self.0.lock().map_err(|_| "the issue list is poisoned")?;
        issues.push((client_key.to_owned(), issue_key.to_owned()));
        Ok(())
    }

    fn of(&self, client_key: &str) -> Result<Vec<String>, AppError> {
        let issues = self.0.lock().map_err(|_| "the issue list is poisoned")?;
        Ok(issues
            .iter()
            .filter(|(tenant, _)| tenant == client_key)
            .map(|(_, issue)| issue.clone())
            .collect())
    }
}

/// A webhook: the descriptor entry and the POST route come from this one attribute.
#[connect::webhook(event = "jira:issue_created", url = "/webhooks/issue-created")]
async fn issue_created(
    tenant: Tenant,
    issues: State<Issues>,
    event: Json<IssueEvent>,
) -> Result<Json<serde_json::Value>, AppError> {
    tracing::info!(client_key = ?tenant.client_key, issue = ?event.0.issue.key, "issue created");
    issues.record(&tenant.client_key, &event.0.issue.key)?;
    Ok(Json(serde_json::json!({ "received": event.0.issue.key })))
}

/// A note as the iframe's JavaScript reads it.
#[derive(Debug, Serialize)]
pub struct Note {
    /// Who the note is for.
    pub account_id: String,
    /// The note.
    pub text: String,
}

/// An AJAX endpoint called from the app's iframe with a token from `AP.context.getToken()`.
#[connect::route(GET, "/api/notes", auth = context)]
async fn notes(ctx: Context) -> Json<Vec<Note>> {
    Json(vec![Note {
        account_id: ctx.account_id().unwrap_or_default().to_owned(),
        text: format!("Welcome to {}", ctx.tenant().base_url),
    }])
}

/// The latest issue created on the caller's site, or 404 when there is none yet.
#[connect::route(GET, "/api/issues/latest", auth = context)]
async fn latest_issue(
    ctx: Context,
    issues: State<Issues>,
) -> Result<Option<Json<String>>, AppError> {
    Ok(issues.of(&ctx.tenant().client_key)?.pop().map(Json))
}

/// A Forge Remote endpoint: Forge calls it with a Forge Invocation Token and the app's system
/// token. Answers who Jira says the app is (asked with the system token), the installation,
/// and the clientKey of the Connect tenant of the same site (or `null`).
#[forge::remote(key = "hello-remote", path = "/forge/myself", method = POST, system_token)]
async fn forge_myself(
    forge: ForgeContext,
    jira: ForgeClient,
) -> Result<Json<serde_json::Value>, AppError> {
    let me: Myself = jira.get("/rest/api/3/myself").send().await?.json().await?;
    let client_key = forge
        .tenant()
        .await?
        .map(|tenant| tenant.client_key.clone());
    Ok(Json(serde_json::json!({
        "displayName": me.display_name,
        "installationId": forge.installation_id(),
        "clientKey": client_key,
    })))
}

/// Forge's lifecycle event, delivered to the remote by a trigger. The framework links the
/// installation to the Connect tenant of the same site before this runs.
#[forge::trigger(
    key = "hello-lifecycle",
    events = ["avi:forge:installed:app"],
    path = "/forge/lifecycle"
)]
async fn forge_lifecycle(forge: ForgeContext) -> Json<serde_json::Value> {
    tracing::info!(installation = ?forge.installation_id(), "Forge installed the app");
    Json(serde_json::json!({ "installationId": forge.installation_id() }))
}

/// Runs after the framework verified and stored the installation.
#[connect::installed]
async fn on_install(tenant: Tenant, issues: State<Issues>) -> Result<(), AppError> {
    tracing::info!(client_key = ?tenant.client_key, base_url = ?tenant.base_url, "hello installed");
    let known = issues.of(&tenant.client_key)?.len();
    tracing::debug!(known, "issues already known for this site");
    Ok(())
}

/// The app: identity plus its handlers.
pub fn app() -> App {
    App::new("com.example.hello", "Hello")
        .description("Says hello to the signed-in user")
        .vendor("Example", "https://example.com")
        .scopes([Scope::Read, Scope::ActAsUser])
        .state(Issues::default())
        // The OAuth 2.0 scope of `/rest/api/3/myself`, called with Forge's system token.
        .forge_scopes(["read:jira-user"])
        .handlers(handlers![
            hello,
            glance,
            glance_icon,
            issue_created,
            notes,
            me,
            latest_issue,
            on_install,
            forge_myself,
            forge_lifecycle
        ])
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Exit {
    app().run().await.into()
}
