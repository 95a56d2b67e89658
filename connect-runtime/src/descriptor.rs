//! The app descriptor (`/atlassian-connect.json`): a typed model and its builder.
//!
//! What the framework guarantees is not configurable: `authentication: jwt`, the lifecycle
//! URLs of the routes it wires, and `apiMigrations` with `signed-install`, `context-qsh` and
//! `gdpr`. Without `signed-install` the first install arrives unsigned and a reinstall can be
//! hijacked by anyone who knows a clientKey.

use serde::Serialize;
use serde_json::{Map, Value};

/// Longest app key Atlassian accepts.
const MAX_APP_KEY_LEN: usize = 64;

/// An OAuth scope the app requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    /// No product access.
    None,
    /// Read.
    Read,
    /// Write (implies read).
    Write,
    /// Delete (implies write).
    Delete,
    /// Jira project administration.
    ProjectAdmin,
    /// Confluence space administration.
    SpaceAdmin,
    /// Product administration.
    Admin,
    /// Act on behalf of users (OAuth 2.0 JWT bearer).
    ActAsUser,
    /// Read users' email addresses.
    AccessEmailAddresses,
}

/// The app's vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    /// Vendor name.
    pub name: String,
    /// Vendor website.
    pub url: String,
}

/// `authentication` of the descriptor: always JWT.
#[derive(Debug, Clone, Serialize)]
pub struct Authentication {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Lifecycle URLs, relative to the baseUrl.
#[derive(Debug, Clone, Serialize)]
pub struct LifecycleUrls {
    /// Install hook (RS256 signed).
    pub installed: &'static str,
    /// Uninstall hook (RS256 signed).
    pub uninstalled: &'static str,
    /// Enable notification (HS256).
    pub enabled: &'static str,
    /// Disable notification (HS256).
    pub disabled: &'static str,
}

/// `apiMigrations`: the three migrations every app of this framework opts into.
#[derive(Debug, Clone, Serialize)]
pub struct ApiMigrations {
    #[serde(rename = "signed-install")]
    signed_install: bool,
    #[serde(rename = "context-qsh")]
    context_qsh: bool,
    gdpr: bool,
}

/// The complete descriptor, as served.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The app key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Vendor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Vendor>,
    /// The app's public baseUrl.
    pub base_url: String,
    /// Always `{"type": "jwt"}`.
    pub authentication: Authentication,
    /// Lifecycle URLs of the routes the framework wires.
    pub lifecycle: LifecycleUrls,
    /// Always all three migrations.
    pub api_migrations: ApiMigrations,
    /// Requested scopes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    /// Whether the app is licensed through the Marketplace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_licensing: Option<bool>,
    /// Modules by type (`generalPages`, `webhooks`, ...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub modules: Map<String, Value>,
}

/// An app definition that cannot produce a valid descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    /// The app key is empty, too long or has characters outside `[a-zA-Z0-9-._]`.
    #[error("app key `{0}` is invalid: use 1 to 64 of a-z A-Z 0-9 - . _")]
    InvalidAppKey(String),
    /// A module entry has no valid `key`.
    #[error("module of type `{kind}` needs a `key` of a-z A-Z 0-9 -")]
    InvalidModuleKey {
        /// The module type.
        kind: String,
    },
    /// Two modules share a key.
    #[error("module key `{0}` is used twice")]
    DuplicateModuleKey(String),
}

/// What an app declares about itself; the framework adds the rest.
#[derive(Debug, Clone)]
pub struct AppInfo {
    key: String,
    name: String,
    description: Option<String>,
    vendor: Option<Vendor>,
    scopes: Vec<Scope>,
    enable_licensing: Option<bool>,
    modules: Map<String, Value>,
}

impl AppInfo {
    /// An app with `key` (unique on the Marketplace) and display `name`.
    pub fn new(key: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            description: None,
            vendor: None,
            scopes: Vec::new(),
            enable_licensing: None,
            modules: Map::new(),
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
        self.enable_licensing = Some(enabled);
        self
    }

