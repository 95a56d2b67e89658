//! The Forge-native `notes` example, end to end over HTTP with the simulated Forge platform:
//! its contract (UI resolver, Rovo action, async events consumer, web trigger, pre-uninstall,
//! Forge storage), and the Forge attack suite at each of its routes (no handler run, no
//! storage change).
//!
//! The contract tests run twice from one body: with the app as a Forge Remote (FITs from the
//! simulated platform) and as a Forge Container service (invocation ids from the simulated
//! sidecar, every outbound call through the simulated egress proxy).

use super::APP_ID;
use crate::examples::notes;
use atlassian_connect::__private::{self as server, RunningServer};
use atlassian_connect::forge::ContainerEnv;
use atlassian_connect::prelude::*;
use atlassian_connect::store::MemoryStore;
use connect_runtime::config::HostRule;
use connect_testing::{
    Answer, AsyncDelivery, ForgeCaller, ForgeInstallation, ForgePlatform, ForgeSidecar, Invocation,
};
use serde_json::{Value, json};
use std::sync::Arc;

/// How the app is hosted in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A Forge Remote: the platform calls it with FITs.
    Remote,
    /// A Forge Container service: the sidecar calls it with invocation ids.
    Container,
}

/// Runs the `async fn NAME(mode: Mode)` in both modes, as the tests `NAME::remote` and
/// `NAME::container`.
macro_rules! in_both_modes {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn remote() {
                super::$name(super::Mode::Remote).await;
            }

            #[tokio::test]
            async fn container() {
                super::$name(super::Mode::Container).await;
            }
        }
    )+};
}

/// The notes app served on loopback, with the simulated platform (and, in container mode,
/// the simulated sidecar and egress proxy in front of it).
pub struct Notes {
    pub platform: Arc<ForgePlatform>,
    pub sidecar: Option<ForgeSidecar>,
    pub installation: ForgeInstallation,
    url: String,
    _server: RunningServer,
}

/// The configuration of a Forge-native app under the simulated platform.
pub fn native_config(platform: &ForgePlatform) -> ConnectConfig {
    let mut config = ConnectConfig::new("https://notes.example.com".parse().unwrap());
    config.forge.app_id = Some(atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap());
    config.forge.jwks_url = platform.jwks_url().parse().unwrap();
    config.forge.allowed_api_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
    config
}

/// A Forge-native configuration for build-time checks (no platform needed).
pub fn native_config_for_build() -> ConnectConfig {
    let mut config = ConnectConfig::new("https://notes.example.com".parse().unwrap());
    config.forge.app_id = Some(atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap());
    config
}

/// What Forge injects into a container whose egress proxy is `sidecar`.
pub fn container_env(sidecar: &ForgeSidecar) -> ContainerEnv {
    ContainerEnv {
        port: 8080,
        egress_proxy: sidecar.url().parse().unwrap(),
        app_id: atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap(),
    }
}

impl Notes {
    pub async fn start() -> Self {
        Self::serve(notes::app()).await
    }

    /// The notes example hosted as `mode` says.
    pub async fn start_in(mode: Mode) -> Self {
        Self::serve_in(notes::app(), mode).await
    }

    /// Serves `app` (a Forge-native app) as a remote, with a fresh platform.
    pub async fn serve(app: App) -> Self {
        Self::serve_in(app, Mode::Remote).await
    }

