//! [`ConnectApp`]: an [`App`] built for one configuration: its descriptor rendered once, its
//! route table, verifier, lifecycle and state.

use super::definition::App;
use super::error::Error;
use super::forge::{ForgeRuntime, Verification};
use super::table::{Delivery, ForgeTarget, Route, RouteTable, Target};
use crate::auth::Verifier;
use crate::auth::container::ContainerInvocations;
use crate::auth::invocation::InvocationVerifier;
use crate::client::{ClientError, HostClient, Outbound};
use crate::config::{ConnectConfig, ContainerEnv};
use crate::handler::{Core, HandlerKind, HookCall, HookRequest};
use crate::lifecycle::installations::Installations;
use crate::lifecycle::{Lifecycle, LifecycleEvent};
use crate::state::Requirements;
use crate::store::{TenantRecord, TenantStore};
use bytes::Bytes;
use connect_descriptor::forge::{ForgeModuleKind, INSTALLED_EVENT};
use connect_descriptor::{Descriptor, Manifest, PathPattern};
use std::sync::Arc;

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
    /// The framework's services and the app's state, shared with every request.
    pub(crate) core: Arc<Core>,
    /// The Forge side, when `FORGE_APP_ID` is set.
    pub(crate) forge: Option<ForgeRuntime>,
    /// The Forge manifest, when `FORGE_APP_ID` is set.
    pub(crate) manifest: Option<Manifest>,
    /// The mount path's segments.
    pub(crate) mount: Vec<String>,
    /// A Forge-native app (no Connect side).
    pub(crate) forge_native: bool,
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

/// Where the app's Forge side runs.
pub(crate) enum Hosting {
    /// On the app's own server: a Forge Remote (FIT-verified), beside any Connect side.
    Own,
    /// As a Forge Container service, behind Forge's sidecar and egress proxy.
    Container(ContainerEnv),
}

