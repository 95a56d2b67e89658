//! The warp integration: one [`ConnectApp`] per Connect app, its framework routes (descriptor
//! and lifecycle), the policy filters for the app's own routes, and serving.

pub mod body;
mod headers;
pub mod rejection;

pub use headers::security_headers;

use crate::auth::{Context, Policy, Verifier, policy};
use crate::config::{ConfigError, ConnectConfig};
use crate::descriptor::{AppInfo, Descriptor, DescriptorError};
use crate::handler::{ConnectRequest, Handler, PathPattern, PatternError, RouteSpec};
use crate::lifecycle::{self, LifecycleHooks};
use crate::store::TenantStore;
use body::limited_body;
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use warp::filters::BoxedFilter;
use warp::http::Method;
use warp::http::header::CONTENT_TYPE;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Why an app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The app definition produces no valid descriptor.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client for the key CDN could not be built.
    #[error("key CDN client: {0}")]
    HttpClient(#[from] reqwest::Error),
    /// The descriptor could not be serialised, or a module fragment is not JSON.
    #[error("descriptor JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A handler's route path is not a valid pattern.
    #[error(transparent)]
    Path(#[from] PatternError),
    /// A handler asked for a policy routes cannot have.
    #[error("route {method} {path}: the Asymmetric policy is reserved for the lifecycle routes")]
    ReservedPolicy {
        /// The route's method.
        method: Method,
        /// The route's path.
        path: &'static str,
    },
    /// Two handlers serve the same method and path.
    #[error("two handlers serve {method} {path}")]
    DuplicateRoute {
        /// The method.
        method: Method,
        /// The path.
        path: &'static str,
    },
}

/// One Connect app: its descriptor, configuration, tenants, verifier and routes.
///
/// Cheap to clone. Several apps can be served side by side ([`finish`] over their
/// [`ConnectApp::routes`] joined with `or`), each with its own key, baseUrl (and so `aud`
/// check), mount path and tenants.
#[derive(Clone)]
pub struct ConnectApp {
    descriptor: Arc<Descriptor>,
    descriptor_json: Bytes,
    config: Arc<ConnectConfig>,
    verifier: Arc<Verifier>,
    hooks: Arc<LifecycleHooks>,
    routes: Arc<[(PathPattern, RouteSpec)]>,
}

impl std::fmt::Debug for ConnectApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectApp")
            .field("key", &self.descriptor.key)
            .field("base_url", &self.descriptor.base_url)
            .field(
                "routes",
                &self
                    .routes
                    .iter()
                    .map(|(_, route)| route)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl ConnectApp {
    /// Builds an app without handlers (routes added by hand with [`ConnectApp::filter_with`]).
    pub fn new(
        info: AppInfo,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<Self, BuildError> {
        Self::with_handlers(info, Vec::new(), config, store)
    }

    /// Builds the app: adds each handler's module to the descriptor and its route to the
    /// app, validates `info` and `config`, renders the descriptor once.
    pub fn with_handlers(
        mut info: AppInfo,
        handlers: Vec<Handler>,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<Self, BuildError> {
        config.validate()?;
        let mut hooks = LifecycleHooks::default();
        let mut routes: Vec<(PathPattern, RouteSpec)> = Vec::new();
        for handler in handlers {
            match handler {
                Handler::Route { module, route } => {
                    if let Some(module) = module {
                        let entry: serde_json::Value = serde_json::from_str(module.json)?;
                        info = if module.single {
                            info.single_module(module.kind, entry)
                        } else {
                            info.module(module.kind, entry)
                        };
                    }
                    if route.policy == Policy::Asymmetric {
                        return Err(BuildError::ReservedPolicy {
                            method: route.method,
                            path: route.path,
                        });
                    }
                    let pattern = PathPattern::parse(route.path)?;
                    if routes
                        .iter()
                        .any(|(_, r)| r.method == route.method && r.path == route.path)
                    {
                        return Err(BuildError::DuplicateRoute {
                            method: route.method,
                            path: route.path,
                        });
                    }
                    routes.push((pattern, route));
                }
                Handler::Hook { event, call } => hooks.add(event, call),
            }
        }
        let descriptor = info.descriptor(config.base_url.as_str())?;
        let descriptor_json = Bytes::from(serde_json::to_vec_pretty(&descriptor)?);
        let verifier = Verifier::new(info.key(), &config, store)?;
        Ok(Self {
            descriptor: Arc::new(descriptor),
            descriptor_json,
            config: Arc::new(config),
            verifier: Arc::new(verifier),
            hooks: Arc::new(hooks),
            routes: routes.into(),
        })
    }

    /// The app key.
    pub fn key(&self) -> &str {
        &self.descriptor.key
    }

    /// The descriptor as served.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The descriptor as served, as JSON.
    pub fn descriptor_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.descriptor_json).unwrap_or_default()
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectConfig {
        &self.config
    }

    /// The verifier (and through it the tenant store).
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }

    /// The `SharedSecret` policy for a hand-built route: page loads, webhooks.
    pub fn shared_secret(
        &self,
    ) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        policy::shared_secret(Arc::clone(&self.verifier))
    }

    /// The `Context` policy for a hand-built route: AJAX calls with context tokens.
    pub fn context(&self) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        policy::context(Arc::clone(&self.verifier))
    }

    /// Every route of the app (descriptor, lifecycle, handlers) under its mount path, without
    /// recovery: join several apps with `or`, then [`finish`].
    pub fn routes(&self) -> BoxedFilter<(Response,)> {
        self.mount(self.unmounted_routes())
    }

    /// [`ConnectApp::routes`] plus hand-built `extra` routes (also under the mount path).
    pub fn routes_with<F, R>(&self, extra: F) -> BoxedFilter<(Response,)>
    where
        F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
        R: Reply + 'static,
    {
        self.mount(
            self.unmounted_routes()
                .or(extra.map(Reply::into_response))
                .unify()
                .boxed(),
        )
    }

    /// The complete filter for serving this app alone.
    pub fn filter(&self) -> BoxedFilter<(Response,)> {
        finish(self.routes())
    }

    /// The complete filter for this app with hand-built `extra` routes.
    pub fn filter_with<F, R>(&self, extra: F) -> BoxedFilter<(Response,)>
    where
        F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
        R: Reply + 'static,
    {
        finish(self.routes_with(extra))
    }

    fn unmounted_routes(&self) -> BoxedFilter<(Response,)> {
        let json = self.descriptor_json.clone();
        let descriptor = warp::path("atlassian-connect.json")
            .and(warp::path::end())
            .and(warp::get())
            .map(move || {
                let mut response = Response::new(json.clone().into());
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    warp::http::HeaderValue::from_static("application/json"),
                );
                response
            });
        let lifecycle = lifecycle::routes::routes(
            Arc::clone(&self.verifier),
            Arc::clone(&self.config),
            Arc::clone(&self.hooks),
        );
        let mut all = descriptor.or(lifecycle).unify().boxed();
        for (pattern, route) in self.routes.iter() {
            all = all
                .or(self.route_filter(pattern.clone(), route.clone()))
                .unify()
                .boxed();
        }
        all
    }

    fn route_filter(&self, pattern: PathPattern, route: RouteSpec) -> BoxedFilter<(Response,)> {
        let RouteSpec {
            method,
            policy: route_policy,
            call,
            ..
        } = route;
        let verifier = Arc::clone(&self.verifier);
        let verified: BoxedFilter<(Option<Context>,)> = match route_policy {
            Policy::SharedSecret => policy::shared_secret(verifier).map(Some).boxed(),
            Policy::Context => policy::context(verifier).map(Some).boxed(),
            Policy::None | Policy::Asymmetric => warp::any().map(|| None).boxed(),
        };
        pattern
            .filter()
            .and(method_filter(method))
            .and(verified)
            .and(policy::request_target())
            .and(limited_body(self.config.max_body_bytes))
            .and_then(move |path_params, context, target, body| {
                let call = Arc::clone(&call);
                async move {
                    call(ConnectRequest {
                        context,
                        target,
                        path_params,
                        body,
                    })
                    .await
                    .map_err(warp::reject::custom)
                }
            })
            .boxed()
    }

    fn mount(&self, routes: BoxedFilter<(Response,)>) -> BoxedFilter<(Response,)> {
        self.config
            .mount_path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .fold(routes, |inner, segment| {
                warp::path(segment).and(inner).boxed()
            })
    }
}

