//! The Forge manifest (`manifest.yml`) of a Connect-on-Forge app, derived from the same typed
//! [`Descriptor`] the app serves, plus the Forge modules its `#[forge::...]` handlers declare.
//!
//! - `app`: the Forge app id, `connect {key, remote, authentication: jwt}`, the runtime the
//!   validator requires, and licensing as the descriptor says.
//! - `remotes`: one remote at the descriptor's baseUrl, serving the Connect modules and every
//!   Forge endpoint.
//! - `permissions.scopes`: each Connect scope as `<scope>:connect-<product>`, the token scopes
//!   the Forge routes need, and the app's extra scopes.
//! - `connectModules`: every descriptor module under `<product>:<moduleType>`, always an array,
//!   webhooks keyed, and one lifecycle entry.
//! - `modules`: `endpoint`, `trigger` and `scheduledTrigger` entries of the Forge handlers.

use crate::descriptor::Descriptor;
use crate::forge::{ForgeAppId, ForgeModule, check_key};
use crate::kind::{AppliesTo, ModuleType, Product};
use crate::scope::Scope;
use serde::Serialize;
use serde_json::{Map, Value};

mod model;

pub use model::{
    ConnectSection, Enabled, Endpoint, EndpointAuth, EndpointRoute, ForgeModules, Licensing,
    Manifest, ManifestApp, Permissions, Remote, RemoteStorage, Runtime, ScheduledTrigger, Trigger,
};

/// The runtime the manifest declares. A Connect-on-Forge app has no Forge functions, but the
/// validator requires `app.runtime.name`.
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
        /// The descriptor's module type.
        module_type: String,
        /// The app's product.
        product: &'static str,
    },
    /// Two modules (Connect or Forge) share a key; manifest keys are unique across both.
    #[error(
        "the key `{0}` is used twice in the manifest (Connect module and Forge module keys share one namespace)"
    )]
    DuplicateKey(String),
    /// A Forge key breaks its rule.
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
    /// as `read:jira-user`).
    pub extra_scopes: Vec<String>,
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
        }
    }
}

/// A Forge handler as the manifest sees it: its module and its route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeRoute {
    /// The module.
    pub module: ForgeModule,
    /// The route path (relative to the remote's baseUrl).
    pub path: String,
}

/// The key of the endpoint a trigger with `key` is delivered to.
///
/// Triggers reach a remote through an endpoint module; the framework declares one per trigger.
/// Its key must stay within the 23-character limit, so a trigger key is at most 20 characters.
pub fn trigger_endpoint_key(key: &str) -> String {
    format!("{key}-ep")
}

/// The manifest scope of Connect scope `scope` in `product`: `read:connect-jira`.
pub fn connect_scope(scope: Scope, product: &str) -> Option<String> {
    (scope != Scope::None).then(|| {
        format!(
            "{}:connect-{product}",
            scope.as_str().to_ascii_lowercase().replace('_', "-")
        )
    })
}

/// The product of a descriptor's modules: Confluence if any is Confluence-only, Jira if any is
/// Jira-only, ambiguous if both, Jira when none decides.
pub fn infer_product(descriptor: &Descriptor) -> Result<Product, ManifestError> {
    let mut jira = false;
    let mut confluence = false;
    for module_type in module_types(descriptor) {
        match module_type.spec().applies_to {
            AppliesTo::Jira => jira = true,
            AppliesTo::Confluence => confluence = true,
            AppliesTo::Both => {}
        }
    }
    match (jira, confluence) {
        (true, true) => Err(ManifestError::AmbiguousProduct),
        (false, true) => Ok(Product::Confluence),
        _ => Ok(Product::Jira),
    }
}

