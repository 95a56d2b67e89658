//! The manifest's `modules` and `resources`: the Forge modules of the handlers, the UI modules
//! stacked on resolvers, and what the app declares itself (raw modules, an MCP server, the
//! Connect-to-Forge migration), every cross-reference checked (resolver endpoints, resources,
//! MCP tools).

use super::model::{
    Action, ConnectToForgeMigration, Consumer, Enabled, Endpoint, EndpointAuth, EndpointRoute,
    ForgeModules, PayloadInclude, PreUninstall, Resource, RovoMcp, ScheduledTrigger, Trigger,
    TriggerFilter, TriggerPayload, Webtrigger, WebtriggerOutput, WebtriggerResponse,
};
use super::{ForgeRoute, Keys, ManifestError, ManifestSettings, REMOTE_KEY};
use crate::forge::action::{inputs, outputs};
use crate::forge::ui::{UiKind, UiModule, check_resource_key, check_resource_path};
use crate::forge::{ForgeModuleKind, Tokens, check_key, check_queue};
use crate::kind::Product;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Longest `rovo:mcp` name (the schema's).
pub const MAX_MCP_NAME: usize = 30;
/// Most tools of a `rovo:mcp` module (Atlassian's docs; the schema allows 50).
pub const MAX_MCP_TOOLS: usize = 20;

/// What the modules need from the token side: the scopes the endpoints imply.
pub(super) struct Built {
    pub(super) modules: ForgeModules,
    pub(super) resources: Vec<Resource>,
    pub(super) tokens: Tokens,
}

pub(super) fn build(
    routes: &[ForgeRoute],
    settings: &ManifestSettings,
    product: Product,
    keys: &mut Keys,
) -> Result<Built, ManifestError> {
    let mut modules = ForgeModules::default();
    let mut resources = Resources::default();
    for (key, path) in &settings.resources {
        resources.add(key, path)?;
    }
    let mut tokens = Tokens::default();
    // Endpoints by key: resolvers share one; any other kind owns its endpoint.
    let mut endpoints: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for route in routes {
        let module = &route.module;
        module.check()?;
        tokens.system |= module.tokens.system;
        tokens.user |= module.tokens.user;
        let endpoint_key = module.endpoint_key().into_owned();
        let shared = matches!(module.kind, ForgeModuleKind::Resolver { .. });
        match endpoints.get(&endpoint_key) {
            Some(&(index, true)) if shared => {
                let auth = modules.endpoint[index].auth.get_or_insert(EndpointAuth {
                    app_system_token: None,
                    app_user_token: None,
                });
                if module.tokens.system {
                    auth.app_system_token = Some(Enabled { enabled: true });
                }
                if module.tokens.user {
                    auth.app_user_token = Some(Enabled { enabled: true });
                }
            }
            Some(_) => return Err(ManifestError::DuplicateKey(endpoint_key)),
            None => {
                keys.claim(&endpoint_key)?;
                endpoints.insert(endpoint_key.clone(), (modules.endpoint.len(), shared));
                modules.endpoint.push(Endpoint {
                    key: endpoint_key.clone(),
                    remote: match &settings.container {
                        Some(_) => None,
                        None => Some(REMOTE_KEY.to_owned()),
                    },
                    service: settings
                        .container
                        .as_ref()
                        .map(|container| container.service.clone()),
                    route: module.has_route().then(|| EndpointRoute {
                        path: route.path.clone(),
                    }),
                    auth: auth(module.tokens),
                });
            }
        }
        let key = module.key.to_owned();
        let endpoint = endpoint_key;
        match &module.kind {
            ForgeModuleKind::Remote => {}
            ForgeModuleKind::Resolver { ui } => {
                for ui_module in ui {
                    add_ui(
                        &mut modules,
                        &mut resources,
                        ui_module,
                        &endpoint,
                        product,
                        keys,
                    )?;
                }
            }
            ForgeModuleKind::Trigger {
                events,
                filter,
                include_fields,
                include_paths,
            } => modules.trigger.push(Trigger {
                key: keys.claim(&key)?,
                endpoint,
                events: events.iter().map(|event| (*event).to_owned()).collect(),
                filter: (!filter.is_empty()).then(|| TriggerFilter {
                    ignore_self: filter.ignore_self.then_some(true),
                    expression: filter.expression.map(str::to_owned),
                    on_error: filter.on_error.map(str::to_owned),
                    app_is_licensed: filter.licensed_only.then_some(true),
                }),
                payload: (!include_fields.is_empty() || !include_paths.is_empty()).then(|| {
                    TriggerPayload {
                        include: PayloadInclude {
                            fields: include_fields.iter().map(|f| (*f).to_owned()).collect(),
                            property_paths: include_paths.iter().map(|p| (*p).to_owned()).collect(),
                        },
                    }
                }),
            }),
            ForgeModuleKind::ScheduledTrigger { interval } => {
                modules.scheduled_trigger.push(ScheduledTrigger {
                    key: keys.claim(&key)?,
                    endpoint,
                    interval: *interval,
                })
            }
            ForgeModuleKind::Action(spec) => {
                let field_error = |error| ManifestError::Action {
                    key: key.clone(),
                    error,
                };
                let description = spec.description.trim();
                if description.is_empty() || description.chars().count() > 255 {
                    return Err(ManifestError::Action {
                        key: key.clone(),
                        error: crate::forge::ForgeError::ActionSchema(
                            "the description must have 1 to 255 characters".to_owned(),
                        ),
                    });
                }
                modules.action.push(Action {
                    key: keys.claim(&key)?,
                    name: spec.name.map(str::to_owned),
                    description: description.to_owned(),
                    action_verb: spec.verb,
                    endpoint,
                    inputs: match spec.inputs {
                        Some(schema) => inputs(&(schema.0)()).map_err(field_error)?,
                        None => BTreeMap::new(),
                    },
                    outputs: match spec.outputs {
                        Some(schema) => outputs(&(schema.0)()).map_err(field_error)?,
                        None => BTreeMap::new(),
                    },
                })
            }
            ForgeModuleKind::Consumer { queue } => {
                check_queue(queue)?;
                modules.consumer.push(Consumer {
                    key: keys.claim(&key)?,
                    queue: (*queue).to_owned(),
                    endpoint,
                })
            }
            ForgeModuleKind::Webtrigger { outputs } => modules.webtrigger.push(Webtrigger {
                key: keys.claim(&key)?,
                endpoint,
                response: WebtriggerResponse {
                    ty: if outputs.is_empty() {
                        "dynamic"
                    } else {
                        "static"
                    },
                    outputs: outputs
                        .iter()
                        .map(|output| WebtriggerOutput {
                            key: output.key.to_owned(),
                            status_code: output.status,
                            content_type: output.content_type.map(str::to_owned),
                            body: output.body.map(str::to_owned),
                        })
                        .collect(),
                },
            }),
            ForgeModuleKind::PreUninstall => modules.pre_uninstall.push(PreUninstall {
                key: keys.claim(&key)?,
                endpoint,
            }),
        }
    }
    for (kind, entry) in &settings.raw_modules {
        add_raw(
            &mut modules,
            &resources,
            kind,
            entry,
            &endpoints,
            product,
            keys,
        )?;
    }
    if let Some(mcp) = &settings.mcp {
        check_key(&mcp.key)?;
        let name_length = mcp.name.chars().count();
        if name_length == 0 || name_length > MAX_MCP_NAME {
            return Err(ManifestError::Mcp(format!(
                "its name `{}` must have 1 to {MAX_MCP_NAME} characters",
                mcp.name
            )));
        }
        if mcp.tools.is_empty() || mcp.tools.len() > MAX_MCP_TOOLS {
            return Err(ManifestError::Mcp(format!(
                "it needs 1 to {MAX_MCP_TOOLS} tools, not {}",
                mcp.tools.len()
            )));
        }
        for (index, tool) in mcp.tools.iter().enumerate() {
            if !modules.action.iter().any(|action| &action.key == tool) {
                return Err(ManifestError::Mcp(format!(
                    "tool `{tool}` is not the key of one of the app's `#[forge::action]` handlers"
                )));
            }
            if mcp.tools[..index].contains(tool) {
                return Err(ManifestError::Mcp(format!("tool `{tool}` is listed twice")));
            }
        }
        modules.rovo_mcp.push(RovoMcp {
            key: keys.claim(&mcp.key)?,
            name: mcp.name.clone(),
            tools: mcp.tools.clone(),
        });
    }
    if let Some(migration) = &settings.migration {
        let url = &migration.guide_url;
        if !url.starts_with("https://") || url.len() > 2048 || url.len() <= "https://".len() {
            return Err(ManifestError::Migration(url.clone()));
        }
        modules
            .connect_to_forge_migration
            .push(ConnectToForgeMigration {
                key: keys.claim(&migration.key)?,
                migration_guide_url: url.clone(),
                will_migrate: migration.will_migrate,
            });
    }
    Ok(Built {
        modules,
        resources: resources.into_list(),
        tokens,
    })
}

fn auth(tokens: Tokens) -> Option<EndpointAuth> {
    (tokens.system || tokens.user).then(|| EndpointAuth {
        app_system_token: tokens.system.then_some(Enabled { enabled: true }),
        app_user_token: tokens.user.then_some(Enabled { enabled: true }),
    })
}

/// `resources`, each key with one folder.
#[derive(Default)]
struct Resources(Vec<Resource>);

impl Resources {
    fn add(&mut self, key: &str, path: &str) -> Result<(), ManifestError> {
        check_resource_key(key)?;
        check_resource_path(path)?;
        let path = path.trim_end_matches('/');
        match self.0.iter().find(|resource| resource.key == key) {
            Some(resource) if resource.path == path => Ok(()),
            Some(resource) => Err(ManifestError::ResourceConflict {
                key: key.to_owned(),
                first: resource.path.clone(),
                second: path.to_owned(),
            }),
            None => {
                self.0.push(Resource {
                    key: key.to_owned(),
                    path: path.to_owned(),
                });
                Ok(())
            }
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|resource| resource.key == key)
    }

    fn into_list(self) -> Vec<Resource> {
        self.0
    }
}

fn add_ui(
    modules: &mut ForgeModules,
    resources: &mut Resources,
    ui: &UiModule,
    endpoint: &str,
    product: Product,
    keys: &mut Keys,
) -> Result<(), ManifestError> {
    ui.check()?;
    let spec = ui.kind.spec();
    if spec.product != product {
        return Err(ManifestError::WrongProduct {
            module_type: spec.module_type.to_owned(),
            product: product.as_str(),
        });
    }
    resources.add(ui.resource, ui.resource_path)?;
    let mut entry = Map::new();
    entry.insert("key".to_owned(), Value::from(keys.claim(ui.key)?));
    entry.insert("resource".to_owned(), Value::from(ui.resource));
    entry.insert(
        "resolver".to_owned(),
        serde_json::json!({ "endpoint": endpoint }),
    );
    for field in crate::forge::UiField::ALL {
        if let Some((_, value)) = ui.fields.iter().find(|(set, _)| *set == field) {
            entry.insert(field.name().to_owned(), Value::from(*value));
        }
    }
    modules
        .other
        .entry(spec.module_type.to_owned())
        .or_default()
        .push(Value::Object(entry));
    Ok(())
}

/// The module kinds the attributes declare (and the typed model renders).
const TYPED_KINDS: [&str; 9] = [
    "endpoint",
    "trigger",
    "scheduledTrigger",
    "action",
    "rovo:mcp",
    "consumer",
    "webtrigger",
    "preUninstall",
    "connectToForgeMigration",
];

/// A module the app declares as JSON (`App::forge_module`): its key claimed, and for a UI
/// kind, its resolver endpoint and resource checked against what the manifest has.
fn add_raw(
    modules: &mut ForgeModules,
    resources: &Resources,
    kind: &str,
    entry: &Value,
    endpoints: &BTreeMap<String, (usize, bool)>,
    product: Product,
    keys: &mut Keys,
) -> Result<(), ManifestError> {
    let raw_error = |reason: String| ManifestError::RawModule {
        kind: kind.to_owned(),
        reason,
    };
    if TYPED_KINDS.contains(&kind) {
        return Err(raw_error(
            "the framework declares this kind from its attribute (`#[forge::...]`): use the attribute".to_owned(),
        ));
    }
    let Some(object) = entry.as_object() else {
        return Err(raw_error("the entry is not a JSON object".to_owned()));
    };
    let Some(key) = object.get("key").and_then(Value::as_str) else {
        return Err(raw_error("the entry has no string `key`".to_owned()));
    };
    check_key(key)?;
    if let Some(ui) = UiKind::by_module_type(kind) {
        let spec = ui.spec();
        if spec.product != product {
            return Err(ManifestError::WrongProduct {
                module_type: kind.to_owned(),
                product: product.as_str(),
            });
        }
        for field in spec.required {
            if !object.contains_key(field.name()) {
                return Err(raw_error(format!("`{key}` needs `{}`", field.name())));
            }
        }
        match object.get("resource").and_then(Value::as_str) {
            Some(resource) if resources.contains(resource) => {}
            Some(resource) => {
                return Err(raw_error(format!(
                    "`{key}` names resource `{resource}`, which the app does not declare: add `.forge_resource(\"{resource}\", \"<folder>\")`"
                )));
            }
            None => return Err(raw_error(format!("`{key}` needs `resource`"))),
        }
    }
    if let Some(resolver) = object.get("resolver") {
        match resolver.get("endpoint").and_then(Value::as_str) {
            // Only a resolver endpoint: a UI module's token must not reach a backend route.
            Some(endpoint) if endpoints.get(endpoint).is_some_and(|(_, shared)| *shared) => {}
            Some(endpoint) => {
                return Err(ManifestError::UnknownEndpoint {
                    module: key.to_owned(),
                    endpoint: endpoint.to_owned(),
                });
            }
            None => {}
        }
    }
    keys.claim(key)?;
    modules
        .other
        .entry(kind.to_owned())
        .or_default()
        .push(entry.clone());
    Ok(())
}