    /// Adds a module entry to the array of module type `kind` (e.g. `generalPages`). The raw
    /// JSON escape hatch for modules the framework does not model.
    pub fn module(mut self, kind: &str, entry: Value) -> Self {
        match self.modules.get_mut(kind) {
            Some(Value::Array(entries)) => entries.push(entry),
            _ => {
                self.modules
                    .insert(kind.to_owned(), Value::Array(vec![entry]));
            }
        }
        self
    }

    /// Sets the single-object module type `kind` (e.g. `configurePage`).
    pub fn single_module(mut self, kind: &str, entry: Value) -> Self {
        self.modules.insert(kind.to_owned(), entry);
        self
    }

    /// The descriptor served at `base_url`, after checking keys.
    pub fn descriptor(&self, base_url: &str) -> Result<Descriptor, DescriptorError> {
        validate_app_key(&self.key)?;
        validate_module_keys(&self.modules)?;
        Ok(Descriptor {
            key: self.key.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            vendor: self.vendor.clone(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            authentication: Authentication { kind: "jwt" },
            lifecycle: LifecycleUrls {
                installed: "/installed",
                uninstalled: "/uninstalled",
                enabled: "/enabled",
                disabled: "/disabled",
            },
            api_migrations: ApiMigrations {
                signed_install: true,
                context_qsh: true,
                gdpr: true,
            },
            scopes: self.scopes.clone(),
            enable_licensing: self.enable_licensing,
            modules: self.modules.clone(),
        })
    }
}

/// App keys: `^[a-zA-Z0-9-._]+$`, at most 64 characters.
pub fn validate_app_key(key: &str) -> Result<(), DescriptorError> {
    let valid = !key.is_empty()
        && key.len() <= MAX_APP_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if valid {
        Ok(())
    } else {
        Err(DescriptorError::InvalidAppKey(key.to_owned()))
    }
}

fn validate_module_keys(modules: &Map<String, Value>) -> Result<(), DescriptorError> {
    let mut seen = std::collections::HashSet::new();
    for (kind, entries) in modules {
        let entries = match entries {
            Value::Array(entries) => entries.as_slice(),
            single => std::slice::from_ref(single),
        };
        for entry in entries {
            // Webhooks have no key; every other module does.
            if kind == "webhooks" {
                continue;
            }
            let key = entry.get("key").and_then(Value::as_str).unwrap_or("");
            let valid =
                !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !valid {
                return Err(DescriptorError::InvalidModuleKey { kind: kind.clone() });
            }
            if !seen.insert(key.to_owned()) {
                return Err(DescriptorError::DuplicateModuleKey(key.to_owned()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn migrations_and_lifecycle_are_always_declared() {
        let descriptor = serde_json::to_value(
            AppInfo::new("com.example.app", "App")
                .descriptor("https://app.example.com/")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            descriptor["apiMigrations"],
            json!({"signed-install": true, "context-qsh": true, "gdpr": true})
        );
        assert_eq!(descriptor["authentication"], json!({"type": "jwt"}));
        assert_eq!(descriptor["lifecycle"]["installed"], "/installed");
        assert_eq!(descriptor["baseUrl"], "https://app.example.com");
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(
            AppInfo::new("bad key", "x")
                .descriptor("https://a")
                .is_err()
        );
        assert!(
            AppInfo::new("a".repeat(65), "x")
                .descriptor("https://a")
                .is_err()
        );
        let duplicate = AppInfo::new("ok", "x")
            .module("generalPages", json!({"key": "p"}))
            .module("webPanels", json!({"key": "p"}));
        assert_eq!(
            duplicate.descriptor("https://a").unwrap_err(),
            DescriptorError::DuplicateModuleKey("p".into())
        );
        let bad_module = AppInfo::new("ok", "x").module("generalPages", json!({"key": "a.b"}));
        assert!(bad_module.descriptor("https://a").is_err());
    }
}
