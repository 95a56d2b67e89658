//! [`ConnectApp`]: an [`App`] built for one configuration: its descriptor rendered once, its
//! route table, verifier, lifecycle and state.

use super::definition::App;
use super::forge::ForgeRuntime;
use super::table::{ForgeTarget, Route, RouteTable, Target};
use crate::auth::Verifier;
use crate::auth::invocation::InvocationVerifier;
use crate::client::{ClientError, HostClient, Outbound};
use crate::config::{ConfigError, ConnectConfig};
use crate::handler::HandlerKind;
use crate::handler::guard::Licensing;
use crate::lifecycle::Lifecycle;
use crate::lifecycle::installations::Installations;
use crate::state::{Requirements, StateMap};
use crate::store::{Tenant, TenantStore};
use bytes::Bytes;
use connect_descriptor::forge::{ForgeModule, INSTALLED_EVENT};
use connect_descriptor::{
    Descriptor, KeyError, Manifest, ManifestError, ModulesError, PathPattern, UrlError,
};
use std::sync::Arc;
use warp::http::Method;

/// Why an app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The app key breaks its rule.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Two modules collide, or a raw module does not fit its type.
    #[error(transparent)]
    Modules(#[from] ModulesError),
    /// A handler's module arguments are invalid (only possible for hand-built handlers: the
    /// attributes check the same rules at compile time).
    #[error("handler `{handler}`: {reason}")]
    Module {
        /// The handler.
        handler: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client for the key CDN or the product could not be built.
    #[error("HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    /// A handler's route path is not a valid pattern.
    #[error("handler `{handler}`: {error}")]
    Path {
        /// The handler.
        handler: &'static str,
        /// What is wrong with its path.
        error: UrlError,
    },
    /// Two routes serve the same method and path.
    #[error("two routes serve {method} {path}")]
    DuplicateRoute {
        /// The method.
        method: Method,
        /// The path.
        path: String,
    },
    /// A handler takes `State<T>` but the app was given no `T`.
    #[error(
        "handler `{handler}` takes `State<{type_name}>`, but the app has no such state: add `.state(...)` with a `{type_name}` to the App"
    )]
    MissingState {
        /// The handler.
        handler: &'static str,
        /// The missing type.
        type_name: &'static str,
    },
    /// Two values of one type were given to `App::state`.
    #[error("`App::state` was given two `{0}` values: an app holds one value per type")]
    DuplicateState(&'static str),
    /// The descriptor could not be serialised.
    #[error("descriptor JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The Forge manifest cannot be derived (checked when `FORGE_APP_ID` is set).
    #[error("Forge manifest: {0}")]
    Manifest(#[from] ManifestError),
}

/// One Connect app, built: its descriptor, configuration, tenants, verifier and route table.
///
/// Cheap to clone. Serve it alone with [`ConnectApp::filter`], or several side by side with
/// [`apps_filter`](super::apps_filter), each with its own key, baseUrl (and so `aud` check),
/// mount path and tenants.
#[derive(Clone)]
pub struct ConnectApp {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) descriptor: Descriptor,
    pub(crate) descriptor_json: Bytes,
    pub(crate) config: Arc<ConnectConfig>,
    pub(crate) verifier: Arc<Verifier>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) table: RouteTable,
    pub(crate) state: Arc<StateMap>,
    pub(crate) outbound: Arc<Outbound>,
    /// The Forge side, when `FORGE_APP_ID` is set.
    pub(crate) forge: Option<ForgeRuntime>,
    /// The Forge manifest, when `FORGE_APP_ID` is set.
    pub(crate) manifest: Option<Manifest>,
    /// The mount path's segments.
    pub(crate) mount: Vec<String>,
}

impl std::fmt::Debug for ConnectApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectApp")
            .field("key", &self.inner.descriptor.key)
            .field("base_url", &self.inner.descriptor.base_url)
            .field("routes", &self.inner.table)
            .finish_non_exhaustive()
    }
}

