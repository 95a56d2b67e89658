//! The Forge-native commands of `connect-sim forge`: Rovo action calls, async events, web
//! triggers, pre-uninstall, and the installation's Forge storage held by `forge serve`.
//!
//! ```text
//! connect-sim forge invoke http://127.0.0.1:3000 /notes --method GET --module notes-panel --module-type jira:issuePanel --context issue.key=TEST-1 --user-token --system-token
//! connect-sim forge action http://127.0.0.1:3000 /actions/find-notes --endpoint find-notes-api --action find-notes --input issueKey=TEST-1
//! connect-sim forge event http://127.0.0.1:3000 /events/reindex --endpoint notes-reindex-api --queue notes-reindex --body '{"issueKey":"TEST-1"}' --twice
//! connect-sim forge webtrigger http://127.0.0.1:3000 /hooks/notes --body '{"ping":1}'
//! connect-sim forge pre-uninstall http://127.0.0.1:3000 /lifecycle/pre-uninstall --endpoint notes-uninstall-api --module notes-uninstall
//! connect-sim forge storage list --prefix notes:
//! ```
//!
//! `forge serve` serves Forge storage (the key-value store REST API, in memory, per
//! installation); `forge storage` reads and writes it through that API with the
//! installation's system token, as the app does.

use super::{ForgeCommand, ForgeState, url};
use anyhow::{Context as _, bail};
use clap::Subcommand;
use connect_testing::{AsyncDelivery, ForgeCaller as _};
use std::path::Path;

/// `connect-sim forge storage ...`.
#[derive(Subcommand)]
pub enum StorageCommand {
    /// List the keys (and values) beginning with --prefix.
    List {
        /// The key prefix.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// Print the value of KEY.
    Get {
        /// The key.
        key: String,
    },
    /// Set KEY to a JSON value.
    Set {
        /// The key.
        key: String,
        /// The JSON value (inline or @FILE).
        value: String,
    },
    /// Delete KEY.
    Delete {
        /// The key.
        key: String,
    },
}

/// Runs one of the Forge-native commands.
pub(super) async fn run(dir: &Path, command: ForgeCommand) -> anyhow::Result<i32> {
    match command {
        ForgeCommand::Action {
            app_url,
            path,
            endpoint,
            action,
            inputs,
            account_id,
        } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let mut body = serde_json::Map::new();
            for pair in &inputs {
                let (name, value) = pair
                    .split_once('=')
                    .filter(|(name, _)| !name.is_empty())
                    .with_context(|| format!("--input `{pair}`: expected NAME=VALUE"))?;
                let value =
                    serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::from(value));
                body.insert(name.to_owned(), value);
            }
            let answer = platform
                .invoke_action(
                    &url(&app_url, &path)?,
                    &state.installation(),
                    &endpoint,
                    &action,
                    &serde_json::Value::Object(body),
                    &account_id,
                )
                .await?;
            Ok(crate::report(&format!("action {action}"), answer))
        }
        ForgeCommand::Event {
            app_url,
            path,
            endpoint,
            queue,
            job_id,
            event_id,
            body,
            retry,
            twice,
        } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let body = crate::json_body(&body)?;
            let job_id = job_id.unwrap_or_else(|| {
                let id = connect_testing::new_installation_id();
                format!("job-{}", id.rsplit('/').next().unwrap_or(&id))
            });
            let target = url(&app_url, &path)?;
            let mut code = 0;
            for attempt in 0..if twice { 2 } else { 1 } {
                let answer = platform
                    .deliver_event(
                        &target,
                        &state.installation(),
                        &endpoint,
                        &AsyncDelivery {
                            queue: &queue,
                            job_id: &job_id,
                            event_id: event_id.as_deref(),
                            body: &body,
                            retry_count: retry + attempt,
                        },
                    )
                    .await?;
                let what = if attempt == 0 {
                    format!("event {job_id}")
                } else {
                    format!("event {job_id} again (the app should not run it twice)")
                };
                code = crate::report(&what, answer);
                if code != 0 {
                    break;
                }
            }
            Ok(code)
        }
        ForgeCommand::Webtrigger {
            app_url,
            path,
            method,
            body,
            content_type,
        } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let method: reqwest::Method = method
                .to_ascii_uppercase()
                .parse()
                .with_context(|| format!("`{method}` is not an HTTP method"))?;
            let answer = platform
                .call_webtrigger(
                    &url(&app_url, &path)?,
                    method,
                    &[("content-type", content_type.as_str())],
                    body.map(String::into_bytes),
                )
                .await?;
            Ok(crate::report("webtrigger", answer))
        }
        ForgeCommand::PreUninstall {
            app_url,
            path,
            endpoint,
            module,
        } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let answer = platform
                .pre_uninstall(
                    &url(&app_url, &path)?,
                    &state.installation(),
                    &endpoint,
                    &module,
                )
                .await?;
            Ok(crate::report("pre-uninstall", answer))
        }
        ForgeCommand::Storage { command } => storage(dir, command).await,
        _ => bail!("not a Forge-native command"),
    }
}

/// `forge storage ...`: the KVS REST API of `forge serve`, with the installation's system
/// token.
async fn storage(dir: &Path, command: StorageCommand) -> anyhow::Result<i32> {
    let state = ForgeState::load(dir)?;
    let platform = state.platform().await?;
    let token = platform.system_token_for(&state.installation());
    let (path, body) = match &command {
        StorageCommand::List { prefix } => (
            "query",
            serde_json::json!({"where": [{"property": "key", "condition": "BEGINS_WITH", "values": [prefix]}], "limit": 99}),
        ),
        StorageCommand::Get { key } => ("get", serde_json::json!({ "key": key })),
        StorageCommand::Set { key, value } => (
            "set",
            serde_json::json!({"key": key, "value": crate::json_body(value)?}),
        ),
        StorageCommand::Delete { key } => ("delete", serde_json::json!({ "key": key })),
    };
    let response = reqwest::Client::new()
        .post(format!(
            "{}/forge/storage/kvs/v1/{path}",
            state.api_origin()
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .with_context(|| {
            format!(
                "no Forge platform at {}: run `connect-sim forge serve` first",
                state.api_origin()
            )
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match (&command, status.as_u16()) {
        (StorageCommand::List { .. }, 200) => {
            let page: serde_json::Value = serde_json::from_str(&text)?;
            for entry in page["data"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}",
                    entry["key"].as_str().unwrap_or_default(),
                    entry["value"]
                );
            }
            Ok(0)
        }
        (StorageCommand::Get { .. }, 200) => {
            let entry: serde_json::Value = serde_json::from_str(&text)?;
            println!("{}", entry["value"]);
            Ok(0)
        }
        (StorageCommand::Get { key }, 404) => {
            println!("no value at `{key}`");
            Ok(1)
        }
        (_, 200..=299) => Ok(0),
        (_, _) => {
            println!("storage {path}: {status} {text}");
            Ok(1)
        }
    }
}
