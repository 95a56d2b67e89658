//! `examples/hello` as a user runs it: the real binary, configured by environment variables,
//! installed with a real signed install (RS256 from a key served by a local CDN), then a page
//! load with the tenant's secret, all over HTTP. Also checks that the log shows the install.
//! (`connect-sim/tests/cli.rs` drives the same binary with the command line.)

use connect_runtime::testing::{
    AppProcess, KeyCdn, KeyPair, TokenSpec, example_binary, free_port, install_payload,
};
use std::time::Duration;

#[tokio::test]
async fn hello_example_installs_with_a_real_signed_install_and_serves_its_page() {
    let keys = KeyPair::generate("hello/kid-1");
    let cdn = KeyCdn::start().await.expect("cdn");
    cdn.publish(&keys);
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
            ("CONNECT_KEYS_CDN_URL", cdn.url()),
            ("CONNECT_JWT_LEEWAY_SECS", "10".into()),
            ("CONNECT_ALLOWED_TENANT_HOSTS", ".atlassian.net".into()),
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

    let install = TokenSpec::for_request("client-hello", "POST", "/installed", "")
        .claim("aud", serde_json::json!("https://hello-app.example.com"))
        .sign_rs256(&keys);
    let body = install_payload(
        "com.example.hello",
        "client-hello",
        "hello-secret",
        "https://acme.atlassian.net",
        "installed",
    );
    let response = http
        .post(format!("{base}/installed"))
        .header("authorization", format!("JWT {install}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let line = example
        .wait_for_log("verified signed install stored", Duration::from_secs(20))
        .expect("install log");
    assert!(line.contains("client-hello"), "{line}");
    assert!(
        !line.contains("hello-secret"),
        "the log never shows the secret: {line}"
    );
    assert_eq!(cdn.hits("hello/kid-1"), 1);

    let page = TokenSpec::for_request("client-hello", "GET", "/hello", "")
        .claim("sub", serde_json::json!("user-<1>"))
        .sign_hs256(b"hello-secret");
    let response = http
        .get(format!("{base}/hello?jwt={page}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Hello user-&lt;1&gt; on https://acme.atlassian.net"),
        "{html}"
    );

    let forged = TokenSpec::for_request("client-hello", "GET", "/hello", "").sign_hs256(b"guess");
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
}
