//! What each `#[forge::...]` backend kind adds to its `ForgeModuleKind`: a trigger's events,
//! filter and payload; a scheduled trigger's interval; an action's verb, inputs and outputs; a
//! web trigger's static outputs. Checked by the rules of `connect_descriptor::forge`.

use super::forge::Attr;
use crate::internals::attr::{Named, Value};
use crate::paths::Paths;
use connect_descriptor::forge::action::ActionVerb;
use connect_descriptor::forge::{self as rules, Interval, TriggerFilter};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

pub(super) fn trigger(at: &Attr<'_>, fm: &TokenStream) -> Option<TokenStream> {
    let cx = at.cx;
    let unchecked = at.flag("unchecked");
    let Some(events) = at.strings("events", "\"avi:forge:installed:app\"") else {
        if at.find("events").is_none() {
            at.missing("events");
        }
        return None;
    };
    for lit in &events {
        if !unchecked && let Err(error) = rules::check_event(&lit.value()) {
            cx.error_spanned_by(lit, error);
        }
    }
    let ignore_self = at.flag("ignore_self");
    let licensed_only = at.flag("licensed_only");
    let expression = at.optional_string("filter");
    let on_error = at.word("on_error").and_then(|(word, span)| {
        if TriggerFilter::ON_ERROR.contains(&word.as_str()) {
            Some(word)
        } else {
            cx.error_at(
                span,
                format!(
                    "`on_error` is one of: {}",
                    TriggerFilter::ON_ERROR.join(", ")
                ),
            );
            None
        }
    });
    if on_error.is_some() && expression.is_none() {
        cx.error_spanned_by(
            at.handler.ident(),
            "`on_error` says what to do when the `filter` expression fails: add `filter = \"...\"`",
        );
    }
    let optional = |value: Option<String>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let expression = optional(expression.map(|lit| lit.value()));
    let on_error = optional(on_error);
    let fields = at
        .strings("include_fields", "\"summary\"")
        .unwrap_or_default();
    let paths = at
        .strings("include_paths", "\"issue.fields.summary\"")
        .unwrap_or_default();
    Some(quote!(#fm::ForgeModuleKind::Trigger {
        events: ::std::vec![#(#events),*],
        filter: #fm::TriggerFilter {
            ignore_self: #ignore_self,
            expression: #expression,
            on_error: #on_error,
            licensed_only: #licensed_only,
        },
        include_fields: ::std::vec![#(#fields),*],
        include_paths: ::std::vec![#(#paths),*],
    }))
}

/// A static output: key, status, content type, body.
type Output = (String, u16, Option<String>, Option<String>);

/// `outputs = ["key|status|content type|body", ...]` of a web trigger: each checked by the
/// schema's rules (key 1 to 255 characters, a status, content type at most 255, body at most
/// 1024), at most 20, keys unique.
pub(super) fn static_outputs(at: &Attr<'_>) -> Option<Vec<Output>> {
    let Some(items) = at.strings("outputs", "\"ok|200|text/plain|Thanks\"") else {
        return Some(Vec::new());
    };
    if items.len() > 20 {
        at.cx
            .error_spanned_by(&items[20], "a web trigger has at most 20 static outputs");
        return None;
    }
    let mut outputs: Vec<Output> = Vec::new();
    for lit in &items {
        let text = lit.value();
        let mut parts = text.splitn(4, '|');
        let key = parts.next().unwrap_or_default().trim().to_owned();
        let status = parts
            .next()
            .and_then(|status| status.trim().parse::<u16>().ok());
        let content_type = parts
            .next()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let body = parts.next().map(str::to_owned);
        let problem = match status {
            _ if key.is_empty() || key.chars().count() > 255 => {
                Some("the key has 1 to 255 characters")
            }
            None => Some("write `key|status`, e.g. `ok|200`, optionally `|content type|body`"),
            Some(status) if !(100..=599).contains(&status) => Some("the status is 100 to 599"),
            _ if content_type
                .as_ref()
                .is_some_and(|t| t.chars().count() > 255) =>
            {
                Some("the content type has at most 255 characters")
            }
            _ if body.as_ref().is_some_and(|b| b.chars().count() > 1024) => {
                Some("the body has at most 1024 characters")
            }
            _ if outputs.iter().any(|(seen, ..)| *seen == key) => {
                Some("an output key is listed twice: each output needs its own key")
            }
            _ => None,
        };
        match (problem, status) {
            (None, Some(status)) => outputs.push((key, status, content_type, body)),
            (Some(problem), _) => at.cx.error_spanned_by(lit, problem),
            (None, None) => {}
        }
    }
    Some(outputs)
}

pub(super) fn interval(at: &Attr<'_>) -> Option<Interval> {
    let Some((text, span)) = at.word("interval") else {
        if at.find("interval").is_none() {
            at.missing("interval");
        }
        return None;
    };
    match Interval::parse(&text) {
        Ok(interval) => Some(interval),
        Err(error) => {
            at.cx.error_at(span, error);
            None
        }
    }
}

pub(super) fn action(at: &Attr<'_>, fm: &TokenStream, paths: &Paths) -> Option<TokenStream> {
    let cx = at.cx;
    let verb = match at.word("verb") {
        Some((text, span)) => match ActionVerb::parse(&text) {
            Some(verb) => Some(Ident::new(
                match verb {
                    ActionVerb::Get => "Get",
                    ActionVerb::Create => "Create",
                    ActionVerb::Update => "Update",
                    ActionVerb::Delete => "Delete",
                    ActionVerb::Trigger => "Trigger",
                },
                span,
            )),
            None => {
                cx.error_at(
                    span,
                    "`verb` is one of: GET, CREATE, UPDATE, DELETE, TRIGGER (agents run by automation rules call only GET actions)",
                );
                None
            }
        },
        None => {
            at.missing("verb");
            None
        }
    };
    let description = at.required_string("description").filter(|lit| {
        let length = lit.value().trim().chars().count();
        if length == 0 || length > 255 {
            cx.error_spanned_by(lit, "the description has 1 to 255 characters");
            return false;
        }
        true
    });
    let name = match at.optional_string("name") {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let action_schema = paths.action_schema();
    // The input: the handler's `Json<T>` argument, if any.
    let input = at.handler.args.iter().find_map(|arg| json_inner(&arg.ty));
    let inputs = match input {
        Some(ty) => quote_spanned!(ty.span()=>
            ::core::option::Option::Some(#fm::action::SchemaFn(<#ty as #action_schema>::schema))
        ),
        None => quote!(::core::option::Option::None),
    };
    let outputs = match at.find("outputs") {
        Some(Named {
            value: Some(Value::Ident(ty)),
            ..
        }) => {
            quote_spanned!(ty.span()=> ::core::option::Option::Some(#fm::action::SchemaFn(<#ty as #action_schema>::schema)))
        }
        Some(named) => {
            cx.error_spanned_by(
                &named.name,
                "`outputs` names a type in scope that derives `JsonSchema`, e.g. `outputs = NotesFound`",
            );
            quote!(::core::option::Option::None)
        }
        None => quote!(::core::option::Option::None),
    };
    let (verb, description) = (verb?, description?);
    Some(
        quote!(#fm::ForgeModuleKind::Action(#fm::action::ActionSpec {
            verb: #fm::action::ActionVerb::#verb,
            description: #description,
            name: #name,
            inputs: #inputs,
            outputs: #outputs,
        })),
    )
}

/// `T` of an argument typed `Json<T>` (any path ending in `Json`).
fn json_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Json" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    }
}
