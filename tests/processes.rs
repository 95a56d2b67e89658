//! Real processes, as users run them: `examples/hello` configured by environment variables,
//! installed with a real signed install (RS256 from a key served by a local CDN), and the
//! `connect-sim` command line driving it through install, pages, webhooks and uninstall.

use connect_runtime::testing::{KeyCdn, KeyPair, TokenSpec, install_payload};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Example {
    child: Child,
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/`, where `cargo test --workspace` puts the workspace's binaries.
fn profile_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_owned()
}

/// `target/<profile>/examples/NAME`, built by `cargo test` with the other examples.
fn example_binary(name: &str) -> std::path::PathBuf {
    profile_dir().join("examples").join(name)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_hello(port: u16, cdn_url: &str, db: &std::path::Path) -> Example {
    let binary = example_binary("hello");
    assert!(
        binary.exists(),
        "{} not built: run `cargo test` (it builds examples)",
        binary.display()
    );
    let mut child = Command::new(binary)
        .env("PORT", port.to_string())
        .env("CONNECT_BASE_URL", "https://hello-app.example.com")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CONNECT_KEYS_CDN_URL", cdn_url)
        .env("CONNECT_JWT_LEEWAY_SECS", "10")
        .env("CONNECT_ALLOWED_TENANT_HOSTS", ".atlassian.net")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn example");
    let stdout = child.stdout.take().expect("stdout");
    let (send, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    Example { child, log }
}

impl Example {
    fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = self.log.recv_timeout(Duration::from_millis(200)) {
                if line.contains(needle) {
                    return line;
                }
            }
        }
        panic!("the example never logged `{needle}`");
    }
}

#[tokio::test]
async fn hello_example_installs_with_a_real_signed_install_and_serves_its_page() {
    let keys = KeyPair::generate("hello/kid-1");
    let cdn = KeyCdn::start().await.expect("cdn");
    cdn.publish(&keys);
    let dir = std::env::temp_dir().join(format!("hello-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("hello.db");
    let _ = std::fs::remove_file(&db);
    let port = free_port();
    let example = start_hello(port, &cdn.url(), &db);
    example.wait_for_log("listening");
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
    let line = example.wait_for_log("verified signed install stored");
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

// ---- connect-sim ------------------------------------------------------------------------------

/// Runs `connect-sim ARGS` in `dir`; returns (exit code, stdout).
fn sim(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let binary = profile_dir().join("connect-sim");
    assert!(
        binary.exists(),
        "{} not built: run `cargo test --workspace`",
        binary.display()
    );
    let output = Command::new(binary)
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run connect-sim");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

#[tokio::test]
async fn connect_sim_installs_and_drives_a_running_example_app() {
    let dir = std::env::temp_dir().join(format!("connect-sim-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (app_port, cdn_port) = (free_port(), free_port());
    let example = start_hello(
        app_port,
        &format!("http://127.0.0.1:{cdn_port}"),
        &dir.join("hello.db"),
    );
    example.wait_for_log("listening");
    let app_url = format!("http://127.0.0.1:{app_port}");

    // install: a signed install the app verifies against the CLI's key CDN, then enabled.
    let (code, out) = sim(
        &dir,
        &["install", &app_url, "--cdn-port", &cdn_port.to_string()],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("installed: 204") && out.contains("enabled: 204"),
        "{out}"
    );
    let line = example.wait_for_log("verified signed install stored");
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

    // webhook with a body from a file.
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
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("200") && out.contains("TEST-4"), "{out}");

    // context-token: what the iframe's JavaScript sends to the app's API.
    let (code, out) = sim(&dir, &["context-token"]);
    assert_eq!(code, 0);
    let notes = reqwest::Client::new()
        .get(format!("{app_url}/api/notes"))
        .header("authorization", format!("JWT {}", out.trim()))
        .send()
        .await
        .unwrap();
    assert_eq!(notes.status(), 200);

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
}

#[test]
fn connect_sim_explains_a_missing_site() {
    let dir = std::env::temp_dir().join(format!("connect-sim-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = profile_dir().join("connect-sim");
    let output = Command::new(binary)
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
