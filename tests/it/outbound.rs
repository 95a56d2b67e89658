//! Calls from the app back to the product, against the simulated product's REST API and
//! authorization server (which verify every token as Atlassian does): as the app on a Jira site
//! at the root and a Confluence site under `/wiki`, as a user, rate limits and retries, foreign
//! hosts, guards, and the reference library's verdict on the app's tokens.

use crate::common::APP_BASE_URL;
use atlassian_connect::TenantStore;
use atlassian_connect::extract::{Require, SiteAdmin, SpaceAdmin};
use atlassian_connect::prelude::*;
use connect_runtime::__private::{RunningServer, spawn};
use connect_runtime::ClientError;
use connect_runtime::config::{HostRule, RetryPolicy};
use connect_runtime::store::MemoryStore;
use connect_testing::{AppUnderTest, Caller, ProductHost, RateLimit, Site, TokenSpec};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "com.example.outbound";
const USER: &str = "557058:alice";

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    display_name: String,
}

#[connect::general_page(key = "greeting", name = "Greeting", url = "/greeting")]
async fn greeting(jira: HostClient) -> Result<String, AppError> {
    let me: Me = jira.get("/rest/api/3/myself").send().await?.json().await?;
    Ok(format!("Hello {}", me.display_name))
}

#[connect::route(GET, "/api/me", auth = context)]
async fn me(ctx: Context, client: HostClient) -> Result<Json<Value>, AppError> {
    let account = ctx
        .account_id()
        .ok_or_else(|| AppError::bad_request("no user"))?;
    let me: Me = client
        .as_user(account)
        .get("/rest/api/3/myself")
        .send()
        .await?
        .json()
        .await?;
    Ok(Json(json!({"displayName": me.display_name})))
}

#[connect::route(PUT, "/api/settings", auth = context)]
async fn save_settings(_: Require<SiteAdmin>) -> StatusCode {
    StatusCode::NO_CONTENT
}

#[connect::route(GET, "/api/space-settings", auth = context)]
async fn space_settings(_: Require<SpaceAdmin>) -> &'static str {
    "space admin"
}

#[connect::general_page(key = "reports", name = "Reports", url = "/reports")]
async fn reports(_: Licensed, ctx: Context) -> String {
    format!("{:?}", ctx.license())
}

struct Setup {
    host: ProductHost,
    built: ConnectApp,
    app: AppUnderTest,
    store: Arc<MemoryStore>,
    jira: Site,
    wiki: Site,
    _server: RunningServer,
}

