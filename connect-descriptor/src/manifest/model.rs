//! The manifest's shape, as `manifest.yml` spells it: what [`Manifest::to_yaml`] renders.

use super::Operation;
use crate::forge::{ForgeAppId, Interval};
use serde::Serialize;
use serde_json::{Map, Value};

/// The manifest, ready to render with [`Manifest::to_yaml`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// `app`.
    pub app: ManifestApp,
    /// `remotes`.
    pub remotes: Vec<Remote>,
    /// `permissions`.
    pub permissions: Permissions,
    /// `connectModules`, by `<product>:<moduleType>`.
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
    /// `connect`.
    pub connect: ConnectSection,
    /// `runtime`.
    pub runtime: Runtime,
    /// `licensing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licensing: Option<Licensing>,
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

/// `permissions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    /// `scopes`, sorted.
    pub scopes: Vec<String>,
}

/// `modules`: the Forge modules of the `#[forge::...]` handlers.
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
}

impl ForgeModules {
    fn is_empty(&self) -> bool {
        self.endpoint.is_empty() && self.trigger.is_empty() && self.scheduled_trigger.is_empty()
    }
}

/// `modules.endpoint[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    /// Its key.
    pub key: String,
    /// The remote it is served by.
    pub remote: String,
    /// `route.path`.
    pub route: EndpointRoute,
    /// The tokens Forge sends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<EndpointAuth>,
}

/// `modules.endpoint[].route`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
