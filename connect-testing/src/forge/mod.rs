//! The Forge platform's side of Forge Remote, on 127.0.0.1: a JWKS with its own RSA key,
//! Forge Invocation Tokens with every documented claim, remote invocations with system and
//! user tokens, trigger deliveries (with Forge's retry body), key rotation, and the product
//! API at `apiBaseUrl` that checks the bearer tokens it handed out.

use super::host::{Answer, HostError};
use super::tokens::{KeyPair, TokenSpec};
use base64::Engine as _;
use connect_runtime::__private::RunningServer;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

mod answers;
mod container;
mod model;
mod native;
mod privacy;
mod storage;

use answers::{api_answer, jwks_answer};
pub use container::{
    ForgeSidecar, MAX_EVENTS_PER_PUSH, MAX_PUSH_BYTES, ProxyCall, PublishedEvents,
};
use model::uuid;
pub use model::{
    AsyncDelivery, ForgeApiCall, ForgeInstallation, Invocation, JwksBehaviour, new_forge_kid,
    new_installation_id,
};
pub use native::ForgeCaller;
pub use privacy::ReportBatch;

struct PlatformState {
    /// The signing keys, current first; all are published.
    keys: Vec<Arc<KeyPair>>,
    behaviour: JwksBehaviour,
    jwks_fetches: usize,
    calls: Vec<ForgeApiCall>,
    display_name: String,
    /// Where `apiBaseUrl` points (this server, unless another platform process serves it).
    api_origin: Option<String>,
    /// How many of the next API calls are answered 429 with `Retry-After: 1`.
    rate_limited: usize,
    /// Forge storage, by installation id.
    storage: std::collections::BTreeMap<String, storage::Store>,
    /// How long minted system and user tokens live (seconds; negative: already expired).
    product_token_ttl: i64,
    /// Product API paths (prefixes) answered 404, as for an issue the caller cannot see.
    not_found: Vec<String>,
    /// The personal data reporting API.
    reporting: privacy::ReportingState,
}

/// The simulated Forge platform. Give the app `FORGE_JWKS_URL` = [`jwks_url`](Self::jwks_url)
/// and `FORGE_ALLOWED_API_HOSTS=127.0.0.1`.
pub struct ForgePlatform {
    app_id: String,
    state: Arc<Mutex<PlatformState>>,
    server: RunningServer,
    http: reqwest::Client,
}

