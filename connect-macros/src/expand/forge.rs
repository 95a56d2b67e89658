//! `#[forge::remote]`, `#[forge::trigger]`, `#[forge::scheduled_trigger]`: a route with the
//! `ForgeInvocation` policy plus its Forge module (an `endpoint`, a `trigger` or a
//! `scheduledTrigger` of the manifest). Keys, events and intervals are checked by the rules of
//! `connect_descriptor::forge`, the same the runtime applies when it renders the manifest.

use super::codegen::{self, Auth, RouteParts};
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents, Named, Value};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use connect_descriptor::PathPattern;
use connect_descriptor::forge::{self as rules, Interval};
use connect_descriptor::url::METHODS;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, Lit};

/// Which Forge attribute: a row of the Forge attribute table.
pub use connect_descriptor::forge::ForgeKind as Kind;

/// Trigger keys leave room for the `-ep` of the endpoint the framework declares for them.
const MAX_TRIGGER_KEY_LEN: usize = rules::MAX_FORGE_KEY_LEN - 3;

/// Expands a Forge attribute on `item`.
pub fn expand(kind: Kind, args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let handler = HandlerFn::from_item(item);
    let cx = Ctxt::new();
    let attr_name = kind.spec().attr;
    check::signature(&cx, &handler, attr_name);
    let (positional, named) =
        attr::named(&cx, attr_name, args, kind.spec().args, BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[{attr_name}]` takes named arguments only: {}",
                kind.spec().args.join(", ")
            ),
        );
    }
    let find = |name: &str| named.iter().find(|n| n.name == name);
    let paths = Paths::from_arg(&cx, find("crate"));
    let flag = |name: &str| match find(name) {
        Some(Named { value: None, .. }) => true,
        Some(named) => {
            cx.error_spanned_by(
                &named.name,
                format!("`{name}` is a flag: write `{name}` alone"),
            );
            false
        }
        None => false,
    };
    let system_token = flag("system_token");
    let user_token = flag("user_token");
    let unchecked = flag("unchecked");

    let missing = |name: &str| {
        cx.error_spanned_by(
            handler.ident(),
            format!(
                "`#[{attr_name}]` needs `{name}`, e.g. `{}`",
                kind.spec().example
            ),
        );
    };
    let key = match find("key") {
        Some(named) => attr::string(&cx, named).and_then(|lit| {
            let key = lit.value();
            let limit_error = if kind == Kind::Remote {
                rules::check_key(&key).err().map(|error| error.to_string())
            } else if key.len() > MAX_TRIGGER_KEY_LEN {
                Some(format!(
                    "trigger key `{key}` is too long: at most {MAX_TRIGGER_KEY_LEN} characters (its endpoint is `{key}-ep`, and endpoint keys have at most 23)"
                ))
            } else {
                rules::check_key(&key).err().map(|error| error.to_string())
            };
            match limit_error {
                Some(error) => {
                    cx.error_spanned_by(&lit, error);
                    None
                }
                None => Some(key),
            }
        }),
        None => {
            missing("key");
            None
        }
    };
    let path = match find("path") {
        Some(named) => {
            attr::string(&cx, named).and_then(|lit| match PathPattern::parse(&lit.value()) {
                // Forge calls one fixed `route.path`: a `{variable}` would be sent literally.
                Ok(_) if lit.value().contains('{') => {
                    cx.error_spanned_by(
                        &lit,
                        "Forge routes have a fixed path: remove the `{variable}` (pass values in the body or the query)",
                    );
                    None
                }
                Ok(pattern) => Some(pattern),
                Err(error) => {
                    cx.error_spanned_by(&lit, error);
                    None
                }
            })
        }
        None => {
            missing("path");
            None
        }
    };
    let method = match (kind, find("method")) {
        (Kind::Remote, Some(named)) => match &named.value {
            Some(Value::Ident(ident)) if METHODS.contains(&ident.to_string().as_str()) => {
                ident.to_string()
            }
            _ => {
                cx.error_spanned_by(
                    &named.name,
                    format!("`method` is one of: {}", METHODS.join(", ")),
                );
                "POST".to_owned()
            }
        },
        // Forge invokes remotes with POST unless told otherwise, and delivers events by POST.
        _ => "POST".to_owned(),
    };
    if kind == Kind::Trigger && user_token {
        cx.error_spanned_by(handler.ident(), "triggers never receive a user token");
    }
    let module = match kind {
        Kind::Remote => {
            let key = key.clone();
            key.map(|key| {
                let forge_module = paths.forge_module();
                quote!(#forge_module::Remote {
                    key: #key,
                    system_token: #system_token,
                    user_token: #user_token,
                })
            })
        }
        Kind::Trigger => {
            let events = events(&cx, &handler, find("events"), unchecked, kind);
            key.clone().zip(events).map(|(key, events)| {
                let forge_module = paths.forge_module();
                quote!(#forge_module::Trigger {
                    key: #key,
                    events: ::std::vec![#(#events),*],
                    system_token: #system_token,
                })
            })
        }
        Kind::ScheduledTrigger => {
            let interval = interval(&cx, &handler, find("interval"), kind);
            key.clone().zip(interval).map(|(key, interval)| {
                let forge_module = paths.forge_module();
                let interval_ty = paths.interval();
                let variant = syn::Ident::new(
                    match interval {
                        Interval::Hour => "Hour",
                        Interval::Day => "Day",
                        Interval::Week => "Week",
                    },
                    proc_macro2::Span::call_site(),
                );
                quote!(#forge_module::ScheduledTrigger {
                    key: #key,
                    interval: #interval_ty::#variant,
                    system_token: #system_token,
                })
            })
        }
    };
    cx.check()?;
    let (Some(path), Some(module), Some(key)) = (path, module, key) else {
        return Err(syn::Error::new_spanned(
            handler.ident(),
            format!("invalid `#[{attr_name}]` attribute"),
        ));
    };
    let route = codegen::route_item(
        &handler,
        RouteParts {
            method: &method,
            path: path.as_str(),
            auth: Auth::Forge,
            params: &[],
            module: None,
            forge: Some((module, key)),
            paths: &paths,
        },
    );
    let function = &handler.item;
    Ok(quote!(#function #route))
}

fn events(
    cx: &Ctxt,
    handler: &HandlerFn,
    named: Option<&Named>,
    unchecked: bool,
    kind: Kind,
) -> Option<Vec<String>> {
    let Some(named) = named else {
        cx.error_spanned_by(
            handler.ident(),
            format!(
                "`#[{}]` needs `events`, e.g. `{}`",
                kind.spec().attr,
                kind.spec().example
            ),
        );
        return None;
    };
    let Some(Value::Array(items, span)) = &named.value else {
        cx.error_spanned_by(
            &named.name,
            "`events` expects a list, e.g. `events = [\"avi:forge:installed:app\"]`",
        );
        return None;
    };
    if items.is_empty() {
        cx.error_at(*span, "`events` needs at least one event");
        return None;
    }
    let mut events = Vec::new();
    for item in items {
        let Lit::Str(lit) = item else {
            cx.error_spanned_by(
                item,
                "each event is a string, e.g. \"avi:forge:installed:app\"",
            );
            continue;
        };
        let event = lit.value();
        if !unchecked && let Err(error) = rules::check_event(&event) {
            cx.error_spanned_by(lit, error);
            continue;
        }
        if events.contains(&event) {
            cx.error_spanned_by(lit, format!("event `{event}` is listed twice"));
            continue;
        }
        events.push(event);
    }
    Some(events)
}

fn interval(cx: &Ctxt, handler: &HandlerFn, named: Option<&Named>, kind: Kind) -> Option<Interval> {
    let Some(named) = named else {
        cx.error_spanned_by(
            handler.ident(),
            format!(
                "`#[{}]` needs `interval`, e.g. `{}`",
                kind.spec().attr,
                kind.spec().example
            ),
        );
        return None;
    };
    let (text, span) = match &named.value {
        Some(Value::Lit(Lit::Str(lit))) => (lit.value(), lit.span()),
        Some(Value::Ident(ident)) => (ident.to_string(), ident.span()),
        _ => {
            cx.error_spanned_by(&named.name, "`interval` is `hour`, `day` or `week`");
            return None;
        }
    };
    match Interval::parse(&text) {
        Ok(interval) => Some(interval),
        Err(error) => {
            cx.error_at(span, error);
            None
        }
    }
}
