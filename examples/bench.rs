//! The app `bench/run.sh` measures: one handler behind an authenticated route and a public
//! one, so the difference between the two is what authentication costs.
//!
//! - `GET /bench/jwt` (`auth = jwt`): the `Jwt` policy (HS256 with the tenant's secret,
//!   `qsh` of the request), then the handler.
//! - `GET /bench/public` (`auth = none`): the same handler, nothing verified: the framework's
//!   own ceiling.
//!
//! ```text
//! cargo run --release --example bench
//! ```
//!
//! Configured like `hello` (`PORT`, `CONNECT_BASE_URL`, `DATABASE_URL`, `CONNECT_KEYS_CDN_URL`,
//! ...). `BENCH_SEED_TENANTS=N` first stores N synthetic tenants (`bench-tenant-0` ...) in the
//! `DATABASE_URL` store, for measuring how throughput scales with the number of tenants.

use atlassian_connect::prelude::*;
use serde::Serialize;

/// The small JSON body both routes answer.
#[derive(Debug, Serialize)]
pub struct Pong {
    /// Always `true`.
    pub ok: bool,
    /// What answered.
    pub app: &'static str,
}

fn pong() -> Json<Pong> {
    Json(Pong {
        ok: true,
        app: "atlassian-connect-rust",
    })
}

/// Authenticated: the request's JWT is verified before the handler runs.
#[connect::route(GET, "/bench/jwt", auth = jwt)]
async fn bench_jwt() -> Json<Pong> {
    pong()
}

/// Public: the same handler without verification.
#[connect::route(GET, "/bench/public", auth = none)]
async fn bench_public() -> Json<Pong> {
    pong()
}

/// The app: identity plus its two routes.
pub fn app() -> App {
    App::new("com.example.bench", "Bench")
        .description("Measures the cost of authentication")
        .vendor("Example", "https://example.com")
        .scopes([Scope::Read])
        .handlers(handlers![bench_jwt, bench_public])
}

/// Stores `count` synthetic tenants (skipping those already stored).
async fn seed(database_url: &str, count: usize) -> anyhow::Result<()> {
    use atlassian_connect::store;
    let store = store::open(database_url).await?;
    let key = app().key().to_owned();
    for index in 0..count {
        let client_key = format!("bench-tenant-{index}");
        if store.get(&key, &client_key).await?.is_some() {
            continue;
        }
        store
            .save(&store::TenantRecord {
                app_key: key.clone(),
                client_key: client_key.clone(),
                shared_secret: format!("bench-secret-{index}-0123456789abcdef").into(),
                base_url: format!("https://bench-{index}.atlassian.net"),
                display_url: None,
                product_type: Some("jira".into()),
                oauth_client_id: None,
                cloud_id: None,
                installation_id: None,
                enabled: true,
                uninstalled: false,
                install_payload: serde_json::json!({"clientKey": client_key, "baseUrl": format!("https://bench-{index}.atlassian.net")}),
                installed_at: 0,
                updated_at: 0,
            })
            .await?;
    }
    Ok(())
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if let Some(count) = std::env::var("BENCH_SEED_TENANTS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        let settings = ServerSettings::from_env()?;
        seed(&settings.database_url, count).await?;
    }
    app().run().await?;
    Ok(())
}
