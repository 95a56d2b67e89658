//! The descriptor's modules, typed where the framework generates them.
//!
//! Every module struct keeps the fields it does not model in `extra` (flattened into its JSON),
//! so `extra = r#"{...}"#` on an attribute and [`Modules::add_json`] can carry what Atlassian
//! adds before the framework does. Module types the framework does not model at all live in
//! [`Modules::other`].

use crate::key::ModuleKey;
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

/// One module of any modelled type, as an attribute produces it.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Module {
    GeneralPage(Page),
    AdminPage(Page),
    ConfigurePage(Page),
    ProjectPage(ProjectPage),
    WebPanel(WebFragment),
    WebItem(WebFragment),
    IssueGlance(IssueGlance),
    IssueContent(IssueContent),
    Dialog(Dialog),
    Webhook(Webhook),
    DynamicContentMacro(ContentMacro),
    StaticContentMacro(ContentMacro),
    SpaceToolsTab(SpaceToolsTab),
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

/// The descriptor's `modules`: arrays by module type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Modules {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub general_pages: Vec<Page>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_pages: Vec<Page>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configure_page: Option<Page>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_project_pages: Vec<ProjectPage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub web_panels: Vec<WebFragment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub web_items: Vec<WebFragment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_issue_glances: Vec<IssueGlance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jira_issue_contents: Vec<IssueContent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dialogs: Vec<Dialog>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<Webhook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_content_macros: Vec<ContentMacro>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_content_macros: Vec<ContentMacro>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub space_tools_tabs: Vec<SpaceToolsTab>,
    /// Module types the framework does not model, as raw JSON by type.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Modules {
    /// Whether no module is declared.
    pub fn is_empty(&self) -> bool {
        self.keys().next().is_none() && self.webhooks.is_empty() && self.other.is_empty()
    }

    /// Adds `module`, refusing a key already used and a second single-object module.
    pub fn add(&mut self, module: Module) -> Result<(), ModulesError> {
        if let Some(key) = module.key() {
            if self.keys().any(|existing| existing == key.as_str()) {
                return Err(ModulesError::DuplicateKey(key.clone()));
            }
        }
        match module {
            Module::GeneralPage(m) => self.general_pages.push(m),
            Module::AdminPage(m) => self.admin_pages.push(m),
            Module::ConfigurePage(m) => {
                if self.configure_page.is_some() {
                    return Err(ModulesError::DuplicateSingle("configurePage"));
                }
                self.configure_page = Some(m);
            }
            Module::ProjectPage(m) => self.jira_project_pages.push(m),
            Module::WebPanel(m) => self.web_panels.push(m),
            Module::WebItem(m) => self.web_items.push(m),
            Module::IssueGlance(m) => self.jira_issue_glances.push(m),
            Module::IssueContent(m) => self.jira_issue_contents.push(m),
            Module::Dialog(m) => self.dialogs.push(m),
            Module::Webhook(m) => self.webhooks.push(m),
            Module::DynamicContentMacro(m) => self.dynamic_content_macros.push(m),
            Module::StaticContentMacro(m) => self.static_content_macros.push(m),
            Module::SpaceToolsTab(m) => self.space_tools_tabs.push(m),
        }
        Ok(())
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
        let pages = self
            .general_pages
            .iter()
            .chain(&self.admin_pages)
            .chain(&self.configure_page)
            .map(|m| &m.key);
        let fragments = self
            .web_panels
            .iter()
            .chain(&self.web_items)
            .map(|m| &m.key);
        let macros = self
            .dynamic_content_macros
            .iter()
            .chain(&self.static_content_macros)
            .map(|m| &m.key);
        pages
            .chain(self.jira_project_pages.iter().map(|m| &m.key))
            .chain(fragments)
            .chain(self.jira_issue_glances.iter().map(|m| &m.key))
            .chain(self.jira_issue_contents.iter().map(|m| &m.key))
            .chain(self.dialogs.iter().map(|m| &m.key))
            .chain(macros)
            .chain(self.space_tools_tabs.iter().map(|m| &m.key))
            .map(ModuleKey::as_str)
            .chain(self.raw_keys())
    }

    fn raw_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.other
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|entry| entry.get("key")?.as_str())
    }
}

impl Module {
    /// The module's key (webhooks have none).
    pub fn key(&self) -> Option<&ModuleKey> {
        Some(match self {
            Module::GeneralPage(m) | Module::AdminPage(m) | Module::ConfigurePage(m) => &m.key,
            Module::ProjectPage(m) => &m.key,
            Module::WebPanel(m) | Module::WebItem(m) => &m.key,
            Module::IssueGlance(m) => &m.key,
            Module::IssueContent(m) => &m.key,
            Module::Dialog(m) => &m.key,
            Module::DynamicContentMacro(m) | Module::StaticContentMacro(m) => &m.key,
            Module::SpaceToolsTab(m) => &m.key,
            Module::Webhook(_) => return None,
        })
    }
}