impl std::fmt::Debug for ForgePlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgePlatform")
            .field("app_id", &self.app_id)
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl ForgePlatform {
    /// A platform for Forge app `app_id` (`ari:cloud:ecosystem::app/<uuid>`) with a fresh key,
    /// on an ephemeral port of 127.0.0.1.
    pub async fn start(app_id: &str) -> Result<Self, HostError> {
        Self::start_on(app_id, 0, KeyPair::generate(new_forge_kid())).await
    }

    /// As [`start`](Self::start), on `port`, signing with `keys`.
    pub async fn start_on(app_id: &str, port: u16, keys: KeyPair) -> Result<Self, HostError> {
        Self::start_with_keys(app_id, port, vec![keys]).await
    }

    /// As [`start`](Self::start), on `port`, signing with the first of `keys` and publishing
    /// all of them (a platform restarted from saved keys).
    pub async fn start_with_keys(
        app_id: &str,
        port: u16,
        keys: Vec<KeyPair>,
    ) -> Result<Self, HostError> {
        let keys = if keys.is_empty() {
            vec![KeyPair::generate(new_forge_kid())]
        } else {
            keys
        };
        let state = Arc::new(Mutex::new(PlatformState {
            keys: keys.into_iter().map(Arc::new).collect(),
            behaviour: JwksBehaviour::Serve,
            jwks_fetches: 0,
            calls: Vec::new(),
            display_name: "Forge Bot".to_owned(),
            api_origin: None,
            rate_limited: 0,
            storage: std::collections::BTreeMap::new(),
            product_token_ttl: 3600,
            not_found: Vec::new(),
            reporting: privacy::ReportingState::default(),
        }));
        let jwks_state = Arc::clone(&state);
        let jwks = warp::get()
            .and(warp::path!(".well-known" / "jwks.json"))
            .map(move || jwks_answer(&jwks_state));
        let api_state = Arc::clone(&state);
        let api = warp::path!("ex" / String / String / ..)
            .and(warp::path::tail())
            .and(warp::method())
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("x-b3-traceid"))
            .map(
                move |product: String,
                      _cloud: String,
                      tail: warp::path::Tail,
                      method: warp::http::Method,
                      authorization: Option<String>,
                      trace_id: Option<String>| {
                    api_answer(
                        &api_state,
                        &product,
                        tail.as_str(),
                        &method,
                        authorization,
                        trace_id,
                    )
                },
            );
        let storage_state = Arc::clone(&state);
        let storage = warp::post()
            .and(warp::path!("forge" / "storage" / "kvs" / "v1" / ..))
            .and(warp::path::tail())
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("x-b3-traceid"))
            .and(warp::body::bytes())
            .map(
                move |tail: warp::path::Tail,
                      authorization: Option<String>,
                      trace_id: Option<String>,
                      body: bytes::Bytes| {
                    storage::storage_answer(
                        &storage_state,
                        tail.as_str(),
                        authorization,
                        trace_id,
                        &body,
                    )
                },
            );
        let reporting_state = Arc::clone(&state);
        let reporting = warp::post()
            .and(warp::path!("app" / "report-accounts"))
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::body::bytes())
            .map(move |authorization: Option<String>, body: bytes::Bytes| {
                privacy::report_answer(&reporting_state, authorization, &body)
            });
        let server = connect_runtime::__private::spawn(
            jwks.or(storage)
                .unify()
                .or(reporting)
                .unify()
                .or(api)
                .unify()
                .boxed(),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
        .await?;
        Ok(Self {
            app_id: app_id.to_owned(),
            state,
            server,
            http: reqwest::Client::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlatformState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The app id tokens are issued for.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The platform's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The JWKS URL, for `FORGE_JWKS_URL`.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.url())
    }

    /// The `apiBaseUrl` of `installation`: `http://127.0.0.1:PORT/ex/{product}/{cloudId}`.
    pub fn api_base_url(&self, installation: &ForgeInstallation) -> String {
        let origin = self.lock().api_origin.clone().unwrap_or_else(|| self.url());
        format!(
            "{origin}/ex/{}/{}",
            installation.product, installation.cloud_id
        )
    }

    /// Points `apiBaseUrl` at another platform process with the same keys (the command line's
    /// `forge invoke` next to `forge serve`).
    pub fn set_api_origin(&self, origin: &str) {
        self.lock().api_origin = Some(origin.trim_end_matches('/').to_owned());
    }

    /// Replaces the signing keys (current first), as a restarted platform that re-read them.
    pub fn set_keys(&self, keys: Vec<KeyPair>) {
        if !keys.is_empty() {
            self.lock().keys = keys.into_iter().map(Arc::new).collect();
        }
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.lock().jwks_fetches
    }

    /// Makes the JWKS answer `behaviour`.
    pub fn set_jwks(&self, behaviour: JwksBehaviour) {
        self.lock().behaviour = behaviour;
    }

    /// Rotates to a new signing key with a new kid; the old key stays in the set unless
    /// `drop_old`. Returns the new kid.
    pub fn rotate_keys(&self, drop_old: bool) -> String {
        let keys = Arc::new(KeyPair::generate(new_forge_kid()));
        let kid = keys.kid().to_owned();
        let mut state = self.lock();
        if drop_old {
            state.keys.clear();
        }
        state.keys.insert(0, keys);
        kid
    }

    /// The current signing key.
    pub fn keys(&self) -> Arc<KeyPair> {
        Arc::clone(&self.lock().keys[0])
    }

    /// The calls the product API received.
    pub fn api_calls(&self) -> Vec<ForgeApiCall> {
        self.lock().calls.clone()
    }

    /// Answers the next `count` product API calls with 429 and `Retry-After: 1`.
    pub fn rate_limit_next(&self, count: usize) {
        self.lock().rate_limited = count;
    }

    /// Answers product API paths beginning with `path` (below `/ex/{product}/{cloudId}`, e.g.
    /// `/rest/api/3/issue/SECRET-1`) with 404, as Jira does for an issue the caller cannot see.
    pub fn answer_not_found(&self, path: &str) {
        self.lock().not_found.push(path.to_owned());
    }

    /// The `displayName` `/rest/api/3/myself` answers.
    pub fn set_display_name(&self, name: &str) {
        self.lock().display_name = name.to_owned();
    }

    /// A fresh system token for calls to the product: a JWT signed by the platform (apps
    /// treat it as opaque), valid for an hour.
    pub fn system_token(&self) -> String {
        self.product_token("system", "")
    }

    /// A fresh system token of `installation`: Forge storage calls made with it reach that
    /// installation's data.
    pub fn system_token_for(&self, installation: &ForgeInstallation) -> String {
        self.product_token("system", &installation.installation_id)
    }

    /// A fresh user token.
    pub fn user_token(&self) -> String {
        self.product_token("user", "")
    }

    /// Makes the system and user tokens minted from now on live `seconds` (negative: already
    /// expired, so that the product API and storage refuse them).
    pub fn set_product_token_ttl(&self, seconds: i64) {
        self.lock().product_token_ttl = seconds;
    }

    fn product_token(&self, kind: &str, installation_id: &str) -> String {
        let now = super::tokens::unix_now();
        let ttl = self.lock().product_token_ttl;
        self.sign(&TokenSpec::from_claims(json!({
            "iss": "forge/simulated-platform",
            "token": kind,
            "installationId": installation_id,
            "iat": now.min(now + ttl),
            "exp": now + ttl,
            "jti": uuid(),
        })))
    }

    /// The claims of a FIT for `installation` invoking module `module_key`, as Forge mints
    /// them: `iss`, `aud`, `iat`, `nbf`, `exp` (25 s), `jti`, `app {...}`, `context {...}`.
    /// Override what a test needs broken, then [`sign`](Self::sign).
    pub fn fit(&self, installation: &ForgeInstallation, module_key: &str) -> TokenSpec {
        let now = super::tokens::unix_now();
        let api_base_url = self.api_base_url(installation);
        TokenSpec::from_claims(json!({
            "iss": "forge/invocation-token",
            "aud": self.app_id,
            "iat": now,
            "nbf": now,
            "exp": now + 25,
            "jti": uuid(),
            "app": {
                "id": self.app_id,
                "appVersion": "1.0.0",
                "installationId": installation.installation_id,
                "apiBaseUrl": api_base_url,
                "environment": {"type": "DEVELOPMENT", "id": format!("ari:cloud:ecosystem::environment/{}", uuid())},
                "module": {"type": "core:endpoint", "key": module_key},
                "installation": {"contexts": [{
                    "name": format!("ari:cloud:{}::site/{}", installation.product, installation.cloud_id),
                    "apiBaseUrl": api_base_url,
                    "cloudId": installation.cloud_id,
                }]},
            },
            "context": {
                "cloudId": installation.cloud_id,
                "siteUrl": installation.site_url,
                "moduleKey": module_key,
            },
        }))
    }

    /// Signs `spec` RS256 with the current key, its kid in the header.
    pub fn sign(&self, spec: &TokenSpec) -> String {
        spec.sign_rs256(&self.keys())
    }

    /// Invokes the remote endpoint at `url` (the app's baseUrl plus the route path) as Forge
    /// does, with a fresh FIT for `installation` and the tokens `invocation` asks for.
    pub async fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> Result<Answer, HostError> {
        let mut spec = self.fit(installation, module_key);
        if invocation.user_token || invocation.principal.is_some() {
            let principal = invocation
                .principal
                .as_deref()
                .unwrap_or("557058:forge-user");
            spec = spec.claim("principal", json!(principal));
        }
        if let Some(module_type) = &invocation.module_type
            && let Some(module) = spec
                .claims
                .get_mut("app")
                .and_then(|app| app.get_mut("module"))
        {
            module["type"] = json!(module_type);
        }
        if invocation.backend {
            spec = spec.without("context");
        }
        if !invocation.extension.is_null()
            && let Some(context) = spec
                .claims
                .get_mut("context")
                .and_then(Value::as_object_mut)
        {
            context.insert("extension".to_owned(), invocation.extension.clone());
        }
        if !invocation.license.is_null()
            && let Some(app) = spec.claims.get_mut("app").and_then(Value::as_object_mut)
        {
            app.insert("license".to_owned(), invocation.license.clone());
        }
        let token = self.sign(&spec);
        self.send_as(url, method, &token, invocation, Some(installation))
            .await
    }

    /// Sends a request to `url` with FIT `token` (however it was made) and the tokens
    /// `invocation` asks for.
    pub async fn send_with(
        &self,
        url: &str,
        method: reqwest::Method,
        token: &str,
        invocation: &Invocation,
    ) -> Result<Answer, HostError> {
        self.send_as(url, method, token, invocation, None).await
    }

    async fn send_as(
        &self,
        url: &str,
        method: reqwest::Method,
        token: &str,
        invocation: &Invocation,
        installation: Option<&ForgeInstallation>,
    ) -> Result<Answer, HostError> {
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", format!("Bearer {token}"))
            .header(
                "x-b3-traceid",
                invocation
                    .trace_id
                    .clone()
                    .unwrap_or_else(|| uuid().replace('-', "")),
            )
            .header("x-b3-spanid", uuid().replace('-', "")[..16].to_owned());
        if invocation.system_token {
            let system = match installation {
                Some(installation) => self.system_token_for(installation),
                None => self.system_token(),
            };
            request = request.header("x-forge-oauth-system", system);
        }
        if invocation.user_token {
            request = request.header("x-forge-oauth-user", self.user_token());
        }
        if let Some(body) = &invocation.body {
            request = request.json(body);
        }
        Answer::from(request.send().await?).await
    }

    /// The body of an `avi:forge:installed:app` event for `installation`.
    pub fn installed_event(&self, installation: &ForgeInstallation) -> Value {
        json!({
            "eventType": "avi:forge:installed:app",
            "id": installation.installation_id,
            "installerAccountId": "557058:forge-installer",
            "app": {"id": self.app_id, "version": "1.0.0"},
            "environment": {"id": format!("ari:cloud:ecosystem::environment/{}", uuid())},
        })
    }

    /// Delivers `event` to the trigger route at `url` with a fresh FIT (and system token), as
    /// Forge delivers events. Returns the answer and the token, so a test can redeliver it.
    pub async fn deliver(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        trigger_key: &str,
        event: &Value,
    ) -> Result<(Answer, String), HostError> {
        let token = self.sign(&self.fit(installation, trigger_key).without("context"));
        let invocation = Invocation {
            system_token: true,
            body: Some(event.clone()),
            ..Invocation::default()
        };
        let answer = self
            .send_as(
                url,
                reqwest::Method::POST,
                &token,
                &invocation,
                Some(installation),
            )
            .await?;
        Ok((answer, token))
    }

    /// Delivers `event` again with the same FIT `token` (and so the same `jti`).
    pub async fn redeliver(
        &self,
        url: &str,
        token: &str,
        event: &Value,
    ) -> Result<Answer, HostError> {
        let invocation = Invocation {
            system_token: true,
            body: Some(event.clone()),
            ..Invocation::default()
        };
        self.send_with(url, reqwest::Method::POST, token, &invocation)
            .await
    }

    /// Forge's retry of a failed delivery: a fresh FIT, and `retryContext` in the body.
    pub async fn deliver_retry(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        trigger_key: &str,
        event: &Value,
        retry_count: u32,
    ) -> Result<(Answer, String), HostError> {
        let mut event = event.clone();
        if let Value::Object(object) = &mut event {
            object.insert(
                "retryContext".to_owned(),
                json!({"retryCount": retry_count, "retryReason": "FUNCTION_UPSTREAM_ERROR"}),
            );
        }
        self.deliver(url, installation, trigger_key, &event).await
    }
}
