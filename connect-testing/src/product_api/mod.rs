//! The product's side of outbound calls: a site's REST API and the OAuth 2.0 authorization
//! server, on 127.0.0.1, verifying the app's tokens as Atlassian does.
//!
//! - Requests as the app (`Authorization: JWT`): HS256 with the shared secret of the app's
//!   install on that site (`iss` = app key), `exp`, and the `qsh` of the request as received,
//!   relative to the site's baseUrl (so `/wiki` is stripped on Confluence).
//! - Requests as a user (`Authorization: Bearer`): a token this authorization server issued
//!   for that site, not expired.
//! - Token requests (`POST /oauth2/token`): the JWT bearer grant, its assertion checked claim by
//!   claim (`iss` = the site's OAuth client, `sub` = a user, `tnt` = the site's baseUrl,
//!   an app installed with the `ACT_AS_USER` scope,
//!   `aud` = this server, a lifetime of at most 60 s, HS256 with the shared secret).
//!
//! It answers a few real resources (`/rest/api/3/myself`, `/rest/api/3/mypermissions`, issues
//! set with [`ProductApi::set_issue`] (404 for any other key),
//! Confluence's `/rest/api/user/current` and `/rest/api/space/{key}`), echoes every other
//! request as JSON (method, path, decoded query, body) so tests see exactly what arrived,
//! counts everything, and can answer 429s and failed token requests on demand.

use super::{AppUnderTest, Site};
use bytes::Bytes;
use connect_runtime::__private::RunningServer;
use connect_runtime::__private::qsh;
use connect_runtime::Response;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use warp::Filter;
use warp::filters::path::FullPath;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode};

/// Who a REST request came from, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The app, by its key (a JWT signed with the install's shared secret).
    App(String),
    /// A user, by account id (a bearer token from the authorization server).
    User(String),
    /// Refused with 401, with the reason.
    Refused(String),
}

/// One REST request the simulated site received. `Debug` hides the token.
#[derive(Clone)]
pub struct ApiCall {
    /// The site's clientKey.
    pub client_key: String,
    /// The method.
    pub method: String,
    /// The path relative to the site's baseUrl (without `/wiki`), as received.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Who sent it.
    pub caller: Caller,
    /// The status answered.
    pub status: u16,
    /// The request target as received (full path and raw query).
    pub target: String,
    /// The token of the `Authorization` header (JWT or bearer), for checks by other
    /// verifiers (the reference library).
    pub token: Option<String>,
}

impl std::fmt::Debug for ApiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiCall")
            .field("client_key", &self.client_key)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("caller", &self.caller)
            .field("status", &self.status)
            .field("target", &self.target)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// A rate limit the next requests are answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// `Retry-After` in seconds, if sent.
    pub retry_after: Option<u64>,
    /// `RateLimit-Reason`.
    pub reason: String,
    /// The status: 429, or 503.
    pub status: u16,
}

impl RateLimit {
    /// A 429 with `Retry-After: seconds` and reason `jira-burst-based`.
    pub fn retry_after(seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            reason: "jira-burst-based".into(),
            status: 429,
        }
    }

    /// A 429 without any hint of when to retry.
    pub fn without_hint() -> Self {
        Self {
            retry_after: None,
            reason: "jira-quota-global-based".into(),
            status: 429,
        }
    }
}

/// A user token issued by the authorization server.
#[derive(Debug, Clone)]
struct Issued {
    client_key: String,
    account_id: String,
    expires_at: Instant,
}

/// An install of an app on a simulated site, as the product remembers it.
#[derive(Debug, Clone)]
struct Install {
    app_name: String,
    shared_secret: String,
    /// Whether the app's descriptor declares the `ACT_AS_USER` scope: without it the
    /// authorization server issues no user token.
    act_as_user: bool,
}

