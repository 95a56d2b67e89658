//! What handlers return, over HTTP: each response type's status, body and security headers;
//! `AppError` and `?`; `Option` as 404; `State<T>` shared between handlers and hooks; a
//! converted error's text in the log but never in the response; a missing state refused when
//! the app is built.

use crate::common::{Running, assert_security_headers};
use atlassian_connect::prelude::*;
use atlassian_connect::store::MemoryStore;
use atlassian_connect::testing::Site;
use atlassian_connect::{Error, WarpReply};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

#[derive(Default)]
struct Installs(AtomicUsize);

#[connect::route(GET, "/r/json", auth = none)]
async fn json() -> Json<Vec<u32>> {
    Json(vec![1, 2])
}

#[connect::route(GET, "/r/html", auth = none)]
async fn html() -> Html<&'static str> {
    Html("<p>hi</p>")
}

#[connect::route(GET, "/r/string", auth = none)]
async fn string() -> String {
    "text".to_owned()
}

#[connect::route(GET, "/r/static", auth = none)]
async fn static_str() -> &'static str {
    "static"
}

#[connect::route(GET, "/r/unit", auth = none)]
async fn unit() {}

#[connect::route(GET, "/r/status", auth = none)]
async fn status() -> StatusCode {
    StatusCode::ACCEPTED
}

#[connect::route(GET, "/r/error-status", auth = none)]
async fn error_status() -> StatusCode {
    StatusCode::CONFLICT
}

#[connect::route(POST, "/r/created", auth = none)]
async fn created() -> (StatusCode, Json<&'static str>) {
    (StatusCode::CREATED, Json("made"))
}

#[connect::route(GET, "/r/none", auth = none)]
async fn none() -> Option<String> {
    None
}

#[connect::route(GET, "/r/forbidden", auth = none)]
async fn forbidden() -> Result<String, AppError> {
    Err(AppError::forbidden("admins only"))
}

#[connect::route(GET, "/r/teapot", auth = none)]
async fn teapot() -> Result<String, AppError> {
    Err(AppError::status(StatusCode::IM_A_TEAPOT, "short and stout"))
}

#[connect::route(GET, "/r/converted", auth = none)]
async fn converted() -> Result<String, AppError> {
    let number: u32 = "secret-database-detail".parse()?;
    Ok(number.to_string())
}

#[connect::route(GET, "/r/warp", auth = none)]
async fn warp_reply() -> WarpReply<impl atlassian_connect::warp::Reply> {
    WarpReply(atlassian_connect::warp::reply::with_header(
        "svg",
        "content-type",
        "image/svg+xml",
    ))
}

/// The handler shape of the issue: context, state, `Result<Json<T>, AppError>`, `?`, `Option`.
#[connect::route(POST, "/api/notes", auth = context)]
async fn add_note(
    ctx: Context,
    notes: State<Notes>,
    text: Json<String>,
) -> Result<Json<usize>, AppError> {
    if text.0.is_empty() {
        return Err(AppError::bad_request("a note needs text"));
    }
    let mut notes = notes.0.lock().map_err(|_| "poisoned")?;
    notes.push(format!("{}:{}", ctx.tenant().client_key, text.0));
    Ok(Json(notes.len()))
}

#[connect::route(GET, "/api/notes/latest", auth = context)]
async fn latest_note(ctx: Context, notes: State<Notes>) -> Result<Option<Json<String>>, AppError> {
    let prefix = format!("{}:", ctx.tenant().client_key);
    let notes = notes.0.lock().map_err(|_| "poisoned")?;
    Ok(notes
        .iter()
        .rev()
        .find_map(|note| note.strip_prefix(&prefix))
        .map(|note| Json(note.to_owned())))
}

#[connect::route(GET, "/api/installs", auth = context)]
async fn installs(installs: State<Installs>) -> Json<usize> {
    Json(installs.0.load(Ordering::SeqCst))
}

#[derive(serde::Deserialize)]
struct IssueEvent {
    issue: Issue,
}

#[derive(serde::Deserialize)]
struct Issue {
    key: String,
}

#[connect::route(POST, "/api/issue", auth = context)]
async fn issue(event: Json<IssueEvent>) -> String {
    event.0.issue.key
}

#[connect::installed]
async fn count_install(tenant: Tenant, installs: State<Installs>) -> Result<(), AppError> {
    let _ = tenant;
    installs.0.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

fn app() -> App {
    App::new("com.example.responses", "Responses")
        .state(Notes::default())
        .state(Installs::default())
        .handlers(handlers![
            json,
            html,
            string,
            static_str,
            unit,
            status,
            error_status,
            created,
            none,
            forbidden,
            teapot,
            converted,
            warp_reply,
            add_note,
            latest_note,
            installs,
            issue,
            count_install
        ])
}

/// Log lines written while the test runs (the test runs on one thread, so does the server).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn start() -> Running {
    Running::start(app(), "https://responses.example.com").await
}