impl Setup {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut ConnectConfig)) -> Self {
        let host = ProductHost::start().await.expect("product host");
        let mut config = ConnectConfig::new(APP_BASE_URL.parse().expect("url"));
        config.key_cdn_urls = vec![host.cdn_url().parse().expect("cdn url")];
        config.allowed_tenant_hosts = vec![HostRule::parse("127.0.0.1").expect("rule")];
        config.client.oauth_url = Some(host.oauth_url().parse().expect("oauth url"));
        config.client.retry = RetryPolicy {
            max_attempts: 4,
            max_total_wait: Duration::from_secs(5),
            base_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(100),
        };
        adjust(&mut config);
        let store = Arc::new(MemoryStore::default());
        let built = App::new(KEY, "Outbound test")
            .scopes([Scope::Read, Scope::Write, Scope::ActAsUser])
            .licensing(true)
            .handlers(handlers![
                greeting,
                me,
                save_settings,
                space_settings,
                reports
            ])
            .build(config, store.clone())
            .expect("app");
        let server = spawn(built.filter(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("server");
        let app = host.connect(&server.url()).await.expect("descriptor");
        let jira = host.serve_site(Site::jira("acme")).await.expect("jira");
        let wiki = host
            .serve_site(Site::confluence("wiki"))
            .await
            .expect("confluence");
        for site in [&jira, &wiki] {
            assert_eq!(host.install(&app, site).await.expect("install").status, 204);
        }
        Self {
            host,
            built,
            app,
            store,
            jira,
            wiki,
            _server: server,
        }
    }

    async fn client(&self, site: &Site) -> HostClient {
        let tenant = self
            .store
            .get(KEY, &site.client_key)
            .await
            .expect("store")
            .expect("installed tenant");
        self.built.client_for(&tenant).expect("client")
    }

    /// The Jira site's client, the site's next `count` answers being `limit`.
    async fn jira_limited(&self, count: usize, limit: RateLimit) -> HostClient {
        self.host.api().rate_limit_next(count, limit);
        self.client(&self.jira).await
    }

    fn last_call(&self) -> connect_testing::ApiCall {
        self.host.api().calls().pop().expect("a call")
    }

    /// `PUT /api/settings` (the `Require<SiteAdmin>` route) from the Jira site's iframe.
    async fn put_settings(&self) -> connect_testing::Answer {
        self.host
            .call_with_context_token_and_body(
                &self.app,
                &self.jira,
                reqwest::Method::PUT,
                "/api/settings",
                &json!({}),
            )
            .await
            .unwrap()
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const TRICKY_QUERY: &[(&str, &str)] = &[
    (
        "jql",
        "project = \"A&B\" AND summary ~ \"café ☃\" ORDER BY key",
    ),
    ("fields", "summary,status"),
    ("a+b", "c=d/e?f#g"),
    ("emoji", "😀 %41 ~*'()"),
    ("fields", "assignee"),
];

#[tokio::test]
async fn as_the_app_on_a_jira_site_root_with_reserved_and_non_ascii_query() {
    let setup = Setup::start().await;
    let jira = setup.client(&setup.jira).await;
    let answer: Value = jira
        .get("/rest/api/3/issue/TEST-1/comment?expand=renderedBody")
        .query(TRICKY_QUERY.iter().copied())
        .send()
        .await
        .expect("verified by the simulated product")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["caller"], format!("app:{KEY}"));
    assert_eq!(answer["path"], "/rest/api/3/issue/TEST-1/comment");
    let mut expected = pairs(&[("expand", "renderedBody")]);
    expected.extend(pairs(TRICKY_QUERY));
    assert_eq!(
        serde_json::from_value::<Vec<(String, String)>>(answer["query"].clone()).unwrap(),
        expected
    );
    let call = setup.last_call();
    assert_eq!(call.caller, Caller::App(KEY.into()));
    assert_eq!(call.status, 200);

    let me: Value = jira
        .get("/rest/api/3/myself")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["displayName"], "Outbound test", "the app's own user");
}

#[tokio::test]
async fn as_the_app_on_a_confluence_site_under_wiki() {
    let setup = Setup::start().await;
    assert!(setup.wiki.base_url.ends_with("/wiki"));
    let wiki = setup.client(&setup.wiki).await;
    let answer: Value = wiki
        .get("/rest/api/content")
        .query([("title", "Q&A: ünïcode + spaces"), ("spaceKey", "DOCS")])
        .send()
        .await
        .expect("qsh relative to /wiki verified")
        .json()
        .await
        .unwrap();
    assert_eq!(answer["path"], "/rest/api/content");
    assert_eq!(answer["query"][0][1], "Q&A: ünïcode + spaces");
    let call = setup.last_call();
    assert!(
        call.target.starts_with("/wiki/rest/api/content?"),
        "{}",
        call.target
    );
    assert_eq!(call.caller, Caller::App(KEY.into()));
}

#[tokio::test]
async fn a_post_carries_its_json_body() {
    let setup = Setup::start().await;
    let jira = setup.client(&setup.jira).await;
    let issue =
        json!({"fields": {"summary": "Crème brûlée & <b>tags</b>", "project": {"key": "TEST"}}});
    let answer: Value = jira
        .post("/rest/api/3/issue")
        .json(&issue)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["method"], "POST");
    assert_eq!(answer["body"], issue);
    assert_eq!(setup.last_call().caller, Caller::App(KEY.into()));
}

