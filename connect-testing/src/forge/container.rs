//! Forge's side of a Forge Container service, on 127.0.0.1: the sidecar that forwards
//! invocations to the container with an `x-forge-invocation-id`, and the egress proxy every
//! outbound call of the container goes through (`FORGE_EGRESS_PROXY_URL`).
//!
//! The proxy checks every `forge-proxy-authorization` against the invocation (or installation)
//! it names and refuses the rest (401). It answers `/invocation/context` itself, and forwards
//! product calls (`/jira/...`, `/confluence/...`) and key-value storage to the simulated
//! [`ForgePlatform`] with the token the real proxy would add (the installation's system token,
//! or the user's), so the platform's records and failure switches apply to containers too.
//! It lists installations (`/v1/installations`, paged), records published async events, and
//! runs Forge SQL on an embedded SQLite database per installation.
//!
//! **SQL dialect:** the real Forge SQL is MySQL-compatible (TiDB); the simulation is SQLite.
//! Plain `CREATE TABLE`, `INSERT`, `SELECT`, `UPDATE`, `DELETE` with `?` parameters behave
//! alike; MySQL-only syntax (`AUTO_INCREMENT`, `ENGINE=`, `ON DUPLICATE KEY UPDATE`, column
//! types' widths and strictness, `LIMIT a, b`) does not, and SQLite accepts some statements
//! MySQL refuses. Test dialect-specific queries against a real Forge environment.

use super::model::uuid;
use super::native::ForgeCaller;
use super::{ForgeInstallation, ForgePlatform, Invocation};
use crate::host::{Answer, HostError};
use connect_runtime::__private::RunningServer;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use warp::Filter;
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::{Reply, Response};

/// The most events one push may carry.
pub const MAX_EVENTS_PER_PUSH: usize = 50;
/// The largest push, in bytes.
pub const MAX_PUSH_BYTES: usize = 200 * 1024;

/// An invocation the sidecar forwarded: what `/invocation/context` describes.
#[derive(Debug, Clone)]
struct InvocationRecord {
    installation: ForgeInstallation,
    module_key: String,
    module_type: String,
    account_id: Option<String>,
    extension: Value,
}

/// A call the egress proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyCall {
    /// The method.
    pub method: String,
    /// The path (below the proxy's URL), without the query.
    pub path: String,
    /// `forge-proxy-authorization` as sent (`None` when absent).
    pub authorization: Option<String>,
    /// `as=user`.
    pub as_user: bool,
    /// The installation the call was made for (empty when refused or not needed).
    pub installation_id: String,
    /// The status the proxy answered.
    pub status: u16,
}

/// One push of async events the proxy accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedEvents {
    /// The installation it was pushed for.
    pub installation_id: String,
    /// `queueName`.
    pub queue: String,
    /// `jobId`.
    pub job_id: String,
    /// The events' bodies.
    pub events: Vec<Value>,
}

#[derive(Default)]
struct SidecarState {
    invocations: HashMap<String, InvocationRecord>,
    installations: Vec<ForgeInstallation>,
    calls: Vec<ProxyCall>,
    published: Vec<PublishedEvents>,
    sql: HashMap<String, rusqlite::Connection>,
    /// How long the next context answers wait (a slow proxy, for drain tests).
    context_delay: std::time::Duration,
}

/// Who a checked `forge-proxy-authorization` names.
struct Caller {
    installation: ForgeInstallation,
    as_user: bool,
}

/// The simulated sidecar and egress proxy of one Forge Container app. Give the app
/// `FORGE_EGRESS_PROXY_URL` = [`url`](Self::url); send invocations with
/// [`invoke`](Self::invoke).
pub struct ForgeSidecar {
    platform: Arc<ForgePlatform>,
    state: Arc<Mutex<SidecarState>>,
    server: RunningServer,
    http: reqwest::Client,
}

impl std::fmt::Debug for ForgeSidecar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgeSidecar")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<SidecarState>) -> std::sync::MutexGuard<'_, SidecarState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::UNAUTHORIZED {
        "UNAUTHENTICATED"
    } else {
        "BAD_REQUEST"
    };
    warp::reply::with_status(
        warp::reply::json(&json!({"code": code, "message": message})),
        status,
    )
    .into_response()
}

impl ForgeSidecar {
    /// The sidecar and proxy of `platform`'s app, on an ephemeral port of 127.0.0.1.
    pub async fn start(platform: Arc<ForgePlatform>) -> Result<Self, HostError> {
        Self::start_on(platform, 0).await
    }

