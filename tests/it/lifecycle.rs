//! The lifecycle and the auth policies over real HTTP: a server on 127.0.0.1, a local key CDN
//! with a generated RSA key, and requests signed as Jira signs them, or forged as an attacker
//! would. Every refusal asserts the status AND that the tenant store did not change.

use crate::common::{APP_BASE_URL, APP_KEY, KEYS, TENANT_BASE_URL, TestApp};
use connect_runtime::TenantStore;
use connect_runtime::testing::{CdnBehaviour, KeyPair, TokenSpec, install_payload};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const CLIENT: &str = "client-acme";
const SECRET: &str = "first-shared-secret-0123456789";

fn payload(event: &str) -> Value {
    install_payload(APP_KEY, CLIENT, SECRET, TENANT_BASE_URL, event)
}

/// Sends a refused install and checks the status and that nothing was stored or changed.
async fn assert_install_refused(app: &TestApp, token: Option<&str>, body: &Value, status: u16) {
    let before = app.state();
    let response = app.post_event("installed", token, body).await;
    let got = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "body: {text}");
    assert!(
        text.contains("\"message\""),
        "error body is JSON with a message: {text}"
    );
    assert_eq!(
        app.state(),
        before,
        "a refused install must not change the store"
    );
}

// ---- the happy path -----------------------------------------------------------------------

#[tokio::test]
async fn signed_install_is_stored() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;

    let tenant = app
        .store
        .get(APP_KEY, CLIENT)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(tenant.shared_secret.expose_secret(), SECRET);
    assert_eq!(tenant.base_url, TENANT_BASE_URL);
    assert_eq!(tenant.oauth_client_id.as_deref(), Some("oauth-client-id"));
    assert!(!tenant.uninstalled);
    assert!(
        tenant.install_payload.get("sharedSecret").is_none(),
        "secret not kept in the raw payload"
    );
    assert_eq!(
        tenant.install_payload["serverVersion"], "100000",
        "unknown fields are kept"
    );
    assert_eq!(app.cdn.hits(KEYS.kid()), 1);
}

#[tokio::test]
async fn reinstall_through_signed_install_replaces_the_secret() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    app.install(CLIENT, "rotated-secret-after-upgrade").await;

    let tenant = app
        .store
        .get(APP_KEY, CLIENT)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        tenant.shared_secret.expose_secret(),
        "rotated-secret-after-upgrade"
    );
    assert_eq!(
        app.load_page(CLIENT, "rotated-secret-after-upgrade", "/hello")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.load_page(CLIENT, SECRET, "/hello").await.status(),
        401,
        "old secret is dead"
    );
    assert_eq!(app.cdn.hits(KEYS.kid()), 1, "the key was cached by kid");
}