#[tokio::test]
async fn product_errors_are_typed_with_status_and_message() {
    let setup = Setup::start().await;
    let jira = setup.client(&setup.jira).await;
    // The simulated product refuses a mypermissions call without `permissions`.
    let error = jira
        .get("/rest/api/3/mypermissions")
        .send()
        .await
        .unwrap_err();
    match &error {
        ClientError::Status { status, message } => {
            assert_eq!(*status, 400);
            assert_eq!(message, "permissions is required");
        }
        other => panic!("{other:?}"),
    }
    let app_error: AppError = error.into();
    assert_eq!(app_error.status_code(), 502);
}

#[tokio::test]
async fn absolute_urls_to_other_hosts_are_refused_with_nothing_sent() {
    let setup = Setup::start().await;
    let evil = setup
        .host
        .serve_site(Site::jira("evil"))
        .await
        .expect("another site");
    let jira = setup.client(&setup.jira).await;
    let before = setup.host.api().call_count();
    for url in [
        format!("{}/rest/api/3/myself", evil.base_url),
        format!("{}/rest/api/content", setup.wiki.base_url),
        format!(
            "//127.0.0.1:{}/rest",
            evil.base_url.rsplit(':').next().unwrap()
        ),
        "https://evil.example/rest/api/3/myself".to_owned(),
    ] {
        let error = jira.get(url.clone()).send().await.unwrap_err();
        assert!(
            matches!(
                error,
                ClientError::ForeignHost { .. } | ClientError::InvalidUrl(_)
            ),
            "{url}: {error:?}"
        );
    }
    assert_eq!(
        setup.host.api().call_count(),
        before,
        "no request reached any site"
    );
    // The tenant's own site by absolute URL is fine.
    let own = format!("{}/rest/api/3/myself", setup.jira.base_url);
    assert!(jira.get(own).send().await.is_ok());
    assert_eq!(setup.host.api().call_count(), before + 1);
}

#[tokio::test]
async fn the_reference_library_verifies_the_apps_tokens() {
    let setup = Setup::start().await;
    for site in [&setup.jira, &setup.wiki] {
        let client = setup.client(site).await;
        client
            .get("/rest/api/3/search")
            .query(TRICKY_QUERY.iter().copied())
            .send()
            .await
            .unwrap();
        client
            .post("/rest/api/3/issue")
            .json(&json!({"a": 1}))
            .send()
            .await
            .unwrap();
        client.get("/").send().await.unwrap();
    }
    let calls = setup.host.api().calls();
    assert_eq!(calls.len(), 6);
    let cases: Vec<Value> = calls
        .iter()
        .map(|call| {
            let site = if call.client_key == setup.jira.client_key {
                &setup.jira
            } else {
                &setup.wiki
            };
            let origin = url::Url::parse(&site.base_url)
                .unwrap()
                .origin()
                .ascii_serialization();
            json!({
                "token": call.token,
                "secret": site.shared_secret,
                "method": call.method,
                "url": format!("{origin}{}", call.target),
                "baseUrl": site.base_url,
            })
        })
        .collect();
    let verdicts = crate::qsh::run_reference("verify.js", &Value::Array(cases));
    for (call, verdict) in calls.iter().zip(verdicts.as_array().unwrap()) {
        assert_eq!(verdict["valid"], true, "{call:?}: {verdict}");
        assert_eq!(verdict["iss"], KEY);
        assert_eq!(verdict["qshMatches"], true, "{call:?}");
    }
}

