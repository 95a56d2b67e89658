// What Atlassian's security scanner checks on every descriptor URL, security headers, odd
// headers, and serving behind a prefix-stripping proxy.

#[tokio::test]
async fn every_descriptor_url_refuses_missing_forged_and_unsigned_tokens_for_get_and_post() {
    let app = start().await;
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
    let app = start().await;
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
    let app = start().await;
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


#[tokio::test]
async fn an_authorization_header_that_is_not_text_is_no_token() {
    let app = start().await;
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
    let app = start_with(|config| {
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

#[tokio::test]
async fn refused_requests_with_a_body_close_the_connection_and_the_pool_recovers() {
    let app = start().await;
    let before = app.state();
    let body = serde_json::json!({"padding": "x".repeat(100 * 1024)});
    // One pooled keep-alive client, as the product's.
    for _ in 0..20 {
        let response = app
            .http
            .post(app.url("/installed"))
            .header("authorization", "JWT not.a.token")
            .json(&body)
            .send()
            .await
            .expect("a readable answer, not a reset connection");
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["connection"],
            "close",
            "the body was not read: the client must not reuse this connection"
        );
        assert!(response.text().await.unwrap().contains("message"));
    }
    for path in ["/no-such-route", "/atlassian-connect.json"] {
        let response = app.http.post(app.url(path)).json(&body).send().await.unwrap();
        assert!(response.status().is_client_error());
        assert_eq!(response.headers()["connection"], "close", "{path}");
    }
    // The next request on the same pool is served.
    let descriptor = app
        .http
        .get(app.url("/atlassian-connect.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(descriptor.status(), 200);
    assert!(descriptor.headers().get("connection").is_none());
    assert_eq!(app.state(), before);
}