    /// Serves `app` (a Forge-native app) hosted as `mode` says, with a fresh platform.
    pub async fn serve_in(app: App, mode: Mode) -> Self {
        let platform = Arc::new(ForgePlatform::start(APP_ID).await.unwrap());
        let (built, sidecar) = match mode {
            Mode::Remote => (
                app.build(native_config(&platform), Arc::new(MemoryStore::default()))
                    .unwrap(),
                None,
            ),
            Mode::Container => {
                let sidecar = ForgeSidecar::start(Arc::clone(&platform)).await.unwrap();
                let built = app
                    .build_container(native_config_for_build(), container_env(&sidecar))
                    .unwrap();
                (built, Some(sidecar))
            }
        };
        let server = server::spawn(built.filter(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        Self {
            installation: ForgeInstallation::jira("notes-site"),
            url: server.url().trim_end_matches('/').to_owned(),
            platform,
            sidecar,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Who calls the app in this mode: the platform (a FIT) or the sidecar (an invocation
    /// id).
    fn forge(&self) -> Forge<'_> {
        match &self.sidecar {
            Some(sidecar) => Forge::Sidecar(sidecar),
            None => Forge::Platform(&self.platform),
        }
    }

    /// Invokes `module_key` at `path` as Forge does in this mode.
    pub async fn invoke(
        &self,
        path: &str,
        method: reqwest::Method,
        module_key: &str,
        invocation: &Invocation,
    ) -> Answer {
        self.forge()
            .invoke(
                &self.url(path),
                method,
                &self.installation,
                module_key,
                invocation,
            )
            .await
            .unwrap()
    }

    /// A call from the issue panel of `issue` by `user`, as the panel's Custom UI makes it:
    /// a remote's token carries the issue (the UI context); a container's invocation context
    /// has none, so the issue goes in the query.
    pub async fn panel(
        &self,
        method: reqwest::Method,
        issue: Option<&str>,
        user: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut invocation = Invocation {
            system_token: true,
            user_token: true,
            principal: Some(user.to_owned()),
            module_type: Some("jira:issuePanel".to_owned()),
            body,
            ..Invocation::default()
        };
        let mut path = "/notes".to_owned();
        if let Some(issue) = issue {
            if self.sidecar.is_some() {
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("issueKey", issue)
                    .finish();
                path = format!("/notes?{query}");
            } else {
                invocation = invocation
                    .with_context("issue.key", issue)
                    .with_context("issue.id", "10001")
                    .with_context("project.key", "TEST");
            }
        }
        self.invoke(&path, method, "notes-panel", &invocation).await
    }

    pub async fn add(&self, issue: &str, user: &str, text: &str) -> Answer {
        self.panel(
            reqwest::Method::POST,
            Some(issue),
            user,
            Some(json!({ "text": text })),
        )
        .await
    }

    pub async fn find(&self, issue: &str) -> Answer {
        self.forge()
            .invoke_action(
                &self.url("/actions/find-notes"),
                &self.installation,
                "find-notes-api",
                "find-notes",
                &json!({ "issueKey": issue }),
                "557058:rovo-user",
            )
            .await
            .unwrap()
    }

    pub async fn reindex(&self, issue: &str, job_id: &str, retry_count: u32) -> Answer {
        let body = json!({ "issueKey": issue });
        let delivery = AsyncDelivery {
            queue: "notes-reindex",
            job_id,
            event_id: None,
            body: &body,
            retry_count,
        };
        self.forge()
            .deliver_event(
                &self.url("/events/reindex"),
                &self.installation,
                "notes-reindex-api",
                &delivery,
            )
            .await
            .unwrap()
    }

    pub async fn pre_uninstall(&self) -> Answer {
        self.forge()
            .pre_uninstall(
                &self.url("/lifecycle/pre-uninstall"),
                &self.installation,
                "notes-uninstall-api",
                "notes-uninstall",
            )
            .await
            .unwrap()
    }
}

/// The Forge side of a [`Notes`] fixture, whichever mode it runs in.
enum Forge<'a> {
    Platform(&'a ForgePlatform),
    Sidecar(&'a ForgeSidecar),
}

impl ForgeCaller for Forge<'_> {
    async fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> Result<Answer, connect_testing::HostError> {
        match self {
            Forge::Platform(platform) => {
                platform
                    .invoke(url, method, installation, module_key, invocation)
                    .await
            }
            Forge::Sidecar(sidecar) => {
                sidecar
                    .invoke(url, method, installation, module_key, invocation)
                    .await
            }
        }
    }
}

pub fn json_of(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("not JSON: {}", answer.body))
}

async fn health_is_public_and_there_is_no_connect_side(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    let client = reqwest::Client::new();
    let health = client.get(notes.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // No Connect route; in a container, no request without an invocation id gets further
    // than the gate.
    let refused = match mode {
        Mode::Remote => 404,
        Mode::Container => 401,
    };
    for path in ["/atlassian-connect.json", "/installed"] {
        let answer = client.get(notes.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), refused, "{path}");
    }
}

async fn the_panel_lists_and_adds_notes_in_forge_storage(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    let empty = notes
        .panel(reqwest::Method::GET, Some("TEST-1"), "557058:alice", None)
        .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(json_of(&empty), json!({"issueKey": "TEST-1", "notes": []}));

    let first = notes.add("TEST-1", "557058:alice", "  first note  ").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first = json_of(&first);
    assert_eq!(first["text"], "first note");
    assert_eq!(first["author"], "557058:alice");
    assert_eq!(first["id"].as_str().unwrap().len(), 36, "a UUID: {first}");
    let created = first["createdAt"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created}"
    );
    let second = notes.add("TEST-1", "557058:bob", "second").await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(
        notes.add("TEST-2", "557058:bob", "elsewhere").await.status,
        201
    );

    let listed = notes
        .panel(reqwest::Method::GET, Some("TEST-1"), "557058:carol", None)
        .await;
    let listed = json_of(&listed);
    let texts: Vec<&str> = listed["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["first note", "second"], "creation order");
    assert_eq!(listed["notes"][0], first);

    // Stored as one JSON array per issue, under `notes:<key>`, in the installation's store.
    let stored = notes.platform.storage(&notes.installation);
    assert_eq!(stored["notes:TEST-1"].as_array().unwrap().len(), 2);
    assert_eq!(stored["notes:TEST-2"].as_array().unwrap().len(), 1);
    // Another installation sees none of it.
    let other = ForgeInstallation::jira("other-site");
    assert!(notes.platform.storage(&other).is_empty());
}

async fn invalid_notes_and_calls_without_an_issue_are_refused(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    for (text, why) in [
        ("", "empty"),
        ("   \n\t ", "blank"),
        (&"x".repeat(notes::MAX_NOTE_CHARS + 1) as &str, "too long"),
    ] {
        let answer = notes.add("TEST-1", "557058:alice", text).await;
        assert_eq!(answer.status, 400, "{why}: {}", answer.body);
        assert!(json_of(&answer)["message"].is_string(), "{why}");
    }
    let exactly = notes
        .add("TEST-1", "557058:alice", &"y".repeat(notes::MAX_NOTE_CHARS))
        .await;
    assert_eq!(exactly.status, 201, "2,000 characters are allowed");
    let no_issue = notes
        .panel(reqwest::Method::GET, None, "557058:alice", None)
        .await;
    assert_eq!(no_issue.status, 400, "{}", no_issue.body);
    assert!(json_of(&no_issue)["message"].is_string());
    let stored = notes.platform.storage(&notes.installation);
    assert_eq!(
        stored.len(),
        1,
        "only the valid note was stored: {stored:?}"
    );
}

async fn issues_the_user_cannot_see_are_neither_listed_nor_written_nor_found(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    assert_eq!(
        notes.add("SECRET-1", "557058:alice", "hidden").await.status,
        201
    );
    notes
        .platform
        .answer_not_found("/rest/api/3/issue/SECRET-1");
    let listed = notes
        .panel(
            reqwest::Method::GET,
            Some("SECRET-1"),
            "557058:mallory",
            None,
        )
        .await;
    assert_eq!(listed.status, 404, "{}", listed.body);
    assert!(!listed.body.contains("hidden"));
    let added = notes.add("SECRET-1", "557058:mallory", "sneaky").await;
    assert_eq!(added.status, 404, "{}", added.body);
    // The action's input names the issue; the principal cannot see it: no notes.
    assert_eq!(
        json_of(&notes.find("SECRET-1").await),
        json!({"issueKey": "SECRET-1", "notes": []})
    );
    // A key that is no issue key never reaches a URL.
    let traversal = notes
        .panel(
            reqwest::Method::GET,
            Some("../../admin"),
            "557058:mallory",
            None,
        )
        .await;
    assert_eq!(traversal.status, 400, "{}", traversal.body);
    assert_eq!(
        json_of(&notes.find("TEST-1/../../x").await)["notes"],
        json!([])
    );
    let stored = notes.platform.storage(&notes.installation);
    assert_eq!(stored["notes:SECRET-1"].as_array().unwrap().len(), 1);
    assert!(
        notes
            .platform
            .api_calls()
            .iter()
            .all(|call| !call.path.contains("..")),
        "a bad key reached the product API"
    );
}

async fn the_action_finds_notes_by_its_llm_input(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    notes.add("TEST-7", "557058:alice", "hello").await;
    let found = notes.find("TEST-7").await;
    assert_eq!(found.status, 200, "{}", found.body);
    let found = json_of(&found);
    assert_eq!(found["issueKey"], "TEST-7");
    assert_eq!(found["notes"][0]["text"], "hello");
    let unknown = json_of(&notes.find("NOPE-1").await);
    assert_eq!(unknown, json!({"issueKey": "NOPE-1", "notes": []}));
}

async fn the_consumer_counts_notes_once_per_job(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    notes.add("TEST-3", "557058:alice", "one").await;
    let answer = notes.reindex("TEST-3", "job-1", 0).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes-count:TEST-3"],
        json!(1)
    );
    // A second note, then job-1 again (Forge's at-least-once delivery, retried): acknowledged
    // without running, so the count stays as the first run wrote it.
    notes.add("TEST-3", "557058:alice", "two").await;
    let again = notes.reindex("TEST-3", "job-1", 1).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes-count:TEST-3"],
        json!(1)
    );
    // A new job runs.
    assert_eq!(notes.reindex("TEST-3", "job-2", 0).await.status, 200);
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes-count:TEST-3"],
        json!(2)
    );
    // A delivery whose body is not the envelope is refused, and nothing is written.
    let before = notes.platform.storage(&notes.installation);
    let broken = notes
        .invoke(
            "/events/reindex",
            reqwest::Method::POST,
            "notes-reindex-api",
            &Invocation {
                system_token: true,
                backend: true,
                body: Some(json!({"issueKey": "TEST-3"})),
                ..Invocation::default()
            },
        )
        .await;
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert_eq!(notes.platform.storage(&notes.installation), before);
}