#[tokio::test]
async fn hs256_page_load_is_accepted_with_the_tenant_and_user() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let token = TokenSpec::for_request(CLIENT, "GET", "/hello?lic=none&tz=Australia%2FSydney", "")
        .claim("sub", json!("account-42"))
        .sign_hs256(SECRET.as_bytes());
    let response = app
        .http
        .get(app.url(&format!(
            "/hello?lic=none&tz=Australia%2FSydney&jwt={token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["clientKey"], CLIENT);
    assert_eq!(body["accountId"], "account-42");
}

#[tokio::test]
async fn header_token_and_webhook_body_reach_the_handler() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let token = TokenSpec::for_request(CLIENT, "POST", "/webhooks/issue-created", "")
        .sign_hs256(SECRET.as_bytes());
    let response = app
        .http
        .post(app.url("/webhooks/issue-created"))
        .header("authorization", format!("JWT {token}"))
        .json(&json!({"webhookEvent": "jira:issue_created"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["event"], "jira:issue_created");
}

#[tokio::test]
async fn enabled_disabled_uninstalled_transitions() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let stored = || async {
        app.store
            .get(APP_KEY, CLIENT)
            .await
            .unwrap()
            .expect("stored")
    };
    assert!(!stored().await.enabled);

    assert_eq!(app.toggle(CLIENT, SECRET, "enabled").await.status(), 204);
    assert!(stored().await.enabled);
    assert_eq!(app.toggle(CLIENT, SECRET, "disabled").await.status(), 204);
    assert!(!stored().await.enabled);
    assert_eq!(app.toggle(CLIENT, SECRET, "enabled").await.status(), 204);

    let token = app.lifecycle_spec(CLIENT, "uninstalled").sign_rs256(&KEYS);
    let response = app
        .post_event("uninstalled", Some(&token), &payload("uninstalled"))
        .await;
    assert_eq!(response.status(), 204);
    let tenant = stored().await;
    assert!(
        tenant.uninstalled && !tenant.enabled,
        "soft delete: the row stays, marked"
    );

    // Requests for an uninstalled tenant are refused...
    assert_eq!(app.load_page(CLIENT, SECRET, "/hello").await.status(), 401);
    let before = app.state();
    assert_eq!(app.toggle(CLIENT, SECRET, "enabled").await.status(), 401);
    assert_eq!(app.state(), before);
    // ...until it installs again.
    app.install(CLIENT, "secret-after-reinstall").await;
    assert!(!stored().await.uninstalled);
    assert_eq!(
        app.load_page(CLIENT, "secret-after-reinstall", "/hello")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn uninstall_of_an_unknown_tenant_is_a_verified_no_op() {
    let app = TestApp::start().await;
    let token = app
        .lifecycle_spec("never-installed", "uninstalled")
        .sign_rs256(&KEYS);
    let body = install_payload(
        APP_KEY,
        "never-installed",
        SECRET,
        TENANT_BASE_URL,
        "uninstalled",
    );
    assert_eq!(
        app.post_event("uninstalled", Some(&token), &body)
            .await
            .status(),
        204
    );
    assert!(app.state().is_empty());
    // Still verified: without a token it is refused.
    assert_eq!(
        app.post_event("uninstalled", None, &body).await.status(),
        401
    );
}

#[tokio::test]
async fn context_token_is_accepted_on_context_routes_only() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let context = TokenSpec::context(CLIENT, "account-7").sign_hs256(SECRET.as_bytes());
    let response = app
        .http
        .get(app.url("/api/notes"))
        .header("authorization", format!("JWT {context}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accountId"], "account-7");
    assert_eq!(body["context"], true);

    // A page-load token for another path is not a context token: its qsh must match.
    let other_path =
        TokenSpec::for_request(CLIENT, "GET", "/hello", "").sign_hs256(SECRET.as_bytes());
    let response = app
        .http
        .get(app.url("/api/notes"))
        .header("authorization", format!("JWT {other_path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A context token on a page route (qsh must be this request's) is refused.
    let response = app
        .http
        .get(app.url(&format!("/hello?jwt={context}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn fifty_concurrent_installs_fetch_the_key_once() {
    let app = TestApp::start().await;
    let installs = (0..50).map(|i| {
        let app = &app;
        async move {
            let client = format!("client-{i}");
            let token = app.lifecycle_spec(&client, "installed").sign_rs256(&KEYS);
            let body = install_payload(APP_KEY, &client, SECRET, TENANT_BASE_URL, "installed");
            app.post_event("installed", Some(&token), &body)
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(installs).await;
    assert!(statuses.iter().all(|status| *status == 204), "{statuses:?}");
    assert_eq!(
        app.cdn.hits(KEYS.kid()),
        1,
        "one fetch per kid, even concurrently"
    );
    assert_eq!(app.store.snapshot().len(), 50);
}

// ---- attacks on /installed ------------------------------------------------------------------

#[tokio::test]
async fn install_without_token_is_refused() {
    let app = TestApp::start().await;
    assert_install_refused(&app, None, &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_alg_none_is_refused() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").unsigned();
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    assert_eq!(
        app.cdn.total_hits(),
        0,
        "an unsigned token never reaches the key CDN"
    );
}

#[tokio::test]
async fn install_signed_hs256_with_the_public_key_as_secret_is_refused() {
    let app = TestApp::start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .sign_hs256(KEYS.public_pem().as_bytes());
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_hs256_shared_secret_token_cannot_hijack_a_tenant() {
    // The pre-signed-install attack: a reinstall signed with a (known) shared secret.
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .sign_hs256(SECRET.as_bytes());
    let hijack = install_payload(
        APP_KEY,
        CLIENT,
        "attacker-secret",
        "https://evil.atlassian.net",
        "installed",
    );
    assert_install_refused(&app, Some(&token), &hijack, 401).await;
}

#[tokio::test]
async fn install_with_a_context_token_is_refused() {
    let app = TestApp::start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim("qsh", json!("context-qsh"))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_unknown_kid_is_refused() {
    let app = TestApp::start().await;
    let stranger = KeyPair::generate("connect/unknown-kid");
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .sign_rs256(&stranger);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    assert_eq!(app.cdn.hits("connect/unknown-kid"), 1);
}

#[tokio::test]
async fn install_with_garbage_or_traversal_kid_never_reaches_the_cdn() {
    let app = TestApp::start().await;
    for kid in [
        "../../etc/passwd",
        "a/../b",
        "kid?x=1",
        "%2e%2e/key",
        "",
        "/absolute",
        "kid with space",
    ] {
        let token = app
            .lifecycle_spec(CLIENT, "installed")
            .kid(kid)
            .sign_rs256(&KEYS);
        assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    }
    assert_eq!(
        app.cdn.total_hits(),
        0,
        "malformed kids are refused before any fetch"
    );
}

#[tokio::test]
async fn install_when_the_key_cdn_fails_with_5xx_is_try_again_later() {
    let app = TestApp::start().await;
    app.cdn.set_behaviour(CdnBehaviour::Status(500));
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_refuses_connections_is_503() {
    // A port nothing listens on: bind one, note it, close it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::start_with(|config| {
        config.key_cdn_urls = vec![format!("http://{closed}").parse().unwrap()];
    })
    .await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_answers_404_is_refused() {
    let app = TestApp::start().await;
    app.cdn.set_behaviour(CdnBehaviour::NotFound);
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_returns_garbage_is_503() {
    let app = TestApp::start().await;
    app.cdn.set_behaviour(CdnBehaviour::Garbage);
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
    // Failures are not cached: once the CDN recovers, the same kid installs.
    app.cdn.set_behaviour(CdnBehaviour::Serve);
    app.install(CLIENT, SECRET).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_hangs_past_the_timeout_is_503() {
    let app = TestApp::start_with(|config| {
        config.key_fetch_timeout = std::time::Duration::from_millis(300)
    })
    .await;
    app.cdn.set_behaviour(CdnBehaviour::Hang);
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
}

#[tokio::test]
async fn install_falls_back_to_the_next_cdn() {
    let primary_down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::start().await;
    let fallback = app.cdn.url();
    let app2 = TestApp::start_with(|config| {
        config.key_cdn_urls = vec![
            format!("http://{primary_down}").parse().unwrap(),
            fallback.parse().unwrap(),
        ];
    })
    .await;
    app2.install(CLIENT, SECRET).await;
    assert_eq!(
        app.cdn.hits(KEYS.kid()),
        1,
        "the fallback CDN served the key, kid included"
    );
}

#[tokio::test]
async fn install_for_another_audience_is_refused() {
    let app = TestApp::start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim("aud", json!("https://other-app.example.com"))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .without("aud")
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_audience_accepts_trailing_slash_and_arrays() {
    let app = TestApp::start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim(
            "aud",
            json!(["https://x.example.com", format!("{APP_BASE_URL}/")]),
        )
        .sign_rs256(&KEYS);
    assert_eq!(
        app.post_event("installed", Some(&token), &payload("installed"))
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn install_whose_issuer_is_not_the_payload_client_key_is_refused() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    // A valid token for the attacker's own site, carrying the victim's clientKey in the body.
    let token = app
        .lifecycle_spec("attacker-site", "installed")
        .sign_rs256(&KEYS);
    let hijack = install_payload(
        APP_KEY,
        CLIENT,
        "attacker-secret",
        TENANT_BASE_URL,
        "installed",
    );
    assert_install_refused(&app, Some(&token), &hijack, 401).await;
}

#[tokio::test]
async fn install_with_wrong_qsh_is_refused() {
    let app = TestApp::start().await;
    let token = TokenSpec::for_request(CLIENT, "POST", "/uninstalled", "")
        .claim("aud", json!(APP_BASE_URL))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_expired_token_is_refused() {
    let app = TestApp::start().await;
    let now = now();
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim("iat", json!(now - 1000))
        .claim("exp", json!(now - 100))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_issued_in_the_future_is_refused() {
    let app = TestApp::start().await;
    let now = now();
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim("iat", json!(now + 600))
        .claim("exp", json!(now + 900))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_body_over_the_size_limit_is_413() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let mut body = payload("installed");
    body["padding"] = json!("x".repeat(16 * 1024));
    assert_install_refused(&app, Some(&token), &body, 413).await;
}

#[tokio::test]
async fn install_with_chunked_body_over_the_limit_is_413() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 1024])).collect();
    let before = app.state();
    let response = app
        .http
        .post(app.url("/installed"))
        .header("authorization", format!("JWT {token}"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(app.state(), before);
}

#[tokio::test]
async fn install_with_malformed_json_is_400() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let before = app.state();
    let response = app
        .http
        .post(app.url("/installed"))
        .header("authorization", format!("JWT {token}"))
        .header("content-type", "application/json")
        .body("{\"key\": \"com.example.test\", \"clientKey\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(app.state(), before);
}

#[tokio::test]
async fn install_with_missing_or_invalid_fields_is_400() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    for field in ["sharedSecret", "baseUrl", "eventType", "key"] {
        let mut body = payload("installed");
        body.as_object_mut().unwrap().remove(field);
        assert_install_refused(&app, Some(&token), &body, 400).await;
    }
    let bad_values = [
        ("eventType", json!("enabled")),
        ("key", json!("com.example.other-app")),
        ("baseUrl", json!("http://acme.atlassian.net")),
        ("baseUrl", json!("https://evil.example.com")),
        ("sharedSecret", json!("")),
        ("sharedSecret", json!(12345)),
    ];
    for (field, value) in bad_values {
        let mut body = payload("installed");
        body[field] = value;
        assert_install_refused(&app, Some(&token), &body, 400).await;
    }
}

#[tokio::test]
async fn errors_never_echo_the_secret() {
    let app = TestApp::start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let mut body = payload("installed");
    body["sharedSecret"] = json!(["very-secret-value"]);
    let response = app.post_event("installed", Some(&token), &body).await;
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(!text.contains("very-secret-value"), "{text}");
}

#[tokio::test]
async fn two_different_tokens_are_refused() {
    let app = TestApp::start().await;
    let good = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let other = app.lifecycle_spec("other", "installed").sign_rs256(&KEYS);
    let before = app.state();
    let response = app
        .http
        .post(app.url(&format!("/installed?jwt={other}")))
        .header("authorization", format!("JWT {good}"))
        .json(&payload("installed"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(app.state(), before);
}

// ---- attacks on shared-secret routes ----------------------------------------------------------

async fn assert_page_refused(app: &TestApp, target: &str, token: Option<&str>) {
    let before = app.state();
    let mut request = app.http.get(app.url(target));
    if let Some(token) = token {
        request = request.header("authorization", format!("JWT {token}"));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 401, "{target}");
    assert_eq!(app.state(), before);
}

#[tokio::test]
async fn page_loads_with_bad_tokens_are_refused() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let spec = TokenSpec::for_request(CLIENT, "GET", "/hello", "");
    let now = now();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("alg none", Some(spec.unsigned())),
        ("RS256 on an HS256 route", Some(spec.sign_rs256(&KEYS))),
        ("wrong secret", Some(spec.sign_hs256(b"not-the-secret"))),
        (
            "unknown tenant",
            Some(
                TokenSpec::for_request("nobody", "GET", "/hello", "").sign_hs256(SECRET.as_bytes()),
            ),
        ),
        (
            "wrong qsh",
            Some(
                TokenSpec::for_request(CLIENT, "GET", "/hello?x=1", "")
                    .sign_hs256(SECRET.as_bytes()),
            ),
        ),
        (
            "expired",
            Some(
                spec.clone()
                    .claim("iat", json!(now - 2000))
                    .claim("exp", json!(now - 1000))
                    .sign_hs256(SECRET.as_bytes()),
            ),
        ),
        (
            "issued in the future",
            Some(
                spec.clone()
                    .claim("iat", json!(now + 600))
                    .claim("exp", json!(now + 900))
                    .sign_hs256(SECRET.as_bytes()),
            ),
        ),
        (
            "no qsh",
            Some(spec.clone().without("qsh").sign_hs256(SECRET.as_bytes())),
        ),
        ("garbage", Some("not.a.jwt".to_owned())),
    ];
    for (name, token) in cases {
        eprintln!("case: {name}");
        assert_page_refused(&app, "/hello", token.as_deref()).await;
    }
}

#[tokio::test]
async fn enable_with_rs256_or_foreign_client_key_is_refused() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    app.install("client-other", "other-secret").await;
    let before = app.state();

    let rs256 = TokenSpec::for_request(CLIENT, "POST", "/enabled", "").sign_rs256(&KEYS);
    assert_eq!(
        app.post_event("enabled", Some(&rs256), &payload("enabled"))
            .await
            .status(),
        401
    );

    // A tenant's valid token cannot enable another tenant.
    let other =
        TokenSpec::for_request("client-other", "POST", "/enabled", "").sign_hs256(b"other-secret");
    assert_eq!(
        app.post_event("enabled", Some(&other), &payload("enabled"))
            .await
            .status(),
        401
    );

    // eventType must match the route.
    let token =
        TokenSpec::for_request(CLIENT, "POST", "/enabled", "").sign_hs256(SECRET.as_bytes());
    assert_eq!(
        app.post_event("enabled", Some(&token), &payload("disabled"))
            .await
            .status(),
        400
    );
    assert_eq!(app.state(), before);
}

// ---- what the security scanner checks ---------------------------------------------------------

#[tokio::test]
async fn every_descriptor_url_refuses_missing_forged_and_unsigned_tokens_for_get_and_post() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let descriptor: Value = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut urls: Vec<String> = descriptor["lifecycle"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    for entries in descriptor["modules"].as_object().unwrap().values() {
        for entry in entries.as_array().unwrap() {
            urls.push(entry["url"].as_str().unwrap().to_owned());
        }
    }
    urls.push("/api/notes".to_owned());
    assert!(urls.len() >= 6, "{urls:?}");

    let stranger = KeyPair::generate("connect/scanner-kid");
    for url in &urls {
        for method in ["GET", "POST"] {
            let spec =
                TokenSpec::for_request(CLIENT, method, url, "").claim("aud", json!(APP_BASE_URL));
            let tokens = [
                None,
                Some(spec.sign_hs256(b"forged-secret")),
                Some(spec.unsigned()),
                Some(spec.sign_rs256(&stranger)),
            ];
            for token in tokens {
                let before = app.state();
                let mut request = app
                    .http
                    .request(method.parse().unwrap(), app.url(url))
                    .json(&payload("installed"));
                if let Some(token) = &token {
                    request = request.header("authorization", format!("JWT {token}"));
                }
                let response = request.send().await.unwrap();
                assert!(
                    response.status().as_u16() >= 400,
                    "{method} {url} answered {}",
                    response.status()
                );
                assert_security_headers(&response);
                assert_eq!(app.state(), before, "{method} {url}");
            }
        }
    }
}

#[tokio::test]
async fn security_headers_are_on_successes_and_errors() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let descriptor = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(descriptor.status(), 200);
    assert_security_headers(&descriptor);
    let page = app.load_page(CLIENT, SECRET, "/hello").await;
    assert_eq!(page.status(), 200);
    assert_security_headers(&page);
    let missing = app
        .http
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_security_headers(&missing);
}

#[tokio::test]
async fn descriptor_declares_the_migrations_and_lifecycle() {
    let app = TestApp::start().await;
    let descriptor: Value = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(descriptor["key"], APP_KEY);
    assert_eq!(descriptor["baseUrl"], APP_BASE_URL);
    assert_eq!(descriptor["authentication"]["type"], "jwt");
    assert_eq!(
        descriptor["apiMigrations"],
        json!({"signed-install": true, "context-qsh": true, "gdpr": true})
    );
    assert_eq!(
        descriptor["lifecycle"],
        json!({"installed": "/installed", "uninstalled": "/uninstalled", "enabled": "/enabled", "disabled": "/disabled"})
    );
}

fn assert_security_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(header("cache-control"), "no-cache, no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert!(header("strict-transport-security").starts_with("max-age="));
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn an_authorization_header_that_is_not_text_is_no_token() {
    let app = TestApp::start().await;
    app.install(CLIENT, SECRET).await;
    let before = app.state();
    let garbage = reqwest::header::HeaderValue::from_bytes(b"JWT \xff\xfe\x80").unwrap();
    for (method, path) in [
        ("GET", "/hello"),
        ("POST", "/installed"),
        ("POST", "/enabled"),
    ] {
        let response = app
            .http
            .request(method.parse().unwrap(), app.url(path))
            .header("authorization", garbage.clone())
            .json(&payload("enabled"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
    }
    assert_eq!(app.state(), before);
}

#[tokio::test]
async fn behind_a_prefix_stripping_proxy_routes_are_served_at_the_root() {
    // The product calls https://connect-app.example.com/jira/...; a proxy strips `/jira`.
    let base = format!("{APP_BASE_URL}/jira");
    let app = TestApp::start_with(|config| {
        config.base_url = base.parse().unwrap();
        config.mount_path = Some(String::new());
    })
    .await;
    let descriptor: Value = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(descriptor["baseUrl"], base.as_str());
    let token = TokenSpec::for_request(CLIENT, "POST", "/installed", "")
        .claim("aud", json!(base))
        .sign_rs256(&KEYS);
    assert_eq!(
        app.post_event("installed", Some(&token), &payload("installed"))
            .await
            .status(),
        204
    );
    assert_eq!(app.load_page(CLIENT, SECRET, "/hello").await.status(), 200);
}
