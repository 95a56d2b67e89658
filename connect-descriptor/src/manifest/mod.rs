//! The Forge manifest (`manifest.yml`) of an app: Connect on Forge (derived from the same
//! typed [`Descriptor`] the app serves) or Forge-native (no Connect side), plus the Forge
//! modules its `#[forge::...]` handlers declare.
//!
//! - `app`: the Forge app id, `connect {key, remote, authentication: jwt}` (Connect on Forge
//!   only), the runtime the validator requires, and licensing as the descriptor says.
//! - `remotes`: one remote at the app's baseUrl, serving the Connect modules and every Forge
//!   endpoint.
//! - `resources`: the Custom UI folders of the UI modules.
//! - `permissions.scopes`: each Connect scope as `<scope>:connect-<product>` (Connect on
//!   Forge), the token scopes the Forge routes need, and the app's extra scopes.
//! - `connectModules` (Connect on Forge): every descriptor module under
//!   `<product>:<moduleType>`, always an array, webhooks keyed, and one lifecycle entry.
//! - `modules`: the endpoints, triggers, UI modules, actions... of the Forge handlers, and what
//!   the app declares itself ([`ManifestSettings`]).

use crate::descriptor::Descriptor;
use crate::forge::{ForgeAppId, ForgeModule};
use crate::kind::Product;
use serde::Serialize;
use serde_json::{Map, Value};

mod connect_side;
mod forge_modules;
mod model;

use connect_side::connect_modules;
pub use connect_side::{connect_scope, infer_product};

pub use forge_modules::{MAX_MCP_NAME, MAX_MCP_TOOLS};
pub use model::{
    Action, AppStorage, ConnectSection, ConnectToForgeMigration, Consumer, Container, Enabled,
    Endpoint, EndpointAuth, EndpointRoute, ForgeModules, Health, Licensing, Manifest, ManifestApp,
    PayloadInclude, Permissions, PreUninstall, Remote, RemoteStorage, Resource, ResourcesReserved,
    RovoMcp, Runtime, Scaling, ScheduledTrigger, Service, Trigger, TriggerFilter, TriggerPayload,
    Webtrigger, WebtriggerOutput, WebtriggerResponse, WillMigrate,
};

/// The runtime the manifest declares. An app served by a remote has no Forge functions, but
/// the validator requires `app.runtime.name`.
pub const DEFAULT_RUNTIME: &str = "nodejs22.x";

/// The runtimes `app.runtime.name` may name (the validator's list).
pub const RUNTIMES: [&str; 3] = ["nodejs20.x", "nodejs22.x", "nodejs24.x"];

/// The key of the remote at the app's baseUrl.
pub const REMOTE_KEY: &str = "connect";

