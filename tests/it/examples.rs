//! Every example, as users run it: its descriptor (insta snapshot, and for Jira apps the
//! published Jira descriptor schema), and its routes over real HTTP driven by the simulated
//! product host: every module refuses an unsigned request and serves a signed one.

#[path = "../../examples/bench.rs"]
pub(crate) mod bench;
#[path = "../../examples/confluence_macro.rs"]
pub(crate) mod confluence_macro;
#[path = "../../examples/hello.rs"]
pub(crate) mod hello;
#[path = "../../examples/notes/main.rs"]
pub(crate) mod notes;
#[path = "../../examples/two_apps.rs"]
pub(crate) mod two_apps;

use atlassian_connect::__private::{self as server, RunningServer};
use atlassian_connect::ConnectApp;
use atlassian_connect::store::MemoryStore;
use atlassian_connect::{ConnectConfig, TenantStore};
use connect_runtime::config::HostRule;
use connect_testing::{AppUnderTest, ProductHost, Site, TokenSpec};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

fn config(base_url: &str, host: Option<&ProductHost>) -> ConnectConfig {
    let mut config = ConnectConfig::new(base_url.parse().unwrap());
    if let Some(host) = host {
        config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
        config.client.oauth_url = Some(host.oauth_url().parse().unwrap());
    }
    // Sites served by the simulated product (whose REST API the apps call) are on 127.0.0.1.
    config.allowed_tenant_hosts = vec![
        HostRule::parse(".atlassian.net").unwrap(),
        HostRule::parse("127.0.0.1").unwrap(),
    ];
    config
}

fn descriptor(app: atlassian_connect::App, base_url: &str) -> Value {
    app.build(config(base_url, None), Arc::new(MemoryStore::default()))
        .unwrap()
        .descriptor_json()
}

// ---- descriptors ------------------------------------------------------------------------------

#[test]
fn hello_descriptor() {
    insta::assert_json_snapshot!(
        "hello",
        descriptor(hello::app(), "https://hello.example.com")
    );
}

#[test]
fn confluence_macro_descriptor() {
    insta::assert_json_snapshot!(
        "confluence_macro",
        descriptor(confluence_macro::app(), "https://macro.example.com")
    );
}

#[test]
fn two_apps_descriptors() {
    let (jira, confluence) = two_apps::build(
        &config("https://apps.example.com", None),
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    insta::assert_json_snapshot!("two_apps_jira", jira.descriptor_json());
    insta::assert_json_snapshot!("two_apps_confluence", confluence.descriptor_json());
}

/// Atlassian's published Jira descriptor schema, with `apiMigrations` extended by the two keys
/// that postdate it (`signed-install`, `context-qsh`).
pub(crate) fn jira_schema_json() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schema/jira-global-schema.json"
    );
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/schema/jira-global-schema.json"
    );
    if let Ok(original) = std::fs::read_to_string(shared) {
        assert_eq!(
            serde_json::from_str::<Value>(&original).unwrap(),
            schema,
            "schema copy drifted"
        );
    }
    let migrations = &mut schema["properties"]["apiMigrations"]["properties"];
    migrations["signed-install"] = json!({"type": "boolean"});
    migrations["context-qsh"] = json!({"type": "boolean"});
    schema
}

fn jira_schema() -> jsonschema::Validator {
    let schema = jira_schema_json();
    // The schema marks lifecycle and icon URLs `format: uri`, yet Atlassian documents them
    // relative to the baseUrl ("/installed"), as every Connect app writes them. Format checks
    // are optional in draft-04; the structure (required fields, types, key patterns,
    // additionalProperties) is what this test holds us to.
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .unwrap()
}

