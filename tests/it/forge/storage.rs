//! `ForgeStorage` over HTTP against the simulated platform's storage API: every operation a
//! handler can make, the documented limits checked before sending, 429 retried, and a refused
//! token surfacing as a typed error (never as the app's 401).

use super::native::Notes;
use atlassian_connect::forge::{
    EntityQuery, ForgeStorage, KeyPolicy, SetOptions, StorageError, Ttl, TtlUnit,
};
use atlassian_connect::prelude::*;
use connect_testing::Invocation;
use serde_json::{Value, json};

/// Runs the storage script named by the body's `op` and reports what happened.
#[forge::remote(key = "kvs-probe", path = "/kvs", system_token)]
async fn kvs_probe(kvs: ForgeStorage, body: Json<Value>) -> Result<Json<Value>, AppError> {
    let op = body.0["op"].as_str().unwrap_or_default().to_owned();
    let outcome = match op.as_str() {
        "basics" => {
            let absent: Option<String> = kvs.get("missing").await?;
            kvs.set("greeting", "hello").await?;
            let present: Option<String> = kvs.get("greeting").await?;
            kvs.delete("greeting").await?;
            kvs.delete("greeting").await?;
            let gone: Option<String> = kvs.get("greeting").await?;
            kvs.set_with(
                "once",
                &1,
                SetOptions {
                    ttl: Some(Ttl {
                        value: 1,
                        unit: TtlUnit::Days,
                    }),
                    key_policy: KeyPolicy::FailIfExists,
                },
            )
            .await?;
            let conflict = kvs
                .set_with(
                    "once",
                    &2,
                    SetOptions {
                        key_policy: KeyPolicy::FailIfExists,
                        ..SetOptions::default()
                    },
                )
                .await;
            json!({
                "absent": absent,
                "present": present,
                "gone": gone,
                "conflict": matches!(conflict, Err(StorageError::Conflict { .. })),
            })
        }
        "pages" => {
            for index in 0..25 {
                kvs.set(&format!("item:{index:02}"), &index).await?;
            }
            kvs.set("other", &0).await?;
            let mut pages = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = kvs.query::<i64>("item:", 10, cursor.as_deref()).await?;
                pages.push(
                    page.data
                        .iter()
                        .map(|entry| entry.value)
                        .collect::<Vec<_>>(),
                );
                match page.cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            let all = kvs.query_all::<i64>("item:").await?.len();
            json!({"pages": pages, "all": all})
        }
        "transaction" => {
            kvs.set("a", &1).await?;
            kvs.transaction().set("b", &2).delete("a").commit().await?;
            let entities = kvs.entity("counter")?;
            entities.set("c1", &json!({"version": 1})).await?;
            let stale = kvs
                .transaction()
                .set("c", &3)
                .check("counter", "c1", json!({"and": [{"property": "version", "condition": "EQUAL_TO", "values": [2]}]}))
                .commit()
                .await;
            let too_many = (0..26)
                .fold(kvs.transaction(), |tx, index| {
                    tx.set(&format!("k{index}"), &index)
                })
                .commit()
                .await;
            json!({
                "a": kvs.get::<i64>("a").await?,
                "b": kvs.get::<i64>("b").await?,
                "c": kvs.get::<i64>("c").await?,
                "stale": matches!(stale, Err(StorageError::Conflict { .. })),
                "tooMany": matches!(too_many, Err(StorageError::Operations { count: 26, .. })),
            })
        }
        "secret" => {
            kvs.secret().set("api-key", "s3cr3t").await?;
            let read: Option<String> = kvs.secret().get("api-key").await?;
            let in_query = kvs.query_all::<Value>("api").await?.len();
            kvs.secret().delete("api-key").await?;
            let after: Option<String> = kvs.secret().get("api-key").await?;
            json!({"read": read, "inQuery": in_query, "after": after})
        }
        "entities" => {
            let notes = kvs.entity("note")?;
            for (key, created) in [("n1", 30), ("n2", 10), ("n3", 20)] {
                notes
                    .set(key, &json!({"issue": "TEST-1", "created": created}))
                    .await?;
            }
            let page = notes
                .query::<Value>(&EntityQuery {
                    index_name: "created".to_owned(),
                    range: Some(json!({"condition": "GREATER_THAN", "values": [15]})),
                    sort: Some("DESC".to_owned()),
                    ..EntityQuery::default()
                })
                .await?;
            let keys: Vec<String> = page.data.into_iter().map(|entry| entry.key).collect();
            let one: Option<Value> = notes.get("n2").await?;
            json!({"keys": keys, "n2": one, "badName": kvs.entity("No").is_err()})
        }
        "batch" => {
            let written = kvs.batch_set(&[("x", 1), ("y", 2)]).await?;
            let read = kvs.batch_get::<i64>(&["x", "y", "z"]).await?;
            let deleted = kvs.batch_delete(&["x"]).await?;
            let duplicate = kvs.batch_set(&[("x", 1), ("x", 2)]).await;
            json!({
                "written": written.succeeded,
                "read": read.iter().map(|entry| (entry.key.clone(), entry.value)).collect::<Vec<_>>(),
                "deleted": deleted.succeeded,
                "duplicate": matches!(duplicate, Err(StorageError::DuplicateKey(_))),
            })
        }
        "invalid" => {
            let key = kvs.set("no/slashes", &1).await;
            let large = kvs.set("large", &"x".repeat(250 * 1024)).await;
            json!({
                "key": matches!(key, Err(StorageError::InvalidKey { .. })),
                "large": matches!(large, Err(StorageError::ValueTooLarge(_))),
            })
        }
        "read" => match kvs.get::<Value>("anything").await {
            Ok(value) => json!({"value": value}),
            Err(StorageError::Forge { status, code, .. }) => {
                json!({"refused": status.as_u16(), "code": code})
            }
            Err(other) => json!({"other": other.to_string()}),
        },
        "propagate" => {
            kvs.get::<Value>("anything").await?;
            json!({})
        }
        _ => return Err(AppError::bad_request("unknown op")),
    };
    Ok(Json(outcome))
}

