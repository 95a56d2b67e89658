//! The module-kind table: one entry per module attribute, and everything derived from it.
//!
//! `module_kinds!` below is invoked once, with the whole table. From it come the kind enum
//! [`ModuleType`], the table [`KINDS`] the macros and the runtime check arguments against, the
//! typed [`Module`] enum, the [`Modules`] fields (one per descriptor module type, with its JSON
//! name), [`ModuleType::from_json`], [`Module::key`], [`Modules::add`], [`Modules::keys`], and
//! the attribute entry points of `connect-macros` (through the hidden
//! `for_each_module_attr!`).
//!
//! **Adding a module kind** is one entry here (its struct in `module.rs` if no existing one
//! fits, with a `Keyed` impl) plus its documentation: the attribute's page in the facade's
//! `src/connect.rs` (a test checks that every attribute of this table is re-exported there).

use crate::key::ModuleKey;
use crate::kind::{AppliesTo, Field, KindSpec, Shape, UrlAt, def, opt, req};
use crate::module::{
    ContentMacro, Dialog, IssueContent, IssueGlance, Keyed, ModulesError, Page, ProjectPage, Slot,
    SpaceToolsTab, WebFragment, Webhook,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const EXTRA: Field = opt("extra", Shape::Extra);
const UNCHECKED: Field = opt("unchecked", Shape::Unchecked);
const KEY: Field = req("key", Shape::Key);
const NAME: Field = req("name", Shape::I18n("name"));
const URL: Field = req("url", Shape::Url);
const WEIGHT: Field = opt("weight", Shape::Int("weight"));
const OUTPUT_TYPE: Field = def("output_type", Shape::Str("outputType"), "block");
const BODY_TYPE: Field = def("body_type", Shape::Str("bodyType"), "none");

/// Generates the kind enum, the table, the typed module enum, the `Modules` fields and the
/// attribute list from the table below. `$d` is a `$` token, for the nested macro.
macro_rules! module_kinds {
    ($d:tt $(
        $(#[doc = $doc:literal])*
        $variant:ident($ty:ident) as $attr:ident {
            descriptor: $key:literal => $field:ident: $slot:ident,
            method: $method:ident,
            url_at: $url_at:ident,
            applies_to: $applies:ident,
            description_from_doc: $description:literal,
            fields: [$($arg:expr),* $(,)?] $(,)?
        }
    )*) => {
        /// A module type the attributes generate: one per row of [`KINDS`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ModuleType {
            $( $(#[doc = $doc])* $variant, )*
        }

        /// Every module attribute, in the order of [`ModuleType`].
        pub static KINDS: &[KindSpec] = &[$(
            KindSpec {
                module_type: ModuleType::$variant,
                attr: stringify!($attr),
                descriptor_key: $key,
                single: module_kinds!(@single $slot),
                method: stringify!($method),
                url_at: UrlAt::$url_at,
                doc_description: $description,
                applies_to: AppliesTo::$applies,
                fields: &[$($arg,)* EXTRA, UNCHECKED],
            },
        )*];

        /// One module of any modelled type, as an attribute produces it.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Module {
            $( $(#[doc = $doc])* $variant($ty), )*
        }

        /// The descriptor's `modules`: one field per modelled module type (an array, or one
        /// object for `configurePage`), and the rest as raw JSON.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
        pub struct Modules {
            $(
                #[doc = concat!("`", $key, "`: the modules of `#[connect::", stringify!($attr), "]`.")]
                #[serde(rename = $key, default, skip_serializing_if = "Slot::is_vacant")]
                pub $field: module_kinds!(@slot $slot $ty),
            )*
            /// Module types the framework does not model, as raw JSON by type.
            #[serde(flatten)]
            pub other: Map<String, Value>,
        }

        impl ModuleType {
            /// A module of this type from its descriptor JSON.
            pub fn from_json(self, entry: Value) -> Result<Module, ModulesError> {
                let invalid = |error: serde_json::Error| ModulesError::Invalid {
                    kind: self.spec().descriptor_key.to_owned(),
                    reason: error.to_string(),
                };
                Ok(match self {
                    $( ModuleType::$variant => {
                        Module::$variant(serde_json::from_value(entry).map_err(invalid)?)
                    } )*
                })
            }
        }

        impl Module {
            /// The module's key (webhooks have none).
            pub fn key(&self) -> Option<&ModuleKey> {
                match self {
                    $( Module::$variant(module) => module.module_key(), )*
                }
            }
        }

        impl Modules {
            /// Adds `module`, refusing a key already used and a second single-object module.
            pub fn add(&mut self, module: Module) -> Result<(), ModulesError> {
                if let Some(key) = module.key()
                    && self.keys().any(|existing| existing == key.as_str())
                {
                    return Err(ModulesError::DuplicateKey(key.clone()));
                }
                match module {
                    $( Module::$variant(module) => self.$field.put(module, $key), )*
                }
            }

            /// The keys of the modelled modules, in table order.
            pub(crate) fn typed_keys(&self) -> impl Iterator<Item = &str> + '_ {
                let mut keys: Vec<&str> = Vec::new();
                $( keys.extend(self.$field.items().filter_map(Keyed::module_key).map(ModuleKey::as_str)); )*
                keys.into_iter()
            }
        }

        /// Calls `callback! { #[doc = ...] general_page, ... }` with every module attribute:
        /// how `connect-macros` defines one attribute per kind. Not a public API.
        #[doc(hidden)]
        #[macro_export]
        macro_rules! for_each_module_attr {
            ($d callback:ident) => {
                $d callback! { $( $(#[doc = $doc])* $attr, )* }
            };
        }
    };
    (@single many) => { false };
    (@single single) => { true };
    (@slot many $ty:ty) => { Vec<$ty> };
    (@slot single $ty:ty) => { Option<$ty> };
}

module_kinds! { $
    /// A Jira or Confluence general page: `key`, `name`, `url`; optional `location`,
    /// `weight`, `icon`. GET, verified with the tenant's shared secret and `qsh`.
    GeneralPage(Page) as general_page {
        descriptor: "generalPages" => general_pages: many,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [KEY, NAME, URL, opt("location", Shape::Location), WEIGHT, opt("icon", Shape::Icon("icon", 16))],
    }
    /// An administration page: `key`, `name`, `url`; optional `location`, `weight`.
    AdminPage(Page) as admin_page {
        descriptor: "adminPages" => admin_pages: many,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [KEY, NAME, URL, opt("location", Shape::Location), WEIGHT],
    }
    /// The app's configure page (one per app): `key`, `name`, `url`.
    ConfigurePage(Page) as configure_page {
        descriptor: "configurePage" => configure_page: single,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [KEY, NAME, URL],
    }
    /// A Jira project page: `key`, `name`, `url`; optional `icon_url`, `weight`.
    ProjectPage(ProjectPage) as project_page {
        descriptor: "jiraProjectPages" => jira_project_pages: many,
        method: GET,
        url_at: Url,
        applies_to: Jira,
        description_from_doc: false,
        fields: [KEY, NAME, URL, opt("icon_url", Shape::Str("iconUrl")), WEIGHT],
    }
    /// A web panel: `key`, `name`, `url`, `location`; optional `weight`, `tooltip`.
    WebPanel(WebFragment) as web_panel {
        descriptor: "webPanels" => web_panels: many,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [KEY, NAME, URL, req("location", Shape::Location), WEIGHT, opt("tooltip", Shape::I18n("tooltip"))],
    }
    /// A web item whose URL the app serves: `key`, `name`, `url`, `location`; optional
    /// `weight`, `tooltip`, `context`.
    WebItem(WebFragment) as web_item {
        descriptor: "webItems" => web_items: many,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [
            KEY, NAME, URL, req("location", Shape::Location), WEIGHT,
            opt("tooltip", Shape::I18n("tooltip")), opt("context", Shape::Str("context")),
        ],
    }
    /// A Jira issue glance: `key`, `name`, `url` (its `target.url`), `icon`, `content` (label).
    IssueGlance(IssueGlance) as issue_glance {
        descriptor: "jiraIssueGlances" => jira_issue_glances: many,
        method: GET,
        url_at: Target,
        applies_to: Jira,
        description_from_doc: false,
        fields: [KEY, NAME, URL, req("icon", Shape::Icon("icon", 24)), req("content", Shape::GlanceLabel)],
    }
    /// A Jira issue content: `key`, `name`, `url`, `icon`, `tooltip`.
    IssueContent(IssueContent) as issue_content {
        descriptor: "jiraIssueContents" => jira_issue_contents: many,
        method: GET,
        url_at: Target,
        applies_to: Jira,
        description_from_doc: false,
        fields: [KEY, NAME, URL, req("icon", Shape::Icon("icon", 24)), req("tooltip", Shape::I18n("tooltip"))],
    }
    /// A dialog: `key`, `url`.
    Dialog(Dialog) as dialog {
        descriptor: "dialogs" => dialogs: many,
        method: GET,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [KEY, URL],
    }
    /// A webhook: `event`, `url`; optional `filter`, `exclude_body`. POST, verified with the
    /// tenant's shared secret; the body arrives through `Json<T>`.
    Webhook(Webhook) as webhook {
        descriptor: "webhooks" => webhooks: many,
        method: POST,
        url_at: Url,
        applies_to: Both,
        description_from_doc: false,
        fields: [
            req("event", Shape::Event), URL, opt("filter", Shape::Str("filter")),
            opt("exclude_body", Shape::Bool("excludeBody")),
        ],
    }
    /// A Confluence dynamic content macro: `key`, `name`, `url`; optional `output_type`
    /// (`block`), `body_type` (`none`). The doc comment becomes its description.
    DynamicContentMacro(ContentMacro) as dynamic_content_macro {
        descriptor: "dynamicContentMacros" => dynamic_content_macros: many,
        method: GET,
        url_at: Url,
        applies_to: Confluence,
        description_from_doc: true,
        fields: [KEY, NAME, URL, OUTPUT_TYPE, BODY_TYPE],
    }
    /// A Confluence static content macro: as `dynamic_content_macro`.
    StaticContentMacro(ContentMacro) as static_content_macro {
        descriptor: "staticContentMacros" => static_content_macros: many,
        method: GET,
        url_at: Url,
        applies_to: Confluence,
        description_from_doc: true,
        fields: [KEY, NAME, URL, OUTPUT_TYPE, BODY_TYPE],
    }
    /// A Confluence space tools tab: `key`, `name`, `url`; optional `location`.
    SpaceToolsTab(SpaceToolsTab) as space_tools_tab {
        descriptor: "spaceToolsTabs" => space_tools_tabs: many,
        method: GET,
        url_at: Url,
        applies_to: Confluence,
        description_from_doc: false,
        fields: [KEY, NAME, URL, opt("location", Shape::Location)],
    }
}
