//! The one dispatch: find the app by mount path and the route by method and path, apply the
//! route's policy once, read the body, run the target, answer errors, add the security headers.
//!
//! A path no app routes is rejected as not found (so hand-built warp routes given to
//! [`ConnectApp::filter_with`] can still answer it); everything else is answered here.

use super::build::ConnectApp;
use super::filters::{authorization, forge_tokens, raw_query};
use super::forge::{EVENT_BUDGET, Seen, is_installed_event};
use super::table::{Delivery, ForgeTarget, Found, Route, Target};
use crate::auth::AuthError;
use crate::auth::invocation::ForgeTokens;
use crate::auth::query::QueryParams;
use crate::auth::verifier::{QshRule, RequestTarget};
use crate::error::{ConnectError, recover};
use crate::handler::forge_event::delivery_key;
use crate::handler::{ConnectRequest, ForgeContext, Verified};
use crate::http::body::read_limited;
use crate::http::{AppError, IntoResponse, Response};
use crate::lifecycle::LifecycleEvent;
use crate::lifecycle::installations::Relink;
use crate::policy::ConnectAuth;
use bytes::{Buf, Bytes};
use futures_util::Stream;
use std::sync::Arc;
use tracing::Instrument as _;
use warp::filters::BoxedFilter;
use warp::filters::path::FullPath;
use warp::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use warp::http::{HeaderValue, Method, StatusCode};
use warp::{Filter, Rejection, Reply};

/// A request whose app and route were found.
enum Matched {
    Route {
        app: ConnectApp,
        index: usize,
        params: Vec<(String, String)>,
        method: Method,
        path: FullPath,
    },
    WrongMethod,
}

/// The dispatch over `apps`, without recovery or headers: rejects paths no app routes.
pub(crate) fn dispatch(
    apps: Arc<[ConnectApp]>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    let matched =
        warp::method()
            .and(warp::path::full())
            .and_then(move |method: Method, path: FullPath| {
                let found = find(&apps, method, path);
                async move { found.ok_or_else(warp::reject::not_found) }
            });
    let content_length = warp::header::optional::<u64>("content-length")
        .or(warp::any().map(|| None))
        .unify();
    matched
        .and(raw_query())
        .and(authorization())
        .and(forge_tokens())
        .and(content_length)
        .and(body_announced())
        .and(warp::body::stream())
        .then(
            |matched: Matched,
             query: String,
             authorization: Option<String>,
             forge_tokens: ForgeTokens,
             content_length: Option<u64>,
             body_announced: bool,
             body| async move {
                let Matched::Route {
                    app,
                    index,
                    params,
                    method,
                    path,
                } = matched
                else {
                    return ConnectError::MethodNotAllowed.into_response();
                };
                // The index came from this app's own (immutable) table.
                let Some(route) = app.inner.table.route(index) else {
                    return crate::http::error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error",
                    );
                };
                let target = Arc::new(RequestTarget {
                    method,
                    path: path.as_str().to_owned(),
                    query: QueryParams::parse(query),
                });
                let incoming = Incoming {
                    target,
                    authorization,
                    forge_tokens,
                    body_announced,
                    content_length,
                    params,
                };
                match run(&app, route, incoming, body).await {
                    Ok(response) => response,
                    Err(error) => error.into_response(),
                }
            },
        )
}

fn find(apps: &[ConnectApp], method: Method, path: FullPath) -> Option<Matched> {
    for app in apps {
        let Some(below) = app.below_mount(path.as_str()) else {
            continue;
        };
        match app.inner.table.find(&method, below) {
            Found::Route(index, params) => {
                return Some(Matched::Route {
                    app: app.clone(),
                    index,
                    params,
                    method,
                    path,
                });
            }
            Found::WrongMethod => return Some(Matched::WrongMethod),
            Found::Nothing => {}
        }
    }
    None
}

struct Incoming {
    target: Arc<RequestTarget>,
    authorization: Option<String>,
    forge_tokens: ForgeTokens,
    content_length: Option<u64>,
    /// Whether the request has a body to read at all.
    body_announced: bool,
    params: Vec<(String, String)>,
}

impl Incoming {
    /// What the head says of the body: its declared length, and whether there is one.
    fn declared_body(&self) -> (Option<u64>, bool) {
        (self.content_length, self.body_announced)
    }
}

