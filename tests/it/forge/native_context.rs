//! What a Forge-native handler sees and leaves behind: the UI context accessors of a resolver
//! call, static web trigger answers, and Forge's trace ids in its log lines and outbound calls.

use super::native::{Notes, json_of};
use atlassian_connect::prelude::*;
use connect_testing::{ForgeCaller as _, Invocation};
use serde_json::{Value, json};
use std::sync::Arc;

/// The notes example as its own process (its own logging, as users run it), failing a call
/// on storage: the log line of the failure and every outbound call carry Forge's trace ids.
#[tokio::test]
async fn forge_trace_ids_reach_log_lines_and_outbound_calls() {
    use connect_testing::{
        AppProcess, ForgeInstallation, ForgePlatform, example_binary, free_port,
    };
    let platform = ForgePlatform::start(super::APP_ID).await.unwrap();
    let port = free_port().unwrap();
    let app = AppProcess::spawn(
        &example_binary("notes"),
        &[
            ("PORT", port.to_string()),
            ("CONNECT_BASE_URL", "https://notes.example.com".into()),
            ("DATABASE_URL", "memory://".into()),
            ("FORGE_APP_ID", super::APP_ID.into()),
            ("FORGE_JWKS_URL", platform.jwks_url()),
            ("FORGE_ALLOWED_API_HOSTS", "127.0.0.1".into()),
            ("RUST_LOG", "info".into()),
        ],
    )
    .unwrap();
    app.wait_for_log("listening", std::time::Duration::from_secs(20))
        .expect("the example never listened");
    let trace = "463ac35c9f6413ad48485a3953bb6124";
    // Storage refuses the (expired) system token: the handler fails, and says so in the log.
    platform.set_product_token_ttl(-3600);
    let invocation = Invocation {
        system_token: true,
        user_token: true,
        principal: Some("557058:alice".to_owned()),
        trace_id: Some(trace.to_owned()),
        ..Invocation::default()
    }
    .with_context("issue.key", "TEST-1");
    let installation = ForgeInstallation::jira("traced");
    let answer = platform
        .invoke(
            &format!("http://127.0.0.1:{port}/notes"),
            reqwest::Method::GET,
            &installation,
            "notes-panel",
            &invocation,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 502, "{}", answer.body);
    let calls = platform.api_calls();
    assert!(!calls.is_empty());
    assert!(
        calls
            .iter()
            .all(|call| call.trace_id.as_deref() == Some(trace)),
        "{calls:?}"
    );
    let failure = app
        .wait_for_log("handler failed", std::time::Duration::from_secs(10))
        .expect("no log line of the failure");
    assert!(failure.contains(trace), "{failure}");
    let logs = app
        .drain_log(std::time::Duration::from_millis(200))
        .join("\n");
    assert!(!logs.contains("eyJ"), "a token reached the log: {logs}");
}

/// A resolver that reports every UI accessor, a static web trigger, and the module Forge
/// wants besides endpoints.
#[forge::issue_glance(
    key = "ctx-glance",
    title = "Context",
    label = "Context",
    resource = "ctx",
    resource_path = "ui/ctx"
)]
#[forge::resolver(endpoint = "ctx-api", path = "/ctx", method = GET, user_token)]
async fn context_probe(forge: ForgeContext) -> Json<Value> {
    Json(json!({
        "issueKey": forge.issue_key(),
        "issueId": forge.issue_id(),
        "projectKey": forge.project_key(),
        "contentId": forge.content_id(),
        "spaceKey": forge.space_key(),
        "localId": forge.local_id(),
        "moduleKey": forge.ui_module_key(),
        "accountId": forge.account_id(),
        "moduleType": forge.module_type(),
        "extension": forge.extension().cloned(),
    }))
}

#[forge::webtrigger(key = "ctx-hook", path = "/ctx/hook", outputs = ["ok|200|text/plain|Thanks", "refused|403"])]
async fn static_hook(body: Json<Value>) -> atlassian_connect::forge::WebtriggerOutput {
    atlassian_connect::forge::WebtriggerOutput(if body.0["ping"].is_null() {
        "refused"
    } else {
        "ok"
    })
}