#[tokio::test(flavor = "current_thread")]
async fn each_return_type_answers_its_status_body_and_the_security_headers() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let running = start().await;
    let http = reqwest::Client::new();
    let cases: &[(&str, &str, u16, Option<&str>, &str)] = &[
        ("GET", "/r/json", 200, Some("application/json"), "[1,2]"),
        (
            "GET",
            "/r/html",
            200,
            Some("text/html; charset=utf-8"),
            "<p>hi</p>",
        ),
        (
            "GET",
            "/r/string",
            200,
            Some("text/plain; charset=utf-8"),
            "text",
        ),
        (
            "GET",
            "/r/static",
            200,
            Some("text/plain; charset=utf-8"),
            "static",
        ),
        ("GET", "/r/unit", 200, None, ""),
        ("GET", "/r/status", 202, None, ""),
        (
            "GET",
            "/r/error-status",
            409,
            Some("application/json"),
            r#"{"message":"Conflict"}"#,
        ),
        (
            "POST",
            "/r/created",
            201,
            Some("application/json"),
            r#""made""#,
        ),
        (
            "GET",
            "/r/none",
            404,
            Some("application/json"),
            r#"{"message":"not found"}"#,
        ),
        (
            "GET",
            "/r/forbidden",
            403,
            Some("application/json"),
            r#"{"message":"admins only"}"#,
        ),
        (
            "GET",
            "/r/teapot",
            418,
            Some("application/json"),
            r#"{"message":"short and stout"}"#,
        ),
        (
            "GET",
            "/r/converted",
            500,
            Some("application/json"),
            r#"{"message":"internal error"}"#,
        ),
        ("GET", "/r/warp", 200, Some("image/svg+xml"), "svg"),
    ];
    for (method, path, status, content_type, body) in cases {
        let response = http
            .request(
                method.parse().unwrap(),
                format!("{}{path}", running.app.address),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), *status, "{method} {path}");
        assert_security_headers(&response);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            *content_type,
            "{path}"
        );
        assert_eq!(response.text().await.unwrap(), *body, "{path}");
    }
    let log = log.text();
    assert!(
        log.contains("invalid digit found in string"),
        "the converted error's text is logged: {log}"
    );
}

#[tokio::test]
async fn state_is_shared_by_handlers_and_hooks_and_errors_use_question_mark() {
    let Running {
        host, app, _server, ..
    } = start().await;
    let site = Site::jira("stateful");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    let installs = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/installs")
        .await
        .unwrap();
    assert_eq!(
        installs.json().unwrap(),
        1,
        "the install hook saw the state"
    );

    let latest = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/notes/latest")
        .await
        .unwrap();
    assert_eq!(latest.status, 404, "None answers 404");

    let empty = host
        .call_with_context_token_and_body(
            &app,
            &site,
            reqwest::Method::POST,
            "/api/notes",
            &serde_json::json!(""),
        )
        .await
        .unwrap();
    assert_eq!(empty.status, 400);
    assert_eq!(empty.json().unwrap()["message"], "a note needs text");

    let added = host
        .call_with_context_token_and_body(
            &app,
            &site,
            reqwest::Method::POST,
            "/api/notes",
            &serde_json::json!("remember the milk"),
        )
        .await
        .unwrap();
    assert_eq!(added.status, 200);
    assert_eq!(added.json().unwrap(), 1);
    let latest = host
        .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/notes/latest")
        .await
        .unwrap();
    assert_eq!(latest.json().unwrap(), "remember the milk");

    let other = Site::jira("other-site");
    assert_eq!(host.install(&app, &other).await.unwrap().status, 204);
    let latest = host
        .call_with_context_token(&app, &other, reqwest::Method::GET, "/api/notes/latest")
        .await
        .unwrap();
    assert_eq!(latest.status, 404, "another tenant's notes are not visible");
}

#[test]
fn a_state_the_app_was_not_given_fails_the_build_with_its_name() {
    let app = App::new("com.example.responses", "Responses")
        .state(Installs::default())
        .handlers(handlers![add_note]);
    let error = app
        .build(
            ConnectConfig::new("https://responses.example.com".parse().unwrap()),
            Arc::new(MemoryStore::default()),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingState {
                handler: "add_note",
                ..
            }
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("State<") && message.contains("Notes"),
        "{message}"
    );

    let twice = App::new("com.example.responses", "Responses")
        .state(Installs::default())
        .state(Installs::default());
    let error = twice
        .build(
            ConnectConfig::new("https://responses.example.com".parse().unwrap()),
            Arc::new(MemoryStore::default()),
        )
        .unwrap_err();
    assert!(matches!(error, Error::DuplicateState(_)), "{error}");
}

#[tokio::test]
async fn a_json_body_missing_a_field_names_the_field() {
    let Running {
        host, app, _server, ..
    } = start().await;
    let site = Site::jira("bodies");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);
    let wrong = host
        .call_with_context_token_and_body(
            &app,
            &site,
            reqwest::Method::POST,
            "/api/notes",
            &serde_json::json!({"text": "not a string body"}),
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 400);
    let message = wrong.json().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !message.contains("not a string body"),
        "values are never echoed: {message}"
    );
    assert!(message.contains("wrong type"), "{message}");

    let missing = host
        .call_with_context_token_and_body(
            &app,
            &site,
            reqwest::Method::POST,
            "/api/issue",
            &serde_json::json!({"issue": {"id": "10001"}}),
        )
        .await
        .unwrap();
    assert_eq!(missing.status, 400);
    let message = missing.json().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("missing field `issue.key`"), "{message}");

    let fine = host
        .call_with_context_token_and_body(
            &app,
            &site,
            reqwest::Method::POST,
            "/api/issue",
            &serde_json::json!({"issue": {"key": "TEST-1"}}),
        )
        .await
        .unwrap();
    assert_eq!((fine.status, fine.body.as_str()), (200, "TEST-1"));
}
