// Attacks on /installed: missing, forged, confused and stale tokens, foreign audiences and
// issuers, oversized and malformed bodies. Each asserts the status and an unchanged store.

#[tokio::test]
async fn install_without_token_is_refused() {
    let app = start().await;
    assert_install_refused(&app, None, &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_alg_none_is_refused() {
    let app = start().await;
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
    let app = start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .sign_hs256(KEYS.public_pem().as_bytes());
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_hs256_shared_secret_token_cannot_hijack_a_tenant() {
    // The pre-signed-install attack: a reinstall signed with a (known) shared secret.
    let app = start().await;
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
    let app = start().await;
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .claim("qsh", json!("context-qsh"))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_for_another_audience_is_refused() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
    let token = TokenSpec::for_request(CLIENT, "POST", "/uninstalled", "")
        .claim("aud", json!(APP_BASE_URL))
        .sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_with_expired_token_is_refused() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let mut body = payload("installed");
    body["padding"] = json!("x".repeat(16 * 1024));
    assert_install_refused(&app, Some(&token), &body, 413).await;
}

#[tokio::test]
async fn install_with_chunked_body_over_the_limit_is_413() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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