#[tokio::test]
async fn as_a_user_tokens_are_fetched_once_reused_and_refreshed_when_expired() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    api.set_display_name(USER, "Alice");
    // 2 s tokens are used for 1 s (half their life, the safety margin).
    api.set_token_lifetime(2);
    let alice = setup.client(&setup.jira).await.as_user(USER);
    for _ in 0..3 {
        let me: Me = alice
            .get("/rest/api/3/myself")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me.display_name, "Alice");
    }
    assert_eq!(api.token_requests(), 1, "one token for three calls");
    assert_eq!(
        api.token_scopes(),
        vec!["READ WRITE ACT_AS_USER".to_owned()]
    );
    assert_eq!(setup.last_call().caller, Caller::User(USER.into()));

    tokio::time::sleep(Duration::from_millis(1200)).await;
    alice.get("/rest/api/3/myself").send().await.unwrap();
    assert_eq!(api.token_requests(), 2, "the expired token was replaced");

    // Another user, and the same user on another site, have their own tokens.
    let bob = setup.client(&setup.jira).await.as_user("557058:bob");
    bob.get("/rest/api/3/myself").send().await.unwrap();
    setup
        .client(&setup.wiki)
        .await
        .as_user(USER)
        .get("/rest/api/user/current")
        .send()
        .await
        .unwrap();
    assert_eq!(api.token_requests(), 4);
}

#[tokio::test]
async fn concurrent_calls_for_one_user_make_one_token_request() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    api.set_token_delay(Duration::from_millis(300));
    let client = setup.client(&setup.jira).await;
    let calls = (0..20).map(|_| {
        let user = client.as_user(USER);
        async move { user.get("/rest/api/3/myself").send().await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(api.token_requests(), 1);
    assert_eq!(api.call_count(), 20);
}

#[tokio::test]
async fn a_failed_token_request_is_a_typed_error_and_is_not_cached() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    api.fail_next_token_requests(1);
    let alice = setup.client(&setup.jira).await.as_user(USER);
    let error = alice.get("/rest/api/3/myself").send().await.unwrap_err();
    match &error {
        ClientError::Authorization(message) => {
            assert!(message.contains("invalid_grant"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api.call_count(), 0, "nothing was sent without a token");
    alice.get("/rest/api/3/myself").send().await.unwrap();
    assert_eq!(api.token_requests(), 2, "the failure was not cached");
}

#[tokio::test]
async fn the_authorization_server_checks_the_assertion_claims() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    // A tenant whose stored secret or OAuth client differs from the product's: refused.
    let mut tenant = setup
        .store
        .get(KEY, &setup.jira.client_key)
        .await
        .unwrap()
        .unwrap()
        .into_record();
    tenant.shared_secret = "not-the-secret".to_owned().into();
    let error = setup
        .built
        .client_for(&tenant)
        .unwrap()
        .as_user(USER)
        .get("/rest/api/3/myself")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ClientError::Authorization(m) if m.contains("signature")),
        "{error:?}"
    );
    tenant.oauth_client_id = None;
    let error = setup
        .built
        .client_for(&tenant)
        .unwrap()
        .as_user(USER)
        .get("/rest/api/3/myself")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::NoOAuthClient), "{error:?}");

    // Hand-made assertions, each wrong in one claim.
    let now = connect_testing::unix_now();
    let good = json!({
        "iss": format!("urn:atlassian:connect:clientid:{}", setup.jira.oauth_client_id()),
        "sub": format!("urn:atlassian:connect:useraccountid:{USER}"),
        "tnt": setup.jira.base_url,
        "aud": setup.host.oauth_url(),
        "iat": now,
        "exp": now + 30,
    });
    let http = reqwest::Client::new();
    let ask = |claims: Value, secret: String| {
        let http = http.clone();
        let url = format!("{}/oauth2/token", setup.host.oauth_url());
        async move {
            let assertion = jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            )
            .unwrap();
            http.post(url)
                .form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", assertion.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let secret = setup.jira.shared_secret.clone();
    assert_eq!(ask(good.clone(), secret.clone()).await, 200);
    for (claim, value) in [
        ("tnt", json!("https://other.atlassian.net")),
        (
            "aud",
            json!("https://oauth-2-authorization-server.services.atlassian.com"),
        ),
        ("sub", json!(USER)),
        ("exp", json!(now + 120)),
        ("iss", json!("urn:atlassian:connect:clientid:someone-else")),
    ] {
        let mut claims = good.clone();
        claims[claim] = value;
        assert_eq!(ask(claims, secret.clone()).await, 400, "{claim}");
    }
    assert_eq!(ask(good, "wrong".into()).await, 400, "signature");
    assert_eq!(api.call_count(), 0);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_it_and_succeeds() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    let jira = setup.jira_limited(1, RateLimit::retry_after(1)).await;
    let started = Instant::now();
    jira.get("/rest/api/3/myself").send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    let statuses: Vec<u16> = api.calls().iter().map(|call| call.status).collect();
    assert_eq!(statuses, vec![429, 200]);

    // A 503 that says when to retry is a rate limit too.
    api.rate_limit_next(
        1,
        RateLimit {
            status: 503,
            ..RateLimit::retry_after(0)
        },
    );
    jira.get("/rest/api/3/myself").send().await.unwrap();
    assert_eq!(api.call_count(), 4);
}

