//! The module kinds: one row per attribute.

/// How an argument lands in the module's JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `key`: checked against `^[a-zA-Z0-9-]+$`.
    Key,
    /// `{"value": ...}` at this JSON key (`name`, `tooltip`).
    I18n(&'static str),
    /// The module URL (also the route): at `url`, or at `target.url` for [`UrlAt::Target`].
    Url,
    /// A plain string at this JSON key.
    Str(&'static str),
    /// A location string, checked against the known list.
    Location,
    /// A webhook event, checked against the known list.
    Event,
    /// An integer at this JSON key.
    Int(&'static str),
    /// A boolean at this JSON key.
    Bool(&'static str),
    /// `{"url": ..., "width": N, "height": N}` at this JSON key.
    Icon(&'static str, u32),
    /// A glance label: `{"type": "label", "label": {"value": ...}}` at `content`.
    GlanceLabel,
    /// Raw JSON merged into the entry: the escape hatch for fields not modelled.
    Extra,
    /// `unchecked`: skip the known-list checks of location and event.
    Unchecked,
    /// `crate = "path"`: the path of the renamed `atlassian_connect` dependency.
    Crate,
}

/// One accepted argument.
#[derive(Clone, Copy)]
pub struct Field {
    /// Its name in the attribute.
    pub arg: &'static str,
    /// Whether the attribute needs it.
    pub required: bool,
    /// How it lands in the JSON.
    pub shape: Shape,
    /// The value used when it is absent (for fields the product requires).
    pub default: Option<&'static str>,
}

const fn req(arg: &'static str, shape: Shape) -> Field {
    Field {
        arg,
        required: true,
        shape,
        default: None,
    }
}

const fn opt(arg: &'static str, shape: Shape) -> Field {
    Field {
        arg,
        required: false,
        shape,
        default: None,
    }
}

const fn def(arg: &'static str, shape: Shape, default: &'static str) -> Field {
    Field {
        arg,
        required: false,
        shape,
        default: Some(default),
    }
}

/// Where the URL goes in the JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UrlAt {
    /// `"url": ...`
    Url,
    /// `"target": {"type": "web_panel", "url": ...}` (issue glances and contents).
    Target,
}

/// A module attribute.
pub struct ModuleKind {
    /// The attribute name (`general_page`).
    pub attr: &'static str,
    /// The descriptor's module type (`generalPages`).
    pub descriptor_key: &'static str,
    /// One object instead of an array (`configurePage`).
    pub single: bool,
    /// The method the product uses to call the URL.
    pub method: &'static str,
    /// Where the URL goes.
    pub url_at: UrlAt,
    /// Whether the handler's doc comment becomes `description` (only where the schema has it).
    pub doc_description: bool,
    /// Accepted arguments.
    pub fields: &'static [Field],
}

const EXTRA: Field = opt("extra", Shape::Extra);
const UNCHECKED: Field = opt("unchecked", Shape::Unchecked);
const CRATE: Field = opt("crate", Shape::Crate);

macro_rules! kind {
    ($attr:literal, $key:literal, $method:literal, $url_at:expr, single = $single:literal, doc = $doc:literal, [$($field:expr),* $(,)?]) => {
        ModuleKind {
            attr: $attr,
            descriptor_key: $key,
            single: $single,
            method: $method,
            url_at: $url_at,
            doc_description: $doc,
            fields: &[$($field,)* EXTRA, UNCHECKED, CRATE],
        }
    };
}

/// Every module attribute.
pub static KINDS: &[ModuleKind] = &[
    kind!(
        "general_page",
        "generalPages",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            opt("location", Shape::Location),
            opt("weight", Shape::Int("weight")),
            opt("icon", Shape::Icon("icon", 16)),
        ]
    ),
    kind!(
        "admin_page",
        "adminPages",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            opt("location", Shape::Location),
            opt("weight", Shape::Int("weight")),
        ]
    ),
    kind!(
        "configure_page",
        "configurePage",
        "GET",
        UrlAt::Url,
        single = true,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
        ]
    ),
    kind!(
        "project_page",
        "jiraProjectPages",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            opt("icon_url", Shape::Str("iconUrl")),
            opt("weight", Shape::Int("weight")),
        ]
    ),
    kind!(
        "web_panel",
        "webPanels",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            req("location", Shape::Location),
            opt("weight", Shape::Int("weight")),
            opt("tooltip", Shape::I18n("tooltip")),
        ]
    ),
    kind!(
        "web_item",
        "webItems",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            req("location", Shape::Location),
            opt("weight", Shape::Int("weight")),
            opt("tooltip", Shape::I18n("tooltip")),
            opt("context", Shape::Str("context")),
        ]
    ),
    kind!(
        "issue_glance",
        "jiraIssueGlances",
        "GET",
        UrlAt::Target,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            req("icon", Shape::Icon("icon", 24)),
            req("content", Shape::GlanceLabel),
        ]
    ),
    kind!(
        "issue_content",
        "jiraIssueContents",
        "GET",
        UrlAt::Target,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            req("icon", Shape::Icon("icon", 24)),
            req("tooltip", Shape::I18n("tooltip")),
        ]
    ),
    kind!(
        "dialog",
        "dialogs",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [req("key", Shape::Key), req("url", Shape::Url),]
    ),
    kind!(
        "webhook",
        "webhooks",
        "POST",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("event", Shape::Event),
            req("url", Shape::Url),
            opt("filter", Shape::Str("filter")),
            opt("exclude_body", Shape::Bool("excludeBody")),
        ]
    ),
    kind!(
        "dynamic_content_macro",
        "dynamicContentMacros",
        "GET",
        UrlAt::Url,
        single = false,
        doc = true,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            def("output_type", Shape::Str("outputType"), "block"),
            def("body_type", Shape::Str("bodyType"), "none"),
        ]
    ),
    kind!(
        "static_content_macro",
        "staticContentMacros",
        "GET",
        UrlAt::Url,
        single = false,
        doc = true,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            def("output_type", Shape::Str("outputType"), "block"),
            def("body_type", Shape::Str("bodyType"), "none"),
        ]
    ),
    kind!(
        "space_tools_tab",
        "spaceToolsTabs",
        "GET",
        UrlAt::Url,
        single = false,
        doc = false,
        [
            req("key", Shape::Key),
            req("name", Shape::I18n("name")),
            req("url", Shape::Url),
            opt("location", Shape::Location),
        ]
    ),
];

/// The kind of attribute `attr`.
pub fn kind(attr: &str) -> &'static ModuleKind {
    KINDS
        .iter()
        .find(|kind| kind.attr == attr)
        .unwrap_or_else(|| unreachable!("module kind `{attr}` has an entry point but no table row"))
}
