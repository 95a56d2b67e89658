//! Attribute arguments → the module's descriptor entry, with every problem reported at the
//! token that causes it.

use super::table::{Field, ModuleKind, Shape, UrlAt};
use crate::attr::{self, Args, Named, Value};
use crate::ctxt::Ctxt;
use crate::known;
use serde_json::{Map, Value as Json, json};
use syn::{ItemFn, Lit};

/// A checked module entry.
pub struct Entry {
    /// The module key (none for webhooks, which have none).
    pub key: Option<String>,
    /// The module URL (route path plus query with context variables).
    pub url: String,
    /// The entry as JSON text.
    pub json: String,
    /// The runtime paths (`crate = "..."`).
    pub paths: crate::paths::Paths,
}

/// Parses and checks the arguments of `kind`; `None` when an error was recorded.
pub fn entry(cx: &mut Ctxt, kind: &ModuleKind, args: Args, item: &ItemFn) -> Option<Entry> {
    let allowed: Vec<&str> = kind.fields.iter().map(|field| field.arg).collect();
    let (positional, named) = attr::named(cx, kind.attr, args, &allowed, attr::BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[connect::{}]` takes named arguments only: {}",
                kind.attr,
                allowed.join(", ")
            ),
        );
    }
    let unchecked = named.iter().any(|n| n.name == "unchecked");
    let paths = crate::paths::Paths::from_arg(cx, named.iter().find(|n| n.name == "crate"));
    let mut object = Map::new();
    let mut key = None;
    let mut url = None;
    for field in kind.fields {
        let given = named.iter().find(|n| n.name == field.arg);
        match (given, field.default) {
            (Some(named), _) => apply(
                cx,
                kind,
                field,
                named,
                unchecked,
                &mut object,
                &mut key,
                &mut url,
            ),
            (None, Some(default)) => {
                if let Shape::Str(json_key) = field.shape {
                    object.insert(json_key.to_owned(), json!(default));
                }
            }
            (None, None) if field.required => cx.error_spanned_by(
                &item.sig.ident,
                format!(
                    "`#[connect::{}]` needs `{}`; required: {}",
                    kind.attr,
                    field.arg,
                    kind.fields
                        .iter()
                        .filter(|f| f.required)
                        .map(|f| f.arg)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            (None, None) => {}
        }
    }
    if kind.doc_description {
        if let Some(doc) = crate::handler::doc_comment(item) {
            object.insert("description".into(), json!({ "value": doc }));
        }
    }
    let url = url?;
    Some(Entry {
        key,
        url,
        json: Json::Object(object).to_string(),
        paths,
    })
}

#[allow(clippy::too_many_arguments)]
fn apply(
    cx: &mut Ctxt,
    kind: &ModuleKind,
    field: &Field,
    named: &Named,
    unchecked: bool,
    object: &mut Map<String, Json>,
    key: &mut Option<String>,
    url: &mut Option<String>,
) {
    match field.shape {
        // Read before the loop, by `Paths::from_arg`.
        Shape::Crate => {}
        Shape::Unchecked => {
            if named.value.is_some() {
                cx.error_spanned_by(
                    &named.name,
                    "`unchecked` is a flag: write `unchecked` alone",
                );
            }
        }
        Shape::Int(json_key) => match &named.value {
            Some(Value::Lit(Lit::Int(int))) => match int.base10_parse::<i64>() {
                Ok(n) => {
                    object.insert(json_key.into(), json!(n));
                }
                Err(error) => cx.syn_error(error),
            },
            _ => cx.error_spanned_by(
                &named.name,
                format!(
                    "`{}` expects an integer, e.g. `{} = 100`",
                    field.arg, field.arg
                ),
            ),
        },
        Shape::Bool(json_key) => match &named.value {
            Some(Value::Lit(Lit::Bool(b))) => {
                object.insert(json_key.into(), json!(b.value));
            }
            _ => cx.error_spanned_by(
                &named.name,
                format!("`{}` expects `true` or `false`", field.arg),
            ),
        },
        _ => {
            let Some(lit) = attr::string(cx, named) else {
                return;
            };
            let value = lit.value();
            match field.shape {
                Shape::Key => {
                    if value.is_empty()
                        || !value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        cx.error_spanned_by(
                            &lit,
                            format!("module key `{value}` may only contain a-z, A-Z, 0-9 and `-`, e.g. `my-page`"),
                        );
                    }
                    object.insert("key".into(), json!(value));
                    *key = Some(value);
                }
                Shape::I18n(json_key) => {
                    object.insert(json_key.into(), json!({ "value": value }));
                }
                Shape::Url => {
                    if let Err(message) = crate::url::check(&value) {
                        cx.error_spanned_by(&lit, message);
                    }
                    match kind.url_at {
                        UrlAt::Url => object.insert("url".into(), json!(value)),
                        UrlAt::Target => object
                            .insert("target".into(), json!({"type": "web_panel", "url": value})),
                    };
                    *url = Some(value);
                }
                Shape::Str(json_key) => {
                    object.insert(json_key.into(), json!(value));
                }
                Shape::Location => {
                    if !unchecked && !known::is_known_location(&value) {
                        cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown location `{value}`{}; add `unchecked` to use a location this list does not know",
                                known::did_you_mean(known::LOCATIONS, &value)
                            ),
                        );
                    }
                    object.insert("location".into(), json!(value));
                }
                Shape::Event => {
                    if !unchecked && !known::WEBHOOK_EVENTS.contains(&value.as_str()) {
                        cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown webhook event `{value}`{}; add `unchecked` to use an event this list does not know",
                                known::did_you_mean(known::WEBHOOK_EVENTS, &value)
                            ),
                        );
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
                Shape::Extra => match serde_json::from_str::<Json>(&value) {
                    Ok(Json::Object(extra)) => object.extend(extra),
                    Ok(_) => cx.error_spanned_by(
                        &lit,
                        "`extra` must be a JSON object, e.g. `extra = r#\"{\"weight\": 10}\"#`",
                    ),
                    Err(error) => {
                        cx.error_spanned_by(&lit, format!("`extra` is not valid JSON: {error}"))
                    }
                },
                Shape::Int(_) | Shape::Bool(_) | Shape::Unchecked | Shape::Crate => {}
            }
        }
    }
}
