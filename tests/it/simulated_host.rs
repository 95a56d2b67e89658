//! Scenarios driven by the simulated product host, reading as the product's side of the story.

use crate::common::{self, test_app, test_routes};
use connect_runtime::__private::spawn;
use connect_runtime::TenantStore;
use connect_runtime::config::{ConnectConfig, HostRule};
use connect_runtime::store::MemoryStore;
use connect_testing::{ProductHost, Site};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Running {
    app: connect_testing::AppUnderTest,
    store: Arc<MemoryStore>,
    _server: connect_runtime::__private::RunningServer,
}

/// The test app, configured to fetch install keys from `host`'s CDN.
async fn start_app(host: &ProductHost) -> Running {
    let mut config = ConnectConfig::new(common::APP_BASE_URL.parse().unwrap());
    config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
    config.allowed_tenant_hosts = vec![HostRule::parse(".atlassian.net").unwrap()];
    let store = Arc::new(MemoryStore::default());
    let app = test_app().build(config, store.clone()).unwrap();
    let server = spawn(
        app.filter_with(test_routes(&app)),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let app = host.connect(&server.url()).await.unwrap();
    Running {
        app,
        store,
        _server: server,
    }
}

#[tokio::test]
async fn a_site_installs_uses_and_uninstalls_the_app() {
    let host = ProductHost::start().await.unwrap();
    let running = start_app(&host).await;
    let app = &running.app;
    let mut acme = Site::jira("acme");

    // Jira installs the app with a signed install, then enables it.
    assert_eq!(host.install(app, &acme).await.unwrap().status, 204);
    assert_eq!(host.enable(app, &acme).await.unwrap().status, 204);
    let tenant = running
        .store
        .get(app.key(), &acme.client_key)
        .await
        .unwrap()
        .unwrap();
    assert!(tenant.enabled);

    // A user opens the general page.
    let page = host
        .load_page(app, &acme, "hello", &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.json().unwrap()["accountId"], host.account_id());

    // An issue is created: the webhook arrives with its body.
    let hook = host
        .send_webhook(
            app,
            &acme,
            "jira:issue_created",
            &json!({"webhookEvent": "jira:issue_created"}),
        )
        .await
        .unwrap();
    assert_eq!(hook.status, 200);
    assert_eq!(hook.json().unwrap()["event"], "jira:issue_created");

    // The iframe calls the app's API with a context token.
    let notes = host
        .call_with_context_token(app, &acme, reqwest::Method::GET, "/api/notes")
        .await
        .unwrap();
    assert_eq!(notes.status, 200);

    // An upgrade rotates the secret; the old secret stops working.
    let old = acme.clone();
    assert_eq!(host.reinstall(app, &mut acme).await.unwrap().status, 204);
    assert_eq!(
        host.load_page(app, &acme, "hello", &BTreeMap::new())
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        host.load_page(app, &old, "hello", &BTreeMap::new())
            .await
            .unwrap()
            .status,
        401
    );

    // Uninstall: the row stays, marked, and pages are refused.
    assert_eq!(host.uninstall(app, &acme).await.unwrap().status, 204);
    assert!(
        running
            .store
            .get(app.key(), &acme.client_key)
            .await
            .unwrap()
            .unwrap()
            .uninstalled
    );
    assert_eq!(
        host.load_page(app, &acme, "hello", &BTreeMap::new())
            .await
            .unwrap()
            .status,
        401
    );
}

#[tokio::test]
async fn several_sites_are_isolated_from_each_other() {
    let host = ProductHost::start().await.unwrap();
    let running = start_app(&host).await;
    let app = &running.app;
    let sites: Vec<Site> = ["one", "two", "three"]
        .into_iter()
        .map(Site::jira)
        .collect();
    for site in &sites {
        assert_eq!(host.install(app, site).await.unwrap().status, 204);
    }
    for site in &sites {
        let page = host
            .load_page(app, site, "hello", &BTreeMap::new())
            .await
            .unwrap();
        assert_eq!(page.json().unwrap()["clientKey"], site.client_key.as_str());
    }
    // A site signing with another site's secret is refused.
    let mut impostor = sites[0].clone();
    impostor.shared_secret = sites[1].shared_secret.clone();
    assert_eq!(
        host.load_page(app, &impostor, "hello", &BTreeMap::new())
            .await
            .unwrap()
            .status,
        401
    );
    assert_eq!(
        host.key_cdn().hits(host.keys().kid()),
        1,
        "three installs, one key fetch"
    );
}

#[tokio::test]
async fn key_rotation_fetches_the_new_kid_once_and_keeps_the_old_one_cached() {
    let host = ProductHost::start().await.unwrap();
    let running = start_app(&host).await;
    let app = &running.app;
    let old_keys = host.keys();
    let old_kid = old_keys.kid().to_owned();
    assert_eq!(
        host.install(app, &Site::jira("before"))
            .await
            .unwrap()
            .status,
        204
    );
    assert_eq!(host.key_cdn().hits(&old_kid), 1);

    let new_kid = host.rotate_keys();
    assert_ne!(new_kid, old_kid);
    for name in ["after-1", "after-2", "after-3"] {
        assert_eq!(
            host.install(app, &Site::jira(name)).await.unwrap().status,
            204
        );
    }
    assert_eq!(
        host.key_cdn().hits(&new_kid),
        1,
        "the new kid is fetched once"
    );

    // A token signed just before the rotation still verifies, from the cache.
    let late = host
        .install_signed_by(app, &Site::jira("late"), &old_keys)
        .await
        .unwrap();
    assert_eq!(late.status, 204);
    assert_eq!(
        host.key_cdn().hits(&old_kid),
        1,
        "the old kid stays cached: no second fetch"
    );
    assert_eq!(running.store.snapshot().len(), 5);
}

/// An app the simulated product knows only by its descriptor (no server needed).
fn known_app(key: &str, scopes: &[&str]) -> connect_testing::AppUnderTest {
    connect_testing::AppUnderTest {
        address: "http://127.0.0.1:9".to_owned(),
        descriptor: json!({"key": key, "name": key, "scopes": scopes}),
    }
}

/// `GET` of `path` on `site` as app `key`, signed as the framework signs it.
async fn get_as_app(site: &Site, key: &str, path: &str) -> reqwest::Response {
    let token = connect_testing::TokenSpec::for_request(key, "GET", path, "")
        .sign_hs256(site.shared_secret.as_bytes());
    reqwest::Client::new()
        .get(format!("{}{path}", site.base_url))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_simulated_site_has_the_issues_it_was_given_and_404_for_others() {
    let host = ProductHost::start().await.unwrap();
    let site = host.serve_site(Site::jira("issues")).await.unwrap();
    let app = known_app("com.example.issues", &["READ"]);
    host.api().record_install(&app, &site);
    host.api()
        .set_issue(&site, "TEST-1", json!({"summary": "The first"}));

    let found = get_as_app(&site, app.key(), "/rest/api/3/issue/TEST-1").await;
    assert_eq!(found.status(), 200);
    let issue: serde_json::Value = found.json().await.unwrap();
    assert_eq!(issue["key"], "TEST-1");
    assert_eq!(issue["fields"]["summary"], "The first");

    let missing = get_as_app(&site, app.key(), "/rest/api/3/issue/TEST-2").await;
    assert_eq!(missing.status(), 404);
    let other_site = host.serve_site(Site::jira("elsewhere")).await.unwrap();
    host.api().record_install(&app, &other_site);
    let elsewhere = get_as_app(&other_site, app.key(), "/rest/api/3/issue/TEST-1").await;
    assert_eq!(elsewhere.status(), 404, "issues belong to their site");
}

#[tokio::test]
async fn the_simulated_authorization_server_needs_act_as_user() {
    let host = ProductHost::start().await.unwrap();
    let assertion = |site: &Site| {
        let now = connect_testing::unix_now();
        connect_testing::TokenSpec::from_claims(json!({
            "iss": format!("urn:atlassian:connect:clientid:{}", site.oauth_client_id()),
            "sub": "urn:atlassian:connect:useraccountid:557058:user",
            "tnt": site.base_url,
            "aud": host.oauth_url().trim_end_matches('/'),
            "iat": now,
            "exp": now + 30,
        }))
        .sign_hs256(site.shared_secret.as_bytes())
    };
    let ask = |assertion: String| {
        reqwest::Client::new()
            .post(format!(
                "{}/oauth2/token",
                host.oauth_url().trim_end_matches('/')
            ))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
                ("scope", "READ ACT_AS_USER"),
            ])
            .send()
    };
    let without = host.serve_site(Site::jira("no-act-as-user")).await.unwrap();
    host.api()
        .record_install(&known_app("com.example.plain", &["READ"]), &without);
    let refused = ask(assertion(&without)).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(
        refused.text().await.unwrap().contains("ACT_AS_USER"),
        "the refusal names the scope"
    );

    let with = host.serve_site(Site::jira("act-as-user")).await.unwrap();
    host.api().record_install(
        &known_app("com.example.user", &["READ", "ACT_AS_USER"]),
        &with,
    );
    let issued = ask(assertion(&with)).await.unwrap();
    assert_eq!(issued.status(), 200);
    let token: serde_json::Value = issued.json().await.unwrap();
    assert!(token["access_token"].as_str().is_some());
}