#[test]
fn jira_descriptors_validate_against_the_published_schema() {
    let schema = jira_schema();
    let (jira, _) = two_apps::build(
        &config("https://apps.example.com", None),
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    for (name, descriptor) in [
        (
            "hello",
            descriptor(hello::app(), "https://hello.example.com"),
        ),
        ("two_apps jira", jira.descriptor_json()),
    ] {
        let errors: Vec<String> = schema
            .iter_errors(&descriptor)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    // The schema is not vacuous: a glance without its required `target` fails it.
    let mut broken = descriptor(hello::app(), "https://hello.example.com");
    broken["modules"]["jiraIssueGlances"][0]
        .as_object_mut()
        .unwrap()
        .remove("target");
    assert!(!schema.is_valid(&broken));
    let mut broken = descriptor(hello::app(), "https://hello.example.com");
    broken["apiMigrations"]["unknown-migration"] = json!(true);
    assert!(!schema.is_valid(&broken));
}

// ---- HTTP ---------------------------------------------------------------------------------------

struct Served {
    _server: RunningServer,
    store: Arc<MemoryStore>,
}

async fn serve(
    host: &ProductHost,
    build: impl FnOnce(ConnectConfig, Arc<MemoryStore>) -> Vec<ConnectApp>,
    base_url: &str,
) -> (Served, String) {
    let store = Arc::new(MemoryStore::default());
    let apps = build(config(base_url, Some(host)), Arc::clone(&store));
    let running = server::spawn(
        atlassian_connect::apps_filter(apps),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap();
    let url = running.url();
    (
        Served {
            _server: running,
            store,
        },
        url,
    )
}

fn sample_context() -> BTreeMap<String, String> {
    [
        ("issue.key", "TEST-7"),
        ("page.id", "98765"),
        ("space.key", "DOCS"),
        ("project.key", "TEST"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Every page-like module refuses an unsigned load and serves a signed one.
async fn every_module_is_protected(host: &ProductHost, app: &AppUnderTest, site: &Site) {
    let context = sample_context();
    let http = reqwest::Client::new();
    let mut checked = 0;
    for (kind, module) in app.modules() {
        if kind == "webhooks" {
            continue;
        }
        let key = module["key"].as_str().unwrap();
        let signed = host.load_page(app, site, key, &context).await.unwrap();
        assert_eq!(signed.status, 200, "{kind} {key}: {}", signed.body);
        let url = AppUnderTest::module_url(&module).unwrap();
        let unsigned_url = format!(
            "{}{}",
            app.address,
            app.target(&connect_testing::fill_context(url, &context))
        );
        let unsigned = http.get(&unsigned_url).send().await.unwrap();
        assert_eq!(unsigned.status(), 401, "{kind} {key} unsigned");
        checked += 1;
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn hello_serves_every_module_webhook_and_context_route() {
    let host = ProductHost::start().await.unwrap();
    let (served, url) = serve(
        &host,
        |config, store| vec![hello::app().build(config, store).unwrap()],
        "https://hello.example.com",
    )
    .await;
    let app = host.connect(&url).await.unwrap();
    let site = host.serve_site(Site::jira("acme")).await.unwrap();
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    every_module_is_protected(&host, &app, &site).await;

    // The page greets with the name Jira gives the app's own user.
    let page = host
        .load_page(&app, &site, "hello", &sample_context())
        .await
        .unwrap();
    assert!(page.body.contains("<p>Hello Hello</p>"), "{}", page.body);

    // The glance icon is public.
    let icon = reqwest::get(format!("{}/images/hello.svg", app.address))
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");

    // The glance gets the issue key as a typed parameter.
    let glance = host
        .load_page(&app, &site, "hello-glance", &sample_context())
        .await
        .unwrap();
    assert!(glance.body.contains("TEST-7"), "{}", glance.body);

    // The webhook gets its typed body.
    let body = json!({"webhookEvent": "jira:issue_created", "issue": {"key": "TEST-9"}});
    let hook = host
        .send_webhook(&app, &site, "jira:issue_created", &body)
        .await
        .unwrap();
    assert_eq!(hook.status, 200);
    assert_eq!(hook.json().unwrap(), json!({"received": "TEST-9"}));
    let malformed = host
        .send_webhook(&app, &site, "jira:issue_created", &json!({"issue": 3}))
        .await
        .unwrap();
    assert_eq!(malformed.status, 400);
    let unsigned = reqwest::Client::new()
        .post(format!("{}/webhooks/issue-created", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    // The context route accepts AP.context.getToken() tokens...
    let notes = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/notes")
        .await
        .unwrap();
    assert_eq!(notes.status, 200);
    assert_eq!(notes.json().unwrap()[0]["account_id"], host.account_id());
    // ...and refuses a page-load token issued for another path.
    let other = TokenSpec::for_request(&site.client_key, "GET", "/hello", "")
        .sign_hs256(site.shared_secret.as_bytes());
    let refused = reqwest::Client::new()
        .get(format!("{}/api/notes", app.address))
        .header("authorization", format!("JWT {other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(served.store.snapshot().len(), 1);

    // The site uninstalls: the row stays, marked, and every module page is refused from now on.
    assert_eq!(host.uninstall(&app, &site).await.unwrap().status, 204);
    let tenant = served
        .store
        .get(app.key(), &site.client_key)
        .await
        .unwrap()
        .unwrap();
    assert!(tenant.uninstalled);
    let after = host
        .load_page(&app, &site, "hello", &sample_context())
        .await
        .unwrap();
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn confluence_macro_serves_its_macro_with_context_parameters() {
    let host = ProductHost::start().await.unwrap();
    let (_served, url) = serve(
        &host,
        |config, store| vec![confluence_macro::app().build(config, store).unwrap()],
        "https://macro.example.com",
    )
    .await;
    let app = host.connect(&url).await.unwrap();
    let site = Site::confluence("docs");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    every_module_is_protected(&host, &app, &site).await;
    let page = host
        .load_page(&app, &site, "page-info", &sample_context())
        .await
        .unwrap();
    assert!(
        page.body
            .contains("Page 98765 in space DOCS of https://docs.atlassian.net/wiki"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn two_apps_share_a_port_but_not_their_audience_or_tenants() {
    let host = ProductHost::start().await.unwrap();
    let (served, url) = serve(
        &host,
        |config, store| {
            let (jira, confluence) = two_apps::build(&config, store).unwrap();
            vec![jira, confluence]
        },
        "https://apps.example.com",
    )
    .await;
    let jira = host.connect(&format!("{url}/jira")).await.unwrap();
    let confluence = host.connect(&format!("{url}/confluence")).await.unwrap();
    assert_eq!(jira.base_url(), "https://apps.example.com/jira");
    assert_eq!(confluence.base_url(), "https://apps.example.com/confluence");

    let jira_site = Site::jira("acme");
    let wiki_site = Site::confluence("acme");
    assert_eq!(host.install(&jira, &jira_site).await.unwrap().status, 204);
    assert_eq!(
        host.install(&confluence, &wiki_site).await.unwrap().status,
        204
    );
    every_module_is_protected(&host, &jira, &jira_site).await;
    every_module_is_protected(&host, &confluence, &wiki_site).await;

    // An install meant for the Jira app (aud = its baseUrl) is refused by the Confluence app.
    let before = served.store.snapshot().len();
    let token = TokenSpec::for_request("intruder", "POST", "/installed", "")
        .claim("aud", json!(jira.base_url()))
        .sign_rs256(&host.keys());
    let mut body = connect_testing::install_payload(
        confluence.key(),
        "intruder",
        "s",
        "https://intruder.atlassian.net",
        "installed",
    );
    body["productType"] = json!("confluence");
    let response = reqwest::Client::new()
        .post(format!("{}/confluence/installed", confluence.address))
        .header("authorization", format!("JWT {token}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(served.store.snapshot().len(), before);
    assert!(
        served
            .store
            .get(confluence.key(), "intruder")
            .await
            .unwrap()
            .is_none()
    );

    // Tenants are per app: the Jira site's secret does not open the Confluence app's pages.
    let mut crossed = wiki_site.clone();
    crossed.client_key = jira_site.client_key.clone();
    crossed.shared_secret = jira_site.shared_secret.clone();
    let page = host
        .load_page(&confluence, &crossed, "status", &sample_context())
        .await
        .unwrap();
    assert_eq!(page.status, 401);
}

#[tokio::test]
async fn bench_answers_the_same_body_on_its_authenticated_and_public_routes() {
    let host = ProductHost::start().await.unwrap();
    let (_served, url) = serve(
        &host,
        |config, store| vec![bench::app().build(config, store).unwrap()],
        "https://bench.example.com",
    )
    .await;
    let app = host.connect(&url).await.unwrap();
    let site = Site::jira("acme");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    let token = TokenSpec::for_request(&site.client_key, "GET", "/bench/jwt", "")
        .sign_hs256(site.shared_secret.as_bytes());
    let http = reqwest::Client::new();
    let authenticated = http
        .get(format!("{}/bench/jwt", app.address))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(authenticated.status(), 200);
    let authenticated = authenticated.text().await.unwrap();
    let public = reqwest::get(format!("{}/bench/public", app.address))
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    assert_eq!(public.text().await.unwrap(), authenticated);
    assert_eq!(
        serde_json::from_str::<Value>(&authenticated).unwrap(),
        json!({"ok": true, "app": "atlassian-connect-rust"})
    );
    let unsigned = reqwest::get(format!("{}/bench/jwt", app.address))
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
}
