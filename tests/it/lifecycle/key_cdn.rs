// The install-key CDN from the attacker's and the operator's side: unknown and malicious kids,
// a CDN that fails, refuses, hangs, answers 404 or garbage, and the fallback CDN.

#[tokio::test]
async fn install_with_unknown_kid_is_refused() {
    let app = start().await;
    let stranger = KeyPair::generate("connect/unknown-kid");
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .sign_rs256(&stranger);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    assert_eq!(app.cdn.hits("connect/unknown-kid"), 1);
}

#[tokio::test]
async fn install_with_garbage_or_traversal_kid_never_reaches_the_cdn() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start_with(|config| {
        config.key_cdn_urls = vec![format!("http://{closed}").parse().unwrap()];
    })
    .await;
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_answers_404_is_refused() {
    let app = start().await;
    app.cdn.set_behaviour(CdnBehaviour::NotFound);
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_returns_garbage_is_503() {
    let app = start().await;
    app.cdn.set_behaviour(CdnBehaviour::Garbage);
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    assert_install_refused(&app, Some(&token), &payload("installed"), 503).await;
    // Failures are not cached: once the CDN recovers, the same kid installs.
    app.cdn.set_behaviour(CdnBehaviour::Serve);
    app.install(CLIENT, SECRET).await;
}

#[tokio::test]
async fn install_when_the_key_cdn_hangs_past_the_timeout_is_503() {
    let app = start_with(|config| {
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
    let app = start().await;
    let fallback = app.cdn.url();
    let app2 = start_with(|config| {
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
