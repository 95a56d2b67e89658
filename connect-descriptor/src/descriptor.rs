//! The complete descriptor (`/atlassian-connect.json`).
//!
//! What the framework guarantees is not configurable: `authentication: jwt`, the lifecycle
//! URLs of the routes it wires, and `apiMigrations` with `signed-install`, `context-qsh` and
//! `gdpr`. Without `signed-install` the first install arrives unsigned and a reinstall can be
//! hijacked by anyone who knows a clientKey.

use crate::key::AppKey;
use crate::module::Modules;
use crate::scope::Scope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The app's vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Vendor {
    /// Vendor name.
    pub name: String,
    /// Vendor website.
    pub url: String,
}

/// The only authentication type of a Connect app of this framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthenticationType {
    /// JWT: RS256 lifecycle tokens, HS256 with the shared secret otherwise.
    #[default]
    Jwt,
}

/// `authentication`: always `{"type": "jwt"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Authentication {
    /// Always JWT.
    #[serde(rename = "type")]
    pub kind: AuthenticationType,
}

/// Lifecycle URLs, relative to the baseUrl: the routes the framework wires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Lifecycle {
    /// Install hook (RS256 signed).
    pub installed: String,
    /// Uninstall hook (RS256 signed).
    pub uninstalled: String,
    /// Enable notification (HS256).
    pub enabled: String,
    /// Disable notification (HS256).
    pub disabled: String,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            installed: "/installed".to_owned(),
            uninstalled: "/uninstalled".to_owned(),
            enabled: "/enabled".to_owned(),
            disabled: "/disabled".to_owned(),
        }
    }
}

/// `apiMigrations`: the three migrations every app of this framework opts into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiMigrations {
    /// Install and uninstall hooks carry RS256 tokens.
    #[serde(rename = "signed-install")]
    pub signed_install: bool,
    /// Context tokens carry `qsh: context-qsh`.
    #[serde(rename = "context-qsh")]
    pub context_qsh: bool,
    /// No legacy user keys or usernames.
    pub gdpr: bool,
}

impl Default for ApiMigrations {
    fn default() -> Self {
        Self {
            signed_install: true,
            context_qsh: true,
            gdpr: true,
        }
    }
}

/// The complete descriptor, as served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The app key.
    pub key: AppKey,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// The app's public baseUrl, without a trailing slash.
    pub base_url: String,
    /// Always `{"type": "jwt"}`.
    pub authentication: Authentication,
    /// Lifecycle URLs of the routes the framework wires.
    pub lifecycle: Lifecycle,
    /// Always all three migrations.
    pub api_migrations: ApiMigrations,
    /// Requested scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    /// Whether the app is licensed through the Marketplace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_licensing: Option<bool>,
    /// Modules by type (`generalPages`, `webhooks`, ...).
    #[serde(default, skip_serializing_if = "Modules::is_empty")]
    pub modules: Modules,
}

impl Descriptor {
    /// A descriptor without modules for `key` served at `base_url`.
    ///
    /// ```
    /// use connect_descriptor::{AppKey, Descriptor};
    /// let descriptor = Descriptor::new(AppKey::parse("com.example.app").unwrap(), "App", "https://app.example.com/");
    /// let json = serde_json::to_value(&descriptor).unwrap();
    /// assert_eq!(json["apiMigrations"]["signed-install"], true);
    /// assert_eq!(json["baseUrl"], "https://app.example.com");
    /// ```
    pub fn new(key: AppKey, name: impl Into<String>, base_url: &str) -> Self {
        Self {
            key,
            name: name.into(),
            description: None,
            vendor: None,
            base_url: base_url.trim_end_matches('/').to_owned(),
            authentication: Authentication::default(),
            lifecycle: Lifecycle::default(),
            api_migrations: ApiMigrations::default(),
            scopes: Vec::new(),
            enable_licensing: None,
            modules: Modules::default(),
        }
    }

    /// The JSON Schema of every descriptor this framework produces.
    pub fn json_schema() -> schemars::Schema {
        schemars::schema_for!(Descriptor)
    }
}
