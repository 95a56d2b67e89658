//! The simulated Forge platform's storage: the key-value store REST API a Forge Remote calls
//! (`POST /forge/storage/kvs/v1/...` on the origin of `apiBaseUrl`), in memory, one store per
//! installation (the installation named by the system token).
//!
//! What it checks as Forge does: the bearer token (a system token of this platform, not
//! expired: 401 `UNAUTHENTICATED` otherwise), keys (`INVALID_KEY`), query limits
//! (`LIST_QUERY_LIMIT_EXCEEDED`), batch and transaction sizes, `FAIL_IF_EXISTS` (409). A
//! missing key answers 404 `KEY_NOT_FOUND`. Rate limiting answers 429 `RATE_LIMIT_EXCEEDED`
//! (from [`ForgePlatform::rate_limit_next`](super::ForgePlatform::rate_limit_next)).
//!
//! Custom entity indexes are simulated simply: an index is the value attribute of the same
//! name (its `range` condition and `sort` apply to that attribute); `partition` matches an
//! attribute `partition`. TTLs are kept but values do not expire.

use super::answers::{TokenCaller, token_caller};
use super::{ForgeApiCall, PlatformState};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// One installation's data.
#[derive(Debug, Default, Clone)]
pub(super) struct Store {
    pub(super) kvs: BTreeMap<String, Value>,
    pub(super) secrets: BTreeMap<String, Value>,
    pub(super) entities: BTreeMap<String, BTreeMap<String, Value>>,
}

/// A refused call: Forge's status and `{code, message}`.
pub(super) struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

impl Refusal {
    fn into_response(self) -> Response {
        warp::reply::with_status(
            warp::reply::json(&json!({"code": self.code, "message": self.message})),
            self.status,
        )
        .into_response()
    }
}

fn error(status: StatusCode, code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

fn ok(value: Value) -> Response {
    warp::reply::json(&value).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().count() <= 500
        && !key.trim().is_empty()
        && key.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, ':' | '.' | '_' | '-' | '#')
                || c.is_whitespace()
        })
}

fn key_of(value: &Value) -> Result<String, Refusal> {
    match value.get("key").and_then(Value::as_str) {
        Some(key) if valid_key(key) => Ok(key.to_owned()),
        Some(_) => Err(error(StatusCode::BAD_REQUEST, "INVALID_KEY", "invalid key")),
        None => Err(error(StatusCode::BAD_REQUEST, "KEY_TOO_SHORT", "no key")),
    }
}

/// Answers a storage call: `path` below `/forge/storage/kvs/v1/`.
pub(super) fn storage_answer(
    state: &Mutex<PlatformState>,
    path: &str,
    authorization: Option<String>,
    trace_id: Option<String>,
    body: &[u8],
) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Storage allows no leeway on a token's `exp`.
    let TokenCaller { kind, claims } = token_caller(&state.keys, authorization.as_deref(), 0);
    state.calls.push(ForgeApiCall {
        method: "POST".to_owned(),
        path: format!("/forge/storage/kvs/v1/{path}"),
        token: kind.to_owned(),
        trace_id,
    });
    if state.rate_limited > 0 {
        state.rate_limited -= 1;
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "Rate limit exceeded",
        )
        .into_response();
    }
    if kind != "system" {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "a valid app system token is required",
        )
        .into_response();
    }
    let installation = claims
        .as_ref()
        .and_then(|claims| claims.get("installationId"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "the body is not JSON",
        )
        .into_response();
    };
    let store = state.storage.entry(installation).or_default();
    answer(store, path, &request).unwrap_or_else(Refusal::into_response)
}

fn answer(store: &mut Store, path: &str, request: &Value) -> Result<Response, Refusal> {
    match path {
        "get" => get(&store.kvs, request),
        "secret/get" => get(&store.secrets, request),
        "set" => set(&mut store.kvs, request),
        "secret/set" => set(&mut store.secrets, request),
        "delete" => {
            store.kvs.remove(&key_of(request)?);
            Ok(no_content())
        }
        "secret/delete" => {
            store.secrets.remove(&key_of(request)?);
            Ok(no_content())
        }
        "query" => query(&store.kvs, request),
        "entity/get" => get(entity(store, request)?, request),
        "entity/set" => {
            let entity = entity(store, request)?;
            set(entity, request)
        }
        "entity/delete" => {
            let key = key_of(request)?;
            entity(store, request)?.remove(&key);
            Ok(no_content())
        }
        "entity/query" => entity_query(store, request),
        "transaction" => transaction(store, request),
        "batch/set" | "batch/get" | "batch/delete" => batch(store, path, request),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such storage API",
        )),
    }
}