/// A Forge-native app with the probe (and a UI-less trigger, as Forge wants a non-endpoint
/// module).
#[forge::pre_uninstall(key = "kvs-bye", path = "/bye")]
async fn bye() -> StatusCode {
    StatusCode::NO_CONTENT
}

fn app() -> App {
    App::new("com.example.kvs", "KVS probe")
        .forge_native()
        .handlers(handlers![kvs_probe, bye])
}

impl Notes {
    async fn kvs(&self, op: &str) -> (u16, Value) {
        let answer = self
            .platform
            .invoke(
                &self.url("/kvs"),
                reqwest::Method::POST,
                &self.installation,
                "kvs-probe",
                &Invocation {
                    system_token: true,
                    backend: true,
                    body: Some(json!({ "op": op })),
                    ..Invocation::default()
                },
            )
            .await
            .unwrap();
        let body = serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body));
        (answer.status, body)
    }
}

#[tokio::test]
async fn get_set_delete_and_key_policies() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("basics").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome,
        json!({"absent": null, "present": "hello", "gone": null, "conflict": true})
    );
    let stored = probe.platform.storage(&probe.installation);
    assert_eq!(
        stored.get("once"),
        Some(&json!(1)),
        "FAIL_IF_EXISTS kept the first"
    );
    // Every call carried the installation's system token.
    assert!(
        probe
            .platform
            .api_calls()
            .iter()
            .all(|call| call.token == "system" && call.path.starts_with("/forge/storage/kvs/v1/"))
    );
}

#[tokio::test]
async fn a_prefix_query_pages_with_a_cursor() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("pages").await;
    assert_eq!(status, 200, "{outcome}");
    let pages = outcome["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 3, "{outcome}");
    assert_eq!(pages[0].as_array().unwrap().len(), 10);
    assert_eq!(pages[2], json!([20, 21, 22, 23, 24]));
    assert_eq!(outcome["all"], 25, "`other` is not under the prefix");
}

#[tokio::test]
async fn transactions_apply_together_or_not_at_all() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("transaction").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome,
        json!({"a": null, "b": 2, "c": null, "stale": true, "tooMany": true})
    );
    // The 26-operation transaction was refused before sending: no `k*` key exists.
    let stored = probe.platform.storage(&probe.installation);
    assert!(!stored.keys().any(|key| key.starts_with('k')), "{stored:?}");
}

#[tokio::test]
async fn secrets_stay_out_of_queries() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("secret").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        outcome,
        json!({"read": "s3cr3t", "inQuery": 0, "after": null})
    );
    assert!(probe.platform.secrets(&probe.installation).is_empty());
}

#[tokio::test]
async fn entities_are_queried_by_index() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("entities").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["keys"], json!(["n1", "n3"]));
    assert_eq!(outcome["n2"], json!({"issue": "TEST-1", "created": 10}));
    assert_eq!(outcome["badName"], true);
    assert_eq!(
        probe.platform.entities(&probe.installation, "note").len(),
        3
    );
}

#[tokio::test]
async fn batches_report_each_key() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("batch").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["written"], json!(["x", "y"]));
    assert_eq!(outcome["read"], json!([["x", 1], ["y", 2]]));
    assert_eq!(outcome["deleted"], json!(["x"]));
    assert_eq!(outcome["duplicate"], true);
}

#[tokio::test]
async fn invalid_keys_and_values_are_refused_before_sending() {
    let probe = Notes::serve(app()).await;
    let (status, outcome) = probe.kvs("invalid").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome, json!({"key": true, "large": true}));
    assert!(
        probe.platform.api_calls().is_empty(),
        "nothing reached the platform"
    );
}

#[tokio::test]
async fn a_rate_limited_call_is_retried() {
    let probe = Notes::serve(app()).await;
    probe.platform.rate_limit_next(2);
    let (status, outcome) = probe.kvs("read").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome, json!({"value": null}));
    assert_eq!(
        probe.platform.api_calls().len(),
        3,
        "two 429s, then the read"
    );
}

#[tokio::test]
async fn a_refused_token_is_a_typed_error_and_never_the_apps_401() {
    let probe = Notes::serve(app()).await;
    probe.platform.set_product_token_ttl(-60);
    let (status, outcome) = probe.kvs("read").await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome, json!({"refused": 401, "code": "UNAUTHENTICATED"}));
    // Returned with `?`, it answers 502: invokeRemote reserves 401 for a token the app could
    // not verify.
    let (status, outcome) = probe.kvs("propagate").await;
    assert_eq!(status, 502, "{outcome}");
    assert!(
        !outcome.to_string().contains("UNAUTHENTICATED"),
        "{outcome}"
    );
}

#[test]
fn a_storage_handler_without_the_system_token_does_not_build() {
    #[forge::remote(key = "no-token", path = "/no-token")]
    async fn no_token(kvs: ForgeStorage) -> StatusCode {
        let _ = kvs;
        StatusCode::OK
    }
    let app = App::new("com.example.kvs", "KVS")
        .forge_native()
        .handlers(handlers![no_token, bye]);
    let platform_free = super::native::native_config_for_build();
    let error = app
        .build(
            platform_free,
            std::sync::Arc::new(atlassian_connect::store::MemoryStore::default()),
        )
        .unwrap_err()
        .to_string();
    assert!(error.contains("add `system_token`"), "{error}");
}