/// Applies the route's policy, reads the body (only after the token verified), runs the target.
async fn run<S, B>(
    app: &ConnectApp,
    route: &Route,
    incoming: Incoming,
    body: S,
) -> Result<Response, ConnectError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let inner = &app.inner;
    let verifier = &inner.verifier;
    let authorization = incoming.authorization.as_deref();
    let target = &incoming.target;
    match &route.target {
        Target::Descriptor => Ok(descriptor_response(inner.descriptor_json.clone())),
        Target::Health => Ok(descriptor_response(Bytes::from_static(
            b"{\"status\":\"ok\"}",
        ))),
        Target::Install(event) => {
            let token = verifier.verify_install(target, authorization).await?;
            let body = read_body(app, BodyKind::Lifecycle, incoming.declared_body(), body).await?;
            match event {
                LifecycleEvent::Installed => inner.lifecycle.installed(&token, &body).await?,
                _ => inner.lifecycle.uninstalled(&token, &body).await?,
            }
            Ok(IntoResponse::into_response(StatusCode::NO_CONTENT))
        }
        Target::Toggle(event) => {
            let context = verifier
                .verify_tenant(target, authorization, QshRule::ThisRequest)
                .await?;
            let body = read_body(app, BodyKind::Lifecycle, incoming.declared_body(), body).await?;
            inner.lifecycle.set_enabled(*event, &context, &body).await?;
            Ok(IntoResponse::into_response(StatusCode::NO_CONTENT))
        }
        Target::Forge(forge) => run_forge(app, route, forge, incoming, body).await,
        Target::Handler(auth, call) => {
            let rule = match auth {
                ConnectAuth::SharedSecret => Some(QshRule::ThisRequest),
                ConnectAuth::Context => Some(QshRule::ThisRequestOrContext),
                ConnectAuth::None => None,
            };
            let verified = match rule {
                Some(rule) => {
                    Verified::Connect(verifier.verify_tenant(target, authorization, rule).await?)
                }
                None => Verified::Nothing,
            };
            let body = read_body(app, BodyKind::Handler, incoming.declared_body(), body).await?;
            catching_panics(
                route,
                call(ConnectRequest {
                    verified,
                    target: incoming.target,
                    path_params: incoming.params,
                    body,
                    core: Arc::clone(&inner.core),
                }),
            )
            .await
        }
    }
}

/// Runs a handler's future; a panic in it becomes [`ConnectError::Panicked`] (500, logged with
/// the route) instead of unwinding into the server.
async fn catching_panics(
    route: &Route,
    handler: impl std::future::Future<Output = Result<Response, AppError>>,
) -> Result<Response, ConnectError> {
    match crate::http::stack::catch_panic(handler).await {
        // A handler's error (its own or an extractor's) is answered here: it is the app's
        // answer, not a failure of the framework's.
        Ok(result) => Ok(result.unwrap_or_else(IntoResponse::into_response)),
        Err(message) => Err(ConnectError::Panicked {
            route: format!("{} {}", route.method, route.path.as_str()),
            message,
        }),
    }
}

/// Which of the app's body-size limits a route reads its body under.
#[derive(Debug, Clone, Copy)]
enum BodyKind {
    /// `installed`, `uninstalled`, `enabled`, `disabled`.
    Lifecycle,
    /// Handler routes: Connect modules, webhooks, API routes, Forge endpoints and triggers.
    Handler,
}

/// The request body within the app's size and time limits; read only once the route's policy
/// accepted the request, and not at all (no timer, no buffer) when none was announced.
async fn read_body<S, B>(
    app: &ConnectApp,
    kind: BodyKind,
    (content_length, announced): (Option<u64>, bool),
    body: S,
) -> Result<Bytes, ConnectError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if !announced {
        return Ok(Bytes::new());
    }
    let config = &app.inner.config;
    let limit = match kind {
        BodyKind::Lifecycle => config.max_lifecycle_body_bytes,
        BodyKind::Handler => config.max_handler_body_bytes,
    };
    Ok(read_limited(body, content_length, limit, config.body_timeout).await?)
}