/// Why a manifest could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The app's modules belong to both products, or none decides: the app must say.
    #[error(
        "the app's product is ambiguous: call `.product(Product::Jira)` or `.product(Product::Confluence)` on the App"
    )]
    AmbiguousProduct,
    /// A module type of the other product.
    #[error("module type `{module_type}` is not available in {product} apps")]
    WrongProduct {
        /// The module type.
        module_type: String,
        /// The app's product.
        product: &'static str,
    },
    /// Two modules (Connect or Forge) share a key; manifest keys are unique across both.
    #[error(
        "the key `{0}` is used twice in the manifest (Connect module, Forge module and endpoint keys share one namespace)"
    )]
    DuplicateKey(String),
    /// A Forge key or value breaks its rule.
    #[error(transparent)]
    Forge(#[from] crate::forge::ForgeError),
    /// The app has Forge routes, but the remote does not declare `compute`, without which
    /// Forge cannot invoke it.
    #[error(
        "the app has `#[forge::...]` routes, so its remote needs the `compute` operation: keep it in `RemoteSettings::operations`"
    )]
    ComputeRequired,
    /// A runtime the validator does not accept.
    #[error("`{0}` is not a Forge runtime: use one of {RUNTIMES:?}")]
    Runtime(String),
    /// `storage` is among the remote's operations without saying whether it holds in-scope
    /// End-User Data.
    #[error(
        "the remote declares the `storage` operation: say whether it stores in-scope End-User Data with `RemoteSettings::storage(in_scope_eud)`"
    )]
    StorageScope,
    /// The manifest's `modules` would hold endpoints only, which Forge refuses ("document must
    /// have at least 1 module").
    #[error(
        "the app's Forge modules are endpoints only, and Forge refuses a manifest without another module (\"document must have at least 1 module\"): add a UI module, trigger, action or other Forge module"
    )]
    OnlyEndpoints,
    /// A Forge-native app without any Forge module.
    #[error(
        "a Forge-native app needs at least one Forge module: annotate handlers with `#[forge::...]`"
    )]
    NoModules,
    /// A module names an endpoint the app does not have.
    #[error(
        "module `{module}` names resolver endpoint `{endpoint}`, which no `#[forge::resolver]` handler declares"
    )]
    UnknownEndpoint {
        /// The module's key.
        module: String,
        /// The endpoint it names.
        endpoint: String,
    },
    /// One resource key with two folders.
    #[error("resource `{key}` is declared with two folders: `{first}` and `{second}`")]
    ResourceConflict {
        /// The resource key.
        key: String,
        /// The first folder.
        first: String,
        /// The other one.
        second: String,
    },
    /// An action's inputs, outputs or description cannot be rendered.
    #[error("action `{key}`: {error}")]
    Action {
        /// The action's key.
        key: String,
        /// What is wrong.
        error: crate::forge::ForgeError,
    },
    /// The `rovo:mcp` module breaks a rule.
    #[error("the rovo:mcp module is invalid: {0}")]
    Mcp(String),
    /// The migration guide URL is not an https URL of at most 2048 characters.
    #[error(
        "the Connect-to-Forge migration guide URL `{0}` must be an https URL of at most 2048 characters"
    )]
    Migration(String),
    /// Endpoints ask Forge for tokens, but the app has no scope to call anything with them:
    /// the validator refuses ("Missing app scopes").
    #[error(
        "the app's Forge routes ask for tokens (`system_token`, `user_token`) but the app has no scope to use them with: add the OAuth scopes of its calls with `App::forge_scopes([...])` (`ForgeStorage` adds `storage:app` itself), or remove the token flags"
    )]
    TokenWithoutScopes,
    /// A Forge Container runs a Forge-native app only: Connect modules need a remote.
    #[error(
        "only a Forge-native app (`App::forge_native`) runs as a Forge Container: Connect modules need a remote"
    )]
    ContainerNeedsForgeNative,
    /// `scaling` with `max` below 1 or below `min`.
    #[error("container scaling min {min}, max {max}: max must be at least 1 and at least min")]
    Scaling {
        /// `min`.
        min: u32,
        /// `max`.
        max: u32,
    },
    /// A custom entity without a valid `name` or without `attributes`.
    #[error(
        "custom entity `{0}` needs a `name` of 3 to 60 of a-z 0-9 : - _ . (not starting with - _ ., no `..`) and an `attributes` object"
    )]
    Entity(String),
    /// A raw module (`App::forge_module`) is not usable.
    #[error("the `{kind}` module declared with `App::forge_module` is invalid: {reason}")]
    RawModule {
        /// Its module type.
        kind: String,
        /// Why.
        reason: String,
    },
}

/// What the remote at the app's baseUrl does, for `remotes[].operations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// It stores data.
    Storage,
    /// Forge invokes it (needed for Forge endpoints and triggers to reach it).
    Compute,
    /// It fetches data from Atlassian's APIs.
    Fetch,
    /// Anything else.
    Other,
}

/// How the remote is declared: operations and the End-User Data flag of `storage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// `remotes[].operations`.
    pub operations: Vec<Operation>,
    /// `remotes[].storage.inScopeEUD`, required when `operations` has `storage`.
    pub in_scope_eud: Option<bool>,
}

impl Default for RemoteSettings {
    /// `compute` and `fetch`: Forge may call the app, and the app calls the product back.
    fn default() -> Self {
        Self {
            operations: vec![Operation::Compute, Operation::Fetch],
            in_scope_eud: None,
        }
    }
}

impl RemoteSettings {
    /// Adds `storage`, declaring whether what the app stores is in-scope End-User Data.
    pub fn storage(mut self, in_scope_eud: bool) -> Self {
        if !self.operations.contains(&Operation::Storage) {
            self.operations.push(Operation::Storage);
        }
        self.in_scope_eud = Some(in_scope_eud);
        self
    }
}

/// Everything the manifest needs beyond the descriptor.
#[derive(Debug, Clone)]
pub struct ManifestSettings {
    /// `app.id` (`FORGE_APP_ID`).
    pub app_id: ForgeAppId,
    /// The product, when the app says; otherwise inferred from its modules (Jira by default).
    pub product: Option<Product>,
    /// `app.runtime.name`.
    pub runtime: String,
    /// The remote.
    pub remote: RemoteSettings,
    /// More `permissions.scopes` (OAuth 2.0 scopes of the calls made with Forge tokens, such
    /// as `read:jira-user`, and `storage:app` for Forge storage).
    pub extra_scopes: Vec<String>,
    /// A Forge-native app: no `app.connect`, no `connectModules`, no Connect scopes.
    pub forge_native: bool,
    /// `resources` for raw UI modules, as `(key, folder)`.
    pub resources: Vec<(String, String)>,
    /// Raw modules, as `(module type, entry)`.
    pub raw_modules: Vec<(String, Value)>,
    /// The `rovo:mcp` module.
    pub mcp: Option<McpSettings>,
    /// The `connectToForgeMigration` module.
    pub migration: Option<MigrationSettings>,
    /// `app.storage.entities`: the custom entities of Forge storage.
    pub entities: Vec<Value>,
    /// The Forge Container the app runs as: `services` instead of `remotes`, and endpoints on
    /// the service.
    pub container: Option<ContainerSettings>,
}