impl ConnectApp {
    /// Builds `app`: checks keys, modules, routes and state, renders the descriptor once.
    pub(crate) fn build(
        app: App,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<Self, BuildError> {
        config.validate()?;
        if let Some(duplicate) = app.duplicate_states.first() {
            return Err(BuildError::DuplicateState(duplicate));
        }
        let descriptor = app.descriptor(config.base_url.as_str())?;
        let forge_app_id = config.forge.app_id.clone();
        let manifest = match &forge_app_id {
            Some(app_id) => Some(app.manifest(config.base_url.as_str(), app_id.clone())?),
            None => None,
        };
        let mut table = RouteTable::framework();
        let mut hooks = Vec::new();
        for handler in &app.handlers {
            let mut requirements = Requirements::default();
            (handler.requires)(&mut requirements);
            if let Some((_, type_name)) = requirements
                .states
                .iter()
                .find(|(id, _)| !app.state.contains(*id))
            {
                return Err(BuildError::MissingState {
                    handler: handler.name,
                    type_name,
                });
            }
            match &handler.kind {
                HandlerKind::Route { route, .. } => {
                    if route.policy == crate::auth::RoutePolicy::ForgeInvocation {
                        return Err(BuildError::Module {
                            handler: handler.name,
                            reason: "the ForgeInvocation policy belongs to `#[forge::...]` handlers (HandlerKind::Forge)".to_owned(),
                        });
                    }
                    let path =
                        PathPattern::parse(route.path).map_err(|error| BuildError::Path {
                            handler: handler.name,
                            error,
                        })?;
                    table.add(Route {
                        method: route.method.clone(),
                        path,
                        target: Target::Handler(route.policy, Arc::clone(&route.call)),
                    })?;
                }
                // Forge routes exist only for an app with a Forge app id: without one, no token
                // could name this app as its audience.
                HandlerKind::Forge { module, route } if forge_app_id.is_some() => {
                    let path =
                        PathPattern::parse(route.path).map_err(|error| BuildError::Path {
                            handler: handler.name,
                            error,
                        })?;
                    let links_installations = matches!(
                        module,
                        ForgeModule::Trigger { events, .. } if events.contains(&INSTALLED_EVENT)
                    );
                    table.add(Route {
                        method: route.method.clone(),
                        path,
                        target: Target::Forge(ForgeTarget {
                            event: module.is_event(),
                            links_installations,
                            module_keys: routed_module_keys(module),
                            call: Arc::clone(&route.call),
                        }),
                    })?;
                }
                HandlerKind::Forge { .. } => tracing::warn!(
                    handler = handler.name,
                    "a #[forge::...] handler is not served: set FORGE_APP_ID to serve Forge routes"
                ),
                HandlerKind::Hook { event, call } => hooks.push((*event, Arc::clone(call))),
            }
        }
        let descriptor_json = Bytes::from(serde_json::to_vec_pretty(&descriptor)?);
        let outbound = Arc::new(Outbound::new(
            descriptor.key.as_str(),
            descriptor.scopes.iter().map(|scope| scope.as_str()),
            &config.client,
        )?);
        let mut state = app.state;
        // The framework's own values: private types, so they cannot collide with the app's.
        state.insert(Arc::clone(&outbound));
        state.insert(Licensing {
            enabled: descriptor.enable_licensing == Some(true),
        });
        state.insert(Installations {
            app_key: descriptor.key.as_str().into(),
            store: Arc::clone(&store),
        });
        let config = Arc::new(config);
        let state = Arc::new(state);
        let verifier = Verifier::new(descriptor.key.as_str(), &config, Arc::clone(&store))?;
        let lifecycle = Lifecycle::new(
            descriptor.key.as_str(),
            Arc::clone(&config),
            store,
            hooks,
            Arc::clone(&state),
        );
        let forge = match forge_app_id {
            Some(app_id) => Some(ForgeRuntime::new(InvocationVerifier::new(
                app_id,
                &config.forge,
            )?)),
            None => None,
        };
        let mount = config
            .mount_path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                descriptor,
                descriptor_json,
                config,
                verifier: Arc::new(verifier),
                lifecycle,
                table,
                state,
                outbound,
                forge,
                manifest,
                mount,
            }),
        })
    }

    /// A [`HostClient`] for `tenant` (from [`TenantStore::get`]), sharing this app's
    /// connection pool, retry policy and token caches: for work outside a request, such as a
    /// background job. Handlers and hooks take a `HostClient` argument instead.
    pub fn client_for(&self, tenant: &Tenant) -> Result<HostClient, ClientError> {
        HostClient::new(Arc::clone(&self.inner.outbound), tenant)
    }

    /// The app key.
    pub fn key(&self) -> &str {
        self.inner.descriptor.key.as_str()
    }

    /// The descriptor as served.
    pub fn descriptor(&self) -> &Descriptor {
        &self.inner.descriptor
    }

    /// The descriptor as served, as a JSON value.
    pub fn descriptor_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.inner.descriptor).unwrap_or_default()
    }

    /// The Forge manifest, when the app has a Forge app id (`FORGE_APP_ID`).
    pub fn manifest(&self) -> Option<&Manifest> {
        self.inner.manifest.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectConfig {
        &self.inner.config
    }

    /// The verifier (and through it the tenant store).
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.inner.verifier
    }

    /// The path below the app's mount path, when `path` is under it.
    pub(crate) fn below_mount<'p>(&self, path: &'p str) -> Option<&'p str> {
        let mut rest = path;
        for segment in &self.inner.mount {
            rest = rest.strip_prefix('/')?.strip_prefix(segment.as_str())?;
            if !(rest.is_empty() || rest.starts_with('/')) {
                return None;
            }
        }
        Some(rest)
    }
}

/// The manifest's module keys that route to a Forge handler's endpoint: an endpoint's own key;
/// a trigger's key and its endpoint's (`<key>-ep`).
fn routed_module_keys(module: &ForgeModule) -> Vec<String> {
    let key = module.key();
    if module.is_event() {
        vec![
            key.to_owned(),
            connect_descriptor::manifest::trigger_endpoint_key(key),
        ]
    } else {
        vec![key.to_owned()]
    }
}