#[derive(Debug, Default)]
struct ApiState {
    /// Sites by clientKey.
    sites: HashMap<String, Site>,
    /// Installs by (clientKey, app key).
    installs: HashMap<(String, String), Install>,
    calls: Vec<ApiCall>,
    rate_limits: Vec<RateLimit>,
    token_requests: usize,
    token_failures: usize,
    token_lifetime: Option<u64>,
    token_delay: Duration,
    tokens: HashMap<String, Issued>,
    /// Scopes asked for, per token request.
    token_scopes: Vec<String>,
    /// Permissions by account id: `ADMINISTER`, `ADMINISTER_PROJECTS:TEST`,
    /// `confluence-admin`, `space-admin:DOCS`.
    grants: HashMap<String, HashSet<String>>,
    display_names: HashMap<String, String>,
    /// Issues by (clientKey, issue key).
    issues: HashMap<(String, String), Value>,
    oauth_url: String,
    /// The personal data reporting API: accounts answered `closed`, the `Cycle-Period` sent,
    /// and the reports accepted (clientKey, accounts with `updatedAt`).
    closed_accounts: HashSet<String>,
    cycle_period: Option<String>,
    reports: Vec<(String, Vec<(String, String)>)>,
}

/// The simulated REST API of every site a [`ProductHost`](super::ProductHost) serves, and its
/// authorization server. Reached through [`ProductHost::api`](super::ProductHost::api).
#[derive(Clone)]
pub struct ProductApi {
    state: Arc<Mutex<ApiState>>,
    servers: Arc<Mutex<Vec<RunningServer>>>,
}

impl std::fmt::Debug for ProductApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductApi")
            .field("oauth_url", &self.lock().oauth_url)
            .finish_non_exhaustive()
    }
}

/// How long issued user tokens live unless [`ProductApi::set_token_lifetime`] says otherwise.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 900;