#[tokio::test]
async fn ui_accessors_and_static_web_trigger_answers() {
    let app = App::new("com.example.ctx", "Context")
        .forge_native()
        .forge_scopes(["read:jira-work"])
        .handlers(handlers![context_probe, static_hook]);
    let probe = Notes::serve(app).await;
    let invocation = Invocation {
        user_token: true,
        principal: Some("557058:carol".to_owned()),
        module_type: Some("jira:issueGlance".to_owned()),
        ..Invocation::default()
    }
    .with_context("issue.key", "TEST-9")
    .with_context("issue.id", "10009")
    .with_context("project.key", "TEST");
    let answer = probe
        .platform
        .invoke(
            &probe.url("/ctx"),
            reqwest::Method::GET,
            &probe.installation,
            "ctx-glance",
            &invocation,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let seen = json_of(&answer);
    assert_eq!(seen["issueKey"], "TEST-9");
    assert_eq!(seen["issueId"], "10009");
    assert_eq!(seen["projectKey"], "TEST");
    assert_eq!(seen["contentId"], Value::Null);
    assert_eq!(seen["moduleKey"], "ctx-glance");
    assert_eq!(seen["accountId"], "557058:carol");
    assert_eq!(seen["moduleType"], "jira:issueGlance");
    assert_eq!(seen["extension"]["issue"]["key"], "TEST-9");
    let hook = |body: &'static [u8]| {
        let platform = &probe.platform;
        let url = probe.url("/ctx/hook");
        async move {
            platform
                .call_webtrigger(
                    &url,
                    reqwest::Method::POST,
                    &[("content-type", "application/json")],
                    Some(body.to_vec()),
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(
        json_of(&hook(br#"{"ping": 1}"#).await),
        json!({"outputKey": "ok"})
    );
    assert_eq!(
        json_of(&hook(br#"{}"#).await),
        json!({"outputKey": "refused"})
    );
}

static EVENT_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A consumer that takes `sleepMs` to handle an event, and counts its runs.
#[forge::consumer(key = "slow", queue = "slow", path = "/slow")]
async fn slow(event: atlassian_connect::forge::AsyncEvent<Value>) -> StatusCode {
    let sleep = event.body["sleepMs"].as_u64().unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(sleep)).await;
    EVENT_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    StatusCode::OK
}

#[tokio::test]
async fn events_of_one_push_all_run_and_a_delivery_in_progress_is_not_acknowledged() {
    use connect_testing::AsyncDelivery;
    use std::sync::atomic::Ordering;
    let app = App::new("com.example.slow", "Slow")
        .forge_native()
        .handlers(handlers![slow]);
    let probe = Notes::serve(app).await;
    let url = probe.url("/slow");
    let deliver = |event_id: &'static str, sleep_ms: u64| {
        let (platform, installation, url) = (&probe.platform, &probe.installation, url.clone());
        async move {
            platform
                .deliver_event(
                    &url,
                    installation,
                    "slow-ep",
                    &AsyncDelivery {
                        queue: "slow",
                        job_id: "job-1",
                        event_id: Some(event_id),
                        body: &json!({ "sleepMs": sleep_ms }),
                        retry_count: 0,
                    },
                )
                .await
                .unwrap()
        }
    };
    let before = EVENT_RUNS.load(Ordering::SeqCst);
    // Two events of one push (one job id): both run.
    assert_eq!(deliver("e-1", 0).await.status, 200);
    assert_eq!(deliver("e-2", 0).await.status, 200);
    assert_eq!(EVENT_RUNS.load(Ordering::SeqCst), before + 2);
    // A redelivery while the first run is still going is not acknowledged (Forge retries it),
    // and once the first run succeeded, a redelivery is acknowledged without running.
    let (first, second) = tokio::join!(deliver("e-3", 400), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        deliver("e-3", 0).await
    });
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(json_of(&second)["message"].is_string());
    assert_eq!(deliver("e-3", 0).await.status, 200);
    assert_eq!(EVENT_RUNS.load(Ordering::SeqCst), before + 3);
}

#[test]
fn web_trigger_handlers_cannot_require_an_invocation_and_raw_modules_only_name_resolvers() {
    use atlassian_connect::store::MemoryStore;
    #[forge::webtrigger(key = "needs-fit", path = "/needs-fit")]
    async fn needs_fit(forge: ForgeContext) -> StatusCode {
        let _ = forge;
        StatusCode::OK
    }
    let build = |app: App| {
        app.build(
            super::native::native_config_for_build(),
            Arc::new(MemoryStore::default()),
        )
        .map(drop)
        .unwrap_err()
        .to_string()
    };
    let error = build(
        App::new("com.example.hook", "Hook")
            .forge_native()
            .handlers(handlers![needs_fit]),
    );
    assert!(error.contains("take `Option<ForgeContext>`"), "{error}");
    // A raw UI module may name a resolver endpoint only, not a backend module's endpoint.
    let error = build(
        App::new("com.example.raw", "Raw")
            .forge_native()
            .handlers(handlers![slow])
            .forge_resource("raw", "ui/raw")
            .forge_module(
                "jira:issueAction",
                json!({"key": "raw-action", "title": "Raw", "resource": "raw", "resolver": {"endpoint": "slow-ep"}}),
            ),
    );
    assert!(error.contains("`slow-ep`"), "{error}");
}
