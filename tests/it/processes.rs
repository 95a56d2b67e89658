//! `examples/hello` as a user runs it: the real binary, configured by environment variables,
//! installed with a real signed install (RS256 from a key served by a local CDN), then a page
//! load with the tenant's secret, all over HTTP. Also checks that the log shows the install.
//! (`connect-sim/tests/cli.rs` drives the same binary with the command line.)

use connect_testing::{
    AppProcess, Caller, KeyPair, ProductHost, RateLimit, Site, TokenSpec, example_binary, free_port,
};
use std::time::Duration;

#[tokio::test]
async fn hello_example_installs_with_a_real_signed_install_and_serves_its_page() {
    let host = ProductHost::with_keys(KeyPair::generate("hello/kid-1"), 0)
        .await
        .expect("product host");
    let site = host.serve_site(Site::jira("acme")).await.expect("site");
    let dir = std::env::temp_dir().join(format!("hello-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("hello.db");
    let _ = std::fs::remove_file(&db);
    let port = free_port().unwrap();
    let binary = example_binary("hello");
    assert!(
        binary.exists(),
        "{} not built: run `cargo test --workspace`",
        binary.display()
    );
    let example = AppProcess::spawn(
        &binary,
        &[
            ("PORT", port.to_string()),
            ("CONNECT_BASE_URL", "https://hello-app.example.com".into()),
            ("DATABASE_URL", format!("sqlite://{}", db.display())),
            ("CONNECT_KEYS_CDN_URL", host.cdn_url()),
            ("CONNECT_JWT_LEEWAY_SECS", "10".into()),
            ("CONNECT_ALLOWED_TENANT_HOSTS", "127.0.0.1".into()),
            ("CONNECT_OAUTH_URL", host.oauth_url()),
            ("CONNECT_RETRY_MAX_ATTEMPTS", "1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", Duration::from_secs(20))
        .expect("the example never listened");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let descriptor: serde_json::Value = http
        .get(format!("{base}/atlassian-connect.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(descriptor["baseUrl"], "https://hello-app.example.com");
    assert_eq!(descriptor["apiMigrations"]["signed-install"], true);
    assert_eq!(descriptor["modules"]["generalPages"][0]["url"], "/hello");

    let app = host.connect(&base).await.expect("descriptor");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    let line = example
        .wait_for_log("verified signed install stored", Duration::from_secs(20))
        .expect("install log");
    assert!(line.contains(&site.client_key), "{line}");
    assert!(
        !line.contains(&site.shared_secret),
        "the log never shows the secret: {line}"
    );
    assert_eq!(host.key_cdn().hits("hello/kid-1"), 1);

    // `/hello` greets with the name Jira gives for /rest/api/3/myself, asked as the app.
    let api = host.api();
    let hello_page_says = |expected: &'static str| {
        let (host, app, site) = (&host, &app, &site);
        async move {
            let page = host
                .load_page(app, site, "hello", &Default::default())
                .await
                .unwrap();
            assert_eq!(page.status, 200);
            assert!(page.body.contains(expected), "{}", page.body);
        }
    };
    api.set_display_name("app:com.example.hello", "Hello <App>");
    hello_page_says("<p>Hello Hello &lt;App&gt;</p>").await;
    assert_eq!(
        api.calls().last().map(|call| call.caller.clone()),
        Some(Caller::App("com.example.hello".into()))
    );

    // `/api/me` answers the calling user's name, asked as that user.
    api.set_display_name(host.account_id(), "Ada Lovelace");
    let me = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/me")
        .await
        .unwrap();
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.json().unwrap(),
        serde_json::json!({"displayName": "Ada Lovelace"})
    );
    assert_eq!(
        api.calls().last().map(|call| call.caller.clone()),
        Some(Caller::User(host.account_id().to_owned()))
    );
    assert_eq!(api.token_requests(), 1);

    // When Jira fails, the page still loads and says so plainly.
    api.rate_limit_next(1, RateLimit::retry_after(60));
    hello_page_says("Jira did not tell us your name").await;

    let forged = TokenSpec::for_request(&site.client_key, "GET", "/hello", "").sign_hs256(b"guess");
    assert_eq!(
        http.get(format!("{base}/hello?jwt={forged}"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert!(
        db.exists(),
        "the example stores tenants in the SQLite file of DATABASE_URL"
    );
}

/// Runs the hello example binary with `args` and `env`, returning (exit code, stdout, stderr).
fn run_hello(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let binary = example_binary("hello");
    assert!(binary.exists(), "{} not built", binary.display());
    let mut command = std::process::Command::new(binary);
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run hello");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn hello_descriptor_command_prints_what_the_server_serves_and_schema_validates_it() {
    let base_url = "https://hello-cli.example.com";
    let (code, printed, _) = run_hello(&["descriptor"], &[("CONNECT_BASE_URL", base_url)]);
    assert_eq!(code, Some(0));
    let printed: serde_json::Value = serde_json::from_str(&printed).expect("descriptor JSON");

    let port = free_port().unwrap();
    let dir = std::env::temp_dir().join(format!("hello-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = AppProcess::spawn(
        &example_binary("hello"),
        &[
            ("PORT", port.to_string()),
            ("CONNECT_BASE_URL", base_url.into()),
            ("DATABASE_URL", "memory://".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", Duration::from_secs(20))
        .expect("the example never listened");
    let served: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/atlassian-connect.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        printed, served,
        "`descriptor` prints exactly what the server serves"
    );

    let (code, schema, _) = run_hello(&["schema"], &[]);
    assert_eq!(code, Some(0));
    let schema: serde_json::Value = serde_json::from_str(&schema).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&served)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = served.clone();
    broken["authentication"]["type"] = serde_json::json!("none");
    assert!(!validator.is_valid(&broken), "the schema is not vacuous");
    let mut broken = served;
    broken["modules"]["generalPages"][0]["key"] = serde_json::json!("not a key!");
    assert!(!validator.is_valid(&broken), "module keys are checked");
}

#[test]
fn hello_usage_and_unknown_commands() {
    let (code, usage, _) = run_hello(&["--help"], &[]);
    assert_eq!(code, Some(0));
    assert!(
        usage.contains("descriptor") && usage.contains("schema"),
        "{usage}"
    );
    let (code, stdout, stderr) = run_hello(&["deploy"], &[]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown command `deploy`") && stderr.contains("usage:"),
        "{stderr}"
    );
    // Any other error is status 1, printed once, naming what is wrong.
    let (code, _, stderr) = run_hello(&["descriptor"], &[("CONNECT_BASE_URL", "not a url")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr.matches("CONNECT_BASE_URL").count(), 1, "{stderr}");
}

/// A set but blank `CONNECT_SECRET_KEY` (or a short one) refuses to start, naming the
/// variable, instead of storing shared secrets in plaintext; no database is created.
#[test]
fn a_blank_or_short_secret_key_refuses_to_start() {
    let dir = std::env::temp_dir().join(format!("hello-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("tenants.db");
    let database_url = format!("sqlite://{}", database.display());
    let port = free_port().unwrap().to_string();
    for (variable, key) in [
        ("CONNECT_SECRET_KEY", ""),
        ("CONNECT_SECRET_KEY", " "),
        ("CONNECT_SECRET_KEY", "abcd"),
        ("CONNECT_SECRET_KEY_PREVIOUS", " "),
    ] {
        let mut env = vec![
            ("PORT", port.as_str()),
            ("DATABASE_URL", database_url.as_str()),
            (
                "CONNECT_SECRET_KEY",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            ),
        ];
        env.retain(|(name, _)| *name != variable);
        env.push((variable, key));
        let (code, _, stderr) = run_hello(&[], &env);
        assert_ne!(code, Some(0), "{variable}={key:?} started: {stderr}");
        assert!(
            code.is_some(),
            "{variable}={key:?}: killed by a signal: {stderr}"
        );
        assert!(stderr.contains(variable), "{variable}={key:?}: {stderr}");
        assert!(
            !database.exists(),
            "{variable}={key:?} created the database"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `examples/hello` with `FORGE_APP_ID`, logging at debug level: Forge invocations that work,
/// that are rate limited and that are forged leave the Forge Invocation Tokens and the system
/// token out of every log line.
#[tokio::test]
async fn hello_example_never_logs_forge_tokens() {
    use connect_testing::{ForgeInstallation, ForgePlatform};
    const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let platform = ForgePlatform::start(APP_ID).await.expect("platform");
    let port = free_port().unwrap();
    let example = AppProcess::spawn(
        &example_binary("hello"),
        &[
            ("PORT", port.to_string()),
            ("DATABASE_URL", "memory://".into()),
            ("RUST_LOG", "debug".into()),
            ("FORGE_APP_ID", APP_ID.into()),
            ("FORGE_JWKS_URL", platform.jwks_url()),
            ("FORGE_ALLOWED_API_HOSTS", "127.0.0.1".into()),
            ("CONNECT_RETRY_MAX_ATTEMPTS", "1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", Duration::from_secs(20))
        .expect("the example never listened");
    let url = format!("http://127.0.0.1:{port}/forge/myself");
    let installation = ForgeInstallation::jira("logs");
    let system = platform.system_token();
    let http = reqwest::Client::new();
    let call = |fit: String| {
        http.post(&url)
            .header("authorization", format!("Bearer {fit}"))
            .header("x-forge-oauth-system", &system)
            .send()
    };
    let good = platform.sign(&platform.fit(&installation, "hello-remote"));
    assert_eq!(call(good.clone()).await.unwrap().status(), 200);
    platform.rate_limit_next(5);
    let limited = platform.sign(&platform.fit(&installation, "hello-remote"));
    assert_eq!(call(limited.clone()).await.unwrap().status(), 503);
    let forged = platform
        .fit(&installation, "hello-remote")
        .sign_hs256(platform.keys().public_pem().as_bytes());
    assert_eq!(call(forged.clone()).await.unwrap().status(), 401);
    let lines = example.drain_log(Duration::from_millis(500));
    assert!(
        lines.iter().any(|line| line.contains("rate limited")
            || line.contains("RateLimited")
            || line.contains("503")),
        "the rate limit was logged: {lines:#?}"
    );
    for line in &lines {
        for (what, secret) in [
            ("a FIT", &good),
            ("a FIT", &limited),
            ("a forged token", &forged),
            ("the system token", &system),
        ] {
            // The signature part is what makes a token usable.
            let signature = secret.rsplit('.').next().unwrap();
            assert!(!line.contains(signature), "{what} in the log: {line}");
        }
    }
}