fn get(map: &BTreeMap<String, Value>, request: &Value) -> Result<Response, Refusal> {
    let key = key_of(request)?;
    match map.get(&key) {
        Some(value) => Ok(ok(json!({"key": key, "value": value}))),
        None => Err(error(StatusCode::NOT_FOUND, "KEY_NOT_FOUND", "no such key")),
    }
}

fn set(map: &mut BTreeMap<String, Value>, request: &Value) -> Result<Response, Refusal> {
    let key = key_of(request)?;
    let Some(value) = request.get("value") else {
        return Err(error(StatusCode::BAD_REQUEST, "INVALID_VALUE", "no value"));
    };
    if request["options"]["keyPolicy"] == "FAIL_IF_EXISTS" && map.contains_key(&key) {
        return Err(error(
            StatusCode::CONFLICT,
            "KEY_ALREADY_EXISTS",
            "the key exists",
        ));
    }
    map.insert(key, value.clone());
    Ok(no_content())
}

/// A cursor: the last key of the page, so the next page starts after it.
fn page(entries: Vec<(&String, &Value)>, request: &Value) -> Result<Response, Refusal> {
    let limit = request["limit"].as_u64().unwrap_or(10);
    if limit >= 100 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "LIST_QUERY_LIMIT_EXCEEDED",
            "limit must be below 100",
        ));
    }
    let after = request
        .get("after")
        .or_else(|| request.get("cursor"))
        .and_then(Value::as_str);
    let start = match after {
        Some(cursor) => entries
            .iter()
            .position(|(key, _)| key.as_str() == cursor)
            .map_or(entries.len(), |index| index + 1),
        None => 0,
    };
    let rest = &entries[start.min(entries.len())..];
    let taken: Vec<_> = rest.iter().take(limit as usize).collect();
    let cursor = (rest.len() > taken.len())
        .then(|| taken.last().map(|(key, _)| (*key).clone()))
        .flatten();
    let data: Vec<Value> = taken
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    let mut answer = json!({ "data": data });
    if let Some(cursor) = cursor {
        answer["cursor"] = json!(cursor);
    }
    Ok(ok(answer))
}

fn query(map: &BTreeMap<String, Value>, request: &Value) -> Result<Response, Refusal> {
    let clauses = request["where"].as_array().cloned().unwrap_or_default();
    let prefix = match clauses.as_slice() {
        [] => String::new(),
        [clause] if clause["property"] == "key" && clause["condition"] == "BEGINS_WITH" => {
            clause["values"][0].as_str().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "QUERY_WHERE_INVALID",
                "only one `key BEGINS_WITH` clause is supported",
            ));
        }
    };
    page(
        map.iter()
            .filter(|(key, _)| key.starts_with(&prefix))
            .collect(),
        request,
    )
}

fn entity<'a>(
    store: &'a mut Store,
    request: &Value,
) -> Result<&'a mut BTreeMap<String, Value>, Refusal> {
    match request["entityName"].as_str() {
        Some(name) if (3..=60).contains(&name.len()) => {
            Ok(store.entities.entry(name.to_owned()).or_default())
        }
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_ENTITY_NAME",
            "invalid entity name",
        )),
    }
}

/// Whether `value` meets `condition` with `values` (Forge's condition names).
fn meets(value: Option<&Value>, condition: &str, values: &[Value]) -> bool {
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    let compare = |v: &Value, w: &Value| match (v.as_f64(), w.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(text(v).cmp(&text(w))),
    };
    let first = values.first();
    match (condition, value) {
        ("EXISTS", value) => value.is_some(),
        ("NOT_EXISTS", value) => value.is_none(),
        (_, None) => false,
        ("EQUAL_TO", Some(v)) => first == Some(v),
        ("NOT_EQUAL_TO", Some(v)) => first != Some(v),
        ("BEGINS_WITH", Some(v)) => first.is_some_and(|prefix| text(v).starts_with(&text(prefix))),
        ("CONTAINS", Some(v)) => first.is_some_and(|part| text(v).contains(&text(part))),
        ("BETWEEN", Some(v)) => match (values.first(), values.get(1)) {
            (Some(low), Some(high)) => {
                compare(v, low).is_some_and(|o| o.is_ge())
                    && compare(v, high).is_some_and(|o| o.is_le())
            }
            _ => false,
        },
        ("GREATER_THAN", Some(v)) => {
            first.is_some_and(|w| compare(v, w).is_some_and(|o| o.is_gt()))
        }
        ("GREATER_THAN_EQUAL_TO", Some(v)) => {
            first.is_some_and(|w| compare(v, w).is_some_and(|o| o.is_ge()))
        }
        ("LESS_THAN", Some(v)) => first.is_some_and(|w| compare(v, w).is_some_and(|o| o.is_lt())),
        ("LESS_THAN_EQUAL_TO", Some(v)) => {
            first.is_some_and(|w| compare(v, w).is_some_and(|o| o.is_le()))
        }
        _ => false,
    }
}

