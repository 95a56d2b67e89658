//! [`App`]: what a user's `main` writes: the app's identity, its `handlers![...]`, its shared
//! state, and (rarely) raw modules the attributes do not model.

use super::build::ConnectApp;
use super::error::Error;
use crate::config::{ConnectConfig, ContainerEnv};
use crate::handler::{Handler, HandlerKind};
use crate::state::StateMap;
use crate::store::TenantStore;
use connect_descriptor::forge::container::ContainerResources;
use connect_descriptor::manifest::{
    ContainerSettings, ForgeRoute, McpSettings, MigrationSettings, WillMigrate,
};
use connect_descriptor::{
    AppKey, Descriptor, ForgeAppId, Manifest, ManifestSettings, Product, RemoteSettings, Scope,
    Vendor,
};
use std::sync::Arc;

/// A Connect app definition: key, name, vendor, scopes, state and handlers.
///
/// ```no_run
/// use connect_runtime::{App, Scope};
///
/// # async fn run() -> Result<(), connect_runtime::Error> {
/// App::new("com.example.hello", "Hello")
///     .vendor("Example", "https://example.com")
///     .scopes([Scope::Read])
///     // .handlers(handlers![hello, ...]) with the attribute macros of `atlassian-connect`
///     .run()
///     .await
/// # }
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) vendor: Option<Vendor>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) licensing: Option<bool>,
    pub(crate) modules: Vec<(String, serde_json::Value)>,
    pub(crate) product: Option<Product>,
    pub(crate) forge: ForgeOptions,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) state: StateMap,
    pub(crate) duplicate_states: Vec<&'static str>,
}

/// The key of the `sql` module the manifest declares for an app using Forge SQL.
pub const FORGE_SQL_KEY: &str = "main";

/// What the Forge manifest says beyond the descriptor (see [`App::forge_scopes`],
/// [`App::forge_remote`], [`App::forge_runtime`], [`App::forge_native`]...).
#[derive(Debug, Clone, Default)]
pub(crate) struct ForgeOptions {
    pub(crate) scopes: Vec<String>,
    pub(crate) remote: RemoteSettings,
    pub(crate) runtime: Option<String>,
    pub(crate) native: bool,
    pub(crate) resources: Vec<(String, String)>,
    pub(crate) modules: Vec<(String, serde_json::Value)>,
    pub(crate) mcp: Option<McpSettings>,
    pub(crate) migration: Option<MigrationSettings>,
    pub(crate) entities: Vec<serde_json::Value>,
    pub(crate) container: Option<ForgeContainer>,
}

/// The Forge Container service an app runs as (`manifest --container`): its service and
/// container keys, what it reserves, and its scaling. The image tag comes from
/// `FORGE_IMAGE_TAG` when the manifest is made; Forge probes the app's `GET /healthz`.
///
/// ```
/// use connect_runtime::forge::ForgeContainer;
/// use connect_descriptor::forge::container::ContainerResources;
///
/// let container = ForgeContainer::new("notes")
///     .resources(ContainerResources::new("500m", "1Gi").unwrap())
///     .scaling(1, 3);
/// # let _ = container;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeContainer {
    service: String,
    container: String,
    resources: ContainerResources,
    scaling: Option<(u32, u32)>,
}

