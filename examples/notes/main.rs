//! A Forge-native Jira app: notes on issues, kept in Forge storage, served by a Rust Forge
//! Remote or run by Atlassian as a Forge Container service (`serve --container`): the same
//! handlers. No Connect side: no descriptor, no Connect modules.
//!
//! - an issue panel `notes-panel` whose Custom UI (`examples/notes/panel`) calls the resolver
//!   endpoint `notes-api` with `invokeRemote` (or `invokeService` in a container):
//!   `GET /notes?issueKey=K` and `POST /notes?issueKey=K`;
//! - a Rovo action `find-notes` (and the MCP server `notes-mcp` offering it);
//! - an async events consumer `notes-reindex` that counts an issue's notes;
//! - a web trigger `notes-hook` that echoes what it receives;
//! - a pre-uninstall call that deletes every note;
//! - personal data reporting: the notes' authors are reported to Atlassian by the framework's
//!   daily `personal-data` trigger, and an author whose account is closed has every note
//!   removed.
//!
//! ```text
//! npm ci --prefix examples/notes/panel && npm run --prefix examples/notes/panel build
//! FORGE_APP_ID=ari:cloud:ecosystem::app/<uuid> cargo run --example notes -- manifest --check
//! FORGE_APP_ID=ari:cloud:ecosystem::app/<uuid> cargo run --example notes
//! # as a Forge Container service (Forge sets these in the container):
//! SERVER_PORT=8080 FORGE_EGRESS_PROXY_URL=http://127.0.0.1:7072 \
//!   FORGE_APP_ARI=ari:cloud:ecosystem::app/<uuid> cargo run --example notes -- serve --container
//! ```

use atlassian_connect::ClientError;
use atlassian_connect::forge::{AsyncEvent, ForgeContainer, ForgeStorage};
use atlassian_connect::prelude::*;
use atlassian_connect::privacy::{DataScope, PersonalData, StoredAccount};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// A note on an issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// A UUID.
    pub id: String,
    /// The text, trimmed.
    pub text: String,
    /// The account id of the user who wrote it.
    pub author: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
}

/// The notes of an issue, as `GET /notes` and the `find-notes` action answer them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueNotes {
    /// The issue key.
    pub issue_key: String,
    /// Its notes, oldest first.
    pub notes: Vec<Note>,
}

/// Where an issue's notes live in Forge storage: one JSON array per issue.
fn notes_key(issue_key: &str) -> String {
    format!("notes:{issue_key}")
}

/// One writer per issue at a time within this process, so that two notes added at once are
/// both kept (storage has no compare-and-set for plain keys; run one instance, or accept that
/// two instances may race). An issue's lock lives only while someone writes. Clones share the
/// locks (the handlers' state and the personal data erasure use one set).
#[derive(Default, Clone)]
pub struct IssueLocks(Arc<tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl IssueLocks {
    async fn of(&self, issue_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.0.lock().await.entry(issue_key.to_owned()).or_default())
    }

    /// Forgets `issue_key`'s lock when no other writer holds or waits for it (`lock` being
    /// the caller's own handle).
    async fn release(&self, issue_key: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self.0.lock().await;
        // The map's handle and the caller's: nobody else has it, and nobody can take it
        // while the map is locked.
        if Arc::strong_count(&lock) <= 2 {
            locks.remove(issue_key);
        }
    }

    /// Runs `write` holding `issue_key`'s lock.
    async fn writing<T>(&self, issue_key: &str, write: impl Future<Output = T>) -> T {
        let lock = self.of(issue_key).await;
        let written = {
            let _writing = lock.lock().await;
            write.await
        };
        self.release(issue_key, lock).await;
        written
    }
}

/// Whether `key` looks like a Jira issue key (`TEST-1`): checked before it goes into a URL.
fn is_issue_key(key: &str) -> bool {
    key.split_once('-').is_some_and(|(project, number)| {
        project.starts_with(|c: char| c.is_ascii_uppercase())
            && project
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit())
    })
}

