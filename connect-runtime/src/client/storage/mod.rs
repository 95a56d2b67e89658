//! [`ForgeStorage`]: Forge's hosted storage (key-value store, secret store, custom entities,
//! transactions, batches) from a Forge Remote, through its REST API.
//!
//! Every call is a POST with JSON to `/forge/storage/kvs/v1/...` on the origin of the verified
//! `apiBaseUrl` (`https://api.atlassian.com` in production), with the invocation's system
//! token as `Bearer` (Atlassian's "Accessing Forge storage from a remote" page and the
//! `@forge/kvs` package). Forge keeps each installation's data apart, so keys carry no
//! installation id. Keys, values and sizes are checked against the documented limits before
//! sending; 429 answers are retried by the app's retry policy, as for product calls.

mod entity;
mod rules;
mod sql;
mod transaction;

pub use entity::{EntityQuery, EntityStore};
pub use sql::{ForgeSql, MAX_SQL_REQUEST_BYTES, SqlOutcome, Statement};
pub use transaction::Transaction;

pub use crate::http::StorageError;
pub use rules::{MAX_KEY_LEN, MAX_OPERATIONS, MAX_QUERY_LIMIT, MAX_VALUE_BYTES, MAX_VALUE_DEPTH};

use super::{ClientError, ForgeClient};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use warp::http::StatusCode;

/// The path of the key-value store API below the origin.
const KVS: &str = "/forge/storage/kvs/v1";

/// A stored value or an answer that is not what the caller asked for. The message names the
/// type and where decoding stopped, never the value (serde's own message quotes it, and a
/// secret's value must not reach a log line).
pub(super) fn undecodable<T>(error: &serde_json::Error) -> StorageError {
    StorageError::Serde(format!(
        "the stored data is not a `{}` ({:?} error at line {}, column {})",
        std::any::type_name::<T>(),
        error.classify(),
        error.line(),
        error.column()
    ))
}

/// Whether `error` says the key does not exist: 404, or Forge's code `KEY_NOT_FOUND` (the
/// SDK's) or `NOT_FOUND` (the remote page's).
fn is_absent(error: &StorageError) -> bool {
    matches!(error, StorageError::Forge { status, code, .. }
        if *status == StatusCode::NOT_FOUND || code == "KEY_NOT_FOUND" || code == "NOT_FOUND")
}

/// Where an item lives: the key-value store, the secret store or a custom entity. The three
/// share one API shape (`/v1[/secret|/entity]/{get,set,delete}`, entities naming themselves
/// in the body).
#[derive(Clone, Copy)]
enum Place<'a> {
    Kvs,
    Secret,
    Entity(&'a str),
}

impl Place<'_> {
    /// The path of operation `op` (`get`, `set`, `delete`).
    fn path(self, op: &str) -> String {
        match self {
            Place::Kvs => format!("/{op}"),
            Place::Secret => format!("/secret/{op}"),
            Place::Entity(_) => format!("/entity/{op}"),
        }
    }

    /// The body naming `key` (and the entity).
    fn body(self, key: &str) -> Value {
        match self {
            Place::Entity(name) => json!({ "entityName": name, "key": key }),
            _ => json!({ "key": key }),
        }
    }
}

/// Forge's error body.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// POSTs `body` to `path` of Forge's own APIs (storage, SQL, events) with `client`'s
/// authorisation; the answer's JSON body on success (`None` when empty), else the typed error
/// from Forge's `{code, message}`. 429 is retried by the app's retry policy (a refused call was
/// not carried out).
pub(super) async fn forge_call(
    client: &ForgeClient,
    path: &str,
    body: &Value,
) -> Result<Option<Value>, StorageError> {
    let response = client
        .post(path)
        .json(body)
        .idempotent()
        .any_status()
        .send()
        .await?;
    let status = response.status();
    if status.is_success() {
        return Ok(if response.bytes().is_empty() {
            None
        } else {
            Some(
                serde_json::from_slice(response.bytes())
                    .map_err(|error| undecodable::<Value>(&error))?,
            )
        });
    }
    let error: ErrorBody = serde_json::from_slice(response.bytes()).unwrap_or_default();
    if status == StatusCode::CONFLICT
        || matches!(
            error.code.as_str(),
            "KEY_ALREADY_EXISTS" | "CONDITION_FAILED" | "CONFLICT"
        )
    {
        return Err(StorageError::Conflict {
            message: error.message,
        });
    }
    Err(StorageError::Forge {
        status,
        code: error.code,
        message: error.message,
    })
}

/// How long a value lives (`options.ttl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ttl {
    /// How many units.
    pub value: u64,
    /// The unit.
    pub unit: TtlUnit,
}

/// The unit of a [`Ttl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TtlUnit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

/// What a write does when the key exists (`options.keyPolicy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyPolicy {
    /// Replace the value (Forge's default).
    #[default]
    Override,
    /// Fail with [`StorageError::Conflict`].
    FailIfExists,
}

