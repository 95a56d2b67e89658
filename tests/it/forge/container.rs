//! The notes example as a Forge Container service, with the simulated sidecar and egress
//! proxy: what goes through the proxy and how it names the invocation, the UI context against
//! the query, and the attacks container mode must refuse (no invocation id, an id the proxy
//! does not know, a FIT instead of an id, a forged `forge-proxy-authorization`), each with
//! nothing stored.

use super::native::{Mode, Notes, json_of};
use connect_testing::Invocation;
use serde_json::json;

fn notes_routes() -> [(reqwest::Method, &'static str); 6] {
    [
        (reqwest::Method::GET, "/notes?issueKey=TEST-1"),
        (reqwest::Method::POST, "/notes?issueKey=TEST-1"),
        (reqwest::Method::POST, "/actions/find-notes"),
        (reqwest::Method::POST, "/events/reindex"),
        (reqwest::Method::POST, "/hooks/notes"),
        (reqwest::Method::POST, "/lifecycle/pre-uninstall"),
    ]
}

#[tokio::test]
async fn every_call_goes_through_the_proxy_naming_the_invocation() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let added = notes.add("TEST-1", "557058:alice", "hello").await;
    assert_eq!(added.status, 201, "{}", added.body);
    // The author is the context's account id (the sidecar's user), not anything the browser
    // sent.
    assert_eq!(json_of(&added)["author"], "557058:alice");
    let calls = sidecar.calls();
    let paths: Vec<&str> = calls.iter().map(|call| call.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/invocation/context",
            "/jira/rest/api/3/issue/TEST-1",
            "/forge/storage/kvs/v1/get",
            "/forge/storage/kvs/v1/set",
        ],
        "the context once, the issue as the user, then storage"
    );
    let id = calls[0]
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Forge id="))
        .expect("the context is asked for with the invocation id")
        .to_owned();
    assert_eq!(
        calls[1].authorization.as_deref(),
        Some(format!("Forge as=user,id={id}").as_str())
    );
    assert!(calls[1].as_user);
    for storage in &calls[2..] {
        assert_eq!(
            storage.authorization.as_deref(),
            Some(format!("Forge as=app,id={id}").as_str())
        );
    }
    // Every call accepted; the first read finds no notes yet (404 `KEY_NOT_FOUND`).
    assert!(
        calls
            .iter()
            .all(|call| call.status < 300 || (call.path.ends_with("/get") && call.status == 404)),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .all(|call| call.installation_id == notes.installation.installation_id)
    );
    // The platform behind the proxy saw the user's token for the issue, the system token for
    // storage.
    // storage, and the invocation's trace went along with each call.
    let api = notes.platform.api_calls();
    let tokens: Vec<(&str, &str)> = api
        .iter()
        .map(|call| (call.path.as_str(), call.token.as_str()))
        .collect();
    assert_eq!(
        tokens,
        [
            ("/rest/api/3/issue/TEST-1", "user"),
            ("/forge/storage/kvs/v1/get", "system"),
            ("/forge/storage/kvs/v1/set", "system"),
        ]
    );
    assert!(api[0].trace_id.is_some());
    assert!(api.iter().all(|call| call.trace_id == api[0].trace_id));
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes:TEST-1"][0]["text"],
        "hello"
    );
}

#[tokio::test]
async fn the_context_issue_wins_and_another_query_is_refused() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let panel = |issue: &str| {
        Invocation {
            principal: Some("557058:alice".to_owned()),
            module_type: Some("jira:issuePanel".to_owned()),
            body: Some(json!({"text": "from the panel"})),
            ..Invocation::default()
        }
        .with_context("issue.key", issue)
    };
    let url = notes.url("/notes?issueKey=TEST-2");
    let other = sidecar
        .invoke(
            &url,
            reqwest::Method::POST,
            &notes.installation,
            "notes-panel",
            &panel("TEST-1"),
        )
        .await
        .unwrap();
    assert_eq!(other.status, 400, "{}", other.body);
    assert!(json_of(&other)["message"].is_string());
    assert!(notes.platform.storage(&notes.installation).is_empty());
    // The context's issue alone (no query) is used.
    let from_context = sidecar
        .invoke(
            &notes.url("/notes"),
            reqwest::Method::POST,
            &notes.installation,
            "notes-panel",
            &panel("TEST-1"),
        )
        .await
        .unwrap();
    assert_eq!(from_context.status, 201, "{}", from_context.body);
    let same = sidecar
        .invoke(
            &notes.url("/notes?issueKey=TEST-1"),
            reqwest::Method::GET,
            &notes.installation,
            "notes-panel",
            &panel("TEST-1"),
        )
        .await
        .unwrap();
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(json_of(&same)["notes"][0]["text"], "from the panel");
}

