//! Two Connect apps in one process on one port: a Jira app under `/jira` and a Confluence app
//! under `/confluence`. Each has its own key, baseUrl (so its own `aud` check) and tenants; an
//! install meant for one is refused by the other.
//!
//! ```text
//! cargo run --example two_apps
//! ```
//!
//! `CONNECT_BASE_URL` is the server's public URL; the apps' baseUrls are that URL plus `/jira`
//! and `/confluence`, and their descriptors are at `/jira/atlassian-connect.json` and
//! `/confluence/atlassian-connect.json`.

use atlassian_connect::config::ServerSettings;
use atlassian_connect::prelude::*;
use atlassian_connect::store::{self, TenantStore};
use atlassian_connect::{ConnectApp, apps_filter};
use std::sync::Arc;

/// The Jira app's page.
#[connect::general_page(
    key = "board",
    name = "Board",
    url = "/board",
    location = "system.top.navigation.bar"
)]
async fn jira_board(ctx: Context) -> Html<String> {
    Html(format!(
        "<p>Jira board for {}</p>",
        html_escape::encode_text(&ctx.tenant().base_url)
    ))
}

/// The Confluence app's macro.
#[connect::dynamic_content_macro(key = "status", name = "Status", url = "/status?pageId={page.id}")]
async fn confluence_status(page_id: String, tenant: Tenant) -> Html<String> {
    Html(format!(
        "<p>Status of page {} on {}</p>",
        html_escape::encode_text(&page_id),
        html_escape::encode_text(&tenant.base_url)
    ))
}

/// The Jira app.
pub fn jira_app() -> App {
    App::new("com.example.two-apps.jira", "Two apps: Jira").handlers(handlers![jira_board])
}

/// The Confluence app.
pub fn confluence_app() -> App {
    App::new("com.example.two-apps.confluence", "Two apps: Confluence")
        .handlers(handlers![confluence_status])
}

/// `config` with its baseUrl moved under `path` (`/jira`).
pub fn under(config: &ConnectConfig, path: &str) -> anyhow::Result<ConnectConfig> {
    let mut config = config.clone();
    let base = config.base_url.as_str().trim_end_matches('/').to_owned();
    config.base_url = format!("{base}{path}").parse()?;
    Ok(config)
}

/// Both apps built over one store.
pub fn build(
    config: &ConnectConfig,
    store: Arc<dyn TenantStore>,
) -> anyhow::Result<(ConnectApp, ConnectApp)> {
    let jira = jira_app().build(under(config, "/jira")?, Arc::clone(&store))?;
    let confluence = confluence_app().build(under(config, "/confluence")?, store)?;
    Ok((jira, confluence))
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = ServerSettings::from_env()?;
    let config = ConnectConfig::from_env()?;
    let (jira, confluence) = build(&config, store::open(&settings.database_url).await?)?;
    // One dispatch over both apps: each answers the paths under its baseUrl's path.
    atlassian_connect::serve(apps_filter([jira, confluence]), &settings).await?;
    Ok(())
}
