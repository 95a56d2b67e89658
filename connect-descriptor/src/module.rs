//! The descriptor's modules, typed where the framework generates them.
//!
//! Every module struct keeps the fields it does not model in `extra` (flattened into its JSON),
//! so `extra = r#"{...}"#` on an attribute and [`Modules::add_json`] can carry what Atlassian
//! adds before the framework does. Module types the framework does not model at all live in
//! [`Modules::other`]. [`Module`] and [`Modules`] are generated from the module-kind table.

use crate::key::ModuleKey;
pub use crate::table::{Module, Modules};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields of a module that the typed model does not name, merged into its JSON.
pub type Extra = Map<String, Value>;

/// A translatable text: `{"value": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct I18n {
    /// The text.
    pub value: String,
    /// The i18n key, when the app ships translations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub i18n: Option<String>,
}

impl I18n {
    /// A text without a translation key.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            i18n: None,
        }
    }
}

/// An icon: `{"url", "width", "height"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Icon {
    /// URL relative to the baseUrl.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A page: `generalPages`, `adminPages`, `configurePage`, `postInstallPage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Page {
    /// The module key.
    pub key: ModuleKey,
    /// The page title.
    pub name: I18n,
    /// The page URL.
    pub url: String,
    /// Where its link appears.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Order among its neighbours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Icon of its link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Jira project page (`jiraProjectPages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPage {
    /// The module key.
    pub key: ModuleKey,
    /// The page title.
    pub name: I18n,
    /// The page URL.
    pub url: String,
    /// Icon URL in the project sidebar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Order in the sidebar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A web panel (`webPanels`) or a web item (`webItems`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebFragment {
    /// The module key.
    pub key: ModuleKey,
    /// The title.
    pub name: I18n,
    /// The URL the product loads (panel) or links to (item).
    pub url: String,
    /// Where it appears.
    pub location: String,
    /// Order among its neighbours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Tooltip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tooltip: Option<I18n>,
    /// How a web item opens (`page`, `dialog`, `inlineDialog`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where an issue glance or content opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PanelTarget {
    /// Always `web_panel`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The panel URL.
    pub url: String,
}

/// The label of an issue glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GlanceContent {
    /// Always `label`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The label text.
    pub label: I18n,
}