/// The Forge Container service of an app (`manifest --container`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSettings {
    /// The service's key.
    pub service: String,
    /// Its container's key.
    pub container: String,
    /// The image tag (`FORGE_IMAGE_TAG`).
    pub tag: String,
    /// What the container reserves.
    pub resources: crate::forge::container::ContainerResources,
    /// The health route Forge probes (the app's `/healthz`).
    pub health_path: String,
    /// `scaling {min, max}`, when set.
    pub scaling: Option<(u32, u32)>,
}

impl ContainerSettings {
    fn check(&self) -> Result<(), ManifestError> {
        use crate::forge::container::{check_health_path, check_image_tag, check_service_key};
        check_service_key(&self.service)?;
        check_service_key(&self.container)?;
        check_image_tag(&self.tag)?;
        check_health_path(&self.health_path)?;
        if let Some((min, max)) = self.scaling
            && (max < 1 || min > max)
        {
            return Err(ManifestError::Scaling { min, max });
        }
        Ok(())
    }

    fn service(&self) -> Service {
        Service {
            key: self.service.clone(),
            containers: vec![Container {
                key: self.container.clone(),
                tag: self.tag.clone(),
                health: Health {
                    ty: "http",
                    route: EndpointRoute {
                        path: self.health_path.clone(),
                    },
                },
                resources: ResourcesReserved {
                    cpu: self.resources.cpu().to_owned(),
                    memory: self.resources.memory().to_owned(),
                },
            }],
            scaling: self.scaling.map(|(min, max)| Scaling { min, max }),
        }
    }
}

/// The app's `rovo:mcp` module: its actions offered as MCP tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpSettings {
    /// The module key.
    pub key: String,
    /// Its name (1 to [`MAX_MCP_NAME`] characters).
    pub name: String,
    /// The keys of `#[forge::action]` handlers (1 to [`MAX_MCP_TOOLS`]).
    pub tools: Vec<String>,
}

/// The app's `connectToForgeMigration` module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSettings {
    /// The module key.
    pub key: String,
    /// The https URL of the guide shown to admins.
    pub guide_url: String,
    /// Whether the app moves to Forge before Connect's end.
    pub will_migrate: WillMigrate,
}

impl ManifestSettings {
    /// Defaults for `app_id`.
    pub fn new(app_id: ForgeAppId) -> Self {
        Self {
            app_id,
            product: None,
            runtime: DEFAULT_RUNTIME.to_owned(),
            remote: RemoteSettings::default(),
            extra_scopes: Vec::new(),
            forge_native: false,
            resources: Vec::new(),
            raw_modules: Vec::new(),
            mcp: None,
            migration: None,
            entities: Vec::new(),
            container: None,
        }
    }
}

/// A Forge handler as the manifest sees it: its module and its route path.
#[derive(Debug, Clone)]
pub struct ForgeRoute {
    /// The module.
    pub module: ForgeModule,
    /// The route path (relative to the remote's baseUrl).
    pub path: String,
}

/// The manifest's module keys, unique across Connect modules, Forge modules and endpoints.
#[derive(Default)]
pub(crate) struct Keys(Vec<String>);

impl Keys {
    /// Takes `key`, or fails if it is taken.
    pub(crate) fn claim(&mut self, key: &str) -> Result<String, ManifestError> {
        if self.contains(key) {
            return Err(ManifestError::DuplicateKey(key.to_owned()));
        }
        self.0.push(key.to_owned());
        Ok(key.to_owned())
    }

    fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|taken| taken == key)
    }
}

/// The product of a Forge-native app's UI modules: Confluence if any is Confluence's, Jira
/// otherwise; ambiguous if both.
fn infer_forge_product(routes: &[ForgeRoute]) -> Result<Product, ManifestError> {
    let mut jira = false;
    let mut confluence = false;
    for route in routes {
        if let crate::forge::ForgeModuleKind::Resolver { ui } = &route.module.kind {
            for module in ui {
                match module.kind.spec().product {
                    Product::Jira => jira = true,
                    Product::Confluence => confluence = true,
                }
            }
        }
    }
    match (jira, confluence) {
        (true, true) => Err(ManifestError::AmbiguousProduct),
        (false, true) => Ok(Product::Confluence),
        _ => Ok(Product::Jira),
    }
}

