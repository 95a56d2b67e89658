//! Annotated handlers over real HTTP: lifecycle hooks run after the event is stored (and a
//! failing hook is reported to the product), typed path and query parameters, and each auth
//! policy refusing what it must.

use crate::common::Running;
use atlassian_connect::TenantStore;
use atlassian_connect::prelude::*;
use connect_testing::Site;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tenants the install hook saw, in order. A test-local record, not framework state.
static HOOKED: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
static ENABLED: AtomicUsize = AtomicUsize::new(0);

#[connect::installed]
async fn record_install(tenant: Tenant) {
    // The hook sees the tenant as stored: secret already replaced, not uninstalled.
    HOOKED
        .lock()
        .unwrap()
        .push((tenant.client_key.clone(), tenant.uninstalled));
}

#[connect::enabled]
async fn count_enable() -> Result<(), String> {
    ENABLED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[connect::disabled]
async fn refuse_disable(tenant: Tenant) -> Result<(), String> {
    Err(format!("cannot disable {}", tenant.client_key))
}

#[connect::project_page(
    key = "project",
    name = "Project",
    url = "/project/{project.key}?tab={tab}"
)]
async fn project(project_key: String, tab: String, ctx: Context) -> String {
    format!("{project_key}|{tab}|{}", ctx.tenant().client_key)
}

#[derive(Deserialize)]
struct Paging {
    page: u32,
    size: Option<u32>,
}

#[connect::route(GET, "/api/items/{n}", auth = context)]
async fn items(n: u32, paging: Query<Paging>) -> String {
    format!("{n}|{}|{:?}", paging.0.page, paging.0.size)
}

#[connect::route(GET, "/health", auth = none)]
async fn health() -> &'static str {
    "ok"
}

/// The tenants `echo` was handed, to compare with the store's.
static ECHOED: Mutex<Vec<Tenant>> = Mutex::new(Vec::new());

#[connect::route(POST, "/api/echo", auth = jwt)]
async fn echo(body: Json<serde_json::Value>, tenant: Tenant) -> Json<serde_json::Value> {
    let answer = serde_json::json!({"tenant": tenant.client_key, "body": body.0});
    ECHOED.lock().unwrap().push(tenant);
    Json(answer)
}

async fn start() -> Running {
    let app = App::new("com.example.handlers", "Handlers").handlers(handlers![
        record_install,
        count_enable,
        refuse_disable,
        project,
        items,
        health,
        echo
    ]);
    Running::start(app, "https://handlers.example.com").await
}

#[tokio::test]
async fn hooks_run_after_the_event_is_stored_and_failures_reach_the_product() {
    let Running {
        host,
        app,
        store,
        _server,
    } = start().await;
    let site = Site::jira("hooked");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    assert!(
        HOOKED
            .lock()
            .unwrap()
            .contains(&(site.client_key.clone(), false))
    );

    let before = ENABLED.load(Ordering::SeqCst);
    assert_eq!(host.enable(&app, &site).await.unwrap().status, 204);
    assert_eq!(ENABLED.load(Ordering::SeqCst), before + 1);

    // The disable hook fails: the product gets a 500 and may retry; the event was stored.
    let disabled = host.disable(&app, &site).await.unwrap();
    assert_eq!(disabled.status, 500);
    assert!(!disabled.body.contains(&site.shared_secret));
    assert!(
        !store
            .get(app.key(), &site.client_key)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );

    // A refused event runs no hook.
    let mut forged = site.clone();
    forged.shared_secret = "guess".into();
    assert_eq!(host.enable(&app, &forged).await.unwrap().status, 401);
    assert_eq!(ENABLED.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn path_and_query_parameters_are_typed() {
    let Running {
        host, app, _server, ..
    } = start().await;
    let site = Site::jira("params");
    host.install(&app, &site).await.unwrap();
    let context = BTreeMap::from([
        ("project.key".to_owned(), "PRJ".to_owned()),
        ("tab".to_owned(), "a b".to_owned()),
    ]);
    let page = host
        .load_page(&app, &site, "project", &context)
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body, format!("PRJ|a b|{}", site.client_key));

    let ok = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/items/7?page=2")
        .await
        .unwrap();
    assert_eq!((ok.status, ok.body.as_str()), (200, "7|2|None"));
    // A path parameter that is not a u32, or a query that does not fit, is a 400.
    let bad_path = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/items/seven?page=2")
        .await
        .unwrap();
    assert_eq!(bad_path.status, 400);
    let bad_query = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/items/7?page=x")
        .await
        .unwrap();
    assert_eq!(bad_query.status, 400);
}

#[tokio::test]
async fn each_policy_refuses_what_it_must() {
    let Running {
        host,
        app,
        store,
        _server,
    } = start().await;
    let site = Site::jira("policies");
    host.install(&app, &site).await.unwrap();
    let http = reqwest::Client::new();

    // auth = none: reachable without a token, and still carries the security headers.
    let health = http
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.headers()["cache-control"], "no-cache, no-store");

    // auth = context: no token, or a token for another request, is refused.
    assert_eq!(
        http.get(format!("{}/api/items/1?page=1", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // auth = jwt: a context token is refused; a token bound to this request is accepted.
    let context = host.context_token(&site);
    let refused = http
        .post(format!("{}/api/echo", app.address))
        .header("authorization", format!("JWT {context}"))
        .json(&serde_json::json!({"x": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let token = connect_testing::TokenSpec::for_request(&site.client_key, "POST", "/api/echo", "")
        .sign_hs256(site.shared_secret.as_bytes());
    let accepted = http
        .post(format!("{}/api/echo", app.address))
        .header("authorization", format!("JWT {token}"))
        .json(&serde_json::json!({"x": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let body: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"tenant": site.client_key, "body": {"x": 1}})
    );
    // The `Tenant` extractor handed out the store's own record, not a copy of it.
    let stored = store
        .get(app.key(), &site.client_key)
        .await
        .unwrap()
        .unwrap();
    let handed = ECHOED
        .lock()
        .unwrap()
        .iter()
        .rfind(|tenant| tenant.client_key == site.client_key)
        .cloned()
        .unwrap();
    assert!(Tenant::ptr_eq(&handed, &stored));

    // Handler routes take bodies larger than the lifecycle limit (a webhook carries a whole
    // issue), up to their own.
    let large = serde_json::json!({"description": "d".repeat(300 * 1024)});
    let accepted = http
        .post(format!("{}/api/echo", app.address))
        .header("authorization", format!("JWT {token}"))
        .json(&large)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let body: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(body["body"], large);
    let too_large = serde_json::json!({"description": "d".repeat(1024 * 1024)});
    let refused = http
        .post(format!("{}/api/echo", app.address))
        .header("authorization", format!("JWT {token}"))
        .json(&too_large)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);

    // Wrong method on a known path is 405, unknown path 404.
    assert_eq!(
        http.delete(format!("{}/health", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        http.get(format!("{}/nowhere", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