/// Options of a write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// How long the value lives; forever when `None`.
    pub ttl: Option<Ttl>,
    /// What happens when the key exists.
    pub key_policy: KeyPolicy,
}

impl SetOptions {
    fn to_json(self) -> Option<Value> {
        let mut options = serde_json::Map::new();
        if let Some(ttl) = self.ttl {
            options.insert("ttl".to_owned(), json!(ttl));
        }
        if self.key_policy != KeyPolicy::Override {
            options.insert("keyPolicy".to_owned(), json!(self.key_policy));
        }
        (!options.is_empty()).then_some(Value::Object(options))
    }
}

/// One entry of a query page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Entry<T> {
    /// The key.
    pub key: String,
    /// The value.
    pub value: T,
}

/// A page of a query: its entries and the cursor of the next page, if any. Cursors are only
/// valid for the same query shortly after: never store one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    /// The entries.
    #[serde(default = "Vec::new")]
    pub data: Vec<Entry<T>>,
    /// The next page's cursor.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The outcome of a batch: the keys that succeeded and those that failed, with Forge's code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchOutcome {
    /// Keys written, read or deleted.
    pub succeeded: Vec<String>,
    /// Keys that failed, with Forge's error code.
    pub failed: Vec<(String, String)>,
}

/// Forge's hosted storage for the installation of the current invocation: a handler argument
/// on `#[forge::...]` routes that declare `system_token` (the route is refused at build time
/// otherwise, and `storage:app` is added to the manifest's scopes).
///
/// ```
/// use connect_runtime::forge::{ForgeContext, ForgeStorage};
/// use connect_runtime::{AppError, Json};
///
/// async fn count(forge: ForgeContext, kvs: ForgeStorage) -> Result<Json<u64>, AppError> {
///     let key = format!("visits:{}", forge.account_id().unwrap_or("anonymous"));
///     let visits: u64 = kvs.get(&key).await?.unwrap_or(0) + 1;
///     kvs.set(&key, &visits).await?;
///     Ok(Json(visits))
/// }
/// ```
#[derive(Clone, Debug)]
pub struct ForgeStorage {
    client: Arc<ForgeClient>,
}

impl ForgeStorage {
    /// The storage of `client`'s invocation (its system token, at its origin).
    pub(crate) fn new(client: &ForgeClient) -> Result<Self, ClientError> {
        Ok(Self {
            client: Arc::new(client.at_platform()?),
        })
    }

    /// POSTs `body` to `path` below the KVS API; the answer's body on success, or the error.
    async fn call(&self, path: &str, body: &Value) -> Result<Option<Value>, StorageError> {
        forge_call(&self.client, &format!("{KVS}{path}"), body).await
    }