fn module_types(descriptor: &Descriptor) -> Vec<ModuleType> {
    serde_json::to_value(&descriptor.modules)
        .ok()
        .and_then(|value| value.as_object().cloned())
        .unwrap_or_default()
        .keys()
        .filter_map(|kind| ModuleType::by_descriptor_key(kind))
        .collect()
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
            None => infer_product(descriptor)?,
        };
        let product_name = product.as_str();
        let mut keys: Vec<String> = descriptor.modules.keys().map(str::to_owned).collect();
        let claim = |key: String, keys: &mut Vec<String>| {
            if keys.contains(&key) {
                return Err(ManifestError::DuplicateKey(key));
            }
            keys.push(key.clone());
            Ok(key)
        };

        let connect_modules = connect_modules(descriptor, product, product_name, &mut keys)?;

        let mut modules = ForgeModules::default();
        let mut system_token = false;
        let mut user_token = false;
        for route in routes {
            let module = &route.module;
            check_key(module.key())?;
            system_token |= module.system_token();
            user_token |= module.user_token();
            let auth = (module.system_token() || module.user_token()).then(|| EndpointAuth {
                app_system_token: module.system_token().then_some(Enabled { enabled: true }),
                app_user_token: module.user_token().then_some(Enabled { enabled: true }),
            });
            let endpoint_key = if module.is_event() {
                let key = trigger_endpoint_key(module.key());
                check_key(&key)?;
                key
            } else {
                module.key().to_owned()
            };
            modules.endpoint.push(Endpoint {
                key: claim(endpoint_key.clone(), &mut keys)?,
                remote: REMOTE_KEY.to_owned(),
                route: EndpointRoute {
                    path: route.path.clone(),
                },
                auth,
            });
            match module {
                ForgeModule::Remote { .. } => {}
                ForgeModule::Trigger { key, events, .. } => modules.trigger.push(Trigger {
                    key: claim((*key).to_owned(), &mut keys)?,
                    endpoint: endpoint_key,
                    events: events.iter().map(|event| (*event).to_owned()).collect(),
                }),
                ForgeModule::ScheduledTrigger { key, interval, .. } => {
                    modules.scheduled_trigger.push(ScheduledTrigger {
                        key: claim((*key).to_owned(), &mut keys)?,
                        endpoint: endpoint_key,
                        interval: *interval,
                    })
                }
            }
        }

        let mut scopes: Vec<String> = descriptor
            .scopes
            .iter()
            .filter_map(|scope| connect_scope(*scope, product_name))
            .collect();
        if system_token {
            scopes.push("read:app-system-token".to_owned());
        }
        if user_token {
            scopes.push("read:app-user-token".to_owned());
        }
        scopes.extend(settings.extra_scopes.iter().cloned());
        scopes.sort();
        scopes.dedup();

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
                connect: ConnectSection {
                    key: descriptor.key.as_str().to_owned(),
                    remote: REMOTE_KEY.to_owned(),
                    authentication: "jwt".to_owned(),
                },
                runtime: Runtime {
                    name: settings.runtime.clone(),
                },
                licensing: descriptor
                    .enable_licensing
                    .map(|enabled| Licensing { enabled }),
            },
            remotes: vec![Remote {
                key: REMOTE_KEY.to_owned(),
                base_url: descriptor.base_url.clone(),
                operations,
                storage,
            }],
            permissions: Permissions { scopes },
            connect_modules,
            modules,
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