#[tokio::test]
async fn requests_without_an_invocation_id_are_refused_and_reach_nothing() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let client = reqwest::Client::new();
    // A FIT, the remote's credential, is not one in a container.
    let fit = notes
        .platform
        .sign(&notes.platform.fit(&notes.installation, "notes-panel"));
    for (method, path) in notes_routes() {
        for with_fit in [false, true] {
            let mut request = client
                .request(method.clone(), notes.url(path))
                .json(&json!({"text": "x", "issueKey": "TEST-1"}));
            if with_fit {
                request = request.bearer_auth(&fit);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 401, "{method} {path} (FIT: {with_fit})");
            let body: serde_json::Value = answer.json().await.unwrap();
            assert!(body["message"].is_string());
        }
    }
    assert!(sidecar.calls().is_empty(), "nothing reached the proxy");
    assert!(notes.platform.storage(&notes.installation).is_empty());
    assert!(notes.platform.api_calls().is_empty());
}

#[tokio::test]
async fn an_invocation_id_the_proxy_does_not_know_is_refused() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let client = reqwest::Client::new();
    for id in [
        "0f6a3a3e-7d1b-4c55-9b1f-000000000000",
        "made-up",
        // Would smuggle fields into the proxy header if sent on as is.
        "x,as=user,installationId=other",
        "",
    ] {
        for (method, path) in notes_routes() {
            let answer = client
                .request(method.clone(), notes.url(path))
                .header("x-forge-invocation-id", id)
                .json(&json!({"text": "x", "issueKey": "TEST-1"}))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 401, "{method} {path} id {id:?}");
        }
    }
    let calls = sidecar.calls();
    assert!(
        calls.iter().all(|call| call.path == "/invocation/context"
            && call.status == 401
            && call
                .authorization
                .as_deref()
                .is_some_and(|value| !value.contains(','))),
        "only context lookups, each refused, none with smuggled fields: {calls:?}"
    );
    assert!(notes.platform.storage(&notes.installation).is_empty());
    assert!(notes.platform.api_calls().is_empty());
}