impl ProductApi {
    /// Starts the authorization server on `addr`.
    pub(crate) async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let api = Self {
            state: Arc::new(Mutex::new(ApiState::default())),
            servers: Arc::new(Mutex::new(Vec::new())),
        };
        let server = connect_runtime::__private::spawn(api.filter(None), addr).await?;
        api.lock().oauth_url = server.url();
        api.keep(server);
        Ok(api)
    }

    /// Serves `site`'s REST API on `port` of 127.0.0.1 (0 for any) and returns the site with
    /// its baseUrl there: `http://127.0.0.1:PORT`, plus `/wiki` for Confluence.
    pub(crate) async fn serve_site(&self, mut site: Site, port: u16) -> std::io::Result<Site> {
        // The filter finds the site by clientKey, so it can serve before the port is known.
        let server = connect_runtime::__private::spawn(
            self.filter(Some(site.client_key.clone())),
            SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .await?;
        let wiki = if site.product_type == "confluence" {
            "/wiki"
        } else {
            ""
        };
        site.base_url = format!("http://127.0.0.1:{}{wiki}", server.addr.port());
        self.register_site(&site);
        self.keep(server);
        Ok(site)
    }

    /// Remembers `site` (its baseUrl and the secret of its latest install).
    pub(crate) fn register_site(&self, site: &Site) {
        self.lock()
            .sites
            .insert(site.client_key.clone(), site.clone());
    }

    /// Records an install of `app` on `site`, so the site accepts the app's tokens signed with
    /// the site's shared secret (and, if its descriptor declares `ACT_AS_USER`, issues user
    /// tokens to it). [`ProductHost::install`] records its installs itself; this is for a site
    /// installed by an earlier process (`connect-sim`).
    ///
    /// [`ProductHost::install`]: super::ProductHost::install
    pub fn record_install(&self, app: &AppUnderTest, site: &Site) {
        let app_name = app.descriptor["name"].as_str().unwrap_or(app.key());
        let act_as_user = app.descriptor["scopes"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|scope| scope == "ACT_AS_USER"));
        let mut state = self.lock();
        if let Some(known) = state.sites.get_mut(&site.client_key) {
            known.shared_secret = site.shared_secret.clone();
        }
        state.installs.insert(
            (site.client_key.clone(), app.key().to_owned()),
            Install {
                app_name: app_name.to_owned(),
                shared_secret: site.shared_secret.clone(),
                act_as_user,
            },
        );
    }

    /// Makes issue `key` exist on `site`: `GET /rest/api/{2,3}/issue/{key}` answers
    /// `{id, key, fields}` with `fields`; an issue never set answers 404, as Jira does for an
    /// issue that does not exist or the caller may not see.
    pub fn set_issue(&self, site: &Site, key: &str, fields: Value) {
        let mut state = self.lock();
        let id = 10_000 + state.issues.len();
        state.issues.insert(
            (site.client_key.clone(), key.to_owned()),
            json!({"id": id.to_string(), "key": key, "fields": fields}),
        );
    }

    /// The authorization server's URL, for the app's `CONNECT_OAUTH_URL`.
    pub fn oauth_url(&self) -> String {
        self.lock().oauth_url.clone()
    }

    /// Every REST request received so far, in order.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.lock().calls.clone()
    }

    /// How many REST requests were received.
    pub fn call_count(&self) -> usize {
        self.lock().calls.len()
    }

    /// How many token requests the authorization server received.
    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    /// The `scope` parameter of each token request.
    pub fn token_scopes(&self) -> Vec<String> {
        self.lock().token_scopes.clone()
    }

    /// Answers the next `count` REST requests with `limit` instead of serving them.
    pub fn rate_limit_next(&self, count: usize, limit: RateLimit) {
        let mut state = self.lock();
        state.rate_limits.extend(std::iter::repeat_n(limit, count));
    }

    /// Refuses the next `count` token requests with `400 invalid_grant`.
    pub fn fail_next_token_requests(&self, count: usize) {
        self.lock().token_failures += count;
    }

    /// The `expires_in` of tokens issued from now on.
    pub fn set_token_lifetime(&self, seconds: u64) {
        self.lock().token_lifetime = Some(seconds);
    }

    /// Makes the authorization server take `delay` per token request (to overlap callers).
    pub fn set_token_delay(&self, delay: Duration) {
        self.lock().token_delay = delay;
    }

    /// Grants `permission` to `account_id`: a Jira global permission (`ADMINISTER`), a project
    /// permission as `PERMISSION:PROJECT` (`ADMINISTER_PROJECTS:TEST`), `confluence-admin`, or
    /// `space-admin:SPACEKEY`.
    pub fn grant(&self, account_id: &str, permission: &str) {
        self.lock()
            .grants
            .entry(account_id.to_owned())
            .or_default()
            .insert(permission.to_owned());
    }

    /// Revokes what [`grant`](Self::grant) gave.
    pub fn revoke(&self, account_id: &str, permission: &str) {
        if let Some(grants) = self.lock().grants.get_mut(account_id) {
            grants.remove(permission);
        }
    }

    /// Answers `account_id` as `closed` from now on in personal data reports.
    pub fn close_account(&self, account_id: &str) {
        self.lock().closed_accounts.insert(account_id.to_owned());
    }

    /// Sends `Cycle-Period: value` with every personal data report's answer.
    pub fn set_cycle_period(&self, value: &str) {
        self.lock().cycle_period = Some(value.to_owned());
    }

    /// The personal data reports accepted: `(clientKey, [(accountId, updatedAt)])`.
    pub fn reports(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.lock().reports.clone()
    }

    /// Sets the display name `/rest/api/3/myself` answers for `account_id` (the app's own user
    /// is `app:<app key>`; it defaults to the app's name).
    pub fn set_display_name(&self, account_id: &str, name: &str) {
        self.lock()
            .display_names
            .insert(account_id.to_owned(), name.to_owned());
    }

    fn keep(&self, server: RunningServer) {
        self.servers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(server);
    }

    fn lock(&self) -> MutexGuard<'_, ApiState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The filter of one site (REST and token endpoint) or of the bare authorization server.
    fn filter(&self, site: Option<String>) -> warp::filters::BoxedFilter<(Response,)> {
        let api = self.clone();
        warp::method()
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(
                move |method: Method,
                      path: FullPath,
                      query: String,
                      headers: HeaderMap,
                      body: Bytes| {
                    let api = api.clone();
                    let site = site.clone();
                    async move {
                        if method == Method::POST && path.as_str() == "/oauth2/token" {
                            // The assertion's `aud` must name the server it was sent to.
                            let own_url = headers
                                .get("host")
                                .and_then(|host| host.to_str().ok())
                                .map(|host| format!("http://{host}"))
                                .unwrap_or_default();
                            return api.token(&body, &own_url).await;
                        }
                        match site {
                            Some(client_key) => api.rest(
                                &client_key,
                                &method,
                                path.as_str(),
                                &query,
                                &headers,
                                &body,
                            ),
                            None => reply(StatusCode::NOT_FOUND, json!({"message": "not found"})),
                        }
                    }
                },
            )
            .boxed()
    }

    fn rest(
        &self,
        client_key: &str,
        method: &Method,
        full_path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let mut state = self.lock();
        let Some(site) = state.sites.get(client_key).cloned() else {
            return reply(StatusCode::NOT_FOUND, json!({"message": "unknown site"}));
        };
        let base_path = url::Url::parse(&site.base_url)
            .map(|url| url.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let Some(relative) = full_path
            .strip_prefix(base_path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        else {
            return reply(
                StatusCode::NOT_FOUND,
                json!({"message": "outside the site"}),
            );
        };
        let relative = if relative.is_empty() { "/" } else { relative };
        let decoded: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let caller = state.authenticate(client_key, method, full_path, query, &base_path, headers);
        let mut record = ApiCall {
            client_key: client_key.to_owned(),
            method: method.to_string(),
            path: relative.to_owned(),
            query: decoded.clone(),
            caller: caller.clone(),
            status: 0,
            target: if query.is_empty() {
                full_path.to_owned()
            } else {
                format!("{full_path}?{query}")
            },
            token: headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split_once(' '))
                .map(|(_, token)| token.to_owned()),
        };
        let response = if let Caller::Refused(reason) = &caller {
            reply(StatusCode::UNAUTHORIZED, json!({"message": reason}))
        } else if !state.rate_limits.is_empty() {
            let limit = state.rate_limits.remove(0);
            rate_limited(&limit)
        } else if *method == Method::POST
            && relative == "/rest/atlassian-connect/latest/report-accounts"
        {
            state.report_accounts(&site, &caller, body)
        } else {
            state.resource(&site, &caller, method, relative, &decoded, query, body)
        };
        record.status = response.status().as_u16();
        state.calls.push(record);
        response
    }

    async fn token(&self, body: &[u8], own_url: &str) -> Response {
        let delay = {
            let mut state = self.lock();
            state.token_requests += 1;
            state.token_delay
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut state = self.lock();
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        state
            .token_scopes
            .push(form.get("scope").cloned().unwrap_or_default());
        if state.token_failures > 0 {
            state.token_failures -= 1;
            return oauth_error("invalid_grant", "simulated failure");
        }
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return oauth_error("unsupported_grant_type", "expected the JWT bearer grant");
        }
        let Some(assertion) = form.get("assertion") else {
            return oauth_error("invalid_request", "no assertion");
        };
        match state.check_assertion(assertion, own_url) {
            Ok((client_key, account_id)) => {
                let lifetime = state.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
                let token = format!("simulated-user-token-{}", random_hex());
                state.tokens.insert(
                    token.clone(),
                    Issued {
                        client_key,
                        account_id,
                        expires_at: Instant::now() + Duration::from_secs(lifetime),
                    },
                );
                reply(
                    StatusCode::OK,
                    json!({"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}),
                )
            }
            Err(reason) => oauth_error("invalid_grant", reason),
        }
    }
}

mod resources;
mod verify;

use resources::{oauth_error, random_hex, rate_limited, reply};
