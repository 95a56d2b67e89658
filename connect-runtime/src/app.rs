//! [`App`]: what a user's `main` builds: the app's identity plus its `handlers![...]`.

use crate::config::{ConfigError, ConnectConfig, ServerSettings};
use crate::descriptor::{AppInfo, Scope};
use crate::handler::Handler;
use crate::server::{self, BuildError, ConnectApp};
use crate::store::{self, StoreError, TenantStore};
use std::net::SocketAddr;
use std::sync::Arc;

/// Why serving an app from the environment failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A variable is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The tenant store could not be opened.
    #[error("tenant store: {0}")]
    Store(#[from] StoreError),
    /// The app definition is invalid.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The port could not be bound.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// A Connect app definition: key, name, vendor, scopes and its handlers.
///
/// ```ignore
/// App::new("com.example.hello", "Hello")
///     .vendor("Example", "https://example.com")
///     .scopes([Scope::Read])
///     .handlers(handlers![hello, issue_created])
///     .serve_from_env()
///     .await
/// ```
#[derive(Debug, Clone)]
pub struct App {
    info: AppInfo,
    handlers: Vec<Handler>,
}

impl App {
    /// An app with `key` (unique on the Marketplace) and display `name`.
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            info: AppInfo::new(key, name),
            handlers: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.info = self.info.description(description);
        self
    }

    /// Sets the vendor.
    pub fn vendor(mut self, name: impl Into<String>, url: impl Into<String>) -> Self {
        self.info = self.info.vendor(name, url);
        self
    }

    /// Sets the requested scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.info = self.info.scopes(scopes);
        self
    }

    /// Sets `enableLicensing`.
    pub fn licensing(mut self, enabled: bool) -> Self {
        self.info = self.info.licensing(enabled);
        self
    }

    /// Adds a raw module entry (escape hatch for modules without an attribute).
    pub fn module(mut self, kind: &str, entry: serde_json::Value) -> Self {
        self.info = self.info.module(kind, entry);
        self
    }

    /// Adds handlers, usually `handlers![a, b, c]`.
    pub fn handlers(mut self, handlers: impl IntoIterator<Item = Handler>) -> Self {
        self.handlers.extend(handlers);
        self
    }

    /// Builds the app for `config` with tenants in `store`.
    pub fn build(
        self,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<ConnectApp, BuildError> {
        ConnectApp::with_handlers(self.info, self.handlers, config, store)
    }

    /// Reads the environment (`PORT`, `CONNECT_BASE_URL`, `DATABASE_URL`, `RUST_LOG`, ...),
    /// opens the store, and serves until Ctrl-C.
    pub async fn serve_from_env(self) -> Result<(), ServeError> {
        server::init_logging();
        let settings = ServerSettings::from_env()?;
        let config = ConnectConfig::from_env()?;
        let store = store::open(&settings.database_url).await?;
        let app = self.build(config, store)?;
        tracing::info!(
            key = app.key(),
            base_url = %app.config().base_url,
            "descriptor at {}/atlassian-connect.json",
            app.config().base_url.as_str().trim_end_matches('/')
        );
        server::serve(
            app.filter(),
            SocketAddr::from(([0, 0, 0, 0], settings.port)),
        )
        .await?;
        Ok(())
    }
}