async fn the_consumer_runs_a_failed_job_again(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    // Storage refuses the first attempt (rate limited past the retries would take long; an
    // expired system token is refused at once): the handler fails, Forge retries the job.
    notes.platform.set_product_token_ttl(-60);
    let failed = notes.reindex("TEST-4", "job-9", 0).await;
    assert!(failed.status >= 500, "{}: {}", failed.status, failed.body);
    notes.platform.set_product_token_ttl(3600);
    let retried = notes.reindex("TEST-4", "job-9", 1).await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes-count:TEST-4"],
        json!(0)
    );
}

#[tokio::test]
async fn the_web_trigger_echoes_json_and_refuses_the_rest() {
    let notes = Notes::start().await;
    let url = notes.url("/hooks/notes");
    let echoed = notes
        .platform
        .call_webtrigger(
            &url,
            reqwest::Method::POST,
            &[("content-type", "application/json")],
            Some(br#"{"ping": [1, 2]}"#.to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(echoed.status, 200, "{}", echoed.body);
    assert_eq!(json_of(&echoed), json!({"received": {"ping": [1, 2]}}));
    let not_json = notes
        .platform
        .call_webtrigger(
            &url,
            reqwest::Method::POST,
            &[("content-type", "text/plain")],
            Some(b"hello".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    assert!(json_of(&not_json)["message"].is_string());
    // With a FIT (should Forge send one), it is verified: a valid one passes...
    let with_fit = notes
        .platform
        .invoke(
            &url,
            reqwest::Method::POST,
            &notes.installation,
            "notes-hook-api",
            &Invocation {
                backend: true,
                body: Some(json!({"a": 1})),
                ..Invocation::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(with_fit.status, 200, "{}", with_fit.body);
    // ...and a forged one is refused.
    let forged = notes
        .platform
        .call_webtrigger(
            &url,
            reqwest::Method::POST,
            &[
                ("content-type", "application/json"),
                ("authorization", "Bearer not.a.token"),
            ],
            Some(b"{}".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 401, "{}", forged.body);
}

async fn pre_uninstall_deletes_the_notes_and_counts_only(mode: Mode) {
    let notes = Notes::start_in(mode).await;
    for issue in ["TEST-1", "TEST-2"] {
        notes.add(issue, "557058:alice", "note").await;
        notes.reindex(issue, &format!("job-{issue}"), 0).await;
    }
    notes
        .platform
        .put_storage(&notes.installation, "settings", json!({"keep": true}));
    assert_eq!(notes.platform.storage(&notes.installation).len(), 5);
    let answer = notes.pre_uninstall().await;
    assert!((200..300).contains(&answer.status), "{}", answer.body);
    let left: Vec<String> = notes
        .platform
        .storage(&notes.installation)
        .into_keys()
        .collect();
    assert_eq!(left, ["settings"]);
}

in_both_modes!(
    health_is_public_and_there_is_no_connect_side,
    the_panel_lists_and_adds_notes_in_forge_storage,
    invalid_notes_and_calls_without_an_issue_are_refused,
    issues_the_user_cannot_see_are_neither_listed_nor_written_nor_found,
    the_action_finds_notes_by_its_llm_input,
    the_consumer_counts_notes_once_per_job,
    the_consumer_runs_a_failed_job_again,
    pre_uninstall_deletes_the_notes_and_counts_only,
);
