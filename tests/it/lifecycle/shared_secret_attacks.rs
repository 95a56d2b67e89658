// Attacks on shared-secret routes: page loads, webhooks and enable/disable with bad tokens.


#[tokio::test]
async fn page_loads_with_bad_tokens_are_refused() {
    let app = start().await;
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
    let app = start().await;
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