impl ForgeContainer {
    /// A service `key` with one container of the same key, reserving 250m CPU and 512Mi
    /// memory, scaled by Forge's defaults. Keys are checked when the manifest is made.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        Self {
            container: key.clone(),
            service: key,
            resources: ContainerResources::default(),
            scaling: None,
        }
    }

    /// Names the container `key` (the service's key by default).
    pub fn container_key(mut self, key: impl Into<String>) -> Self {
        self.container = key.into();
        self
    }

    /// Reserves `resources` (one of the pairs Forge offers).
    pub fn resources(mut self, resources: ContainerResources) -> Self {
        self.resources = resources;
        self
    }

    /// Runs between `min` (0: scale to zero, development and staging only) and `max`
    /// instances.
    pub fn scaling(mut self, min: u32, max: u32) -> Self {
        self.scaling = Some((min, max));
        self
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("key", &self.key)
            .field("name", &self.name)
            .field("handlers", &self.handlers)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app with `key` (unique on the Marketplace, `^[a-zA-Z0-9-._]+$`, checked when the app
    /// is built) and display `name`.
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            description: None,
            vendor: None,
            scopes: Vec::new(),
            licensing: None,
            modules: Vec::new(),
            product: None,
            forge: ForgeOptions::default(),
            handlers: Vec::new(),
            state: StateMap::default(),
            duplicate_states: Vec::new(),
        }
    }

    /// The app key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the vendor.
    pub fn vendor(mut self, name: impl Into<String>, url: impl Into<String>) -> Self {
        self.vendor = Some(Vendor {
            name: name.into(),
            url: url.into(),
        });
        self
    }

    /// Sets the requested scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes = scopes.into_iter().collect();
        self.scopes.sort();
        self.scopes.dedup();
        self
    }

    /// Sets `enableLicensing`.
    pub fn licensing(mut self, enabled: bool) -> Self {
        self.licensing = Some(enabled);
        self
    }

    /// Sets the product the app is for (`jira` or `confluence` in the Forge manifest). Without
    /// it, the product follows from the modules: Confluence-only modules make a Confluence
    /// app, anything else a Jira app.
    pub fn product(mut self, product: Product) -> Self {
        self.product = Some(product);
        self
    }

    /// Adds Forge manifest scopes beyond the mapped Connect scopes and the token scopes the
    /// `#[forge::...]` routes imply: the OAuth 2.0 scopes of the calls made with
    /// [`ForgeClient`](crate::client::ForgeClient), e.g. `read:jira-user` for
    /// `/rest/api/3/myself`.
    pub fn forge_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.forge.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Sets the manifest's remote declaration: its `operations` (default `compute` and
    /// `fetch`) and, with `storage`, whether it stores in-scope End-User Data.
    ///
    /// ```
    /// use connect_runtime::App;
    /// use connect_descriptor::RemoteSettings;
    ///
    /// let app = App::new("com.example.notes", "Notes")
    ///     .forge_remote(RemoteSettings::default().storage(true));
    /// # let _ = app;
    /// ```
    pub fn forge_remote(mut self, remote: RemoteSettings) -> Self {
        self.forge.remote = remote;
        self
    }

    /// Sets `app.runtime.name` of the manifest (default `nodejs22.x`; the validator requires a
    /// runtime even without Forge functions).
    pub fn forge_runtime(mut self, runtime: impl Into<String>) -> Self {
        self.forge.runtime = Some(runtime.into());
        self
    }

    /// Makes this a Forge-native app: no Connect side at all. No descriptor, no Connect
    /// lifecycle routes, no `app.connect` and no `connectModules` in the manifest; only the
    /// `#[forge::...]` handlers and a public `GET /healthz`. Building it needs `FORGE_APP_ID`,
    /// and a Connect handler or lifecycle hook in it is a build error.
    ///
    /// The app key (of [`App::new`]) still names the app in logs and its outbound
    /// `User-Agent`.
    pub fn forge_native(mut self) -> Self {
        self.forge.native = true;
        self
    }

    /// Declares a `resources` entry for a UI module added with [`App::forge_module`] (the
    /// UI attributes declare their own): `key` (at most 23 of `a-z A-Z 0-9 _ -`) and the
    /// folder of its Custom UI build, relative to the crate root.
    pub fn forge_resource(mut self, key: impl Into<String>, path: impl Into<String>) -> Self {
        self.forge.resources.push((key.into(), path.into()));
        self
    }

    /// Adds a raw Forge module of manifest type `kind` (e.g. `jira:issueAction`): the escape
    /// hatch for the modules the attributes do not model. Its key must be unique; for a UI
    /// kind, its `resource` must be declared and `resolver.endpoint` must name an endpoint of
    /// the app (both checked when the app is built). Calls routed through that endpoint may
    /// then name the module.
    ///
    /// ```
    /// use connect_runtime::App;
    ///
    /// let app = App::new("com.example.notes", "Notes").forge_native().forge_module(
    ///     "jira:issueAction",
    ///     serde_json::json!({"key": "notes-action", "title": "Notes", "resource": "panel",
    ///                        "resolver": {"endpoint": "notes-api"}}),
    /// );
    /// # let _ = app;
    /// ```
    pub fn forge_module(mut self, kind: impl Into<String>, entry: serde_json::Value) -> Self {
        self.forge.modules.push((kind.into(), entry));
        self
    }

    /// Declares the app's `rovo:mcp` module: an MCP server named `name` (at most 30
    /// characters) offering the `#[forge::action]`s `tools` (1 to 20 action keys).
    pub fn rovo_mcp<S: Into<String>>(
        mut self,
        key: impl Into<String>,
        name: impl Into<String>,
        tools: impl IntoIterator<Item = S>,
    ) -> Self {
        self.forge.mcp = Some(McpSettings {
            key: key.into(),
            name: name.into(),
            tools: tools.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Declares the Forge Container service the app runs as on Atlassian's hosting
    /// (`manifest --container`); see [`ForgeContainer`].
    pub fn forge_container(mut self, container: ForgeContainer) -> Self {
        self.forge.container = Some(container);
        self
    }

    /// Declares a custom entity of Forge storage (`app.storage.entities`), for
    /// `ForgeStorage::entity`: `{"name", "attributes": {...}, "indexes": [...]}` as Forge's
    /// manifest reference describes it.
    ///
    /// ```
    /// use connect_runtime::App;
    ///
    /// let app = App::new("com.example.notes", "Notes").forge_entity(serde_json::json!({
    ///     "name": "note",
    ///     "attributes": {"issue": {"type": "string"}, "created": {"type": "integer"}},
    ///     "indexes": [{"name": "by-issue", "partition": ["issue"], "range": ["created"]}],
    /// }));
    /// # let _ = app;
    /// ```
    pub fn forge_entity(mut self, entity: serde_json::Value) -> Self {
        self.forge.entities.push(entity);
        self
    }

    /// Declares `connectToForgeMigration`: the https URL of the migration guide shown to
    /// admins, and whether the app moves to Forge before Connect ends (31 January 2027).
    /// Atlassian asks for it in every major version of a Connect app.
    pub fn connect_to_forge_migration(
        mut self,
        guide_url: impl Into<String>,
        will_migrate: WillMigrate,
    ) -> Self {
        self.forge.migration = Some(MigrationSettings {
            key: "connect-to-forge-migration".to_owned(),
            guide_url: guide_url.into(),
            will_migrate,
        });
        self
    }

    /// Adds a raw module entry of module type `kind` (e.g. `generalPages`): the escape hatch
    /// for modules the attributes do not model. A modelled type is checked like an attribute
    /// (keys, required fields) when the app is built; other types need a valid `key`.
    pub fn module(mut self, kind: &str, entry: serde_json::Value) -> Self {
        self.modules.push((kind.to_owned(), entry));
        self
    }

    /// Adds handlers, usually `handlers![a, b, c]`.
    pub fn handlers(mut self, handlers: impl IntoIterator<Item = Handler>) -> Self {
        self.handlers.extend(handlers);
        self
    }

    /// Declares the personal data the app stores (Atlassian requires every app that stores
    /// account ids to report them), and lets the framework report it. A Forge-native app gets a
    /// daily
    /// `scheduledTrigger` `personal-data` (route `POST /forge/personal-data`, endpoint
    /// `personal-data-ep`, with the system token) whose deliveries run each installation's
    /// cycle when it is due, in batches of 90, erasing accounts Atlassian reports closed through
    /// `data` once. The manifest gains the scopes `report:personal-data` and `storage:app`
    /// (the cycle's state lives in the installation's Forge storage).
    ///
    /// A Connect app (one with a Connect side) runs the same cycle per installed tenant
    /// instead, from `serve` twice a day and from the `report-personal-data` command, its
    /// state in the tenant store, its reports sent as the app with a JWT. A Forge Container has
    /// no documented path to the reporting API. See
    /// [`PersonalData`](crate::privacy::PersonalData).
    pub fn personal_data(self, data: impl crate::privacy::PersonalData) -> Self {
        use crate::privacy::{PERSONAL_DATA_KEY, PERSONAL_DATA_PATH};
        use connect_descriptor::forge::{ForgeModule, ForgeModuleKind, Interval, Tokens};
        let handler = Handler {
            name: crate::privacy::PERSONAL_DATA_HANDLER,
            kind: HandlerKind::Forge {
                module: ForgeModule {
                    key: PERSONAL_DATA_KEY,
                    endpoint: None,
                    tokens: Tokens {
                        system: true,
                        user: false,
                    },
                    kind: ForgeModuleKind::ScheduledTrigger {
                        interval: Interval::Day,
                    },
                },
                route: crate::handler::RouteSpec::new(
                    warp::http::Method::POST,
                    PERSONAL_DATA_PATH,
                    crate::handler::route_call(crate::privacy::delivery_call),
                ),
            },
            requires: |requirements| {
                requirements.forge_system_token("personal data reporting", "storage:app");
                requirements.forge_scopes.push("report:personal-data");
                requirements.forge_invocation("personal data reporting");
            },
        };
        self.state(crate::privacy::PersonalDataHook(std::sync::Arc::new(data)))
            .handlers([handler])
    }

    /// Adds a shared value that handlers and hooks receive as [`State<T>`](crate::State).
    /// One value per type: a second value of the same type fails [`App::build`].
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        if !self.state.insert(value) {
            self.duplicate_states.push(std::any::type_name::<T>());
        }
        self
    }

    /// The descriptor this app serves at `base_url`, after every check of [`App::build`] that
    /// concerns it (keys, modules).
    pub fn descriptor(&self, base_url: &str) -> Result<Descriptor, Error> {
        let key = AppKey::parse(self.key.clone())?;
        let mut descriptor = Descriptor::new(key, self.name.clone(), base_url);
        descriptor.description = self.description.clone();
        descriptor.vendor = self.vendor.clone();
        descriptor.scopes = self.scopes.clone();
        descriptor.enable_licensing = self.licensing;
        for (kind, entry) in &self.modules {
            descriptor.modules.add_json(kind, entry.clone())?;
        }
        for handler in &self.handlers {
            let HandlerKind::Route {
                module: Some(spec), ..
            } = &handler.kind
            else {
                continue;
            };
            let module = spec
                .module_type
                .build(&spec.args, spec.doc)
                .map_err(|errors| Error::Module {
                    handler: handler.name,
                    reason: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                })?;
            descriptor.modules.add(module)?;
        }
        Ok(descriptor)
    }

    /// The handlers the app serves: its own, and the framework's personal data trigger when
    /// the app is Forge-native (a Connect app's cycle runs from the tenant store instead).
    pub(crate) fn served_handlers(&self) -> impl Iterator<Item = &Handler> {
        let native = self.forge.native;
        self.handlers
            .iter()
            .filter(move |handler| native || handler.name != crate::privacy::PERSONAL_DATA_HANDLER)
    }

    /// Whether the app declared personal data ([`App::personal_data`]).
    pub(crate) fn has_personal_data(&self) -> bool {
        self.state
            .contains(std::any::TypeId::of::<crate::privacy::PersonalDataHook>())
    }

    /// The Forge handlers (`#[forge::...]`) of this app, as the manifest declares them.
    pub(crate) fn forge_routes(&self) -> Vec<ForgeRoute> {
        self.served_handlers()
            .filter_map(|handler| match &handler.kind {
                HandlerKind::Forge { module, route } => Some(ForgeRoute {
                    module: module.clone(),
                    path: route.path.to_owned(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The Forge manifest of this app served at `base_url` as Forge app `app_id`: the
    /// descriptor's modules as `connectModules`, plus the Forge handlers' modules.
    pub fn manifest(&self, base_url: &str, app_id: ForgeAppId) -> Result<Manifest, Error> {
        self.manifest_with(base_url, app_id, None)
    }

    /// The Forge manifest of this app running as a Forge Container service (`services`
    /// instead of `remotes`, every endpoint on the service), its image tagged `tag`
    /// (`FORGE_IMAGE_TAG`). The service is the one [`App::forge_container`] declares.
    pub fn container_manifest(
        &self,
        base_url: &str,
        app_id: ForgeAppId,
        tag: &str,
    ) -> Result<Manifest, Error> {
        let Some(container) = &self.forge.container else {
            return Err(Error::ForgeNative(
                "declare the container with `App::forge_container(ForgeContainer::new(\"<service key>\"))`".to_owned(),
            ));
        };
        let settings = ContainerSettings {
            service: container.service.clone(),
            container: container.container.clone(),
            tag: tag.to_owned(),
            resources: container.resources,
            health_path: "/healthz".to_owned(),
            scaling: container.scaling,
        };
        self.manifest_with(base_url, app_id, Some(settings))
    }

    fn manifest_with(
        &self,
        base_url: &str,
        app_id: ForgeAppId,
        container: Option<ContainerSettings>,
    ) -> Result<Manifest, Error> {
        let descriptor = self.descriptor(base_url)?;
        let mut settings = ManifestSettings::new(app_id);
        settings.product = self.product;
        settings.remote = self.forge.remote.clone();
        settings.extra_scopes = self.forge.scopes.clone();
        settings.raw_modules = self.forge.modules.clone();
        let mut sql = false;
        for handler in self.served_handlers() {
            let mut requirements = crate::state::Requirements::default();
            (handler.requires)(&mut requirements);
            sql |= requirements.forge_sql;
            settings.extra_scopes.extend(
                requirements
                    .forge_scopes
                    .iter()
                    .map(|scope| (*scope).to_owned()),
            );
        }
        if sql {
            // Forge provisions an installation's SQL database only for an app that declares
            // it (`modules.sql`, engine `mysql`).
            settings.raw_modules.push((
                "sql".to_owned(),
                serde_json::json!({"key": FORGE_SQL_KEY, "engine": "mysql"}),
            ));
        }
        settings.forge_native = self.forge.native;
        settings.resources = self.forge.resources.clone();
        settings.mcp = self.forge.mcp.clone();
        settings.migration = self.forge.migration.clone();
        settings.entities = self.forge.entities.clone();
        settings.container = container;
        if let Some(runtime) = &self.forge.runtime {
            settings.runtime = runtime.clone();
        }
        Ok(Manifest::build(
            &descriptor,
            &settings,
            &self.forge_routes(),
        )?)
    }

    /// Builds the app for `config` with tenants in `store`.
    pub fn build(
        self,
        config: ConnectConfig,
        store: Arc<dyn TenantStore>,
    ) -> Result<ConnectApp, Error> {
        crate::auth::crypto::install_provider();
        ConnectApp::build(self, config, store, super::build::Hosting::Own)
    }

    /// Builds a Forge-native app to run as a Forge Container service (what `serve
    /// --container` serves): every Forge route is verified by asking the egress proxy about
    /// the request's `x-forge-invocation-id`, and every outbound call goes through the proxy.
    /// No tenant store, no Connect route, no FIT.
    ///
    /// ```
    /// use connect_runtime::forge::ContainerEnv;
    /// use connect_runtime::{App, ConnectConfig};
    ///
    /// let settings = ContainerEnv::from_lookup(|name| match name {
    ///     "SERVER_PORT" => Some("8080".to_owned()),
    ///     "FORGE_EGRESS_PROXY_URL" => Some("http://127.0.0.1:7072".to_owned()),
    ///     "FORGE_APP_ARI" => {
    ///         Some("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11".to_owned())
    ///     }
    ///     _ => None,
    /// })
    /// .unwrap();
    /// let app = App::new("com.example.app", "App").forge_native();
    /// // A Forge-native app needs at least one `#[forge::...]` handler to have a manifest.
    /// assert!(app.build_container(ConnectConfig::new("http://localhost:8080".parse().unwrap()), settings).is_err());
    /// ```
    pub fn build_container(
        self,
        config: ConnectConfig,
        settings: ContainerEnv,
    ) -> Result<ConnectApp, Error> {
        crate::auth::crypto::install_provider();
        let store: Arc<dyn TenantStore> = Arc::new(crate::store::MemoryStore::default());
        ConnectApp::build(
            self,
            config,
            store,
            super::build::Hosting::Container(settings),
        )
    }
}