    /// A read that answers "absent" for a missing key (404, `KEY_NOT_FOUND`, `NOT_FOUND`).
    async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
    ) -> Result<Option<T>, StorageError> {
        match self.call(path, &body).await {
            Ok(Some(mut answer)) => match answer.get_mut("value").map(Value::take) {
                Some(value) => serde_json::from_value(value)
                    .map(Some)
                    .map_err(|error| undecodable::<T>(&error)),
                None => Ok(None),
            },
            Ok(None) => Ok(None),
            Err(error) if is_absent(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The value at `key` in `place`, or `None`.
    async fn get_in<T: DeserializeOwned>(
        &self,
        place: Place<'_>,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        rules::check_key(key)?;
        self.read(&place.path("get"), place.body(key)).await
    }

    /// Sets `key` in `place` to `value`, with `options` when given.
    async fn set_in<T: Serialize + ?Sized>(
        &self,
        place: Place<'_>,
        key: &str,
        value: &T,
        options: Option<Value>,
    ) -> Result<(), StorageError> {
        rules::check_key(key)?;
        let mut body = place.body(key);
        body["value"] = rules::value(value)?;
        if let Some(options) = options {
            body["options"] = options;
        }
        self.call(&place.path("set"), &body).await.map(drop)
    }

    /// Deletes `key` in `place`.
    async fn delete_in(&self, place: Place<'_>, key: &str) -> Result<(), StorageError> {
        rules::check_key(key)?;
        self.call(&place.path("delete"), &place.body(key))
            .await
            .map(drop)
    }

    /// The value of `key`, or `None` when there is none.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        self.get_in(Place::Kvs, key).await
    }

    /// Sets `key` to `value`.
    pub async fn set<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        self.set_with(key, value, SetOptions::default()).await
    }

    /// Sets `key` to `value` with a TTL or a key policy.
    pub async fn set_with<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        options: SetOptions,
    ) -> Result<(), StorageError> {
        self.set_in(Place::Kvs, key, value, options.to_json()).await
    }

    /// Deletes `key` (nothing happens when there is none).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.delete_in(Place::Kvs, key).await {
            Err(error) if is_absent(&error) => Ok(()),
            other => other,
        }
    }

    /// One page of the keys beginning with `prefix` (every key for `""`), at most `limit` (1 to
    /// [`MAX_QUERY_LIMIT`]) entries, after `cursor` (the previous page's).
    pub async fn query<T: DeserializeOwned>(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<T>, StorageError> {
        let mut body = json!({ "limit": limit.clamp(1, MAX_QUERY_LIMIT) });
        // An empty prefix lists every key (no `where`, as `@forge/kvs` sends it); any other
        // is checked as a key.
        if !prefix.is_empty() {
            rules::check_key(prefix)?;
            body["where"] =
                json!([{"property": "key", "condition": "BEGINS_WITH", "values": [prefix]}]);
        }
        if let Some(cursor) = cursor {
            body["after"] = json!(cursor);
        }
        let answer = self.call("/query", &body).await?.unwrap_or(json!({}));
        serde_json::from_value(answer).map_err(|error| undecodable::<Page<T>>(&error))
    }

    /// Every key beginning with `prefix`, page by page.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        prefix: &str,
    ) -> Result<Vec<Entry<T>>, StorageError> {
        let mut entries = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page: Page<T> = self
                .query(prefix, MAX_QUERY_LIMIT, cursor.as_deref())
                .await?;
            let done = page.data.is_empty() || page.cursor.is_none();
            entries.extend(page.data);
            if done {
                return Ok(entries);
            }
            cursor = page.cursor;
        }
    }

    /// The secret store: values that never appear in queries. Their values are never logged.
    pub fn secret(&self) -> SecretStore<'_> {
        SecretStore { storage: self }
    }

    /// The custom entity `name` (declared in the manifest's `app.storage.entities`).
    pub fn entity(&self, name: &str) -> Result<EntityStore<'_>, StorageError> {
        rules::check_entity(name)?;
        Ok(EntityStore::new(self, name.to_owned()))
    }

    /// A transaction: writes, deletes and checks applied together or not at all.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// Sets several keys in one call (1 to 25): each succeeds or fails on its own.
    pub async fn batch_set<T: Serialize>(
        &self,
        items: &[(&str, T)],
    ) -> Result<BatchOutcome, StorageError> {
        rules::check_operations("batch", items.iter().map(|(key, _)| (*key, None)))?;
        let mut body = Vec::with_capacity(items.len());
        for (key, value) in items {
            rules::check_key(key)?;
            body.push(json!({"key": key, "value": rules::value(value)?}));
        }
        self.batch("/batch/set", body)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// Reads several keys in one call (1 to 25): the values found, by key.
    pub async fn batch_get<T: DeserializeOwned>(
        &self,
        keys: &[&str],
    ) -> Result<Vec<Entry<T>>, StorageError> {
        rules::check_operations("batch", keys.iter().map(|key| (*key, None)))?;
        let mut body = Vec::with_capacity(keys.len());
        for key in keys {
            rules::check_key(key)?;
            body.push(json!({ "key": key }));
        }
        let (_, found) = self.batch("/batch/get", body).await?;
        found
            .into_iter()
            .map(|entry| {
                serde_json::from_value(entry).map_err(|error| undecodable::<Entry<T>>(&error))
            })
            .collect()
    }

    /// Deletes several keys in one call (1 to 25).
    pub async fn batch_delete(&self, keys: &[&str]) -> Result<BatchOutcome, StorageError> {
        rules::check_operations("batch", keys.iter().map(|key| (*key, None)))?;
        let mut body = Vec::with_capacity(keys.len());
        for key in keys {
            rules::check_key(key)?;
            body.push(json!({ "key": key }));
        }
        self.batch("/batch/delete", body)
            .await
            .map(|(outcome, _)| outcome)
    }

    async fn batch(
        &self,
        path: &str,
        body: Vec<Value>,
    ) -> Result<(BatchOutcome, Vec<Value>), StorageError> {
        let answer = self
            .call(path, &Value::Array(body))
            .await?
            .unwrap_or(json!({}));
        let mut outcome = BatchOutcome::default();
        let mut found = Vec::new();
        for entry in answer["successfulKeys"].as_array().into_iter().flatten() {
            if let Some(key) = entry["key"].as_str() {
                outcome.succeeded.push(key.to_owned());
                if entry.get("value").is_some() {
                    found.push(entry.clone());
                }
            }
        }
        for entry in answer["failedKeys"].as_array().into_iter().flatten() {
            if let Some(key) = entry["key"].as_str() {
                let code = entry["error"]["code"].as_str().unwrap_or("UNKNOWN");
                outcome.failed.push((key.to_owned(), code.to_owned()));
            }
        }
        Ok((outcome, found))
    }
}

/// The secret store of [`ForgeStorage::secret`].
#[derive(Debug)]
pub struct SecretStore<'a> {
    storage: &'a ForgeStorage,
}

impl SecretStore<'_> {
    /// The secret at `key`, or `None`.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        self.storage.get_in(Place::Secret, key).await
    }

    /// Sets the secret at `key`.
    pub async fn set<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), StorageError> {
        self.storage.set_in(Place::Secret, key, value, None).await
    }

    /// Deletes the secret at `key`.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.storage.delete_in(Place::Secret, key).await
    }
}
