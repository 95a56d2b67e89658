//! The warp integration: one [`ConnectApp`] per Connect app, its framework routes (descriptor
//! and lifecycle), the policy filters for the app's own routes, and serving.

pub mod body;
mod headers;
pub mod rejection;

pub use headers::security_headers;

use crate::auth::{Context, Verifier, policy};
use crate::config::{ConfigError, ConnectConfig};
use crate::descriptor::{AppInfo, Descriptor, DescriptorError};
use crate::lifecycle;
use crate::store::TenantStore;
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use warp::filters::BoxedFilter;
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
    /// The descriptor could not be serialised.
    #[error("descriptor serialisation: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// One Connect app: its descriptor, configuration, tenants and verifier.
///
/// Cheap to clone; several apps can be served side by side, each with its own key, baseUrl
/// (and so `aud` check) and tenants.
#[derive(Clone)]
pub struct ConnectApp {
    descriptor: Arc<Descriptor>,
    descriptor_json: Bytes,
    config: Arc<ConnectConfig>,
    verifier: Arc<Verifier>,
}

impl std::fmt::Debug for ConnectApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectApp")
            .field("key", &self.descriptor.key)
            .field("base_url", &self.descriptor.base_url)
            .finish_non_exhaustive()
    }
}

impl ConnectApp {
    /// Builds the app: validates `info` and `config`, renders the descriptor once.
    pub fn new(
        info: AppInfo,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<Self, BuildError> {
        config.validate()?;
        let descriptor = info.descriptor(config.base_url.as_str())?;
        let descriptor_json = Bytes::from(serde_json::to_vec_pretty(&descriptor)?);
        let verifier = Verifier::new(info.key(), &config, store)?;
        Ok(Self {
            descriptor: Arc::new(descriptor),
            descriptor_json,
            config: Arc::new(config),
            verifier: Arc::new(verifier),
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

    /// The configuration.
    pub fn config(&self) -> &ConnectConfig {
        &self.config
    }

    /// The verifier (and through it the tenant store).
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }

    /// The `SharedSecret` policy for a route: page loads, webhooks, `auth = jwt` routes.
    pub fn shared_secret(
        &self,
    ) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        policy::shared_secret(Arc::clone(&self.verifier))
    }

    /// The `Context` policy for a route: AJAX calls with `AP.context.getToken()` tokens.
    pub fn context(&self) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        policy::context(Arc::clone(&self.verifier))
    }

    /// `GET /atlassian-connect.json` and the lifecycle routes.
    pub fn framework_routes(&self) -> BoxedFilter<(Response,)> {
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
        descriptor
            .or(lifecycle::routes::routes(
                Arc::clone(&self.verifier),
                Arc::clone(&self.config),
            ))
            .unify()
            .boxed()
    }

    /// The complete filter: framework routes, then `routes`, with every rejection turned into
    /// a JSON error and the security headers on every response.
    pub fn filter<F, R>(&self, routes: F) -> BoxedFilter<(Response,)>
    where
        F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
        R: Reply + 'static,
    {
        self.framework_routes()
            .or(routes.map(Reply::into_response))
            .unify()
            .recover(rejection::recover)
            .unify()
            .with(warp::reply::with::headers(security_headers()))
            .map(Reply::into_response)
            .boxed()
    }

    /// The complete filter for an app without routes of its own.
    pub fn framework_filter(&self) -> BoxedFilter<(Response,)> {
        self.filter(
            warp::any().and_then(|| async { Err::<Response, _>(warp::reject::not_found()) }),
        )
    }
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
