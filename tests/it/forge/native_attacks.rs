//! The Forge attack suite at every route of the notes example (UI resolver, Rovo action,
//! consumer, pre-uninstall, web trigger): forged, misdirected and replayed tokens are refused
//! with 401, no handler runs (no storage call) and storage does not change.

use super::native::Notes;
use connect_testing::TokenSpec;
use serde_json::{Value, json};

/// One FIT-carrying route of the example, and how a genuine call to it is made.
struct Target {
    path: &'static str,
    method: reqwest::Method,
    module: &'static str,
    body: Value,
    extension: bool,
}

fn targets() -> Vec<Target> {
    vec![
        Target {
            path: "/notes",
            method: reqwest::Method::GET,
            module: "notes-panel",
            body: Value::Null,
            extension: true,
        },
        Target {
            path: "/notes",
            method: reqwest::Method::POST,
            module: "notes-panel",
            body: json!({"text": "attack"}),
            extension: true,
        },
        Target {
            path: "/actions/find-notes",
            method: reqwest::Method::POST,
            module: "find-notes-api",
            body: json!({"issueKey": "TEST-1"}),
            extension: false,
        },
        Target {
            path: "/events/reindex",
            method: reqwest::Method::POST,
            module: "notes-reindex-api",
            body: json!({"body": {"issueKey": "TEST-1"}, "jobId": "attack-job"}),
            extension: false,
        },
        Target {
            path: "/lifecycle/pre-uninstall",
            method: reqwest::Method::POST,
            module: "notes-uninstall-api",
            body: json!({"context": {}}),
            extension: false,
        },
        Target {
            path: "/hooks/notes",
            method: reqwest::Method::POST,
            module: "notes-hook-api",
            body: json!({"a": 1}),
            extension: false,
        },
    ]
}

impl Notes {
    fn fit(&self, target: &Target) -> TokenSpec {
        let mut spec = self
            .platform
            .fit(&self.installation, target.module)
            .claim("principal", json!("557058:mallory"));
        if target.extension {
            spec.claims.get_mut("context").unwrap()["extension"] =
                json!({"issue": {"key": "TEST-1"}});
        }
        spec
    }

    async fn send(&self, target: &Target, token: &str) -> (u16, String) {
        let mut request = reqwest::Client::new()
            .request(target.method.clone(), self.url(target.path))
            .header("authorization", format!("Bearer {token}"))
            .header(
                "x-forge-oauth-system",
                self.platform.system_token_for(&self.installation),
            )
            .header("x-forge-oauth-user", self.platform.user_token());
        if !target.body.is_null() {
            request = request.json(&target.body);
        }
        let answer = request.send().await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }
}