/// Whether the calling user can see issue `key`: Jira, asked as that user, answers for it.
/// This is the authorization: the issue key comes from the browser (the panel's context) or
/// from a language model (the action's input), and says only what the user asked about.
async fn user_sees(jira: &ForgeClient, key: &str) -> Result<bool, AppError> {
    let found = jira
        .as_user()
        .get(format!("/rest/api/3/issue/{key}"))
        .query([("fields", "id")])
        .send()
        .await;
    match found {
        Ok(_) => Ok(true),
        Err(ClientError::Status { status, .. }) if matches!(status.as_u16(), 403 | 404) => {
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

async fn read_notes(kvs: &ForgeStorage, issue_key: &str) -> Result<Vec<Note>, AppError> {
    Ok(kvs.get(&notes_key(issue_key)).await?.unwrap_or_default())
}

/// The query of `GET /notes` and `POST /notes`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueQuery {
    /// The issue the panel shows. A Forge Container's invocation context has no UI
    /// extension, so the panel sends it; a remote's token carries it too, and then wins.
    pub issue_key: Option<String>,
}

/// The issue of the panel the call comes from, if the calling user can see it: the UI
/// context's issue when the invocation has one (a query naming another issue is refused),
/// else the query's. Both come from the browser: they say which issue the user looks at, not
/// what they may do, so Jira is asked, as the user, whether they can see it.
async fn panel_issue(
    forge: &ForgeContext,
    jira: &ForgeClient,
    query: &IssueQuery,
) -> Result<String, AppError> {
    let asked = query.issue_key.as_deref();
    let key = match (forge.issue_key(), asked) {
        (Some(panel), Some(asked)) if panel != asked => {
            return Err(AppError::bad_request(
                "issueKey names another issue than the panel's",
            ));
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => {
            return Err(AppError::bad_request(
                "this call names no issue: call it from an issue's panel, with ?issueKey=",
            ));
        }
    };
    if !is_issue_key(key) {
        return Err(AppError::bad_request("issueKey is not an issue key"));
    }
    if !user_sees(jira, key).await? {
        return Err(AppError::status(StatusCode::NOT_FOUND, "no such issue"));
    }
    Ok(key.to_owned())
}

/// `GET /notes?issueKey=K`: the notes of the panel's issue.
#[forge::issue_panel(
    key = "notes-panel",
    title = "Notes",
    icon = "https://developer.atlassian.com/platform/forge/images/icons/issue-panel-icon.svg",
    resource = "panel",
    resource_path = "examples/notes/panel/build"
)]
#[forge::resolver(endpoint = "notes-api", path = "/notes", method = GET, system_token, user_token)]
async fn list_notes(
    forge: ForgeContext,
    jira: ForgeClient,
    kvs: ForgeStorage,
    query: Query<IssueQuery>,
) -> Result<Json<IssueNotes>, AppError> {
    let issue_key = panel_issue(&forge, &jira, &query.0).await?;
    let notes = read_notes(&kvs, &issue_key).await?;
    Ok(Json(IssueNotes { issue_key, notes }))
}

/// The body of `POST /notes`.
#[derive(Debug, Deserialize)]
pub struct NewNote {
    /// The note's text.
    pub text: String,
}

/// `POST /notes?issueKey=K`: adds a note by the calling user to the panel's issue.
#[forge::resolver(endpoint = "notes-api", path = "/notes", method = POST, system_token, user_token)]
async fn add_note(
    forge: ForgeContext,
    jira: ForgeClient,
    kvs: ForgeStorage,
    locks: State<IssueLocks>,
    query: Query<IssueQuery>,
    new: Json<NewNote>,
) -> Result<(StatusCode, Json<Note>), AppError> {
    let issue_key = panel_issue(&forge, &jira, &query.0).await?;
    let author = forge
        .account_id()
        .ok_or_else(|| AppError::bad_request("a note needs a signed-in user"))?
        .to_owned();
    let text = new.0.text.trim();
    if text.is_empty() {
        return Err(AppError::bad_request("a note needs text"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::bad_request(format!(
            "a note has at most {MAX_NOTE_CHARS} characters"
        )));
    }
    let note = Note {
        id: uuid::Uuid::new_v4().to_string(),
        text: text.to_owned(),
        author,
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| AppError::status(StatusCode::INTERNAL_SERVER_ERROR, "clock"))?,
    };
    locks
        .writing(&issue_key, async {
            let mut notes = read_notes(&kvs, &issue_key).await?;
            notes.push(note.clone());
            kvs.set(&notes_key(&issue_key), &notes)
                .await
                .map_err(AppError::from)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// The input of the `find-notes` action. It comes from a language model: it names what the
/// user asked about and never decides what they may see.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindNotes {
    /// The key of the issue whose notes to find, such as TEST-1.
    #[schemars(title = "Issue key")]
    pub issue_key: String,
}

/// The `find-notes` Rovo action: the notes of an issue the user can see (none for an unknown
/// issue, or one the user cannot see: the principal decides, not the model's input).
#[forge::action(
    key = "find-notes",
    verb = GET,
    name = "Find notes",
    description = "Finds the notes written on a Jira issue",
    endpoint = "find-notes-api",
    path = "/actions/find-notes",
    system_token,
    user_token
)]
async fn find_notes(
    input: Json<FindNotes>,
    jira: ForgeClient,
    kvs: ForgeStorage,
) -> Result<Json<IssueNotes>, AppError> {
    let issue_key = input.0.issue_key;
    let notes = if is_issue_key(&issue_key) && user_sees(&jira, &issue_key).await? {
        read_notes(&kvs, &issue_key).await?
    } else {
        Vec::new()
    };
    Ok(Json(IssueNotes { issue_key, notes }))
}

/// The event `notes-reindex` carries.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reindex {
    /// The issue whose notes to count.
    pub issue_key: String,
}

