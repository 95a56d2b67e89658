//! A Connect app on 127.0.0.1 with an in-memory store, a local key CDN and a signing key pair:
//! everything a test needs to act as Jira, or as an attacker.
#![allow(dead_code)]

use connect_runtime::__private::{RunningServer, spawn};
use connect_runtime::config::{ConnectConfig, HostRule};
use connect_runtime::store::MemoryStore;
use connect_runtime::{App, ConnectApp, Context};
use connect_testing::{AppUnderTest, KeyCdn, KeyPair, ProductHost, TokenSpec, install_payload};
use secrecy_fingerprint::fingerprint;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use warp::Filter;

pub const APP_KEY: &str = "com.example.test";
/// The app's public baseUrl (as behind a tunnel): what install tokens must name in `aud`.
pub const APP_BASE_URL: &str = "https://connect-app.example.com";
pub const TENANT_BASE_URL: &str = "https://acme.atlassian.net";

/// One RSA key pair per test binary: generation is the slowest step.
pub static KEYS: LazyLock<KeyPair> = LazyLock::new(|| KeyPair::generate("connect/test-kid-1"));

/// How the test app is assembled: the same descriptor and routes either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Raw modules plus hand-built warp routes behind the policy filters.
    HandBuilt,
    /// Attribute macros and `handlers![...]`.
    Macros,
}

