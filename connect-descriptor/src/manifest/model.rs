//! The manifest's shape, as `manifest.yml` spells it: what [`Manifest::to_yaml`] renders.

use super::Operation;
use crate::forge::action::{ActionInput, ActionOutput, ActionVerb};
use crate::forge::{ForgeAppId, Interval};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The manifest, ready to render with [`Manifest::to_yaml`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `app`.
    pub app: ManifestApp,
    /// `remotes` (none when the app runs as a Forge Container).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<Remote>,
    /// `services`: the Forge Container service the app runs as.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// `resources`: the Custom UI folders of the UI modules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// `permissions`.
    pub permissions: Permissions,
    /// `connectModules`, by `<product>:<moduleType>` (none in a Forge-native app).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub connect_modules: Map<String, Value>,
    /// `modules`.
    #[serde(skip_serializing_if = "ForgeModules::is_empty")]
    pub modules: ForgeModules,
}

/// `app`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestApp {
    /// The Forge app id.
    pub id: ForgeAppId,
    /// `connect` (none in a Forge-native app).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectSection>,
    /// `runtime`.
    pub runtime: Runtime,
    /// `licensing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licensing: Option<Licensing>,
    /// `storage`: the custom entities of Forge storage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<AppStorage>,
}

/// `app.storage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppStorage {
    /// `entities`: `{name, attributes, indexes}` each, as Forge's schema describes them.
    pub entities: Vec<Value>,
}

/// `app.connect`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectSection {
    /// The Connect app key.
    pub key: String,
    /// The remote serving the Connect modules.
    pub remote: String,
    /// Always `jwt`.
    pub authentication: String,
}

/// `app.runtime`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runtime {
    /// E.g. `nodejs22.x`.
    pub name: String,
}

/// `app.licensing`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Licensing {
    /// Mirrors the descriptor's `enableLicensing`.
    pub enabled: bool,
}

/// One entry of `remotes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    /// The remote's key.
    pub key: String,
    /// The app's baseUrl.
    pub base_url: String,
    /// What it does.
    pub operations: Vec<Operation>,
    /// `storage.inScopeEUD`, with `storage` among the operations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<RemoteStorage>,
}

/// `remotes[].storage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteStorage {
    /// Whether the remote stores in-scope End-User Data.
    #[serde(rename = "inScopeEUD")]
    pub in_scope_eud: bool,
}

/// One entry of `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// The key UI modules name.
    pub key: String,
    /// The folder, relative to the manifest's directory.
    pub path: String,
}

/// One entry of `services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Its key.
    pub key: String,
    /// Its containers (one, in Forge's Preview).
    pub containers: Vec<Container>,
    /// `scaling`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Scaling>,
}

/// `services[].containers[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// Its key.
    pub key: String,
    /// The image tag.
    pub tag: String,
    /// `health`.
    pub health: Health,
    /// `resources`.
    pub resources: ResourcesReserved,
}

/// `services[].containers[].health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// Always `http`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// `route`.
    pub route: EndpointRoute,
}

/// `services[].containers[].resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourcesReserved {
    /// CPU (`250m`).
    pub cpu: String,
    /// Memory (`512Mi`).
    pub memory: String,
}

/// `services[].scaling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scaling {
    /// The fewest instances (0: scale to zero, development and staging only).
    pub min: u32,
    /// The most instances.
    pub max: u32,
}

/// `permissions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    /// `scopes`, sorted.
    pub scopes: Vec<String>,
}

/// `modules`: the Forge modules of the `#[forge::...]` handlers and [`App`-level
/// declarations](crate::manifest::ManifestSettings).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgeModules {
    /// `endpoint`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Endpoint>,
    /// `trigger`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trigger: Vec<Trigger>,
    /// `scheduledTrigger`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scheduled_trigger: Vec<ScheduledTrigger>,
    /// `action`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<Action>,
    /// `rovo:mcp`.
    #[serde(rename = "rovo:mcp", skip_serializing_if = "Vec::is_empty")]
    pub rovo_mcp: Vec<RovoMcp>,
    /// `consumer`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consumer: Vec<Consumer>,
    /// `webtrigger`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webtrigger: Vec<Webtrigger>,
    /// `preUninstall`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_uninstall: Vec<PreUninstall>,
    /// `connectToForgeMigration`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_to_forge_migration: Vec<ConnectToForgeMigration>,
    /// The UI modules (`jira:issuePanel`, `macro`...) and raw modules, by module type.
    #[serde(flatten)]
    pub other: BTreeMap<String, Vec<Value>>,
}