#[tokio::test]
async fn without_a_hint_backoff_is_bounded_and_ends_in_a_typed_error() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    let jira = setup.jira_limited(10, RateLimit::without_hint()).await;
    let started = Instant::now();
    let error = jira.get("/rest/api/3/myself").send().await.unwrap_err();
    let elapsed = started.elapsed();
    match &error {
        ClientError::RateLimited {
            attempts, reason, ..
        } => {
            assert_eq!(*attempts, 4);
            assert_eq!(reason.as_deref(), Some("jira-quota-global-based"));
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("jira-quota-global-based"));
    assert_eq!(api.call_count(), 4, "the attempt budget");
    // Three waits of at most 100 ms each (full jitter under the cap).
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    let app_error: AppError = error.into();
    assert_eq!(app_error.status_code(), 503);
}

#[tokio::test]
async fn a_retry_after_beyond_the_wait_budget_ends_at_once() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    let jira = setup.jira_limited(1, RateLimit::retry_after(30)).await;
    let started = Instant::now();
    let error = jira.get("/rest/api/3/myself").send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(
            error,
            ClientError::RateLimited {
                attempts: 1,
                retry_after: Some(wait),
                ..
            } if wait == Duration::from_secs(30)
        ),
        "{error:?}"
    );
    assert_eq!(api.call_count(), 1);
}

#[tokio::test]
async fn a_post_is_retried_only_when_marked_idempotent() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    let jira = setup.client(&setup.jira).await;
    api.rate_limit_next(1, RateLimit::retry_after(0));
    let error = jira
        .post("/rest/api/3/issue")
        .json(&json!({"fields": {}}))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::RateLimited { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(api.call_count(), 1, "not repeated");

    api.rate_limit_next(1, RateLimit::retry_after(0));
    jira.post("/rest/api/3/search")
        .json(&json!({"jql": "project = TEST"}))
        .idempotent()
        .send()
        .await
        .unwrap();
    assert_eq!(api.call_count(), 3);
}

// Handlers: the extractor, as-user from the context token, guards.

#[tokio::test]
async fn handlers_call_the_product_as_the_app_and_as_the_calling_user() {
    let setup = Setup::start().await;
    setup
        .host
        .api()
        .set_display_name(setup.host.account_id(), "Simulated Admin");
    let page = setup
        .host
        .load_page(&setup.app, &setup.jira, "greeting", &Default::default())
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body, "Hello Outbound test");
    let me = setup
        .host
        .call_with_context_token(&setup.app, &setup.jira, reqwest::Method::GET, "/api/me")
        .await
        .unwrap();
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.json().unwrap(),
        json!({"displayName": "Simulated Admin"})
    );
    assert_eq!(
        setup.last_call().caller,
        Caller::User(setup.host.account_id().to_owned())
    );
}