/// `connectModules`: every module of the descriptor under `<product>:<type>`, as an array,
/// webhooks keyed `webhook-N`, and the lifecycle entry.
fn connect_modules(
    descriptor: &Descriptor,
    product: Product,
    product_name: &'static str,
    keys: &mut Vec<String>,
) -> Result<Map<String, Value>, ManifestError> {
    let mut out = Map::new();
    let modules = match serde_json::to_value(&descriptor.modules) {
        Ok(Value::Object(modules)) => modules,
        _ => Map::new(),
    };
    let mut webhook_number = 0;
    for (kind, value) in modules {
        if let Some(module_type) = ModuleType::by_descriptor_key(&kind) {
            if !module_type.spec().applies_to.includes(product) {
                return Err(ManifestError::WrongProduct {
                    module_type: kind,
                    product: product_name,
                });
            }
        }
        let mut entries = match value {
            Value::Array(entries) => entries,
            single => vec![single],
        };
        if kind == "webhooks" {
            for entry in &mut entries {
                if let Value::Object(entry) = entry
                    && !entry.contains_key("key")
                {
                    let key = loop {
                        webhook_number += 1;
                        let key = format!("webhook-{webhook_number}");
                        if !keys.contains(&key) {
                            break key;
                        }
                    };
                    keys.push(key.clone());
                    entry.insert("key".to_owned(), Value::String(key));
                }
            }
        }
        out.insert(format!("{product_name}:{kind}"), Value::Array(entries));
    }
    let mut lifecycle_key = "connect-lifecycle".to_owned();
    let mut suffix = 1;
    while keys.contains(&lifecycle_key) {
        suffix += 1;
        lifecycle_key = format!("connect-lifecycle-{suffix}");
    }
    keys.push(lifecycle_key.clone());
    let lifecycle = &descriptor.lifecycle;
    out.insert(
        format!("{product_name}:lifecycle"),
        serde_json::json!([{
            "key": lifecycle_key,
            "installed": lifecycle.installed,
            "uninstalled": lifecycle.uninstalled,
        }]),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppKey;

    fn settings() -> ManifestSettings {
        ManifestSettings::new(
            ForgeAppId::parse("ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11")
                .unwrap(),
        )
    }

    fn descriptor() -> Descriptor {
        let mut descriptor = Descriptor::new(
            AppKey::parse("com.example.app").unwrap(),
            "App",
            "https://app.example.com",
        );
        descriptor.scopes = vec![Scope::Read, Scope::ActAsUser];
        descriptor
            .modules
            .add_json(
                "webhooks",
                serde_json::json!({"event": "jira:issue_created", "url": "/hook"}),
            )
            .unwrap();
        descriptor
    }

    #[test]
    fn scopes_map_to_connect_scopes_of_the_product() {
        let manifest = Manifest::build(&descriptor(), &settings(), &[]).unwrap();
        assert_eq!(
            manifest.permissions.scopes,
            ["act-as-user:connect-jira", "read:connect-jira"]
        );
        let json = manifest.to_json();
        assert_eq!(
            json["connectModules"]["jira:webhooks"][0]["key"],
            "webhook-1"
        );
        assert_eq!(
            json["connectModules"]["jira:lifecycle"][0]["installed"],
            "/installed"
        );
        assert_eq!(
            json["remotes"][0]["operations"],
            serde_json::json!(["compute", "fetch"])
        );
    }

    #[test]
    fn forge_routes_become_modules_and_token_scopes() {
        let routes = [
            ForgeRoute {
                module: ForgeModule::Remote {
                    key: "notes-remote",
                    system_token: true,
                    user_token: true,
                },
                path: "/forge/notes".to_owned(),
            },
            ForgeRoute {
                module: ForgeModule::Trigger {
                    key: "lifecycle",
                    events: vec!["avi:forge:installed:app"],
                    system_token: false,
                },
                path: "/forge/lifecycle".to_owned(),
            },
        ];
        let manifest = Manifest::build(&descriptor(), &settings(), &routes).unwrap();
        let json = manifest.to_json();
        assert_eq!(json["modules"]["endpoint"][1]["key"], "lifecycle-ep");
        assert_eq!(json["modules"]["trigger"][0]["endpoint"], "lifecycle-ep");
        assert!(
            manifest
                .permissions
                .scopes
                .contains(&"read:app-user-token".to_owned())
        );
        assert!(manifest.to_yaml().unwrap().contains("appSystemToken"));
    }

    #[test]
    fn forge_routes_need_compute_and_a_known_runtime() {
        let routes = [ForgeRoute {
            module: ForgeModule::Remote {
                key: "notes",
                system_token: false,
                user_token: false,
            },
            path: "/notes".to_owned(),
        }];
        let mut settings = settings();
        settings.remote.operations = vec![Operation::Fetch];
        assert_eq!(
            Manifest::build(&descriptor(), &settings, &routes),
            Err(ManifestError::ComputeRequired)
        );
        let mut settings = self::settings();
        settings.runtime = "python3.12".to_owned();
        assert!(matches!(
            Manifest::build(&descriptor(), &settings, &[]),
            Err(ManifestError::Runtime(_))
        ));
    }

    #[test]
    fn storage_needs_the_eud_flag_and_keys_are_unique() {
        let mut settings = settings();
        settings.remote.operations.push(Operation::Storage);
        assert_eq!(
            Manifest::build(&descriptor(), &settings, &[]),
            Err(ManifestError::StorageScope)
        );
        let routes = [ForgeRoute {
            module: ForgeModule::Remote {
                key: "webhook-1",
                system_token: false,
                user_token: false,
            },
            path: "/x".to_owned(),
        }];
        assert_eq!(
            Manifest::build(&descriptor(), &self::settings(), &routes),
            Err(ManifestError::DuplicateKey("webhook-1".to_owned()))
        );
    }
}
