//! What a row of the module-kind table says: which arguments an attribute takes, how each
//! lands in the module's JSON, and which HTTP method the product calls its URL with. The table
//! itself, [`KINDS`], is written once, in `table.rs`.
//!
//! [`ModuleType::build`] turns attribute arguments into a typed [`Module`]. The macros call it
//! at compile time (so every mistake is reported at the user's token) and the generated code
//! calls it again when the app is built, so the module a handler declares and the module the
//! descriptor serves come from one function.

use crate::known;
use crate::module::Module;
pub use crate::table::{KINDS, ModuleType};
use crate::url::UrlPattern;
use serde_json::{Map, Value, json};

/// How an argument lands in the module's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `key`: a [`ModuleKey`](crate::ModuleKey).
    Key,
    /// `{"value": ...}` at this JSON key (`name`, `tooltip`).
    I18n(&'static str),
    /// The module URL (also the route): at `url`, or at `target.url` for [`UrlAt::Target`].
    Url,
    /// A plain string at this JSON key.
    Str(&'static str),
    /// A location, checked against [`known::LOCATIONS`].
    Location,
    /// A webhook event, checked against [`known::WEBHOOK_EVENTS`].
    Event,
    /// An integer at this JSON key.
    Int(&'static str),
    /// A boolean at this JSON key.
    Bool(&'static str),
    /// `{"url": ..., "width": N, "height": N}` at this JSON key.
    Icon(&'static str, u32),
    /// A glance label: `{"type": "label", "label": {"value": ...}}` at `content`.
    GlanceLabel,
    /// A JSON object merged into the entry: the escape hatch for fields not modelled.
    Extra,
    /// `unchecked`: skip the known-list checks of location and event.
    Unchecked,
}

/// One argument a module attribute accepts.
#[derive(Debug, Clone, Copy)]
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

pub(crate) const fn req(arg: &'static str, shape: Shape) -> Field {
    Field {
        arg,
        required: true,
        shape,
        default: None,
    }
}

pub(crate) const fn opt(arg: &'static str, shape: Shape) -> Field {
    Field {
        arg,
        required: false,
        shape,
        default: None,
    }
}

pub(crate) const fn def(arg: &'static str, shape: Shape, default: &'static str) -> Field {
    Field {
        arg,
        required: false,
        shape,
        default: Some(default),
    }
}

/// Where the URL goes in the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlAt {
    /// `"url": ...`
    Url,
    /// `"target": {"type": "web_panel", "url": ...}` (issue glances and contents).
    Target,
}

/// An Atlassian product an app is installed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Product {
    /// Jira.
    Jira,
    /// Confluence.
    Confluence,
}

impl Product {
    /// Its name in URLs and manifests: `jira`, `confluence`.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Jira => "jira",
            Product::Confluence => "confluence",
        }
    }
}

/// The products a module type exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliesTo {
    /// Jira and Confluence.
    Both,
    /// Jira only.
    Jira,
    /// Confluence only.
    Confluence,
}