impl ForgeModules {
    pub(crate) fn is_empty(&self) -> bool {
        self.endpoint.is_empty() && !self.has_non_endpoint()
    }

    /// Whether any module is not an endpoint: Forge refuses `modules` with endpoints only.
    pub(crate) fn has_non_endpoint(&self) -> bool {
        !(self.trigger.is_empty()
            && self.scheduled_trigger.is_empty()
            && self.action.is_empty()
            && self.rovo_mcp.is_empty()
            && self.consumer.is_empty()
            && self.webtrigger.is_empty()
            && self.pre_uninstall.is_empty()
            && self.connect_to_forge_migration.is_empty()
            && self.other.values().all(Vec::is_empty))
    }
}

/// `modules.endpoint[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    /// Its key.
    pub key: String,
    /// The remote it is served by (a Forge Remote).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// The service it is served by (a Forge Container).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `route.path` (none for a UI resolver: the frontend's path is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<EndpointRoute>,
    /// The tokens Forge sends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<EndpointAuth>,
}

/// `modules.endpoint[].route`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointRoute {
    /// The path on the remote.
    pub path: String,
}

/// `modules.endpoint[].auth`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAuth {
    /// `appSystemToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_system_token: Option<Enabled>,
    /// `appUserToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_user_token: Option<Enabled>,
}

/// `{enabled: true}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enabled {
    /// Always true when present.
    pub enabled: bool,
}

/// `modules.trigger[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    /// Its key.
    pub key: String,
    /// The endpoint that receives the events.
    pub endpoint: String,
    /// The events.
    pub events: Vec<String>,
    /// `filter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<TriggerFilter>,
    /// `payload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<TriggerPayload>,
}

/// `modules.trigger[].filter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerFilter {
    /// `ignoreSelf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_self: Option<bool>,
    /// `expression`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// `onError`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
    /// `appIsLicensed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_is_licensed: Option<bool>,
}

/// `modules.trigger[].payload`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerPayload {
    /// `include`.
    pub include: PayloadInclude,
}

/// `modules.trigger[].payload.include`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadInclude {
    /// `fields`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// `propertyPaths`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub property_paths: Vec<String>,
}

/// `modules.scheduledTrigger[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledTrigger {
    /// Its key.
    pub key: String,
    /// The endpoint that receives the calls.
    pub endpoint: String,
    /// How often.
    pub interval: Interval,
}

/// `modules.action[]` (a Rovo action backed by an endpoint).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Its key.
    pub key: String,
    /// `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `description`.
    pub description: String,
    /// `actionVerb`.
    pub action_verb: ActionVerb,
    /// The endpoint.
    pub endpoint: String,
    /// `inputs`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, ActionInput>,
    /// `outputs`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, ActionOutput>,
}

/// `modules.rovo:mcp[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoMcp {
    /// Its key.
    pub key: String,
    /// `name` (1 to 30 characters).
    pub name: String,
    /// The action keys it offers as tools.
    pub tools: Vec<String>,
}

/// `modules.consumer[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumer {
    /// Its key.
    pub key: String,
    /// The queue.
    pub queue: String,
    /// The endpoint.
    pub endpoint: String,
}

/// `modules.webtrigger[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webtrigger {
    /// Its key.
    pub key: String,
    /// The endpoint.
    pub endpoint: String,
    /// `response`.
    pub response: WebtriggerResponse,
}

/// `modules.webtrigger[].response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebtriggerResponse {
    /// `static` or `dynamic`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The static outputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<WebtriggerOutput>,
}

/// `modules.webtrigger[].response.outputs[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebtriggerOutput {
    /// Its key.
    pub key: String,
    /// `statusCode`.
    pub status_code: u16,
    /// `contentType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `body`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// `modules.preUninstall[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreUninstall {
    /// Its key.
    pub key: String,
    /// The endpoint.
    pub endpoint: String,
}

/// `modules.connectToForgeMigration[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectToForgeMigration {
    /// Its key.
    pub key: String,
    /// `migrationGuideUrl` (https).
    pub migration_guide_url: String,
    /// `willMigrateToForgeBeforeEOS`.
    #[serde(rename = "willMigrateToForgeBeforeEOS")]
    pub will_migrate: WillMigrate,
}

/// `willMigrateToForgeBeforeEOS`: whether the app moves to Forge before Connect's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WillMigrate {
    /// It will.
    Yes,
    /// It will not.
    No,
    /// Not decided yet.
    Undecided,
}
