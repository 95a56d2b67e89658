// The happy path: signed installs and reinstalls, page loads, webhooks, context tokens,
// enable/disable/uninstall transitions, concurrent installs.

#[tokio::test]
async fn signed_install_is_stored() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