fn entity_query(store: &mut Store, request: &Value) -> Result<Response, Refusal> {
    let index = request["indexName"].as_str().unwrap_or_default().to_owned();
    let entities = entity(store, request)?;
    let partition = request["partition"].as_array().cloned();
    let range = &request["range"];
    let mut matching: Vec<(&String, &Value)> = entities
        .iter()
        .filter(|(_, value)| {
            partition
                .as_ref()
                .is_none_or(|partition| partition.first() == value.get("partition"))
        })
        .filter(
            |(_, value)| match range.get("condition").and_then(Value::as_str) {
                Some(condition) => meets(
                    value.get(&index),
                    condition,
                    range["values"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                ),
                None => true,
            },
        )
        .collect();
    matching.sort_by(|a, b| {
        let order =
            a.1.get(&index)
                .map(Value::to_string)
                .cmp(&b.1.get(&index).map(Value::to_string));
        order.then_with(|| a.0.cmp(b.0))
    });
    if request["sort"] == "DESC" {
        matching.reverse();
    }
    let mut request = request.clone();
    if let Some(cursor) = request.get("cursor").cloned() {
        request["after"] = cursor;
    }
    page(matching, &request)
}

fn conditions_hold(value: Option<&Value>, conditions: &Value) -> bool {
    let clauses = |name: &str| conditions[name].as_array().cloned();
    let holds = |clause: &Value| {
        meets(
            value.and_then(|value| value.get(clause["property"].as_str().unwrap_or_default())),
            clause["condition"].as_str().unwrap_or_default(),
            clause["values"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        )
    };
    match (clauses("and"), clauses("or")) {
        (Some(all), _) => all.iter().all(holds),
        (None, Some(any)) => any.iter().any(holds),
        (None, None) => true,
    }
}

fn transaction(store: &mut Store, request: &Value) -> Result<Response, Refusal> {
    let list = |name: &str| request[name].as_array().cloned().unwrap_or_default();
    let (sets, deletes, checks) = (list("set"), list("delete"), list("check"));
    let count = sets.len() + deletes.len() + checks.len();
    if count == 0 || count > 25 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "TRANSACTION_TOO_LARGE",
            "a transaction has 1 to 25 operations",
        ));
    }
    // All checks first, on a copy: applied together or not at all.
    let mut copy = store.clone();
    for check in &checks {
        let key = key_of(check)?;
        let current = entity(&mut copy, check)?.get(&key).cloned();
        if !conditions_hold(current.as_ref(), &check["conditions"]) {
            return Err(error(
                StatusCode::CONFLICT,
                "CONDITION_FAILED",
                "a transaction condition failed",
            ));
        }
    }
    for set in &sets {
        let key = key_of(set)?;
        let value = set.get("value").cloned().unwrap_or(Value::Null);
        match set.get("entityName") {
            Some(_) => entity(&mut copy, set)?.insert(key, value),
            None => copy.kvs.insert(key, value),
        };
    }
    for delete in &deletes {
        let key = key_of(delete)?;
        match delete.get("entityName") {
            Some(_) => entity(&mut copy, delete)?.remove(&key),
            None => copy.kvs.remove(&key),
        };
    }
    *store = copy;
    Ok(no_content())
}

fn batch(store: &mut Store, path: &str, request: &Value) -> Result<Response, Refusal> {
    let Some(items) = request.as_array() else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "a batch is an array",
        ));
    };
    if items.is_empty() || items.len() > 25 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "BATCH_TOO_LARGE",
            "a batch has 1 to 25 keys",
        ));
    }
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    for item in items {
        let key = match key_of(item) {
            Ok(key) => key,
            Err(_) => {
                failed.push(json!({"key": item["key"], "error": {"code": "INVALID_KEY", "message": "invalid key"}}));
                continue;
            }
        };
        match path {
            "batch/set" => {
                store
                    .kvs
                    .insert(key.clone(), item.get("value").cloned().unwrap_or(Value::Null));
                succeeded.push(json!({"key": key}));
            }
            "batch/get" => match store.kvs.get(&key) {
                Some(value) => succeeded.push(json!({"key": key, "value": value})),
                None => failed.push(json!({"key": key, "error": {"code": "KEY_NOT_FOUND", "message": "no such key"}})),
            },
            _ => {
                store.kvs.remove(&key);
                succeeded.push(json!({"key": key}));
            }
        }
    }
    let mut answer = Map::new();
    answer.insert("successfulKeys".to_owned(), Value::Array(succeeded));
    answer.insert("failedKeys".to_owned(), Value::Array(failed));
    Ok(ok(Value::Object(answer)))
}