    /// As [`start`](Self::start), on `port`.
    pub async fn start_on(platform: Arc<ForgePlatform>, port: u16) -> Result<Self, HostError> {
        let state = Arc::new(Mutex::new(SidecarState::default()));
        let http = reqwest::Client::builder().no_proxy().build()?;
        let shared = (Arc::clone(&platform), Arc::clone(&state), http.clone());
        let proxy = whole_request().then(move |request: ProxyRequest| {
            let (platform, state, http) = shared.clone();
            async move { proxy_answer(&platform, &state, &http, request).await }
        });
        let server = connect_runtime::__private::spawn(
            proxy.boxed(),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .await?;
        Ok(Self {
            platform,
            state,
            server,
            http,
        })
    }

    /// The proxy's URL, for `FORGE_EGRESS_PROXY_URL`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The platform behind the proxy.
    pub fn platform(&self) -> &ForgePlatform {
        &self.platform
    }

    /// Makes `installation` known to `/v1/installations` and to `installationId=` calls (an
    /// invocation for it does too).
    pub fn add_installation(&self, installation: &ForgeInstallation) {
        let mut state = lock(&self.state);
        if !state
            .installations
            .iter()
            .any(|known| known.installation_id == installation.installation_id)
        {
            state.installations.push(installation.clone());
        }
    }

    /// Makes `/invocation/context` answer only after `delay` (a slow proxy: requests stay in
    /// flight that long).
    pub fn delay_context(&self, delay: std::time::Duration) {
        lock(&self.state).context_delay = delay;
    }

    /// The calls the proxy received.
    pub fn calls(&self) -> Vec<ProxyCall> {
        lock(&self.state).calls.clone()
    }

    /// The pushes of async events the proxy accepted.
    pub fn published(&self) -> Vec<PublishedEvents> {
        lock(&self.state).published.clone()
    }

    /// Rows of `query` on `installation`'s SQL database (for assertions).
    pub fn sql_rows(&self, installation: &ForgeInstallation, query: &str) -> Vec<Value> {
        let mut state = lock(&self.state);
        let Some(connection) = state.sql.get_mut(&installation.installation_id) else {
            return Vec::new();
        };
        run_sql(connection, query, &[], false)
            .ok()
            .and_then(|answer| answer["rows"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Registers an invocation of `module_key` for `installation` and returns its id, without
    /// sending anything (for tests that call the container themselves).
    pub fn register(
        &self,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> String {
        register_in(&self.state, installation, module_key, invocation)
    }

    /// Serves the sidecar's front on `port` of 127.0.0.1 (0 for any): every request is
    /// forwarded to the container at `app_url` as a fresh invocation of `installation`, its
    /// user named by the request's `x-forge-sim-account` header (none without), its module by
    /// `x-forge-sim-module` (`sim` without). What `connect-sim forge container` listens with.
    pub async fn serve_front(
        &self,
        app_url: &str,
        installation: &ForgeInstallation,
        port: u16,
    ) -> Result<RunningServer, HostError> {
        let shared = (
            Arc::clone(&self.state),
            self.http.clone(),
            app_url.trim_end_matches('/').to_owned(),
            installation.clone(),
        );
        let front = whole_request().then(move |request: ProxyRequest| {
            let (state, http, app_url, installation) = shared.clone();
            async move {
                let header = |name: &str| {
                    request
                        .headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned)
                };
                let invocation = Invocation {
                    principal: header("x-forge-sim-account"),
                    module_type: header("x-forge-sim-module-type"),
                    ..Invocation::default()
                };
                let module = header("x-forge-sim-module").unwrap_or_else(|| "sim".into());
                let id = register_in(&state, &installation, &module, &invocation);
                let url = request.sent_to(&format!("{app_url}{}", request.path));
                let mut outgoing = http
                    .request(request.method, url)
                    .header("x-forge-invocation-id", id)
                    .body(request.body);
                if let Some(content_type) = request.headers.get("content-type") {
                    outgoing = outgoing.header("content-type", content_type);
                }
                match outgoing.send().await {
                    Ok(response) => relay(response, &["content-type"]).await,
                    Err(_) => refuse(StatusCode::BAD_GATEWAY, "the container did not answer"),
                }
            }
        });
        Ok(connect_runtime::__private::spawn(
            front.boxed(),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .await?)
    }

    /// Invokes the container's route at `url` as the sidecar does: a fresh invocation id for
    /// `installation` and `module_key` (the user of `invocation.principal`, its extension
    /// when set), the trace and log attributes, and the body. No token reaches the container.
    pub async fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> Result<Answer, HostError> {
        let id = self.register(installation, module_key, invocation);
        let mut request = self
            .http
            .request(method, url)
            .header("x-forge-invocation-id", &id)
            .header(
                "x-forge-invocation-log-attributes",
                format!(
                    "{{\"installationId\":\"{}\",\"moduleKey\":\"{module_key}\"}}",
                    installation.installation_id
                ),
            )
            .header(
                "x-b3-traceid",
                invocation
                    .trace_id
                    .clone()
                    .unwrap_or_else(|| uuid().replace('-', "")),
            )
            .header("x-b3-spanid", uuid().replace('-', "")[..16].to_owned());
        if let Some(body) = &invocation.body {
            request = request.json(body);
        }
        Answer::from(request.send().await?).await
    }

    /// A web trigger call: the caller's raw request, forwarded with an invocation id.
    pub async fn call_webtrigger(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, HostError> {
        let id = self.register(installation, endpoint_key, &Invocation::default());
        let mut request = self
            .http
            .request(method, url)
            .header("x-forge-invocation-id", id);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        Answer::from(request.send().await?).await
    }
}

/// Records an invocation of `module_key` for `installation` (the user of
/// `invocation.principal`, or a default one with `user_token`) and returns its fresh id.
fn register_in(
    state: &Mutex<SidecarState>,
    installation: &ForgeInstallation,
    module_key: &str,
    invocation: &Invocation,
) -> String {
    let id = uuid();
    let account_id = if invocation.user_token || invocation.principal.is_some() {
        Some(
            invocation
                .principal
                .clone()
                .unwrap_or_else(|| "557058:forge-user".to_owned()),
        )
    } else {
        None
    };
    let record = InvocationRecord {
        installation: installation.clone(),
        module_key: module_key.to_owned(),
        module_type: invocation
            .module_type
            .clone()
            .unwrap_or_else(|| "core:endpoint".to_owned()),
        account_id,
        extension: invocation.extension.clone(),
    };
    let mut state = lock(state);
    if !state
        .installations
        .iter()
        .any(|known| known.installation_id == installation.installation_id)
    {
        state.installations.push(installation.clone());
    }
    state.invocations.insert(id.clone(), record);
    id
}

/// The sidecar's calls to the container's backend modules: each a fresh invocation id.
impl ForgeCaller for ForgeSidecar {
    fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send {
        ForgeSidecar::invoke(self, url, method, installation, module_key, invocation)
    }
}

struct ProxyRequest {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl ProxyRequest {
    /// `base` with this request's query.
    fn sent_to(&self, base: &str) -> String {
        if self.query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", self.query)
        }
    }
}

/// The parsed `forge-proxy-authorization`: `Forge k=v,k=v` with `as`, `id`,
/// `installationId`, `accountId`; `None` for anything else (unknown or repeated fields).
fn parse_authorization(value: &str) -> Option<BTreeMap<String, String>> {
    let fields = value.strip_prefix("Forge ")?;
    let mut parsed = BTreeMap::new();
    for field in fields.split(',') {
        let (key, value) = field.trim().split_once('=')?;
        if !matches!(key, "as" | "id" | "installationId" | "accountId")
            || value.is_empty()
            || parsed.insert(key.to_owned(), value.to_owned()).is_some()
        {
            return None;
        }
    }
    Some(parsed)
}

/// The caller a `forge-proxy-authorization` names, checked against the invocations and
/// installations the sidecar knows; or why it is refused.
fn check_caller(state: &SidecarState, authorization: Option<&str>) -> Result<Caller, String> {
    let fields = authorization
        .and_then(parse_authorization)
        .ok_or("missing or malformed forge-proxy-authorization")?;
    let as_user = match fields.get("as").map(String::as_str) {
        None | Some("app") => false,
        Some("user") => true,
        Some(_) => return Err("`as` is app or user".to_owned()),
    };
    if fields.contains_key("accountId") && !as_user {
        return Err("accountId only goes with as=user".to_owned());
    }
    match (fields.get("id"), fields.get("installationId")) {
        (Some(id), None) => {
            let record = state.invocations.get(id).ok_or("no such invocation")?;
            if as_user && record.account_id.is_none() && !fields.contains_key("accountId") {
                return Err("this invocation has no user".to_owned());
            }
            Ok(Caller {
                installation: record.installation.clone(),
                as_user,
            })
        }
        (None, Some(installation_id)) => {
            let installation = state
                .installations
                .iter()
                .find(|known| &known.installation_id == installation_id)
                .ok_or("no such installation")?;
            if as_user && !fields.contains_key("accountId") {
                return Err("as=user outside an invocation needs accountId".to_owned());
            }
            Ok(Caller {
                installation: installation.clone(),
                as_user,
            })
        }
        _ => Err("name either id or installationId".to_owned()),
    }
}

async fn proxy_answer(
    platform: &ForgePlatform,
    state: &Mutex<SidecarState>,
    http: &reqwest::Client,
    request: ProxyRequest,
) -> Response {
    let authorization = request
        .headers
        .get("forge-proxy-authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let path = request.path.clone();
    // The listing names no invocation or installation.
    if request.method == Method::GET && path == "/v1/installations" {
        let answer = installations_page(&lock(state).installations, &request.query);
        record(state, &request, None, &answer);
        return answer;
    }
    let caller = {
        let guard = lock(state);
        check_caller(&guard, authorization.as_deref())
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(reason) => {
            let answer = refuse(StatusCode::UNAUTHORIZED, &reason);
            record(state, &request, None, &answer);
            return answer;
        }
    };
    let answer = if path == "/invocation/context" && request.method == Method::GET {
        let delay = lock(state).context_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        context_answer(platform, state, authorization.as_deref())
    } else if let Some(rest) = path
        .strip_prefix("/jira/")
        .map(|rest| ("jira", rest))
        .or_else(|| {
            path.strip_prefix("/confluence/")
                .map(|rest| ("confluence", rest))
        })
    {
        let (product, rest) = rest;
        let token = if caller.as_user {
            platform.user_token()
        } else {
            platform.system_token_for(&caller.installation)
        };
        let target = format!(
            "{}/ex/{product}/{}/{rest}",
            platform.url(),
            caller.installation.cloud_id
        );
        forward(http, &request, &target, &token).await
    } else if path.starts_with("/forge/storage/kvs/v1/") {
        let target = format!("{}{path}", platform.url());
        let token = platform.system_token_for(&caller.installation);
        forward(http, &request, &target, &token).await
    } else if path == "/forge/storage/sql/v1/execute" || path == "/forge/storage/sql/v1/execute/ddl"
    {
        sql_answer(
            state,
            &caller.installation,
            &request.body,
            path.ends_with("/ddl"),
        )
    } else if path == "/atlassian/forge/events/v1/async-events" && request.method == Method::POST {
        publish_answer(state, &caller.installation, &request.body)
    } else {
        refuse(
            StatusCode::NOT_FOUND,
            "the simulated proxy does not serve this path",
        )
    };
    record(state, &request, Some(&caller), &answer);
    answer
}

fn record(
    state: &Mutex<SidecarState>,
    request: &ProxyRequest,
    caller: Option<&Caller>,
    answer: &Response,
) {
    let call = ProxyCall {
        method: request.method.to_string(),
        path: request.path.clone(),
        authorization: request
            .headers
            .get("forge-proxy-authorization")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        as_user: caller.is_some_and(|caller| caller.as_user),
        installation_id: caller
            .map(|caller| caller.installation.installation_id.clone())
            .unwrap_or_default(),
        status: answer.status().as_u16(),
    };
    lock(state).calls.push(call);
}

/// `/invocation/context` of the invocation `authorization` names (checked already).
fn context_answer(
    platform: &ForgePlatform,
    state: &Mutex<SidecarState>,
    authorization: Option<&str>,
) -> Response {
    let fields = authorization
        .and_then(parse_authorization)
        .unwrap_or_default();
    let guard = lock(state);
    let Some(record) = fields.get("id").and_then(|id| guard.invocations.get(id)) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the context needs an invocation id",
        );
    };
    let installation = &record.installation;
    let mut context = json!({
        "cloudId": installation.cloud_id,
        "moduleKey": record.module_key,
        "userAccess": {"enabled": true},
        "siteUrl": installation.site_url,
    });
    if let Some(account_id) = &record.account_id {
        context["accountId"] = json!(account_id);
    }
    if !record.extension.is_null() {
        context["extension"] = record.extension.clone();
    }
    warp::reply::json(&json!({
        "app": {
            "id": platform.app_id(),
            "installationId": installation.installation_id,
            "environment": {"type": "DEVELOPMENT", "id": "ari:cloud:ecosystem::environment/simulated"},
            "module": {"key": record.module_key, "type": record.module_type},
        },
        "context": context,
    }))
    .into_response()
}

/// Forwards `request` to `target` with `token` as Bearer; relays status, `retry-after` and
/// body.
async fn forward(
    http: &reqwest::Client,
    request: &ProxyRequest,
    target: &str,
    token: &str,
) -> Response {
    let mut outgoing = http
        .request(request.method.clone(), request.sent_to(target))
        .header("authorization", format!("Bearer {token}"))
        .body(request.body.clone());
    for name in ["content-type", "accept", "x-b3-traceid", "x-b3-spanid"] {
        if let Some(value) = request.headers.get(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    match outgoing.send().await {
        Ok(response) => relay(response, &["retry-after", "content-type"]).await,
        Err(_) => refuse(StatusCode::BAD_GATEWAY, "the platform did not answer"),
    }
}

/// An answer relayed: `response`'s status and body, and those of its `headers` it has.
async fn relay(response: reqwest::Response, headers: &[&'static str]) -> Response {
    let status = response.status();
    let kept: Vec<_> = headers
        .iter()
        .filter_map(|name| Some((*name, response.headers().get(*name)?.clone())))
        .collect();
    let body = response.bytes().await.unwrap_or_default();
    let mut answer = Response::new(body.into());
    *answer.status_mut() = status;
    for (name, value) in kept {
        answer.headers_mut().insert(name, value);
    }
    answer
}

/// Every request whole: method, path, raw query, headers and body.
fn whole_request() -> impl Filter<Extract = (ProxyRequest,), Error = warp::Rejection> + Clone {
    warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::body::bytes())
        .map(
            |method: Method,
             path: warp::path::FullPath,
             query: String,
             headers: HeaderMap,
             body: bytes::Bytes| ProxyRequest {
                method,
                path: path.as_str().to_owned(),
                query,
                headers,
                body,
            },
        )
}

/// A page of `/v1/installations` (`pageSize` 1–100, default 100; `cursor` from the previous
/// page, `null` on the last).
fn installations_page(installations: &[ForgeInstallation], query: &str) -> Response {
    let mut page_size = 100usize;
    let mut start = 0usize;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "pageSize" => match value.parse::<usize>() {
                Ok(size) if (1..=100).contains(&size) => page_size = size,
                _ => return refuse(StatusCode::BAD_REQUEST, "pageSize is 1 to 100"),
            },
            "cursor" => match value.strip_prefix("c").and_then(|n| n.parse().ok()) {
                Some(offset) => start = offset,
                None => return refuse(StatusCode::BAD_REQUEST, "unknown cursor"),
            },
            _ => {}
        }
    }
    let end = (start + page_size).min(installations.len());
    let page: Vec<Value> = installations
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|installation| {
            json!({
                "id": installation.installation_id,
                "installationContext": format!("ari:cloud:{}::site/{}", installation.product, installation.cloud_id),
                "version": "1.0.0",
                "secondaryInstallationContexts": [],
            })
        })
        .collect();
    let cursor = (end < installations.len()).then(|| format!("c{end}"));
    warp::reply::json(&json!({"installations": page, "cursor": cursor})).into_response()
}

/// `/atlassian/forge/events/v1/async-events`: `{queueName, jobId?, events: [{body}]}`, at
/// most 50 events and 200 KB.
fn publish_answer(
    state: &Mutex<SidecarState>,
    installation: &ForgeInstallation,
    body: &[u8],
) -> Response {
    if body.len() > MAX_PUSH_BYTES {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "a push is at most 200 KB");
    }
    let Ok(push) = serde_json::from_slice::<Value>(body) else {
        return refuse(StatusCode::BAD_REQUEST, "not JSON");
    };
    let Some(queue) = push["queueName"].as_str().filter(|queue| !queue.is_empty()) else {
        return refuse(StatusCode::BAD_REQUEST, "queueName is required");
    };
    let Some(events) = push["events"].as_array() else {
        return refuse(StatusCode::BAD_REQUEST, "events is required");
    };
    if events.is_empty() || events.len() > MAX_EVENTS_PER_PUSH {
        return refuse(StatusCode::BAD_REQUEST, "a push has 1 to 50 events");
    }
    let job_id = push["jobId"].as_str().map_or_else(uuid, str::to_owned);
    lock(state).published.push(PublishedEvents {
        installation_id: installation.installation_id.clone(),
        queue: queue.to_owned(),
        job_id: job_id.clone(),
        events: events.iter().map(|event| event["body"].clone()).collect(),
    });
    warp::reply::json(&json!({"jobId": job_id})).into_response()
}

/// `/forge/storage/sql/v1/execute[/ddl]`: `{query, params}` on the installation's database.
fn sql_answer(
    state: &Mutex<SidecarState>,
    installation: &ForgeInstallation,
    body: &[u8],
    ddl: bool,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return refuse(StatusCode::BAD_REQUEST, "not JSON");
    };
    let Some(query) = request["query"].as_str() else {
        return refuse(StatusCode::BAD_REQUEST, "query is required");
    };
    let is_ddl = {
        let first = query
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        matches!(
            first.as_str(),
            "CREATE" | "ALTER" | "DROP" | "TRUNCATE" | "RENAME"
        )
    };
    if is_ddl != ddl {
        return refuse(
            StatusCode::BAD_REQUEST,
            if ddl {
                "only DDL goes to /execute/ddl"
            } else {
                "DDL goes to /execute/ddl"
            },
        );
    }
    let params = request["params"].as_array().cloned().unwrap_or_default();
    let mut guard = lock(state);
    let connection = match guard.sql.entry(installation.installation_id.clone()) {
        std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
        std::collections::hash_map::Entry::Vacant(entry) => {
            match rusqlite::Connection::open_in_memory() {
                Ok(connection) => entry.insert(connection),
                Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no database"),
            }
        }
    };
    match run_sql(connection, query, &params, ddl) {
        Ok(answer) => warp::reply::json(&answer).into_response(),
        Err(message) => warp::reply::with_status(
            warp::reply::json(&json!({"code": "SQL_EXECUTION_ERROR", "message": message})),
            StatusCode::BAD_REQUEST,
        )
        .into_response(),
    }
}

/// Runs one statement: rows as objects by column name for a query, `{affectedRows,
/// insertId}` for anything else.
fn run_sql(
    connection: &mut rusqlite::Connection,
    query: &str,
    params: &[Value],
    ddl: bool,
) -> Result<Value, String> {
    if ddl {
        connection
            .execute_batch(query)
            .map_err(|error| error.to_string())?;
        return Ok(json!({"rows": {"affectedRows": 0}, "metadata": {}}));
    }
    let values: Vec<rusqlite::types::Value> = params.iter().map(sql_value).collect();
    let mut statement = connection
        .prepare(query)
        .map_err(|error| error.to_string())?;
    let columns: Vec<String> = statement
        .column_names()
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    if columns.is_empty() {
        let affected = statement
            .execute(rusqlite::params_from_iter(values))
            .map_err(|error| error.to_string())?;
        drop(statement);
        return Ok(json!({
            "rows": {"affectedRows": affected, "insertId": connection.last_insert_rowid()},
            "metadata": {},
        }));
    }
    let mut rows = statement
        .query(rusqlite::params_from_iter(values))
        .map_err(|error| error.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|error| error.to_string())? {
        let mut object = Map::new();
        for (index, name) in columns.iter().enumerate() {
            let value = match row.get_ref(index).map_err(|error| error.to_string())? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(n) => json!(n),
                rusqlite::types::ValueRef::Text(text) => {
                    json!(String::from_utf8_lossy(text))
                }
                rusqlite::types::ValueRef::Blob(blob) => json!(hex::encode(blob)),
            };
            object.insert(name.clone(), value);
        }
        out.push(Value::Object(object));
    }
    let fields: Vec<Value> = columns.iter().map(|name| json!({"name": name})).collect();
    Ok(json!({"rows": out, "metadata": {"fields": fields}}))
}

/// A JSON parameter as SQLite stores it (booleans as 0/1, arrays and objects as JSON text).
fn sql_value(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Value::Null => Sql::Null,
        Value::Bool(flag) => Sql::Integer(i64::from(*flag)),
        Value::Number(number) => number
            .as_i64()
            .map(Sql::Integer)
            .or_else(|| number.as_f64().map(Sql::Real))
            .unwrap_or(Sql::Null),
        Value::String(text) => Sql::Text(text.clone()),
        other => Sql::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_fields_are_strict() {
        let parsed = parse_authorization("Forge as=user,accountId=a,id=i").unwrap();
        assert_eq!(parsed["as"], "user");
        assert_eq!(parsed["id"], "i");
        for bad in [
            "Bearer x",
            "Forge id=a,id=b",
            "Forge token=x",
            "Forge id=",
            "Forge as",
        ] {
            assert!(parse_authorization(bad).is_none(), "{bad}");
        }
    }
}