/// Counts an issue's notes into `notes-count:<key>`. A job delivered again after it succeeded
/// is acknowledged without running.
#[forge::consumer(
    key = "notes-reindex",
    queue = "notes-reindex",
    endpoint = "notes-reindex-api",
    path = "/events/reindex",
    system_token
)]
async fn reindex(event: AsyncEvent<Reindex>, kvs: ForgeStorage) -> Result<StatusCode, AppError> {
    let issue_key = &event.body.issue_key;
    let count = read_notes(&kvs, issue_key).await?.len();
    kvs.set(&format!("notes-count:{issue_key}"), &count).await?;
    Ok(StatusCode::OK)
}

/// A web trigger that echoes the JSON it receives. Anyone who knows its URL can call it.
#[forge::webtrigger(
    key = "notes-hook",
    endpoint = "notes-hook-api",
    path = "/hooks/notes",
    system_token
)]
async fn hook(body: Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "received": body.0 }))
}

/// Before the app is uninstalled: deletes every note and count of the installation.
#[forge::pre_uninstall(
    key = "notes-uninstall",
    endpoint = "notes-uninstall-api",
    path = "/lifecycle/pre-uninstall",
    system_token
)]
async fn uninstalling(kvs: ForgeStorage) -> Result<StatusCode, AppError> {
    for prefix in ["notes:", "notes-count:"] {
        let entries = kvs.query_all::<serde_json::Value>(prefix).await?;
        for entry in entries {
            kvs.delete(&entry.key).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The notes' authors as personal data: each author of the installation with the `createdAt`
/// of their latest note; a closed account's notes are removed (each issue's array rewritten
/// without them, under the issue's lock).
pub struct NoteAuthors {
    locks: IssueLocks,
}

impl PersonalData for NoteAuthors {
    async fn accounts(&self, scope: &DataScope) -> Result<Vec<StoredAccount>, AppError> {
        let mut latest: HashMap<String, time::OffsetDateTime> = HashMap::new();
        for entry in scope.storage()?.query_all::<Vec<Note>>("notes:").await? {
            for note in entry.value {
                let Ok(created) = time::OffsetDateTime::parse(
                    &note.created_at,
                    &time::format_description::well_known::Rfc3339,
                ) else {
                    continue;
                };
                let at = latest.entry(note.author).or_insert(created);
                *at = (*at).max(created);
            }
        }
        Ok(latest
            .into_iter()
            .map(|(account_id, updated_at)| StoredAccount {
                account_id,
                updated_at,
            })
            .collect())
    }

    async fn erase(&self, scope: &DataScope, account_id: &str) -> Result<(), AppError> {
        let kvs = scope.storage()?;
        for entry in kvs.query_all::<Vec<Note>>("notes:").await? {
            if !entry.value.iter().any(|note| note.author == account_id) {
                continue;
            }
            let issue_key = entry.key.trim_start_matches("notes:").to_owned();
            self.locks
                .writing(&issue_key, async {
                    // Read again under the lock: a note may have been added meanwhile.
                    let mut notes = read_notes(kvs, &issue_key).await?;
                    notes.retain(|note| note.author != account_id);
                    kvs.set(&entry.key, &notes).await.map_err(AppError::from)
                })
                .await?;
        }
        Ok(())
    }
}

/// The app.
pub fn app() -> App {
    let locks = IssueLocks::default();
    App::new("com.example.notes", "Notes")
        .description("Notes on Jira issues, in Forge storage")
        .forge_native()
        .product(Product::Jira)
        // The OAuth 2.0 scope of reading an issue as the user (`user_sees`).
        .forge_scopes(["read:jira-work"])
        .state(locks.clone())
        // The notes' authors, reported to Atlassian (and erased when closed) by the framework.
        .personal_data(NoteAuthors { locks })
        .rovo_mcp("notes-mcp", "Notes", ["find-notes"])
        // On Atlassian's hosting (`manifest --container`): service and container `notes`,
        // 250m CPU and 512Mi memory.
        .forge_container(ForgeContainer::new("notes"))
        .handlers(handlers![
            list_notes,
            add_note,
            find_notes,
            reindex,
            hook,
            uninstalling
        ])
}

// The integration tests include this file as a module, where `main` is unused.
#[allow(dead_code)]
#[tokio::main]
async fn main() -> Exit {
    app().run().await.into()
}