/// The `ForgeInvocation` policy, then the handler: an invocation's token is used once (a
/// replay is refused), a trigger delivery runs once per `jti`, an async event once per job.
async fn run_forge<S, B>(
    app: &ConnectApp,
    route: &Route,
    target: &ForgeTarget,
    incoming: Incoming,
    body: S,
) -> Result<Response, ConnectError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let inner = &app.inner;
    // Forge routes are only in the table of an app with a Forge runtime.
    let Some(forge) = &inner.forge else {
        return Err(ConnectError::Internal(
            "a Forge route in an app without a Forge runtime",
        ));
    };
    let declared_body = incoming.declared_body();
    if target.token_optional && !forge.in_container() && incoming.authorization.is_none() {
        // A web trigger's caller without a token: Forge authenticates no caller, so neither
        // does the app; the handler gets no invocation (`Option<ForgeContext>` is `None`).
        // A container's web trigger comes through the sidecar, with an invocation id.
        let body = read_body(app, BodyKind::Handler, declared_body, body).await?;
        return catching_panics(
            route,
            (target.call)(ConnectRequest {
                verified: Verified::Nothing,
                target: incoming.target,
                path_params: incoming.params,
                body,
                core: Arc::clone(&inner.core),
            }),
        )
        .await;
    }
    // Forge's `x-forge-invocation-log-attributes` (container mode) goes into every log line
    // of the request, escaped and bounded.
    let log_attributes = incoming
        .forge_tokens
        .log_attributes
        .as_deref()
        .filter(|_| forge.in_container())
        .map(|attributes| {
            attributes
                .chars()
                .take(MAX_LOG_ATTRIBUTES)
                .collect::<String>()
        });
    let invocation = forge
        .verify(incoming.authorization.as_deref(), incoming.forge_tokens)
        .await?;
    let module = invocation.claims().app.module.as_ref();
    if !target.accepts_module(module.map(|module| module.key.as_str())) {
        return Err(ConnectError::Unauthorized(AuthError::ForgeModule));
    }
    let body = read_body(app, BodyKind::Handler, declared_body, body).await?;
    let delivery_id = match target.delivery {
        Delivery::Invocation => {
            // Forge mints one token per invocation (invokeRemote does not retry): a token seen
            // before is a replay. In container mode the `jti` stands for the invocation id:
            // one invocation, one request.
            if !forge.first_use(&invocation.claims().jti) {
                return Err(ConnectError::Unauthorized(AuthError::ForgeReplay));
            }
            None
        }
        Delivery::Token => Some(invocation.claims().jti.clone()),
        Delivery::Job => Some(match delivery_key(&body) {
            Some(key) => format!("job:{}:{key}", invocation.claims().app.installation_id),
            None => invocation.claims().jti.clone(),
        }),
    };
    let claim = match &delivery_id {
        Some(id) => match forge.claim(id) {
            Ok(claim) => Some(claim),
            Err(Seen::Handled) => {
                tracing::info!("Forge delivery already handled; acknowledged");
                return Ok(duplicate_delivery());
            }
            Err(Seen::InProgress) => {
                tracing::info!("Forge delivery being handled; Forge is asked to retry");
                return Ok(crate::http::error_response(
                    StatusCode::CONFLICT,
                    "this delivery is being handled: try again later",
                ));
            }
        },
        None => None,
    };
    // Forge's installed event moves the link to its installation; any other event at the same
    // trigger links only as an ordinary invocation would (through `ForgeContext::tenant`).
    if target.links_installations
        && is_installed_event(&body)
        && let Err(error) = inner
            .core
            .installations
            .resolve(&invocation, Relink::Installed)
            .await
    {
        // The link is retried by the next lookup (`ForgeContext::tenant`); the event is not
        // refused for it.
        tracing::warn!(%error, "could not link the Forge installation to its Connect tenant");
    }
    let started = std::time::Instant::now();
    // Every log line of the handler carries Forge's trace ids (only well-formed ones are kept).
    let span = match &invocation.trace {
        Some(trace) => tracing::info_span!(
            "forge",
            trace_id = trace.trace_id(),
            span_id = trace.span_id(),
            forge_invocation = tracing::field::Empty,
        ),
        None => tracing::info_span!("forge", forge_invocation = tracing::field::Empty),
    };
    if let Some(attributes) = &log_attributes {
        // Debug formatting escapes quotes and control characters: nothing from the request
        // reaches a log line unescaped.
        span.record("forge_invocation", tracing::field::debug(attributes));
    }
    let forge_context =
        ForgeContext::new(invocation, inner.core.installations.clone(), body.clone());
    let result = catching_panics(
        route,
        (target.call)(ConnectRequest {
            verified: Verified::Forge(forge_context),
            target: incoming.target,
            path_params: incoming.params,
            body,
            core: Arc::clone(&inner.core),
        }),
    )
    .instrument(span.clone())
    .await;
    if forge.in_container() {
        // A container's log is what Forge collects: one line per invocation, in its span (so
        // with Forge's trace ids and log attributes).
        let status = match &result {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.status().as_u16(),
        };
        span.in_scope(|| {
            tracing::info!(
                status,
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "Forge invocation handled"
            );
        });
    }
    if let Some(claim) = claim {
        let elapsed = started.elapsed();
        if elapsed > EVENT_BUDGET {
            tracing::warn!(
                elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "a Forge trigger handler took longer than Forge's 5 s budget: answer first and hand slow work to a spawned task"
            );
        }
        // A failed delivery is released (when `claim` drops), so it runs again if it comes back.
        if matches!(&result, Ok(response) if response.status().is_success()) {
            claim.handled();
        }
    }
    result
}