impl ConnectApp {
    /// Builds `app`: checks keys, modules, routes and state, renders the descriptor once.
    pub(crate) fn build(
        app: App,
        mut config: ConnectConfig,
        store: Arc<dyn TenantStore>,
        hosting: Hosting,
    ) -> Result<Self, Error> {
        let container = match hosting {
            Hosting::Own => None,
            Hosting::Container(settings) => {
                if !app.forge.native {
                    return Err(Error::ForgeNative(
                        "container mode serves a Forge-native app (`App::forge_native`): a Forge Container has no Connect side".to_owned(),
                    ));
                }
                config.forge.app_id = Some(settings.app_id.clone());
                // The sidecar calls the container at the endpoints' paths, from the root.
                config.mount_path = Some("/".to_owned());
                Some(settings)
            }
        };
        config.validate()?;
        if let Some(duplicate) = app.duplicate_states.first() {
            return Err(Error::DuplicateState(duplicate));
        }
        let descriptor = app.descriptor(config.base_url.as_str())?;
        let forge_app_id = config.forge.app_id.clone();
        let manifest = match &forge_app_id {
            Some(app_id) => Some(app.manifest(config.base_url.as_str(), app_id.clone())?),
            None => None,
        };
        let native = app.forge.native;
        if native && forge_app_id.is_none() {
            return Err(Error::ForgeNative(
                "set FORGE_APP_ID to the app id `forge register` printed (ari:cloud:ecosystem::app/<uuid>): a Forge-native app serves only Forge routes".to_owned(),
            ));
        }
        // Module keys of raw modules (`App::forge_module`) naming an endpoint as resolver.
        let raw_resolvers: Vec<(String, String)> = app
            .forge
            .modules
            .iter()
            .filter_map(|(_, entry)| {
                Some((
                    entry.get("resolver")?.get("endpoint")?.as_str()?.to_owned(),
                    entry.get("key")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        // The module keys each endpoint answers: resolvers share one endpoint, so a UI module
        // stacked on one resolver handler may call every route of its endpoint.
        let mut endpoint_modules: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        for handler in app.served_handlers() {
            if let HandlerKind::Forge { module, .. } = &handler.kind {
                let keys = endpoint_modules
                    .entry(module.endpoint_key().into_owned())
                    .or_default();
                for key in module.routed_keys() {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        let mut table = if native {
            RouteTable::forge_native()
        } else {
            RouteTable::framework()
        };
        let mut hooks = Vec::new();
        for handler in app.served_handlers() {
            let mut requirements = Requirements::default();
            (handler.requires)(&mut requirements);
            if native && !matches!(handler.kind, HandlerKind::Forge { .. }) {
                return Err(Error::ForgeNative(format!(
                    "handler `{}` is a Connect route or lifecycle hook: a Forge-native app has only `#[forge::...]` handlers",
                    handler.name
                )));
            }
            if let Some((_, type_name)) = requirements
                .states
                .iter()
                .find(|(id, _)| !app.state.contains(*id))
            {
                return Err(Error::MissingState {
                    handler: handler.name,
                    type_name,
                });
            }
            match &handler.kind {
                HandlerKind::Route { route, auth, .. } => {
                    let path = PathPattern::parse(route.path).map_err(|error| Error::Path {
                        handler: handler.name,
                        error,
                    })?;
                    table.add(Route {
                        method: route.method.clone(),
                        path,
                        target: Target::Handler(*auth, Arc::clone(&route.call)),
                    })?;
                }
                // Forge routes exist only for an app with a Forge app id: without one, no token
                // could name this app as its audience.
                HandlerKind::Forge { module, route } if forge_app_id.is_some() => {
                    if let Some(extractor) = requirements.container_only
                        && container.is_none()
                    {
                        return Err(Error::ContainerOnly {
                            handler: handler.name,
                            extractor,
                        });
                    }
                    if let Some(extractor) = requirements.forge_invocation
                        && matches!(module.kind, ForgeModuleKind::Webtrigger { .. })
                    {
                        return Err(Error::WebtriggerNeedsInvocation {
                            handler: handler.name,
                            extractor,
                        });
                    }
                    if let Some(extractor) = requirements.system_token
                        && !module.tokens.system
                    {
                        return Err(Error::SystemTokenRequired {
                            handler: handler.name,
                            extractor,
                        });
                    }
                    let endpoint = module.endpoint_key();
                    let mut module_keys = endpoint_modules
                        .get(endpoint.as_ref())
                        .cloned()
                        .unwrap_or_else(|| module.routed_keys());
                    module_keys.extend(
                        raw_resolvers
                            .iter()
                            .filter(|(target, _)| *target == endpoint)
                            .map(|(_, key)| key.clone()),
                    );
                    let path = PathPattern::parse(route.path).map_err(|error| Error::Path {
                        handler: handler.name,
                        error,
                    })?;
                    let links_installations = matches!(
                        &module.kind,
                        ForgeModuleKind::Trigger { events, .. } if events.contains(&INSTALLED_EVENT)
                    );
                    table.add(Route {
                        method: route.method.clone(),
                        path,
                        target: Target::Forge(ForgeTarget {
                            delivery: match &module.kind {
                                ForgeModuleKind::Consumer { .. } => Delivery::Job,
                                _ if module.is_event() => Delivery::Token,
                                _ => Delivery::Invocation,
                            },
                            token_optional: matches!(
                                module.kind,
                                ForgeModuleKind::Webtrigger { .. }
                            ),
                            links_installations,
                            module_keys,
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
        let core = Arc::new(Core {
            state: app.state,
            outbound,
            licensing: descriptor.enable_licensing == Some(true),
            installations: Installations {
                app_key: descriptor.key.as_str().into(),
                store: Arc::clone(&store),
            },
        });
        // Each hook bound to the app's services: the lifecycle calls it with the tenant alone.
        let hooks = hooks
            .into_iter()
            .map(|(event, call): (LifecycleEvent, HookCall)| {
                let core = Arc::clone(&core);
                let bound: crate::lifecycle::HookCall = Arc::new(move |tenant| {
                    call(HookRequest {
                        tenant,
                        core: Arc::clone(&core),
                    })
                });
                (event, bound)
            })
            .collect();
        let config = Arc::new(config);
        let verifier = Verifier::new(descriptor.key.as_str(), &config, Arc::clone(&store))?;
        let lifecycle = Lifecycle::new(descriptor.key.as_str(), Arc::clone(&config), store, hooks);
        let forge = match (forge_app_id, container) {
            (Some(app_id), Some(container)) => Some(ForgeRuntime::new(Verification::Container(
                ContainerInvocations::new(
                    container.egress_proxy,
                    app_id,
                    app.product
                        .unwrap_or(connect_descriptor::Product::Jira)
                        .as_str(),
                )?,
            ))),
            (Some(app_id), None) => Some(ForgeRuntime::new(Verification::Fit(
                InvocationVerifier::new(app_id, &config.forge)?,
            ))),
            (None, _) => None,
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
                core,
                forge,
                manifest,
                mount,
                forge_native: native,
            }),
        })
    }

    /// A [`HostClient`] for `tenant` (from [`TenantStore::get`]), sharing this app's
    /// connection pool, retry policy and token caches: for work outside a request, such as a
    /// background job. Handlers and hooks take a `HostClient` argument instead.
    pub fn client_for(&self, tenant: &TenantRecord) -> Result<HostClient, ClientError> {
        self.inner.core.host_client(tenant)
    }

    /// Runs the personal data cycle of every installed Connect tenant that is due (see
    /// [`App::personal_data`]); what `serve` does twice a day and the `report-personal-data`
    /// command once. An app without personal data reports nothing.
    pub async fn report_personal_data(&self) -> Result<crate::privacy::TenantsReport, Error> {
        let core = &self.inner.core;
        let Some(hook) = core.state.get::<crate::privacy::PersonalDataHook>() else {
            return Ok(crate::privacy::TenantsReport::default());
        };
        Ok(
            crate::privacy::report_tenants(&hook, core, &core.installations.store, self.key())
                .await?,
        )
    }

    /// Starts the twice-daily personal data task of a Connect app that declared personal
    /// data (a Forge-native app reports from its `personal-data` trigger instead).
    pub(crate) fn spawn_personal_data(&self) {
        let core = &self.inner.core;
        if self.inner.forge_native {
            return;
        }
        if let Some(hook) = core.state.get::<crate::privacy::PersonalDataHook>() {
            crate::privacy::spawn_daily(
                crate::privacy::PersonalDataHook::clone(&hook),
                Arc::clone(core),
                Arc::clone(&core.installations.store),
                self.key().to_owned(),
            );
        }
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
