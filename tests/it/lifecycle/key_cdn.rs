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

#[tokio::test]
async fn a_stream_of_installs_with_one_forged_kid_costs_one_fetch() {
    let app = start().await;
    let before = app.state();
    let token = app
        .lifecycle_spec(CLIENT, "installed")
        .kid("connect/forged-kid")
        .sign_rs256(&KEYS);
    let body = payload("installed");
    for _ in 0..40 {
        let wave = (0..50).map(|_| app.post_event("installed", Some(&token), &body));
        for response in futures_util::future::join_all(wave).await {
            assert_eq!(response.status(), 401);
        }
    }
    let fetches = app.cdn.hits("connect/forged-kid");
    assert!(
        fetches <= 5,
        "2,000 installs with one forged kid fetched it {fetches} times"
    );
    assert_eq!(app.state(), before, "nothing stored");
}

#[tokio::test]
async fn a_flood_of_distinct_forged_kids_keeps_at_most_16_fetches_in_flight() {
    let app = start_with(|config| {
        config.key_fetch_timeout = std::time::Duration::from_millis(400);
    })
    .await;
    app.cdn.set_behaviour(CdnBehaviour::SlowNotFound(100));
    let before = app.state();
    let body = payload("installed");
    let tokens: Vec<String> = (0..500)
        .map(|i| {
            app.lifecycle_spec(CLIENT, "installed")
                .kid(&format!("connect/forged-{i}"))
                .sign_rs256(&KEYS)
        })
        .collect();
    let flood = tokens
        .iter()
        .map(|token| app.post_event("installed", Some(token), &body));
    for response in futures_util::future::join_all(flood).await {
        let status = response.status().as_u16();
        // Refused (the CDN said 404) or "try again later" (no fetch slot in time).
        assert!(status == 401 || status == 503, "{status}");
    }
    let in_flight = app.cdn.max_in_flight();
    assert!(
        in_flight <= connect_runtime::__private::MAX_CONCURRENT_FETCHES,
        "{in_flight} fetches in flight at once"
    );
    assert!(in_flight > 0);
    assert_eq!(app.state(), before, "nothing stored");
}

#[tokio::test]
async fn an_unknown_kid_is_remembered_for_its_ttl_then_fetched_again() {
    let app = start_with(|config| {
        config.unknown_kid_ttl = std::time::Duration::from_millis(300);
    })
    .await;
    let late = KeyPair::generate("connect/published-late");
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&late);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    app.cdn.publish(&late);
    assert_install_refused(&app, Some(&token), &payload("installed"), 401).await;
    assert_eq!(app.cdn.hits("connect/published-late"), 1, "remembered, not fetched");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let response = app.post_event("installed", Some(&token), &payload("installed")).await;
    assert_eq!(response.status(), 204, "fetched again after the TTL");
    assert_eq!(app.cdn.hits("connect/published-late"), 2);
}

#[tokio::test]
async fn a_503_names_no_key_cdn() {
    let app = start().await;
    app.cdn.set_behaviour(CdnBehaviour::Status(500));
    let token = app.lifecycle_spec(CLIENT, "installed").sign_rs256(&KEYS);
    let response = app.post_event("installed", Some(&token), &payload("installed")).await;
    assert_eq!(response.status(), 503);
    let text = response.text().await.unwrap();
    assert!(text.contains("key service unavailable"), "{text}");
    assert!(!text.contains("127.0.0.1") && !text.contains("http"), "{text}");
}
