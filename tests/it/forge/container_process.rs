//! The notes example's binary in container mode, as Forge runs an image: refused at start
//! without what Forge injects; and the release binary as UID/GID 1000 on a read-only root
//! filesystem (a mount namespace), behind the simulated sidecar and egress proxy: it serves
//! every route, logs JSON lines with Forge's log attributes and never the invocation id, and
//! drains a request in flight on SIGTERM, then exits 0.
//!
//! The second test needs root (for the mount namespace and to drop to UID 1000) and
//! util-linux's `unshare` and `setpriv`, as CI has; it fails, naming what is missing,
//! elsewhere.

use super::APP_ID;
use super::native::json_of;
use connect_testing::{
    AppProcess, AsyncDelivery, ForgeCaller as _, ForgeInstallation, ForgePlatform, ForgeSidecar,
    Invocation, example_binary, free_port,
};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// The variables Forge injects into a container, removed from a command's environment.
const INJECTED: [&str; 5] = [
    "SERVER_PORT",
    "FORGE_EGRESS_PROXY_URL",
    "FORGE_APP_ARI",
    "FORGE_APP_ID",
    "FORGE_CONTAINER",
];

fn notes_without_injected_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(example_binary("notes"));
    command.args(args);
    for name in INJECTED {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the notes example runs")
}

#[test]
fn container_mode_refuses_to_start_without_the_injected_variables() {
    for (args, env) in [
        (&["serve", "--container"][..], &[][..]),
        (&[][..], &[("FORGE_CONTAINER", "1")][..]),
        (&["serve", "--container"][..], &[("PORT", "3000")][..]),
    ] {
        let output = notes_without_injected_env(args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?} {env:?}: {stderr}");
        for name in ["SERVER_PORT", "FORGE_EGRESS_PROXY_URL", "FORGE_APP_ARI"] {
            assert!(stderr.contains(name), "{args:?} {env:?}: {stderr}");
        }
    }
    // One missing is named alone.
    let output = notes_without_injected_env(
        &["serve", "--container"],
        &[("SERVER_PORT", "8080"), ("FORGE_APP_ARI", APP_ID)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("FORGE_EGRESS_PROXY_URL"), "{stderr}");
    assert!(!stderr.contains("SERVER_PORT,"), "{stderr}");
}

/// `target/release/examples/notes`, built now (a no-op when CI built it before the test run).
fn release_notes_binary() -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--release", "--example", "notes"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // What `cargo test` sets for the test binary is not the build's environment: left in, it
    // would make build scripts (ring's) run again, and the binary built outside be rebuilt.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_MANIFEST_")
            || name.starts_with("CARGO_CRATE_")
            || name.starts_with("CARGO_BIN_")
            || matches!(
                name.as_ref(),
                "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR" | "RUST_BACKTRACE"
            )
        {
            cargo.env_remove(name.as_ref());
        }
    }
    let status = cargo.status().expect("cargo runs");
    assert!(status.success(), "building the release binary failed");
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/it-<hash> → target/release/examples/notes
    let target = exe.ancestors().nth(3).unwrap();
    target.join("release").join("examples").join("notes")
}

/// A copy of `binary` in a fresh directory anyone may read and run (UID 1000 may not be able
/// to reach the build tree).
fn runnable_copy(binary: &std::path::Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("notes-image-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("notes");
    std::fs::copy(binary, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, copy)
}

fn require_tool(name: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "this test needs util-linux's `{name}` (and root): install util-linux"
    );
}