/// A filter that only passes requests with `method`.
fn method_filter(method: Method) -> BoxedFilter<()> {
    warp::method()
        .and_then(move |actual: Method| {
            let allowed = actual == method;
            async move {
                if allowed {
                    Ok(())
                } else {
                    Err(warp::reject::custom(MethodMismatch))
                }
            }
        })
        .untuple_one()
        .boxed()
}

/// The request's method is not the route's (answered 405 by the recovery).
#[derive(Debug)]
pub(crate) struct MethodMismatch;
impl warp::reject::Reject for MethodMismatch {}

/// Adds the one error recovery and the security headers to `routes`: the last step before
/// serving, once for all apps served together.
pub fn finish(routes: BoxedFilter<(Response,)>) -> BoxedFilter<(Response,)> {
    routes
        .recover(rejection::recover)
        .unify()
        .with(warp::reply::with::headers(security_headers()))
        .map(Reply::into_response)
        .boxed()
}

/// A server running on a background task.
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address (with the actual port when bound to port 0).
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The `http://` URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `addr` (port 0 for any free port) and serves `filter` on a background task.
pub async fn spawn(
    filter: BoxedFilter<(Response,)>,
    addr: SocketAddr,
) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let server = warp::serve(filter).incoming(listener).graceful(async {
        let _ = signal.await;
    });
    let task = tokio::spawn(server.run());
    Ok(RunningServer {
        addr,
        shutdown: Some(shutdown),
        task,
    })
}

/// Logs to stdout with the `RUST_LOG` filter (default `info`). Does nothing when the process
/// already installed a subscriber, so an app keeps full control of its own logging.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Binds `addr` and serves `filter` until Ctrl-C.
pub async fn serve(filter: BoxedFilter<(Response,)>, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    warp::serve(filter)
        .incoming(listener)
        .graceful(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .run()
        .await;
    Ok(())
}