#[tokio::test]
async fn every_route_refuses_the_forge_attack_suite_without_running() {
    let notes = Notes::start().await;
    notes.add("TEST-1", "557058:alice", "keep me").await;
    let platform = &notes.platform;
    let t = connect_testing::unix_now();
    let other_app = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555";
    for target in targets() {
        let what = format!("{} {}", target.method, target.path);
        let attacks: Vec<(&str, String)> = vec![
            ("alg none", notes.fit(&target).unsigned()),
            (
                "HS256 with the JWKS public key",
                notes
                    .fit(&target)
                    .kid(platform.keys().kid())
                    .sign_hs256(platform.keys().public_pem().as_bytes()),
            ),
            (
                "unknown kid",
                platform.sign(&notes.fit(&target).kid("forge/invocation-token/wf-unknown")),
            ),
            (
                "wrong aud",
                platform.sign(&notes.fit(&target).claim("aud", json!(other_app))),
            ),
            (
                "expired",
                platform.sign(
                    &notes
                        .fit(&target)
                        .claim("iat", json!(t - 120))
                        .claim("nbf", json!(t - 120))
                        .claim("exp", json!(t - 60)),
                ),
            ),
            ("no jti", platform.sign(&notes.fit(&target).without("jti"))),
            (
                "wrong iss",
                platform.sign(&notes.fit(&target).claim("iss", json!("connect"))),
            ),
            (
                "nbf in the future",
                platform.sign(
                    &notes
                        .fit(&target)
                        .claim("nbf", json!(t + 120))
                        .claim("exp", json!(t + 180)),
                ),
            ),
            ("app.id of another app", {
                let mut spec = notes.fit(&target);
                spec.claims.get_mut("app").unwrap()["id"] = json!(other_app);
                platform.sign(&spec)
            }),
            ("apiBaseUrl on a foreign host", {
                let mut spec = notes.fit(&target);
                spec.claims.get_mut("app").unwrap()["apiBaseUrl"] =
                    json!("https://evil.example/ex/jira/stolen");
                platform.sign(&spec)
            }),
            ("another module's token", {
                let mut spec = notes.fit(&target);
                let other = if target.module == "notes-panel" {
                    "find-notes-api"
                } else {
                    "notes-panel"
                };
                spec.claims.get_mut("app").unwrap()["module"]["key"] = json!(other);
                platform.sign(&spec)
            }),
        ];
        for (attack, token) in attacks {
            let storage_before = platform.storage(&notes.installation);
            let calls_before = platform.api_calls().len();
            let (status, body) = notes.send(&target, &token).await;
            assert_eq!(status, 401, "{what}, {attack}: {body}");
            assert_eq!(
                platform.api_calls().len(),
                calls_before,
                "{what}, {attack}: the handler ran (it called storage)"
            );
            assert_eq!(
                platform.storage(&notes.installation),
                storage_before,
                "{what}, {attack}: storage changed"
            );
        }
        if target.path != "/hooks/notes" {
            let (status, body) = notes.send(&target, "").await;
            assert_eq!(status, 401, "{what}, no token: {body}");
        }
        // Replay: a genuine token works once. An invocation's replay is refused; an event's
        // is acknowledged without running again.
        let token = platform.sign(&notes.fit(&target));
        let (status, body) = notes.send(&target, &token).await;
        assert!(status < 300, "{what}, genuine: {status} {body}");
        let calls_before = platform.api_calls().len();
        let storage_before = platform.storage(&notes.installation);
        let (status, body) = notes.send(&target, &token).await;
        if target.path == "/events/reindex" {
            assert_eq!(status, 200, "{what}, replayed delivery: {body}");
        } else {
            assert_eq!(status, 401, "{what}, replay: {body}");
        }
        assert_eq!(
            platform.api_calls().len(),
            calls_before,
            "{what}, replay: the handler ran"
        );
        assert_eq!(platform.storage(&notes.installation), storage_before);
    }
}

static TICKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A scheduled trigger that counts its runs.
#[atlassian_connect::forge::scheduled_trigger(key = "tick", interval = "hour", path = "/tick")]
async fn tick() -> atlassian_connect::prelude::StatusCode {
    TICKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    atlassian_connect::prelude::StatusCode::NO_CONTENT
}

/// A scheduled trigger from the attacker's side: forged and misdirected tokens are refused
/// without running it; the same delivery twice runs it once.
#[tokio::test]
async fn a_scheduled_trigger_refuses_forged_tokens_and_runs_a_delivery_once() {
    use std::sync::atomic::Ordering;
    let app = atlassian_connect::App::new("com.example.tick", "Tick")
        .forge_native()
        .handlers(atlassian_connect::handlers![tick]);
    let probe = Notes::serve(app).await;
    let platform = &probe.platform;
    let url = probe.url("/tick");
    let send = |token: String| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("authorization", format!("Bearer {token}"))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let fit = || {
        platform
            .fit(&probe.installation, "tick-ep")
            .without("context")
    };
    let before = TICKS.load(Ordering::SeqCst);
    let other_app = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555";
    for (attack, token) in [
        ("alg none", fit().unsigned()),
        (
            "wrong aud",
            platform.sign(&fit().claim("aud", json!(other_app))),
        ),
        ("another module", {
            let mut spec = fit();
            spec.claims.get_mut("app").unwrap()["module"]["key"] = json!("notes-panel");
            platform.sign(&spec)
        }),
        (
            "unknown kid",
            platform.sign(&fit().kid("forge/invocation-token/wf-x")),
        ),
    ] {
        assert_eq!(send(token).await, 401, "{attack}");
    }
    assert_eq!(
        TICKS.load(Ordering::SeqCst),
        before,
        "a forged token ran it"
    );
    let token = platform.sign(&fit());
    assert_eq!(send(token.clone()).await, 204);
    assert_eq!(send(token).await, 200, "the same delivery is acknowledged");
    assert_eq!(TICKS.load(Ordering::SeqCst), before + 1);
}