impl AppliesTo {
    /// Whether a module of this type can be in an app of `product`.
    pub fn includes(self, product: Product) -> bool {
        match self {
            AppliesTo::Both => true,
            AppliesTo::Jira => product == Product::Jira,
            AppliesTo::Confluence => product == Product::Confluence,
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct KindSpec {
    /// The module type.
    pub module_type: ModuleType,
    /// The attribute name (`general_page`).
    pub attr: &'static str,
    /// The descriptor's module type (`generalPages`).
    pub descriptor_key: &'static str,
    /// One object instead of an array (`configurePage`).
    pub single: bool,
    /// The method the product calls the URL with.
    pub method: &'static str,
    /// Where the URL goes.
    pub url_at: UrlAt,
    /// Whether the handler's doc comment becomes `description` (only where the schema has it).
    pub doc_description: bool,
    /// The products it exists in.
    pub applies_to: AppliesTo,
    /// Accepted arguments, in the order error messages list them.
    pub fields: &'static [Field],
}

/// An argument's value, as the attribute wrote it.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    /// A string literal.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// A bare flag (`unchecked`).
    Flag,
    /// JSON (`extra`, parsed by the caller).
    Json(Value),
    /// Anything else (an identifier, a float...): always the wrong type.
    Other,
}

/// Where an argument error points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAt {
    /// At the argument's name.
    Name(&'static str),
    /// At the argument's value.
    Value(&'static str),
    /// At the handler (a required argument is missing).
    Item,
}

/// One problem with a module attribute's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    /// Where it points.
    pub at: ErrorAt,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ModuleType {
    /// Its row of [`KINDS`].
    pub fn spec(self) -> &'static KindSpec {
        // The table lists the kinds in the enum's order (generated together; tested).
        &KINDS[self as usize]
    }

    /// The type of attribute `attr` (`general_page`).
    pub fn by_attr(attr: &str) -> Option<Self> {
        KINDS
            .iter()
            .find(|spec| spec.attr == attr)
            .map(|spec| spec.module_type)
    }

    /// The type of descriptor module type `key` (`generalPages`).
    pub fn by_descriptor_key(key: &str) -> Option<Self> {
        KINDS
            .iter()
            .find(|spec| spec.descriptor_key == key)
            .map(|spec| spec.module_type)
    }

    /// The module an attribute with `args` declares; `doc` is the handler's doc comment
    /// (used where [`KindSpec::doc_description`]). Every problem is reported, not the first.
    pub fn build(
        self,
        args: &[(&str, ArgValue)],
        doc: Option<&str>,
    ) -> Result<Module, Vec<ArgError>> {
        let spec = self.spec();
        let mut errors = Vec::new();
        let mut object = Map::new();
        let unchecked = args.iter().any(|(name, _)| *name == "unchecked");
        for (name, _) in args {
            if !spec.fields.iter().any(|field| field.arg == *name) {
                errors.push(ArgError {
                    at: ErrorAt::Item,
                    message: format!("unknown argument `{name}` of `#[connect::{}]`", spec.attr),
                });
            }
        }
        for field in spec.fields {
            match (
                args.iter().find(|(name, _)| *name == field.arg),
                field.default,
            ) {
                (Some((_, value)), _) => {
                    if let Err(error) = apply(spec, field, value, unchecked, &mut object) {
                        errors.push(error);
                    }
                }
                (None, Some(default)) => {
                    if let Shape::Str(json_key) = field.shape {
                        object.insert(json_key.to_owned(), json!(default));
                    }
                }
                (None, None) if field.required => errors.push(ArgError {
                    at: ErrorAt::Item,
                    message: format!(
                        "`#[connect::{}]` needs `{}`; required: {}",
                        spec.attr,
                        field.arg,
                        spec.fields
                            .iter()
                            .filter(|f| f.required)
                            .map(|f| f.arg)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
                (None, None) => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if spec.doc_description {
            if let Some(doc) = doc.filter(|doc| !doc.is_empty()) {
                object.insert("description".into(), json!({ "value": doc }));
            }
        }
        let at = if args.iter().any(|(name, _)| *name == "extra") {
            ErrorAt::Value("extra")
        } else {
            ErrorAt::Item
        };
        self.from_json(Value::Object(object)).map_err(|error| {
            vec![ArgError {
                at,
                message: format!("`#[connect::{}]`: {error}", spec.attr),
            }]
        })
    }
}

fn apply(
    spec: &KindSpec,
    field: &Field,
    value: &ArgValue,
    unchecked: bool,
    object: &mut Map<String, Value>,
) -> Result<(), ArgError> {
    let arg = field.arg;
    let at_name = |message: String| ArgError {
        at: ErrorAt::Name(arg),
        message,
    };
    let at_value = |message: String| ArgError {
        at: ErrorAt::Value(arg),
        message,
    };
    match (field.shape, value) {
        (Shape::Unchecked, ArgValue::Flag) => {}
        (Shape::Unchecked, _) => {
            return Err(at_name(
                "`unchecked` is a flag: write `unchecked` alone".to_owned(),
            ));
        }
        (Shape::Int(json_key), ArgValue::Int(n)) => {
            object.insert(json_key.into(), json!(n));
        }
        (Shape::Int(_), _) => {
            return Err(at_name(format!(
                "`{arg}` expects an integer, e.g. `{arg} = 100`"
            )));
        }
        (Shape::Bool(json_key), ArgValue::Bool(b)) => {
            object.insert(json_key.into(), json!(b));
        }
        (Shape::Bool(_), _) => return Err(at_name(format!("`{arg}` expects `true` or `false`"))),
        (Shape::Extra, ArgValue::Json(Value::Object(extra))) => {
            object.extend(extra.clone());
        }
        (Shape::Extra, ArgValue::Json(_)) => {
            return Err(at_value(
                "`extra` must be a JSON object, e.g. `extra = r#\"{\"weight\": 10}\"#`".to_owned(),
            ));
        }
        (_, ArgValue::Str(text)) => {
            apply_str(spec, field.shape, text, unchecked, object).map_err(at_value)?
        }
        _ => {
            return Err(at_name(format!(
                "`{arg}` expects a string, e.g. `{arg} = \"...\"`"
            )));
        }
    }
    Ok(())
}

fn apply_str(
    spec: &KindSpec,
    shape: Shape,
    value: &str,
    unchecked: bool,
    object: &mut Map<String, Value>,
) -> Result<(), String> {
    match shape {
        Shape::Key => {
            crate::ModuleKey::parse(value).map_err(|error| error.to_string())?;
            object.insert("key".into(), json!(value));
        }
        Shape::I18n(json_key) => {
            object.insert(json_key.into(), json!({ "value": value }));
        }
        Shape::Url => {
            UrlPattern::parse(value).map_err(|error| error.to_string())?;
            match spec.url_at {
                UrlAt::Url => object.insert("url".into(), json!(value)),
                UrlAt::Target => {
                    object.insert("target".into(), json!({"type": "web_panel", "url": value}))
                }
            };
        }
        Shape::Str(json_key) => {
            object.insert(json_key.into(), json!(value));
        }
        Shape::Location => {
            if !unchecked && !known::is_known_location(value) {
                return Err(format!(
                    "unknown location `{value}`{}; add `unchecked` to use a location this list does not know",
                    known::did_you_mean(known::LOCATIONS, value)
                ));
            }
            object.insert("location".into(), json!(value));
        }
        Shape::Event => {
            if !unchecked && !known::WEBHOOK_EVENTS.contains(&value) {
                return Err(format!(
                    "unknown webhook event `{value}`{}; add `unchecked` to use an event this list does not know",
                    known::did_you_mean(known::WEBHOOK_EVENTS, value)
                ));
            }
            object.insert("event".into(), json!(value));
        }
        Shape::Icon(json_key, size) => {
            object.insert(
                json_key.into(),
                json!({"width": size, "height": size, "url": value}),
            );
        }
        Shape::GlanceLabel => {
            object.insert(
                "content".into(),
                json!({"type": "label", "label": {"value": value}}),
            );
        }
        // Applied by `apply` before a string is looked at.
        Shape::Int(_) | Shape::Bool(_) | Shape::Unchecked | Shape::Extra => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> ArgValue {
        ArgValue::Str(text.to_owned())
    }

    #[test]
    fn every_attribute_and_descriptor_key_is_unique() {
        for (i, a) in KINDS.iter().enumerate() {
            assert_eq!(a.module_type as usize, i, "KINDS follows the enum's order");
            assert_eq!(a.module_type.spec().attr, a.attr);
            for b in &KINDS[i + 1..] {
                assert_ne!(a.attr, b.attr);
                assert_ne!(a.descriptor_key, b.descriptor_key);
            }
        }
    }

    #[test]
    fn builds_a_typed_module() {
        let module = ModuleType::IssueGlance
            .build(
                &[
                    ("key", s("g")),
                    ("name", s("G")),
                    ("url", s("/g?issueKey={issue.key}")),
                    ("icon", s("/i.svg")),
                    ("content", s("Label")),
                    ("extra", ArgValue::Json(json!({"conditions": []}))),
                ],
                None,
            )
            .unwrap();
        let Module::IssueGlance(glance) = module else {
            panic!("wrong variant")
        };
        assert_eq!(glance.target.url, "/g?issueKey={issue.key}");
        assert_eq!(glance.icon.width, 24);
        assert_eq!(glance.extra["conditions"], json!([]));
    }

    #[test]
    fn reports_every_problem_where_it_is() {
        let errors = ModuleType::WebPanel
            .build(
                &[
                    ("key", s("a.b")),
                    ("url", s("panel")),
                    ("location", s("nowhere")),
                    ("weight", s("heavy")),
                ],
                None,
            )
            .unwrap_err();
        let at: Vec<ErrorAt> = errors.iter().map(|e| e.at).collect();
        assert_eq!(
            at,
            [
                ErrorAt::Value("key"),
                ErrorAt::Item,
                ErrorAt::Value("url"),
                ErrorAt::Value("location"),
                ErrorAt::Name("weight"),
            ]
        );
        assert!(errors[1].message.contains("needs `name`"));
    }

    #[test]
    fn extra_that_breaks_a_typed_field_is_refused() {
        let errors = ModuleType::GeneralPage
            .build(
                &[
                    ("key", s("p")),
                    ("name", s("P")),
                    ("url", s("/p")),
                    ("extra", ArgValue::Json(json!({"weight": "heavy"}))),
                ],
                None,
            )
            .unwrap_err();
        assert_eq!(errors[0].at, ErrorAt::Value("extra"));
    }

    #[test]
    fn macros_get_their_description_and_defaults() {
        let module = ModuleType::DynamicContentMacro
            .build(
                &[("key", s("m")), ("name", s("M")), ("url", s("/m"))],
                Some("Shows things."),
            )
            .unwrap();
        let Module::DynamicContentMacro(m) = module else {
            panic!("wrong variant")
        };
        assert_eq!(m.output_type, "block");
        assert_eq!(m.body_type, "none");
        assert_eq!(m.description.unwrap().value, "Shows things.");
    }
}