pub struct TestApp {
    pub app: ConnectApp,
    pub cdn: KeyCdn,
    pub store: Arc<MemoryStore>,
    pub server: RunningServer,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts the hand-assembled app with the test config, adjusted by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut ConnectConfig)) -> Self {
        Self::start_flavour(Flavour::HandBuilt, adjust).await
    }

    /// Starts the app of `flavour` with the test config, adjusted by `adjust` (timeouts,
    /// leeway...).
    pub async fn start_flavour(flavour: Flavour, adjust: impl FnOnce(&mut ConnectConfig)) -> Self {
        let cdn = KeyCdn::start().await.expect("key CDN");
        cdn.publish(&KEYS);
        let mut config = ConnectConfig::new(APP_BASE_URL.parse().expect("url"));
        config.key_cdn_urls = vec![cdn.url().parse().expect("cdn url")];
        config.key_fetch_timeout = Duration::from_millis(500);
        config.jwt_leeway = Duration::from_secs(5);
        config.allowed_tenant_hosts = vec![
            HostRule::parse(".atlassian.net").expect("rule"),
            HostRule::parse("127.0.0.1").expect("rule"),
        ];
        config.max_lifecycle_body_bytes = 8 * 1024;
        adjust(&mut config);
        let store = Arc::new(MemoryStore::default());
        let (app, filter) = match flavour {
            Flavour::HandBuilt => {
                let app = test_app().build(config, store.clone()).expect("app");
                let filter = app.filter_with(test_routes(&app));
                (app, filter)
            }
            Flavour::Macros => {
                let app = macro_built::app()
                    .build(config, store.clone())
                    .expect("app");
                let filter = app.filter();
                (app, filter)
            }
        };
        let server = spawn(filter, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("server");
        Self {
            app,
            cdn,
            store,
            server,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, target: &str) -> String {
        format!("{}{}", self.server.url(), target)
    }

    /// An RS256 install-event token for `client_key`, as Jira signs it.
    pub fn lifecycle_spec(&self, client_key: &str, event: &str) -> TokenSpec {
        TokenSpec::for_request(client_key, "POST", &format!("/{event}"), "")
            .claim("aud", json!(APP_BASE_URL))
    }

    /// POSTs `body` to `/{event}` with `Authorization: JWT {token}` when a token is given.
    pub async fn post_event(
        &self,
        event: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url(&format!("/{event}"))).json(body);
        if let Some(token) = token {
            request = request.header("authorization", format!("JWT {token}"));
        }
        request.send().await.expect("request")
    }

    /// A correctly signed install of `client_key` with `secret`; asserts 204.
    pub async fn install(&self, client_key: &str, secret: &str) {
        let token = self
            .lifecycle_spec(client_key, "installed")
            .sign_rs256(&KEYS);
        let body = install_payload(APP_KEY, client_key, secret, TENANT_BASE_URL, "installed");
        let response = self.post_event("installed", Some(&token), &body).await;
        assert_eq!(
            response.status(),
            204,
            "install: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// A correctly signed HS256 enable/disable event.
    pub async fn toggle(&self, client_key: &str, secret: &str, event: &str) -> reqwest::Response {
        let token = TokenSpec::for_request(client_key, "POST", &format!("/{event}"), "")
            .sign_hs256(secret.as_bytes());
        let body = install_payload(APP_KEY, client_key, secret, TENANT_BASE_URL, event);
        self.post_event(event, Some(&token), &body).await
    }

    /// GETs `target` with a page-load token (in the `jwt` query parameter, as the product does).
    pub async fn load_page(
        &self,
        client_key: &str,
        secret: &str,
        target: &str,
    ) -> reqwest::Response {
        let token =
            TokenSpec::for_request(client_key, "GET", target, "").sign_hs256(secret.as_bytes());
        let separator = if target.contains('?') { '&' } else { '?' };
        self.http
            .get(self.url(&format!("{target}{separator}jwt={token}")))
            .send()
            .await
            .expect("request")
    }

    /// Every stored tenant, secret included (hashed), sorted: compare before and after a
    /// refused request to prove nothing changed.
    pub fn state(&self) -> Vec<String> {
        fingerprint(&self.store.snapshot())
    }
}

/// The test app's definition: one page and one webhook as raw modules; its routes are
/// hand-built ([`test_routes`]).
pub fn test_app() -> App {
    App::new(APP_KEY, "Test app")
        .module(
            "generalPages",
            json!({"key": "hello", "name": {"value": "Hello"}, "url": "/hello", "location": "system.top.navigation.bar"}),
        )
        .module("webhooks", json!({"event": "jira:issue_created", "url": "/webhooks/issue-created"}))
}

/// The test app's own routes: a page (`Jwt`), a webhook (`Jwt`), a context route (`ContextJwt`).
pub fn test_routes(
    app: &ConnectApp,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection>
+ Clone
+ Send
+ Sync
+ 'static {
    use warp::Reply;
    let describe = |ctx: Context| {
        warp::reply::json(&json!({
            "clientKey": ctx.tenant().client_key,
            "accountId": ctx.account_id(),
            "context": ctx.is_context_token(),
        }))
        .into_response()
    };
    let hello = warp::path!("hello")
        .and(warp::get())
        .and(app.shared_secret())
        .map(describe);
    let webhook = warp::path!("webhooks" / "issue-created")
        .and(warp::post())
        .and(app.shared_secret())
        .and(warp::body::json())
        .map(|ctx: Context, event: Value| {
            warp::reply::json(
                &json!({"clientKey": ctx.tenant().client_key, "event": event["webhookEvent"]}),
            )
            .into_response()
        });
    let notes = warp::path!("api" / "notes")
        .and(warp::get())
        .and(app.context())
        .map(describe);
    hello.or(webhook).unify().or(notes).unify()
}

/// An app built from its definition and served on 127.0.0.1, connected to a simulated
/// product whose key CDN it trusts and whose `.atlassian.net` sites it accepts.
pub struct Running {
    pub host: ProductHost,
    pub app: AppUnderTest,
    pub store: Arc<MemoryStore>,
    pub _server: RunningServer,
}

impl Running {
    /// Builds `app` for `base_url` over a fresh memory store and serves it.
    pub async fn start(app: App, base_url: &str) -> Self {
        let host = ProductHost::start().await.expect("product host");
        let mut config = ConnectConfig::new(base_url.parse().expect("base url"));
        config.key_cdn_urls = vec![host.cdn_url().parse().expect("cdn url")];
        config.allowed_tenant_hosts = vec![HostRule::parse(".atlassian.net").expect("rule")];
        let store = Arc::new(MemoryStore::default());
        let built = app.build(config, store.clone()).expect("app");
        let server = spawn(built.filter(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("server");
        let app = host.connect(&server.url()).await.expect("descriptor");
        Self {
            host,
            app,
            store,
            _server: server,
        }
    }
}

/// The security headers every response must carry (Atlassian's requirements).
pub fn assert_security_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(
        header("cache-control"),
        "no-cache, no-store",
        "{}",
        response.url()
    );
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert!(header("strict-transport-security").starts_with("max-age="));
}

/// The test app written as a user writes it: the same modules and routes as
/// [`test_app`] + [`test_routes`], from attributes.
pub mod macro_built {
    use super::APP_KEY;
    use atlassian_connect::prelude::*;
    use serde_json::{Value, json};

    fn describe(ctx: &Context) -> Json<Value> {
        Json(json!({
            "clientKey": ctx.tenant().client_key,
            "accountId": ctx.account_id(),
            "context": ctx.is_context_token(),
        }))
    }

    #[connect::general_page(
        key = "hello",
        name = "Hello",
        url = "/hello",
        location = "system.top.navigation.bar"
    )]
    async fn hello(ctx: Context) -> Json<Value> {
        describe(&ctx)
    }

    #[connect::webhook(event = "jira:issue_created", url = "/webhooks/issue-created")]
    async fn issue_created(ctx: Context, event: Json<Value>) -> Json<Value> {
        Json(json!({"clientKey": ctx.tenant().client_key, "event": event.0["webhookEvent"]}))
    }

    #[connect::route(GET, "/api/notes", auth = context)]
    async fn notes(ctx: Context) -> Json<Value> {
        describe(&ctx)
    }

    pub fn app() -> App {
        App::new(APP_KEY, "Test app").handlers(handlers![hello, issue_created, notes])
    }
}

mod secrecy_fingerprint {
    use connect_runtime::Tenant;
    use secrecy::ExposeSecret;

    pub fn fingerprint(tenants: &[Tenant]) -> Vec<String> {
        let mut rows: Vec<String> = tenants
            .iter()
            .map(|t| {
                format!(
                    "{}|{}|{}|{}|enabled={}|uninstalled={}|{}|{}",
                    t.app_key,
                    t.client_key,
                    t.shared_secret.expose_secret(),
                    t.base_url,
                    t.enabled,
                    t.uninstalled,
                    t.updated_at,
                    t.install_payload
                )
            })
            .collect();
        rows.sort();
        rows
    }
}