impl Manifest {
    /// The manifest of `descriptor` with the Forge handlers `routes`.
    pub fn build(
        descriptor: &Descriptor,
        settings: &ManifestSettings,
        routes: &[ForgeRoute],
    ) -> Result<Self, ManifestError> {
        let product = match settings.product {
            Some(product) => product,
            None if settings.forge_native => infer_forge_product(routes)?,
            None => infer_product(descriptor)?,
        };
        let product_name = product.as_str();
        let mut keys = Keys::default();
        let connect_modules = if settings.forge_native {
            Map::new()
        } else {
            for key in descriptor.modules.keys() {
                keys.claim(key)?;
            }
            connect_modules(descriptor, product, product_name, &mut keys)?
        };
        if let Some(container) = &settings.container {
            if !settings.forge_native {
                return Err(ManifestError::ContainerNeedsForgeNative);
            }
            container.check()?;
        }
        let built = forge_modules::build(routes, settings, product, &mut keys)?;
        if settings.forge_native && !built.modules.has_non_endpoint() {
            return Err(if built.modules.endpoint.is_empty() {
                ManifestError::NoModules
            } else {
                ManifestError::OnlyEndpoints
            });
        }
        if !built.modules.endpoint.is_empty() && !built.modules.has_non_endpoint() {
            return Err(ManifestError::OnlyEndpoints);
        }

        let mut scopes: Vec<String> = if settings.forge_native {
            Vec::new()
        } else {
            descriptor
                .scopes
                .iter()
                .filter_map(|scope| connect_scope(*scope, product_name))
                .collect()
        };
        if built.tokens.system {
            scopes.push("read:app-system-token".to_owned());
        }
        if built.tokens.user {
            scopes.push("read:app-user-token".to_owned());
        }
        scopes.extend(settings.extra_scopes.iter().cloned());
        scopes.sort();
        scopes.dedup();
        // Forge refuses token auth on endpoints of an app with no scope to use a token for.
        if (built.tokens.system || built.tokens.user)
            && scopes
                .iter()
                .all(|scope| scope.starts_with("read:app-") && scope.ends_with("-token"))
        {
            return Err(ManifestError::TokenWithoutScopes);
        }

        for entity in &settings.entities {
            let name = entity
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let valid = (3..=60).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":-_.".contains(&b))
                && !name.starts_with(['-', '_', '.'])
                && !name.ends_with('.')
                && !name.contains("..");
            if !valid || !entity.get("attributes").is_some_and(Value::is_object) {
                return Err(ManifestError::Entity(name.to_owned()));
            }
        }
        if !RUNTIMES.contains(&settings.runtime.as_str()) {
            return Err(ManifestError::Runtime(settings.runtime.clone()));
        }
        let remote = &settings.remote;
        if !routes.is_empty() && !remote.operations.contains(&Operation::Compute) {
            return Err(ManifestError::ComputeRequired);
        }
        let mut operations = remote.operations.clone();
        operations.sort();
        operations.dedup();
        let storage = match (
            operations.contains(&Operation::Storage),
            remote.in_scope_eud,
        ) {
            (true, Some(in_scope_eud)) => Some(RemoteStorage { in_scope_eud }),
            (true, None) => return Err(ManifestError::StorageScope),
            (false, _) => None,
        };
        Ok(Manifest {
            app: ManifestApp {
                id: settings.app_id.clone(),
                connect: (!settings.forge_native).then(|| ConnectSection {
                    key: descriptor.key.as_str().to_owned(),
                    remote: REMOTE_KEY.to_owned(),
                    authentication: "jwt".to_owned(),
                }),
                runtime: Runtime {
                    name: settings.runtime.clone(),
                },
                licensing: descriptor
                    .enable_licensing
                    .map(|enabled| Licensing { enabled }),
                storage: (!settings.entities.is_empty()).then(|| AppStorage {
                    entities: settings.entities.clone(),
                }),
            },
            remotes: match &settings.container {
                Some(_) => Vec::new(),
                None => vec![Remote {
                    key: REMOTE_KEY.to_owned(),
                    base_url: descriptor.base_url.clone(),
                    operations,
                    storage,
                }],
            },
            services: settings
                .container
                .as_ref()
                .map(ContainerSettings::service)
                .into_iter()
                .collect(),
            resources: built.resources,
            permissions: Permissions { scopes },
            connect_modules,
            modules: built.modules,
        })
    }

    /// The manifest as YAML, as `forge deploy` reads it.
    pub fn to_yaml(&self) -> Result<String, serde_norway::Error> {
        serde_norway::to_string(self)
    }

    /// The manifest as JSON (for tests and tools).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
