//! `connect-sim` against a running app: the `hello` example started as its own process (as a
//! user starts it, with `CONNECT_KEYS_CDN_URL` pointing at the simulator), driven through
//! install, pages, webhook, context token, reinstall and uninstall by separate invocations
//! that share one state file. Run with `cargo test --workspace` (it builds the example).

use connect_testing::{AppProcess, example_binary, free_port};
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Runs `connect-sim ARGS` in `dir`; returns (exit code, stdout).
fn sim(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_connect-sim"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run connect-sim");
    // What it printed, errors (stderr) last.
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), printed)
}

/// Starts `connect-sim forge serve` in `dir` on `port` for `app_id` and waits for its JWKS:
/// the process and the JWKS URL.
async fn forge_serve(
    dir: &std::path::Path,
    port: u16,
    app_id: &str,
) -> (std::process::Child, String) {
    forge_serve_with(dir, port, app_id, &[]).await
}

/// [`forge_serve`] with more arguments.
async fn forge_serve_with(
    dir: &std::path::Path,
    port: u16,
    app_id: &str,
    extra: &[&str],
) -> (std::process::Child, String) {
    let mut platform = Command::new(env!("CARGO_BIN_EXE_connect-sim"))
        .arg("--dir")
        .arg(dir)
        .args([
            "forge",
            "serve",
            "--port",
            &port.to_string(),
            "--app-id",
            app_id,
        ])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("connect-sim forge serve");
    let jwks = format!("http://127.0.0.1:{port}/.well-known/jwks.json");
    for _ in 0..100 {
        if reqwest::get(&jwks).await.is_ok_and(|r| r.status() == 200) {
            return (platform, jwks);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = platform.kill();
    let _ = platform.wait();
    panic!("forge serve never served its JWKS");
}

#[tokio::test]
async fn connect_sim_installs_and_drives_a_running_example_app() {
    let dir = std::env::temp_dir().join(format!("connect-sim-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, cdn_port, rest_port) = (
        free_port().unwrap(),
        free_port().unwrap(),
        free_port().unwrap(),
    );
    let rest = rest_port.to_string();
    let binary = example_binary("hello");
    assert!(
        binary.exists(),
        "{} not built: run `cargo test --workspace`",
        binary.display()
    );
    let example = AppProcess::spawn(
        &binary,
        &[
            ("PORT", app_port.to_string()),
            ("CONNECT_BASE_URL", "https://hello-sim.example.com".into()),
            (
                "DATABASE_URL",
                format!("sqlite://{}", dir.join("hello.db").display()),
            ),
            (
                "CONNECT_KEYS_CDN_URL",
                format!("http://127.0.0.1:{cdn_port}"),
            ),
            ("CONNECT_ALLOWED_TENANT_HOSTS", "127.0.0.1".into()),
            ("CONNECT_OAUTH_URL", format!("http://127.0.0.1:{rest_port}")),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", WAIT)
        .expect("the example never listened");
    let app_url = format!("http://127.0.0.1:{app_port}");

    // install: a signed install the app verifies against the CLI's key CDN, then enabled.
    let (code, out) = sim(
        &dir,
        &[
            "install",
            &app_url,
            "--cdn-port",
            &cdn_port.to_string(),
            "--rest-port",
            &rest,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("installed: 204") && out.contains("enabled: 204"),
        "{out}"
    );
    let line = example
        .wait_for_log("verified signed install stored", WAIT)
        .expect("install log");
    assert!(line.contains("acme-client-key"), "{line}");
    let state = std::fs::read_to_string(dir.join("connect-sim.json")).unwrap();
    assert!(state.contains("acme-client-key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("connect-sim.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the state file holds a key: owner-only");
    }

    // page: a signed URL a browser can open; with --load the CLI fetches it.
    let (code, out) = sim(&dir, &["page", "hello"]);
    assert_eq!(code, 0, "{out}");
    let url = out.lines().next().unwrap().trim().to_owned();
    assert!(url.contains("/hello?jwt="), "{url}");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    let (code, out) = sim(
        &dir,
        &[
            "page",
            "hello-glance",
            "--context",
            "issue.key=TEST-3",
            "--load",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("TEST-3"), "{out}");

    // webhook with a body from a file (`@FILE`) and inline.
    let body = dir.join("issue.json");
    std::fs::write(
        &body,
        r#"{"webhookEvent": "jira:issue_created", "issue": {"key": "TEST-4"}}"#,
    )
    .unwrap();
    let (code, out) = sim(
        &dir,
        &[
            "webhook",
            "jira:issue_created",
            "--body",
            &format!("@{}", body.display()),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("200") && out.contains("TEST-4"), "{out}");
    let (code, out) = sim(
        &dir,
        &[
            "webhook",
            "jira:issue_created",
            "--body",
            r#"{"webhookEvent": "jira:issue_created", "issue": {"key": "TEST-5"}}"#,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("TEST-5"), "{out}");

    // context-token: what the iframe's JavaScript sends to the app's API.
    let (code, out) = sim(&dir, &["context-token"]);
    assert_eq!(code, 0);
    let token = out.trim().to_owned();
    let notes = reqwest::Client::new()
        .get(format!("{app_url}/api/notes"))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(notes.status(), 200);

    // serve: the site's REST API and authorization server, which hello calls back as the app
    // (/hello) and as the user of the context token (/api/me).
    let mut serving = Command::new(env!("CARGO_BIN_EXE_connect-sim"))
        .arg("--dir")
        .arg(&dir)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("connect-sim serve");
    let mut greeted = String::new();
    for _ in 0..100 {
        let (_, out) = sim(&dir, &["page", "hello", "--load"]);
        greeted = out;
        if greeted.contains("<p>Hello Hello</p>") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(greeted.contains("<p>Hello Hello</p>"), "{greeted}");
    let me = reqwest::Client::new()
        .get(format!("{app_url}/api/me"))
        .header("authorization", format!("JWT {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"displayName": "Simulated User"})
    );

    // reinstall rotates the secret; the saved site keeps working.
    let (code, out) = sim(&dir, &["reinstall"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(sim(&dir, &["page", "hello", "--load"]).0, 0);

    // uninstall: afterwards the app refuses the site's pages, and the CLI exits 1.
    let (code, out) = sim(&dir, &["uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("uninstalled: 204"), "{out}");
    let (code, out) = sim(&dir, &["page", "hello", "--load"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("401"), "{out}");

    // install again after the uninstall: the site keeps its key pair, so the key the app
    // cached under this kid still verifies.
    let (code, out) = sim(
        &dir,
        &[
            "install",
            &app_url,
            "--cdn-port",
            &cdn_port.to_string(),
            "--rest-port",
            &rest,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("installed: 204"), "{out}");
    assert_eq!(sim(&dir, &["page", "hello", "--load"]).0, 0);
    let _ = serving.kill();
    let _ = serving.wait();
}

#[test]
fn connect_sim_explains_a_missing_site() {
    let dir = std::env::temp_dir().join(format!("connect-sim-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_connect-sim"))
        .arg("--dir")
        .arg(&dir)
        .arg("page")
        .arg("hello")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connect-sim install"), "{stderr}");
}

/// `connect-sim forge ...` against the hello example started with `FORGE_APP_ID`: the platform
/// served by `forge serve` (JWKS and product API), the Connect site installed by `install`,
/// then `forge invoke` and `forge deliver` from separate invocations.
#[tokio::test]
async fn connect_sim_plays_forge_against_a_running_example_app() {
    const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let dir = std::env::temp_dir().join(format!("connect-sim-forge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, cdn_port, forge_port) = (
        free_port().unwrap(),
        free_port().unwrap(),
        free_port().unwrap(),
    );
    let (mut platform, jwks) = forge_serve(&dir, forge_port, APP_ID).await;

    let example = AppProcess::spawn(
        &example_binary("hello"),
        &[
            ("PORT", app_port.to_string()),
            ("CONNECT_BASE_URL", "https://hello-forge.example.com".into()),
            ("DATABASE_URL", "memory://".into()),
            (
                "CONNECT_KEYS_CDN_URL",
                format!("http://127.0.0.1:{cdn_port}"),
            ),
            ("FORGE_APP_ID", APP_ID.into()),
            ("FORGE_JWKS_URL", jwks.clone()),
            ("FORGE_ALLOWED_API_HOSTS", "127.0.0.1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", WAIT)
        .expect("the example never listened");
    let app_url = format!("http://127.0.0.1:{app_port}");

    let (code, out) = sim(
        &dir,
        &["install", &app_url, "--cdn-port", &cdn_port.to_string()],
    );
    assert_eq!(code, 0, "{out}");

    // `forge serve` ran before `install`, so its installation is on a site of its own.
    // `forge invoke` of hello's /forge/myself as `module`, with `extra` flags.
    let invoke = |module: &str, extra: &[&str]| {
        let mut args = vec![
            "forge",
            "invoke",
            &app_url,
            "/forge/myself",
            "--module",
            module,
        ];
        args.extend_from_slice(extra);
        sim(&dir, &args)
    };
    let (code, out) = invoke("hello-remote", &["--system-token"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("invoke /forge/myself: 200"), "{out}");
    assert!(out.contains(r#""displayName":"Forge Bot""#), "{out}");

    let (code, out) = invoke("hello-remote", &[]);
    assert_eq!(
        code, 1,
        "no system token: the app cannot call the product: {out}"
    );
    assert!(!out.contains("another module"), "{out}");

    // A UI context rides along in the token; a malformed one is refused before anything is sent.
    let (code, out) = invoke(
        "hello-remote",
        &["--system-token", "--context", "issue.key=TEST-1"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = invoke("hello-remote", &["--context", "issue.key"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("PATH=VALUE"), "{out}");

    // `forge token` prints a FIT any client can send: accepted at its module's route.
    let (code, token) = sim(
        &dir,
        &[
            "forge",
            "token",
            "--module",
            "hello-remote",
            "--expires-in",
            "60",
        ],
    );
    assert_eq!(code, 0, "{token}");
    let answer = reqwest::Client::new()
        .post(format!("{app_url}/forge/myself"))
        .header("authorization", format!("Bearer {}", token.trim()))
        .send()
        .await
        .unwrap();
    // Verified (no system token was sent, so the handler's product call fails: not a 401).
    assert_ne!(answer.status(), 401, "{}", answer.text().await.unwrap());

    // A token minted for another module is refused at this route.
    let (code, out) = invoke("hello-lifecycle", &["--system-token"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("401") && out.contains("another module"),
        "{out}"
    );

    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "deliver",
            &app_url,
            "/forge/lifecycle",
            "--module",
            "hello-lifecycle",
            "--twice",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("deliver avi:forge:installed:app: 200"),
        "{out}"
    );
    assert!(out.contains("redelivered (same jti): 200"), "{out}");
    assert!(
        out.contains("{}"),
        "a duplicate is acknowledged without the handler: {out}"
    );

    let (code, out) = sim(&dir, &["forge", "rotate", "--drop-old"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = sim(&dir, &["forge", "status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(APP_ID), "{out}");

    let _ = platform.kill();
    let _ = platform.wait();
    drop(example);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `connect-sim forge ...` against the Forge-native notes example: a panel call with the UI
/// context, the Rovo action, an async event delivered twice, the web trigger, pre-uninstall,
/// and Forge storage read through `forge storage`.
#[tokio::test]
async fn connect_sim_plays_forge_against_the_forge_native_notes_example() {
    const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let dir = std::env::temp_dir().join(format!("connect-sim-notes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, forge_port) = (free_port().unwrap(), free_port().unwrap());
    let (mut platform, jwks) = forge_serve(&dir, forge_port, APP_ID).await;
    let example = AppProcess::spawn(
        &example_binary("notes"),
        &[
            ("PORT", app_port.to_string()),
            ("CONNECT_BASE_URL", "https://notes.example.com".into()),
            ("DATABASE_URL", "memory://".into()),
            ("FORGE_APP_ID", APP_ID.into()),
            ("FORGE_JWKS_URL", jwks.clone()),
            ("FORGE_ALLOWED_API_HOSTS", "127.0.0.1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", WAIT)
        .expect("the example never listened");
    let app = format!("http://127.0.0.1:{app_port}");
    let panel = |method: &str, body: Option<&str>| {
        let mut args = vec![
            "forge",
            "invoke",
            &app,
            "/notes",
            "--method",
            method,
            "--module",
            "notes-panel",
            "--module-type",
            "jira:issuePanel",
            "--context",
            "issue.key=TEST-1",
            "--user-token",
            "--system-token",
        ];
        if let Some(body) = body {
            args.extend(["--body", body]);
        }
        sim(&dir, &args)
    };
    let (code, out) = panel("POST", Some(r#"{"text": "from the CLI"}"#));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("invoke /notes: 201"), "{out}");
    let (code, out) = panel("GET", None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("from the CLI"), "{out}");

    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "action",
            &app,
            "/actions/find-notes",
            "--endpoint",
            "find-notes-api",
            "--action",
            "find-notes",
            "--input",
            "issueKey=TEST-1",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("from the CLI"), "{out}");

    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "event",
            &app,
            "/events/reindex",
            "--endpoint",
            "notes-reindex-api",
            "--queue",
            "notes-reindex",
            "--job-id",
            "job-1",
            "--body",
            r#"{"issueKey":"TEST-1"}"#,
            "--twice",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("again (the app should not run it twice): 200"),
        "{out}"
    );
    let (code, out) = sim(&dir, &["forge", "storage", "get", "notes-count:TEST-1"]);
    assert_eq!((code, out.trim()), (0, "1"));

    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "webtrigger",
            &app,
            "/hooks/notes",
            "--body",
            r#"{"ping":1}"#,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(r#"{"received":{"ping":1}}"#), "{out}");

    let (code, out) = sim(&dir, &["forge", "storage", "list", "--prefix", "notes"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "pre-uninstall",
            &app,
            "/lifecycle/pre-uninstall",
            "--endpoint",
            "notes-uninstall-api",
            "--module",
            "notes-uninstall",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = sim(&dir, &["forge", "storage", "list", "--prefix", "notes"]);
    assert_eq!((code, out.trim()), (0, ""));

    let _ = platform.kill();
    let _ = platform.wait();
    drop(example);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `connect-sim forge container` in front of the notes example in container mode: its
/// sidecar forwards requests with invocation ids, its egress proxy serves the context, the
/// issue check and storage.
#[tokio::test]
async fn connect_sim_plays_the_sidecar_and_proxy_of_a_container() {
    const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let dir = std::env::temp_dir().join(format!("connect-sim-container-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, proxy_port, sidecar_port) = (
        free_port().unwrap(),
        free_port().unwrap(),
        free_port().unwrap(),
    );
    let mut forge = Command::new(env!("CARGO_BIN_EXE_connect-sim"))
        .arg("--dir")
        .arg(&dir)
        .args([
            "forge",
            "container",
            &format!("http://127.0.0.1:{app_port}"),
            "--proxy-port",
            &proxy_port.to_string(),
            "--sidecar-port",
            &sidecar_port.to_string(),
            "--app-id",
            APP_ID,
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("connect-sim forge container");
    let example = AppProcess::spawn(
        &example_binary("notes"),
        &[
            ("SERVER_PORT", app_port.to_string()),
            (
                "FORGE_EGRESS_PROXY_URL",
                format!("http://127.0.0.1:{proxy_port}"),
            ),
            ("FORGE_APP_ARI", APP_ID.into()),
            ("FORGE_CONTAINER", "1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", WAIT)
        .expect("the container never listened");
    let sidecar = format!("http://127.0.0.1:{sidecar_port}");
    let client = reqwest::Client::new();
    let mut added = None;
    for _ in 0..100 {
        match client
            .post(format!("{sidecar}/notes?issueKey=TEST-1"))
            .header("x-forge-sim-account", "557058:alice")
            .header("x-forge-sim-module", "notes-panel")
            .json(&serde_json::json!({"text": "through the sidecar"}))
            .send()
            .await
        {
            Ok(answer) => {
                added = Some(answer);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let added = added.expect("the sidecar never answered");
    assert_eq!(added.status(), 201);
    let note: serde_json::Value = added.json().await.unwrap();
    assert_eq!(note["author"], "557058:alice");
    let listed: serde_json::Value = client
        .get(format!("{sidecar}/notes?issueKey=TEST-1"))
        .header("x-forge-sim-account", "557058:bob")
        .header("x-forge-sim-module", "notes-panel")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["notes"][0]["text"], "through the sidecar");
    // Straight to the container, without the sidecar: no invocation id.
    let direct = client
        .get(format!("http://127.0.0.1:{app_port}/notes?issueKey=TEST-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401);
    let _ = forge.kill();
    let _ = forge.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The personal data trigger of the notes example driven from the command line: `forge serve
/// --close-account` answers an author closed, `forge deliver` starts the cycle, and the
/// author's notes are gone from the storage `forge serve` holds.
#[tokio::test]
async fn connect_sim_drives_the_personal_data_cycle_of_the_notes_example() {
    const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let dir = std::env::temp_dir().join(format!("connect-sim-privacy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, forge_port) = (free_port().unwrap(), free_port().unwrap());
    let (mut platform, jwks) = forge_serve_with(
        &dir,
        forge_port,
        APP_ID,
        &["--close-account", "557058:closed", "--cycle-period", "P14D"],
    )
    .await;
    let example = AppProcess::spawn(
        &example_binary("notes"),
        &[
            ("PORT", app_port.to_string()),
            ("CONNECT_BASE_URL", "https://notes.example.com".into()),
            ("DATABASE_URL", "memory://".into()),
            ("FORGE_APP_ID", APP_ID.into()),
            ("FORGE_JWKS_URL", jwks.clone()),
            ("FORGE_ALLOWED_API_HOSTS", "127.0.0.1".into()),
        ],
    )
    .unwrap();
    example
        .wait_for_log("listening", WAIT)
        .expect("the example never listened");
    let app = format!("http://127.0.0.1:{app_port}");
    let notes = r#"[{"id":"a","text":"x","author":"557058:closed","createdAt":"2026-11-01T00:00:00Z"},{"id":"b","text":"y","author":"557058:open","createdAt":"2026-11-02T00:00:00Z"}]"#;
    let (code, out) = sim(&dir, &["forge", "storage", "set", "notes:TEST-1", notes]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "deliver",
            &app,
            "/forge/personal-data",
            "--module",
            "personal-data",
            "--body",
            "{}",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let mut left = String::new();
    for _ in 0..100 {
        let (_, out) = sim(&dir, &["forge", "storage", "get", "notes:TEST-1"]);
        left = out;
        if !left.contains("557058:closed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!left.contains("557058:closed"), "{left}");
    assert!(left.contains("557058:open"), "{left}");
    let (code, out) = sim(
        &dir,
        &[
            "forge",
            "storage",
            "get",
            "personal-data:closed:557058:closed",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"erased\""), "{out}");
    let _ = platform.kill();
    let _ = platform.wait();
    drop(example);
    let _ = std::fs::remove_dir_all(&dir);
}