/// A Jira issue glance (`jiraIssueGlances`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IssueGlance {
    /// The module key.
    pub key: ModuleKey,
    /// The glance title.
    pub name: I18n,
    /// The glance icon.
    pub icon: Icon,
    /// The glance label.
    pub content: GlanceContent,
    /// The panel it opens.
    pub target: PanelTarget,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Jira issue content (`jiraIssueContents`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IssueContent {
    /// The module key.
    pub key: ModuleKey,
    /// The title.
    pub name: I18n,
    /// The icon.
    pub icon: Icon,
    /// The tooltip.
    pub tooltip: I18n,
    /// The panel it opens.
    pub target: PanelTarget,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A dialog (`dialogs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dialog {
    /// The module key.
    pub key: ModuleKey,
    /// The dialog URL.
    pub url: String,
    /// Unmodelled fields (`options`...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A webhook (`webhooks`). Webhooks have no key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The event, e.g. `jira:issue_created`.
    pub event: String,
    /// The URL the product POSTs to.
    pub url: String,
    /// A JQL filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Whether the body is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_body: Option<bool>,
    /// Unmodelled fields (`propertyKeys`...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Confluence macro (`dynamicContentMacros`, `staticContentMacros`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentMacro {
    /// The module key (globally unique for macros).
    pub key: ModuleKey,
    /// The macro name.
    pub name: I18n,
    /// The URL that renders it.
    pub url: String,
    /// The description shown in the macro browser (the handler's doc comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<I18n>,
    /// `block` or `inline`.
    pub output_type: String,
    /// `none`, `plain-text` or `rich-text`.
    pub body_type: String,
    /// Unmodelled fields (`parameters`...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Confluence space tools tab (`spaceToolsTabs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SpaceToolsTab {
    /// The module key.
    pub key: ModuleKey,
    /// The tab title.
    pub name: I18n,
    /// The tab URL.
    pub url: String,
    /// The tab's section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Unmodelled fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Two modules that cannot both be in one descriptor.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModulesError {
    /// Two modules share a key.
    #[error("module key `{0}` is used twice")]
    DuplicateKey(ModuleKey),
    /// A second module of a type that holds one (`configurePage`).
    #[error("the descriptor holds one `{0}`; a second one was added")]
    DuplicateSingle(&'static str),
    /// A raw module entry does not fit its type.
    #[error("module of type `{kind}`: {reason}")]
    Invalid {
        /// The module type.
        kind: String,
        /// What does not fit (serde's description, without values).
        reason: String,
    },
}

impl Modules {
    /// Whether no module is declared.
    pub fn is_empty(&self) -> bool {
        self.keys().next().is_none() && self.webhooks.is_empty() && self.other.is_empty()
    }

    /// Adds a raw JSON entry of module type `kind` (e.g. `generalPages`): typed and checked
    /// when the framework models `kind`, kept as JSON otherwise (the entry then needs a valid,
    /// unused `key` unless `kind` is keyless).
    pub fn add_json(&mut self, kind: &str, entry: Value) -> Result<(), ModulesError> {
        if let Some(module_type) = crate::kind::ModuleType::by_descriptor_key(kind) {
            let module = module_type.from_json(entry)?;
            return self.add(module);
        }
        let invalid = |reason: &str| ModulesError::Invalid {
            kind: kind.to_owned(),
            reason: reason.to_owned(),
        };
        let key = entry
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("needs a `key` of a-z A-Z 0-9 -"))?;
        let key = ModuleKey::parse(key).map_err(|error| invalid(&error.to_string()))?;
        if self.keys().any(|existing| existing == key.as_str()) {
            return Err(ModulesError::DuplicateKey(key));
        }
        match self.other.get_mut(kind) {
            Some(Value::Array(entries)) => entries.push(entry),
            _ => {
                self.other
                    .insert(kind.to_owned(), Value::Array(vec![entry]));
            }
        }
        Ok(())
    }

    /// Every module key, modelled and raw.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.typed_keys().chain(self.raw_keys())
    }

    fn raw_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.other
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|entry| entry.get("key")?.as_str())
    }
}

/// A module struct's key, for [`Module::key`] and duplicate detection.
pub(crate) trait Keyed {
    /// The key (webhooks have none).
    fn module_key(&self) -> Option<&ModuleKey>;
}

macro_rules! keyed {
    ($($ty:ty),*) => {$(
        impl Keyed for $ty {
            fn module_key(&self) -> Option<&ModuleKey> {
                Some(&self.key)
            }
        }
    )*};
}

keyed!(
    Page,
    ProjectPage,
    WebFragment,
    IssueGlance,
    IssueContent,
    Dialog,
    ContentMacro,
    SpaceToolsTab
);

impl Keyed for Webhook {
    fn module_key(&self) -> Option<&ModuleKey> {
        None
    }
}

/// Where [`Modules`] holds a module type: an array, or one object (`configurePage`).
pub(crate) trait Slot {
    /// The module struct.
    type Item;
    /// Adds `module`; a second one in a single-object slot is refused.
    fn put(&mut self, module: Self::Item, kind: &'static str) -> Result<(), ModulesError>;
    /// The modules held.
    fn items(&self) -> impl Iterator<Item = &Self::Item>;
    /// Whether it holds none (then it is left out of the JSON).
    fn is_vacant(&self) -> bool;
}

impl<T> Slot for Vec<T> {
    type Item = T;

    fn put(&mut self, module: T, _: &'static str) -> Result<(), ModulesError> {
        self.push(module);
        Ok(())
    }

    fn items(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }

    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Slot for Option<T> {
    type Item = T;

    fn put(&mut self, module: T, kind: &'static str) -> Result<(), ModulesError> {
        if self.is_some() {
            return Err(ModulesError::DuplicateSingle(kind));
        }
        *self = Some(module);
        Ok(())
    }

    fn items(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }

    fn is_vacant(&self) -> bool {
        self.is_none()
    }
}