#[tokio::test]
async fn a_forged_proxy_header_in_the_request_is_ignored() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let other = connect_testing::ForgeInstallation::jira("victim");
    sidecar.add_installation(&other);
    // A real invocation, with a forged header naming another installation as a user.
    let id = sidecar.register(
        &notes.installation,
        "notes-panel",
        &Invocation {
            principal: Some("557058:mallory".to_owned()),
            ..Invocation::default()
        },
    );
    let forged = format!(
        "Forge as=user,accountId=557058:admin,installationId={}",
        other.installation_id
    );
    let answer = reqwest::Client::new()
        .post(notes.url("/notes?issueKey=TEST-1"))
        .header("x-forge-invocation-id", &id)
        .header("forge-proxy-authorization", &forged)
        .json(&json!({"text": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let note: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(note["author"], "557058:mallory");
    let calls = sidecar.calls();
    assert!(
        calls.iter().all(|call| call
            .authorization
            .as_deref()
            .is_some_and(|value| value.ends_with(&format!("id={id}")))),
        "every outbound call names the invocation, none the forged header: {calls:?}"
    );
    assert!(
        notes.platform.storage(&other).is_empty(),
        "the victim's storage"
    );
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes:TEST-1"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_invocation_is_served_once() {
    let notes = Notes::start_in(Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let id = sidecar.register(
        &notes.installation,
        "notes-panel",
        &Invocation {
            principal: Some("557058:alice".to_owned()),
            ..Invocation::default()
        },
    );
    let send = || {
        reqwest::Client::new()
            .post(notes.url("/notes?issueKey=TEST-1"))
            .header("x-forge-invocation-id", &id)
            .json(&json!({"text": "once"}))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 201);
    assert_eq!(send().await.unwrap().status(), 401, "a replayed invocation");
    assert_eq!(
        notes.platform.storage(&notes.installation)["notes:TEST-1"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_503_not_a_401() {
    // A proxy address nothing listens on.
    let port = connect_testing::free_port().unwrap();
    let env = atlassian_connect::forge::ContainerEnv {
        port: 8080,
        egress_proxy: format!("http://127.0.0.1:{port}").parse().unwrap(),
        app_id: atlassian_connect::descriptor::ForgeAppId::parse(super::APP_ID).unwrap(),
    };
    let app = crate::examples::notes::app()
        .build_container(super::native::native_config_for_build(), env)
        .unwrap();
    let server = atlassian_connect::__private::spawn(app.filter(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .get(format!("{}/notes?issueKey=TEST-1", server.url()))
        .header(
            "x-forge-invocation-id",
            "0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    let health = reqwest::get(format!("{}/healthz", server.url()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// A container app on Forge SQL and async events: `POST /tasks` stores a task and pushes an
/// event; `GET /tasks` lists them.
mod tasks {
    use atlassian_connect::forge::{ForgeEvents, ForgeSql};
    use atlassian_connect::prelude::*;

    #[derive(serde::Deserialize, serde::Serialize)]
    pub struct Task {
        pub id: i64,
        pub title: String,
        /// MySQL's BOOLEAN is TINYINT(1): rows carry 0 or 1.
        pub done: u8,
    }

    #[forge::issue_panel(
        key = "tasks-panel",
        title = "Tasks",
        icon = "https://example.com/icon.svg",
        resource = "tasks",
        resource_path = "examples/notes/panel/build"
    )]
    #[forge::resolver(endpoint = "tasks-api", path = "/tasks", method = POST)]
    async fn add(
        sql: ForgeSql,
        events: ForgeEvents,
        task: Json<Task>,
    ) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
        sql.ddl("CREATE TABLE IF NOT EXISTS tasks (id INT PRIMARY KEY, title TEXT, done BOOLEAN)")
            .await?;
        let outcome = sql
            .prepare("INSERT INTO tasks (id, title, done) VALUES (?, ?, ?)")
            .bind(task.0.id)
            .bind(&task.0.title)
            .bind(task.0.done)
            .execute()
            .await?;
        let job = events
            .push("tasks-changed", &[serde_json::json!({"id": task.0.id})])
            .await?;
        Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({"affected": outcome.affected_rows, "job": job})),
        ))
    }

    #[forge::resolver(endpoint = "tasks-api", path = "/tasks", method = GET)]
    async fn list(sql: ForgeSql) -> Result<Json<Vec<Task>>, AppError> {
        Ok(Json(
            sql.prepare("SELECT id, title, done FROM tasks WHERE id > ? ORDER BY id")
                .bind(0)
                .fetch_all()
                .await?,
        ))
    }

    pub fn app() -> App {
        App::new("com.example.tasks", "Tasks")
            .forge_native()
            .product(Product::Jira)
            .forge_container(atlassian_connect::forge::ForgeContainer::new("tasks"))
            .handlers(handlers![add, list])
    }
}

#[tokio::test]
async fn forge_sql_and_async_events_through_the_proxy() {
    let notes = Notes::serve_in(tasks::app(), Mode::Container).await;
    let sidecar = notes.sidecar.as_ref().unwrap();
    let call = |method: reqwest::Method, body: Option<serde_json::Value>| {
        let notes = &notes;
        async move {
            let invocation = Invocation {
                principal: Some("557058:alice".to_owned()),
                body,
                ..Invocation::default()
            };
            notes
                .invoke("/tasks", method, "tasks-panel", &invocation)
                .await
        }
    };
    for (id, title) in [(2, "second"), (1, "first")] {
        let added = call(
            reqwest::Method::POST,
            Some(json!({"id": id, "title": title, "done": 0})),
        )
        .await;
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(json_of(&added)["affected"], 1);
    }
    let listed = call(reqwest::Method::GET, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        json_of(&listed),
        json!([
            {"id": 1, "title": "first", "done": 0},
            {"id": 2, "title": "second", "done": 0},
        ])
    );
    // A duplicate id: the database refuses it, the handler answers an error, no event.
    let duplicate = call(
        reqwest::Method::POST,
        Some(json!({"id": 1, "title": "again", "done": 1})),
    )
    .await;
    assert_eq!(duplicate.status, 502, "{}", duplicate.body);
    let published = sidecar.published();
    assert_eq!(published.len(), 2);
    assert_eq!(published[0].queue, "tasks-changed");
    assert_eq!(published[0].events, [json!({"id": 2})]);
    assert_eq!(
        published[0].installation_id,
        notes.installation.installation_id
    );
    assert_eq!(
        sidecar.sql_rows(&notes.installation, "SELECT title FROM tasks ORDER BY id"),
        [json!({"title": "first"}), json!({"title": "second"})]
    );
    // Another installation has its own database.
    let other = connect_testing::ForgeInstallation::jira("other");
    assert!(sidecar.sql_rows(&other, "SELECT * FROM tasks").is_empty());
}

#[test]
fn forge_sql_is_refused_for_a_remote_and_declared_in_the_manifest() {
    let error = tasks::app()
        .build(
            super::native::native_config_for_build(),
            std::sync::Arc::new(atlassian_connect::store::MemoryStore::default()),
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("ForgeSql"), "{error}");
    assert!(error.contains("serve --container"), "{error}");
    let manifest = tasks::app()
        .container_manifest(
            "https://tasks.example.com",
            atlassian_connect::descriptor::ForgeAppId::parse(super::APP_ID).unwrap(),
            "1.0.0",
        )
        .unwrap();
    assert_eq!(
        manifest.to_json()["modules"]["sql"],
        json!([{"key": "main", "engine": "mysql"}])
    );
    super::native_manifest::ensure_panel_built();
    let verdict = super::manifest::validate("tasks-container", &manifest.to_yaml().unwrap());
    assert_eq!(verdict["errors"], json!([]), "{verdict}");
}

#[tokio::test]
async fn background_work_lists_installations_page_by_page_and_names_each() {
    let platform = std::sync::Arc::new(
        connect_testing::ForgePlatform::start(super::APP_ID)
            .await
            .unwrap(),
    );
    let sidecar = connect_testing::ForgeSidecar::start(std::sync::Arc::clone(&platform))
        .await
        .unwrap();
    let installations: Vec<_> = (0..230)
        .map(|n| connect_testing::ForgeInstallation::jira(&format!("site-{n}")))
        .collect();
    for installation in &installations {
        sidecar.add_installation(installation);
    }
    let api = atlassian_connect::forge::ContainerApi::new(
        sidecar.url().parse().unwrap(),
        atlassian_connect::Product::Jira,
    )
    .unwrap();
    let listed = api.installations().await.unwrap();
    assert_eq!(listed.len(), 230);
    assert_eq!(listed[229].id, installations[229].installation_id);
    let pages: Vec<_> = sidecar
        .calls()
        .into_iter()
        .filter(|call| call.path == "/v1/installations")
        .collect();
    assert_eq!(pages.len(), 3, "100 + 100 + 30");
    // Storage and product calls name the installation.
    let third = &installations[2];
    let kvs = api.storage(&third.installation_id).unwrap();
    kvs.set("nightly", &1).await.unwrap();
    assert_eq!(platform.storage(third)["nightly"], json!(1));
    assert!(platform.storage(&installations[3]).is_empty());
    let me = api
        .client(&third.installation_id)
        .unwrap()
        .get("/rest/api/3/myself")
        .send()
        .await;
    assert!(me.is_ok(), "{me:?}");
    let last = sidecar.calls().pop().unwrap();
    assert_eq!(
        last.authorization.as_deref(),
        Some(format!("Forge as=app,installationId={}", third.installation_id).as_str())
    );
    // As a user outside an invocation: the account must be named.
    let as_user = api
        .client(&third.installation_id)
        .unwrap()
        .as_account("557058:alice")
        .get("/rest/api/3/myself")
        .send()
        .await;
    assert!(as_user.is_ok(), "{as_user:?}");
    assert_eq!(
        sidecar.calls().pop().unwrap().authorization.as_deref(),
        Some(
            format!(
                "Forge as=user,accountId=557058:alice,installationId={}",
                third.installation_id
            )
            .as_str()
        )
    );
    let unnamed = api
        .client(&third.installation_id)
        .unwrap()
        .as_user()
        .get("/rest/api/3/myself")
        .send()
        .await;
    assert!(
        unnamed.is_err(),
        "the proxy refuses as=user without an account"
    );
    // An installation the proxy does not know.
    let unknown = api
        .storage("ari:cloud:ecosystem::installation/nope")
        .unwrap();
    assert!(unknown.set("x", &1).await.is_err());
    // Ids that would add or change fields of the proxy header are refused before sending.
    let sent = sidecar.calls().len();
    let smuggled = api
        .client(&third.installation_id)
        .unwrap()
        .as_account("557058:alice,as=app")
        .get("/rest/api/3/myself")
        .send()
        .await;
    assert!(
        matches!(
            smuggled,
            Err(atlassian_connect::ClientError::InvalidHeader(_))
        ),
        "{smuggled:?}"
    );
    let other = api
        .storage(&format!("{},installationId=other", third.installation_id))
        .unwrap();
    assert!(other.set("x", &1).await.is_err());
    assert_eq!(sidecar.calls().len(), sent, "nothing reached the proxy");
}
