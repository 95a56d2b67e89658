//! A complete Connect app: descriptor, signed lifecycle, and one page verified with HS256.
//!
//! ```text
//! cargo run --example hello
//! ```
//!
//! Configured by the environment (see the README): `PORT`, `CONNECT_BASE_URL` (the public URL
//! Jira reaches, e.g. a tunnel), `DATABASE_URL` (default `sqlite://connect.db`),
//! `CONNECT_KEYS_CDN_URL`, `CONNECT_JWT_LEEWAY_SECS`, `CONNECT_ALLOWED_TENANT_HOSTS`.
//! The page routes are assembled by hand here; the attribute macros will generate them.

use anyhow::Context as _;
use atlassian_connect::prelude::*;
use atlassian_connect::store;
use serde_json::json;
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let settings = ServerSettings::from_env()?;
    let config = ConnectConfig::from_env()?;
    let store = store::open(&settings.database_url)
        .await
        .with_context(|| "opening the tenant store (DATABASE_URL)")?;

    let info = AppInfo::new("com.example.hello", "Hello")
        .description("Says hello to the signed-in user")
        .vendor("Example", "https://example.com")
        .scopes([Scope::Read])
        .module(
            "generalPages",
            json!({
                "key": "hello",
                "name": { "value": "Hello" },
                "url": "/hello",
                "location": "system.top.navigation.bar"
            }),
        );
    let app = ConnectApp::new(info, config, store)?;
    tracing::info!(
        key = app.key(),
        base_url = %app.config().base_url,
        "descriptor at {}atlassian-connect.json",
        app.config().base_url
    );

    // A page of the `hello` general page module: SharedSecret policy (HS256 + qsh).
    let hello = warp::path!("hello")
        .and(warp::get())
        .and(app.shared_secret())
        .map(|ctx: Context| warp::reply::html(hello_page(&ctx)));

    let addr = SocketAddr::from(([0, 0, 0, 0], settings.port));
    atlassian_connect::server::serve(app.filter_with(hello), addr).await?;
    Ok(())
}

fn hello_page(ctx: &Context) -> String {
    let user = ctx.account_id().unwrap_or("anonymous");
    format!(
        "<!DOCTYPE html><html><head><script src=\"https://connect-cdn.atl-paas.net/all.js\" async></script></head>\
         <body><p>Hello {} on {}</p></body></html>",
        html_escape::encode_text(user),
        html_escape::encode_text(&ctx.tenant().base_url),
    )
}