/// The `Uid:` and `Gid:` lines of `/proc/<pid>/status`: real, effective, saved, fs.
fn ids_of(pid: u32) -> (String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    (line("Uid:"), line("Gid:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_binary_runs_read_only_as_uid_1000_and_drains_on_sigterm() {
    require_tool("unshare");
    require_tool("setpriv");
    let binary = tokio::task::spawn_blocking(release_notes_binary)
        .await
        .unwrap();
    let (dir, copy) = runnable_copy(&binary);
    let platform = Arc::new(ForgePlatform::start(APP_ID).await.unwrap());
    let sidecar = ForgeSidecar::start(Arc::clone(&platform)).await.unwrap();
    let installation = ForgeInstallation::jira("image-site");
    let port = free_port().unwrap();
    // A private mount namespace whose root is remounted read-only, then the binary as
    // UID/GID 1000 with no supplementary groups: what Forge's runtime imposes.
    let mut command = Command::new("unshare");
    command.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        "mount -o remount,bind,ro / && exec setpriv --reuid 1000 --regid 1000 --clear-groups -- \"$0\" serve --container",
    ]);
    command.arg(&copy);
    let mut app = AppProcess::spawn_command(
        command,
        &[
            ("SERVER_PORT", port.to_string()),
            ("PORT", "1".to_owned()),
            ("FORGE_EGRESS_PROXY_URL", sidecar.url()),
            ("FORGE_APP_ARI", APP_ID.to_owned()),
            ("HOME", "/nonexistent".to_owned()),
        ],
    )
    .unwrap();
    let started = app.wait_for_log(
        "serving as a Forge Container service",
        Duration::from_secs(20),
    );
    assert!(started.is_some(), "the container did not start");
    // The port is bound once the server says it listens.
    let listening = app.wait_for_log("listening", Duration::from_secs(20));
    assert!(listening.is_some(), "the container did not listen");
    let (uid, gid) = ids_of(app.pid());
    assert_eq!(uid, "1000 1000 1000 1000");
    assert_eq!(gid, "1000 1000 1000 1000");
    let mounts = std::fs::read_to_string(format!("/proc/{}/mountinfo", app.pid())).unwrap();
    let root = mounts
        .lines()
        .find(|line| line.split_whitespace().nth(4) == Some("/"))
        .unwrap();
    assert!(
        root.split_whitespace()
            .nth(5)
            .is_some_and(|options| options.split(',').any(|option| option == "ro")),
        "the root is read-only for the app: {root}"
    );

    let base = format!("http://127.0.0.1:{port}");
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    // Every route of the example, through the sidecar.
    let user = Invocation {
        principal: Some("557058:alice".to_owned()),
        module_type: Some("jira:issuePanel".to_owned()),
        body: Some(json!({"text": "from the image"})),
        ..Invocation::default()
    };
    let post = reqwest::Method::POST;
    let added = sidecar
        .invoke(
            &format!("{base}/notes?issueKey=TEST-1"),
            post.clone(),
            &installation,
            "notes-panel",
            &user,
        )
        .await
        .unwrap();
    assert_eq!(added.status, 201, "{}", added.body);
    let listed = sidecar
        .invoke(
            &format!("{base}/notes?issueKey=TEST-1"),
            reqwest::Method::GET,
            &installation,
            "notes-panel",
            &Invocation {
                body: None,
                ..user.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(json_of(&listed)["notes"][0]["text"], "from the image");
    let found = sidecar
        .invoke_action(
            &format!("{base}/actions/find-notes"),
            &installation,
            "find-notes-api",
            "find-notes",
            &json!({"issueKey": "TEST-1"}),
            "557058:alice",
        )
        .await
        .unwrap();
    assert_eq!(json_of(&found)["notes"][0]["text"], "from the image");
    let reindexed = sidecar
        .deliver_event(
            &format!("{base}/events/reindex"),
            &installation,
            "notes-reindex-api",
            &AsyncDelivery {
                queue: "notes-reindex",
                job_id: "job-1",
                event_id: None,
                body: &json!({"issueKey": "TEST-1"}),
                retry_count: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(reindexed.status, 200, "{}", reindexed.body);
    assert_eq!(
        platform.storage(&installation)["notes-count:TEST-1"],
        json!(1)
    );
    let hooked = sidecar
        .call_webtrigger(
            &format!("{base}/hooks/notes"),
            post.clone(),
            &installation,
            "notes-hook-api",
            &[("content-type", "application/json")],
            Some(br#"{"ping":1}"#.to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(json_of(&hooked), json!({"received": {"ping": 1}}));
    let refused = reqwest::Client::new()
        .get(format!("{base}/notes?issueKey=TEST-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "no invocation id");

    // A request in flight (the proxy takes 1.5 s to describe it) when SIGTERM comes: it is
    // answered, then the process exits 0.
    sidecar.delay_context(Duration::from_millis(1500));
    let in_flight = {
        let url = format!("{base}/notes?issueKey=TEST-1");
        let invocation = Invocation {
            body: None,
            ..user.clone()
        };
        let installation = installation.clone();
        let sidecar = &sidecar;
        async move {
            sidecar
                .invoke(
                    &url,
                    reqwest::Method::GET,
                    &installation,
                    "notes-panel",
                    &invocation,
                )
                .await
        }
    };
    let terminate = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.terminate().unwrap();
    };
    let (answer, ()) = tokio::join!(in_flight, terminate);
    let answer = answer.unwrap();
    assert_eq!(answer.status, 200, "drained: {}", answer.body);
    let exit = tokio::task::spawn_blocking(move || {
        let code = app.wait_for_exit(Duration::from_secs(20));
        let log = app.drain_log(Duration::from_millis(200));
        (code, log)
    })
    .await
    .unwrap();
    assert_eq!(exit.0, Some(Some(0)), "SIGTERM exits 0");
    assert!(
        platform.storage(&installation).contains_key("notes:TEST-1"),
        "what the container stored is in Forge storage, not in the container"
    );

    // Logs: JSON lines; the request's lines carry Forge's log attributes; no invocation id
    // (nor any proxy header value) anywhere.
    let ids: Vec<String> = sidecar
        .calls()
        .iter()
        .filter_map(|call| {
            call.authorization
                .as_deref()
                .and_then(|value| value.rsplit("id=").next())
                .map(str::to_owned)
        })
        .collect();
    assert!(!ids.is_empty());
    let lines = exit.1;
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        assert!(parsed["level"].is_string(), "{line}");
        for id in &ids {
            assert!(
                !line.contains(id.as_str()),
                "an invocation id in the log: {line}"
            );
        }
    }
    assert!(
        lines
            .iter()
            .any(|line| line.contains("forge_invocation") && line.contains("installationId")),
        "Forge's log attributes in the request's lines: {lines:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The image recipe builds the binary the test above runs, and keeps what that test checked:
/// a linux/amd64 multi-stage build, a distroless runtime with glibc, UID/GID 1000, container
/// mode at start, no secret built in. (These machines have no Docker daemon to build it.)
#[test]
fn the_dockerfile_builds_the_binary_the_tests_run_as_forge_runs_it() {
    let dockerfile = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notes/Dockerfile"),
    )
    .unwrap();
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let stages: Vec<&&str> = lines
        .iter()
        .filter(|line| line.starts_with("FROM "))
        .collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    assert!(
        stages
            .iter()
            .all(|stage| stage.contains("--platform=linux/amd64"))
    );
    assert!(stages[1].contains("gcr.io/distroless/cc-"), "{}", stages[1]);
    let last_from = lines
        .iter()
        .rposition(|line| line.starts_with("FROM "))
        .unwrap();
    let runtime = &lines[last_from..];
    for instruction in [
        "USER 1000:1000",
        "ENV FORGE_CONTAINER=1",
        r#"ENTRYPOINT ["/notes"]"#,
        r#"CMD ["serve", "--container"]"#,
    ] {
        assert!(runtime.contains(&instruction), "{instruction}: {runtime:?}");
    }
    assert!(
        dockerfile.contains("cargo build --release --locked --example notes"),
        "the same build as the read-only test's"
    );
    let instructions = lines.join("\n").to_ascii_uppercase();
    for word in ["SECRET", "TOKEN", "PASSWORD", "ARG "] {
        assert!(
            !instructions.contains(word),
            "nothing secret is built in: {word}"
        );
    }
}

/// `report-personal-data` of a Forge Remote says why it cannot run from the command line, and
/// where the cycle runs instead.
#[test]
fn report_personal_data_explains_a_forge_remote() {
    let output = notes_without_injected_env(&["report-personal-data"], &[("FORGE_APP_ID", APP_ID)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("only with an invocation"), "{stderr}");
    assert!(stderr.contains("`personal-data`"), "{stderr}");
}