/// The longest `x-forge-invocation-log-attributes` logged, in characters.
const MAX_LOG_ATTRIBUTES: usize = 1024;

/// The answer to a delivery already handled: 200 with an empty JSON object.
fn duplicate_delivery() -> Response {
    let mut response = Response::new(Bytes::from_static(b"{}").into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn descriptor_response(json: Bytes) -> Response {
    let mut response = Response::new(json.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Adds the recovery and `Connection: close` where needed: the last step of the filter (the
/// HTTP stack around it sets the security headers).
pub(crate) fn finish<F>(routes: F) -> BoxedFilter<(Response,)>
where
    F: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    body_announced()
        .and(routes.recover(recover).unify())
        .map(close_if_refused)
        .boxed()
}

/// Whether the request announces a body (`Content-Length` above 0, or any
/// `Transfer-Encoding`; without either there is none, RFC 9112 §6.3). Never rejects: an
/// unreadable header counts as a body. The dispatch reads no body without it, and a refusal
/// of a request with one closes the connection.
fn body_announced() -> impl Filter<Extract = (bool,), Error = std::convert::Infallible> + Clone {
    // Looked up by name, parsed only when present: a plain GET allocates nothing here.
    let header = |name: &'static str| {
        warp::header::optional::<String>(name)
            .or(warp::any().map(|| Some(String::from("unreadable"))))
            .unify()
    };
    header(CONTENT_LENGTH.as_str())
        .and(header(TRANSFER_ENCODING.as_str()))
        .map(|length: Option<String>, encoding: Option<String>| {
            encoding.is_some()
                || length.is_some_and(|length| length.trim().parse::<u64>().ok() != Some(0))
        })
}

/// An error answer to a request with a body is sent with `Connection: close`: the body may be
/// unread (a refused token is answered before the body is read), and a keep-alive client that
/// reused the connection would have its next request fail when the server drops it.
fn close_if_refused(announced: bool, mut response: Response) -> Response {
    if announced && (response.status().is_client_error() || response.status().is_server_error()) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Container mode's first check: only Forge's sidecar calls a container, and it names the
/// invocation in every request; the health probe is the one request without.
fn container_gate() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::path::full()
        .and(
            warp::header::optional::<String>("x-forge-invocation-id")
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and_then(|path: FullPath, id: Option<String>| async move {
            if id.is_some() || path.as_str() == super::table::HEALTH_PATH {
                Ok(())
            } else {
                Err(warp::reject::custom(ConnectError::Unauthorized(
                    AuthError::MissingInvocationId,
                )))
            }
        })
        .untuple_one()
}

/// The complete filter serving several apps on one port, each under its baseUrl's path
/// (`https://host/jira`, `https://host/confluence`): one dispatch over all of them.
pub fn apps_filter(apps: impl IntoIterator<Item = ConnectApp>) -> BoxedFilter<(Response,)> {
    finish(dispatch(apps.into_iter().collect()))
}

impl ConnectApp {
    /// The complete filter for serving this app alone. In container mode, every request but
    /// the health route must carry `x-forge-invocation-id` (401 otherwise, before routing).
    pub fn filter(&self) -> BoxedFilter<(Response,)> {
        if self.in_container() {
            let apps: Arc<[ConnectApp]> = Arc::from([self.clone()]);
            return finish(container_gate().and(dispatch(apps)));
        }
        apps_filter([self.clone()])
    }

    /// Whether the app was built to run as a Forge Container.
    pub fn in_container(&self) -> bool {
        self.inner
            .forge
            .as_ref()
            .is_some_and(super::forge::ForgeRuntime::in_container)
    }

    /// The complete filter for this app plus hand-built warp routes, tried for the paths the
    /// app does not route (matched against the full request path).
    pub fn filter_with<F, R>(&self, extra: F) -> BoxedFilter<(Response,)>
    where
        F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
        R: Reply + 'static,
    {
        let apps: Arc<[ConnectApp]> = Arc::from([self.clone()]);
        finish(dispatch(apps).or(extra.map(Reply::into_response)).unify())
    }
}