#[tokio::test]
async fn a_permission_guard_refuses_users_without_it_and_caches_the_answer() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    let refused = setup.put_settings().await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json().unwrap()["message"],
        "forbidden: this needs the Jira permission ADMINISTER"
    );
    let asked = api.call_count();
    assert_eq!(asked, 1, "one mypermissions call");
    let call = setup.last_call();
    assert_eq!(call.path, "/rest/api/3/mypermissions");
    assert_eq!(
        call.caller,
        Caller::User(setup.host.account_id().to_owned())
    );

    // Still refused from the cache; granted later, the answer holds for the cache's lifetime.
    assert_eq!(setup.put_settings().await.status, 403);
    assert_eq!(api.call_count(), asked, "answered from the cache");

    let admin_site = setup.host.serve_site(Site::jira("admins")).await.unwrap();
    assert_eq!(
        setup
            .host
            .install(&setup.app, &admin_site)
            .await
            .unwrap()
            .status,
        204
    );
    api.grant(setup.host.account_id(), "ADMINISTER");
    let allowed = setup
        .host
        .call_with_context_token_and_body(
            &setup.app,
            &admin_site,
            reqwest::Method::PUT,
            "/api/settings",
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(allowed.status, 204, "{}", allowed.body);
}

/// With the permission cache off (`permission_ttl` 0, `CONNECT_PERMISSION_CACHE_SECS=0`), a
/// grant and a revocation take effect on the next request, and each request asks the product.
#[tokio::test]
async fn without_the_permission_cache_grants_and_revocations_apply_at_once() {
    let setup = Setup::start_with(|config| config.client.permission_ttl = Duration::ZERO).await;
    let api = setup.host.api();
    assert_eq!(setup.put_settings().await.status, 403);
    api.grant(setup.host.account_id(), "ADMINISTER");
    assert_eq!(setup.put_settings().await.status, 204);
    api.revoke(setup.host.account_id(), "ADMINISTER");
    assert_eq!(setup.put_settings().await.status, 403);
    let asked = api
        .calls()
        .iter()
        .filter(|call| call.path == "/rest/api/3/mypermissions")
        .count();
    assert_eq!(asked, 3, "asked every time");
}

#[tokio::test]
async fn a_space_admin_guard_asks_confluence_about_the_requested_space() {
    let setup = Setup::start().await;
    let api = setup.host.api();
    api.grant(setup.host.account_id(), "space-admin:DOCS");
    let get = |target: &'static str| {
        setup
            .host
            .call_with_context_token(&setup.app, &setup.wiki, reqwest::Method::GET, target)
    };
    assert_eq!(
        get("/api/space-settings?spaceKey=DOCS")
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(setup.last_call().path, "/rest/api/space/DOCS");
    assert_eq!(
        get("/api/space-settings?spaceKey=OTHER")
            .await
            .unwrap()
            .status,
        403
    );
    assert_eq!(get("/api/space-settings").await.unwrap().status, 400);
}

/// Loads `/reports` with `lic` as the product does for a licensed app.
async fn load_reports(setup: &Setup, lic: Option<&str>) -> (u16, String, String) {
    let target = match lic {
        Some(lic) => format!("/reports?lic={lic}"),
        None => "/reports".to_owned(),
    };
    let token = TokenSpec::for_request(&setup.jira.client_key, "GET", &target, "")
        .sign_hs256(setup.jira.shared_secret.as_bytes());
    let separator = if target.contains('?') { '&' } else { '?' };
    let response = reqwest::get(format!(
        "{}{}{separator}jwt={token}",
        setup.app.address,
        setup.app.target(&target)
    ))
    .await
    .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn licensed_pages_refuse_sites_without_an_active_license() {
    let setup = Setup::start().await;
    assert_eq!(setup.app.descriptor["enableLicensing"], true);
    let (status, content_type, body) = load_reports(&setup, Some("none")).await;
    assert_eq!(status, 403);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("needs an active license"), "{body}");
    assert_eq!(load_reports(&setup, Some("active")).await.2, "Active");
    assert_eq!(
        load_reports(&setup, None).await.2,
        "Unknown",
        "absent lic (development installs) is accepted"
    );
}
