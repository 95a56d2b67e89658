//! The `#[forge::...]` handler attributes (`remote`, `resolver`, `trigger`,
//! `scheduled_trigger`, `action`, `consumer`, `webtrigger`, `pre_uninstall`): a route with the
//! `ForgeInvocation` policy plus its Forge module. Keys, events, intervals, queues and verbs
//! are checked by the rules of `connect_descriptor::forge`, the same the runtime applies when
//! it renders the manifest. UI modules stacked on a resolver arrive as hidden `__ui` arguments
//! (see [`super::forge_ui`]).

use super::codegen::{self, Auth, RouteParts};
use super::forge_kinds::{action, interval, static_outputs, trigger};
use super::forge_ui::{UI_ARG, UiArg};
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents, Named, Value};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use connect_descriptor::PathPattern;
use connect_descriptor::forge::{self as rules, Interval};
use connect_descriptor::url::METHODS;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, ItemFn, Lit, LitStr};

/// Which Forge attribute: a row of the Forge attribute table.
pub use connect_descriptor::forge::ForgeKind as Kind;

/// Keys of modules whose endpoint is `<key>-ep` leave room for the suffix.
const MAX_SUFFIXED_KEY_LEN: usize = rules::MAX_FORGE_KEY_LEN - 3;

/// The parsed arguments of one attribute, with its error context.
pub(super) struct Attr<'a> {
    pub(super) cx: &'a Ctxt,
    kind: Kind,
    pub(super) handler: &'a HandlerFn,
    named: Vec<Named>,
}

impl Attr<'_> {
    pub(super) fn name(&self) -> &'static str {
        self.kind.spec().attr
    }

    pub(super) fn find(&self, name: &str) -> Option<&Named> {
        self.named.iter().find(|n| n.name == name)
    }

    pub(super) fn flag(&self, name: &str) -> bool {
        match self.find(name) {
            Some(Named { value: None, .. }) => true,
            Some(named) => {
                self.cx.error_spanned_by(
                    &named.name,
                    format!("`{name}` is a flag: write `{name}` alone"),
                );
                false
            }
            None => false,
        }
    }

    pub(super) fn missing(&self, name: &str) {
        self.cx.error_spanned_by(
            self.handler.ident(),
            format!(
                "`#[{}]` needs `{name}`, e.g. `{}`",
                self.name(),
                self.kind.spec().example
            ),
        );
    }

    /// A required string argument.
    pub(super) fn required_string(&self, name: &str) -> Option<LitStr> {
        match self.find(name) {
            Some(named) => attr::string(self.cx, named),
            None => {
                self.missing(name);
                None
            }
        }
    }

    /// An optional string argument.
    pub(super) fn optional_string(&self, name: &str) -> Option<LitStr> {
        self.find(name)
            .and_then(|named| attr::string(self.cx, named))
    }

    /// A key (module or endpoint), checked by Forge's rule; `max` for keys that get a suffix.
    pub(super) fn key(&self, lit: LitStr, max: usize) -> Option<String> {
        let key = lit.value();
        let error = if key.len() > max && max < rules::MAX_FORGE_KEY_LEN {
            Some(format!(
                "key `{key}` is too long: at most {max} characters (its endpoint is `{key}-ep`, and endpoint keys have at most 23; or name the endpoint with `endpoint = \"...\"`)"
            ))
        } else {
            rules::check_key(&key).err().map(|error| error.to_string())
        };
        match error {
            Some(error) => {
                self.cx.error_spanned_by(&lit, error);
                None
            }
            None => Some(key),
        }
    }

    /// A list of strings (`events = [...]`), each non-empty and listed once.
    pub(super) fn strings(&self, name: &str, example: &str) -> Option<Vec<LitStr>> {
        let named = self.find(name)?;
        let Some(Value::Array(items, span)) = &named.value else {
            self.cx.error_spanned_by(
                &named.name,
                format!("`{name}` expects a list, e.g. `{name} = [{example}]`"),
            );
            return None;
        };
        if items.is_empty() {
            self.cx
                .error_at(*span, format!("`{name}` needs at least one item"));
            return None;
        }
        let mut out: Vec<LitStr> = Vec::new();
        for item in items {
            match item {
                Lit::Str(lit) if out.iter().any(|seen| seen.value() == lit.value()) => self
                    .cx
                    .error_spanned_by(lit, format!("`{}` is listed twice", lit.value())),
                Lit::Str(lit) if lit.value().is_empty() => {
                    self.cx.error_spanned_by(lit, "an empty string")
                }
                Lit::Str(lit) => out.push(lit.clone()),
                other => self.cx.error_spanned_by(
                    other,
                    format!("each item of `{name}` is a string, e.g. {example}"),
                ),
            }
        }
        Some(out)
    }

    /// An identifier argument (`verb = GET`) or a string one.
    pub(super) fn word(&self, name: &str) -> Option<(String, Span)> {
        let named = self.find(name)?;
        match &named.value {
            Some(Value::Ident(ident)) => Some((ident.to_string(), ident.span())),
            Some(Value::Lit(Lit::Str(lit))) => Some((lit.value(), lit.span())),
            _ => {
                self.cx
                    .error_spanned_by(&named.name, format!("`{name}` expects a word"));
                None
            }
        }
    }
}

/// Expands a Forge attribute on `item`.
pub fn expand(kind: Kind, args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let handler = HandlerFn::from_item(item);
    let cx = Ctxt::new();
    let attr_name = kind.spec().attr;
    check::signature(&cx, &handler, attr_name);
    // UI modules stacked on a resolver (already checked by their own attribute).
    let (ui_args, args): (Vec<_>, Vec<_>) = args
        .items
        .into_iter()
        .partition(|arg| arg.name.as_ref().is_some_and(|name| name == UI_ARG));
    let ui: Vec<UiArg> = ui_args
        .iter()
        .filter_map(|arg| match &arg.value {
            Some(Value::Lit(Lit::Str(lit))) => UiArg::decode(&lit.value()),
            _ => None,
        })
        .collect();
    let (positional, named) = attr::named(
        &cx,
        attr_name,
        Args { items: args },
        kind.spec().args,
        BareIdents::Flags,
    );
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[{attr_name}]` takes named arguments only: {}",
                kind.spec().args.join(", ")
            ),
        );
    }
    let at = Attr {
        cx: &cx,
        kind,
        handler: &handler,
        named,
    };
    let paths = Paths::from_arg(&cx, at.find("crate"));
    let fm = paths.forge_model();
    let system_token = at.flag("system_token");
    let user_token = at.flag("user_token");
    if user_token && !matches!(kind, Kind::Remote | Kind::Resolver | Kind::Action) {
        cx.error_spanned_by(
            handler.ident(),
            format!(
                "`#[{attr_name}]` calls come from Forge, not from a user: they never carry a user token"
            ),
        );
    }

    let explicit_endpoint = at
        .optional_string("endpoint")
        .filter(|_| kind != Kind::Resolver)
        .and_then(|lit| at.key(lit, rules::MAX_FORGE_KEY_LEN));
    let key = match kind {
        Kind::Resolver => at
            .required_string("endpoint")
            .and_then(|lit| at.key(lit, rules::MAX_FORGE_KEY_LEN)),
        Kind::Remote => at
            .required_string("key")
            .and_then(|lit| at.key(lit, rules::MAX_FORGE_KEY_LEN)),
        _ => {
            let max = if at.find("endpoint").is_some() {
                rules::MAX_FORGE_KEY_LEN
            } else {
                MAX_SUFFIXED_KEY_LEN
            };
            at.required_string("key").and_then(|lit| at.key(lit, max))
        }
    };
    let path = at.required_string("path").and_then(|lit| {
        match PathPattern::parse(&lit.value()) {
            // Forge calls one fixed path: a `{variable}` would be sent literally.
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
        }
    });
    let method = match (kind, at.find("method")) {
        (Kind::Remote | Kind::Resolver, Some(named)) => match &named.value {
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

    let kind_tokens = match kind {
        Kind::Remote => Some(quote!(#fm::ForgeModuleKind::Remote)),
        Kind::Resolver => {
            let ui = ui.iter().map(|module| module.tokens(&fm));
            Some(quote!(#fm::ForgeModuleKind::Resolver { ui: ::std::vec![#(#ui),*] }))
        }
        Kind::Trigger => trigger(&at, &fm),
        Kind::ScheduledTrigger => interval(&at).map(|interval| {
            let variant = Ident::new(
                match interval {
                    Interval::FiveMinute => "FiveMinute",
                    Interval::Hour => "Hour",
                    Interval::Day => "Day",
                    Interval::Week => "Week",
                },
                Span::call_site(),
            );
            quote!(#fm::ForgeModuleKind::ScheduledTrigger { interval: #fm::Interval::#variant })
        }),
        Kind::Action => action(&at, &fm, &paths),
        Kind::Consumer => {
            at.required_string("queue")
                .and_then(|lit| match rules::check_queue(&lit.value()) {
                    Ok(()) => Some(quote!(#fm::ForgeModuleKind::Consumer { queue: #lit })),
                    Err(error) => {
                        cx.error_spanned_by(&lit, error);
                        None
                    }
                })
        }
        Kind::Webtrigger => static_outputs(&at).map(|outputs| {
            let outputs = outputs.iter().map(|(key, status, content_type, body)| {
                let optional = |value: &Option<String>| match value {
                    Some(value) => quote!(::core::option::Option::Some(#value)),
                    None => quote!(::core::option::Option::None),
                };
                let (content_type, body) = (optional(content_type), optional(body));
                quote!(#fm::StaticOutput {
                    key: #key,
                    status: #status,
                    content_type: #content_type,
                    body: #body,
                })
            });
            quote!(#fm::ForgeModuleKind::Webtrigger { outputs: ::std::vec![#(#outputs),*] })
        }),
        Kind::PreUninstall => Some(quote!(#fm::ForgeModuleKind::PreUninstall)),
    };
    cx.check()?;
    let (Some(path), Some(kind_tokens), Some(key)) = (path, kind_tokens, key) else {
        return Err(syn::Error::new_spanned(
            handler.ident(),
            format!("invalid `#[{attr_name}]` attribute"),
        ));
    };
    let endpoint = match &explicit_endpoint {
        Some(endpoint) => quote!(::core::option::Option::Some(#endpoint)),
        None => quote!(::core::option::Option::None),
    };
    let module = quote!(#fm::ForgeModule {
        key: #key,
        endpoint: #endpoint,
        tokens: #fm::Tokens { system: #system_token, user: #user_token },
        kind: #kind_tokens,
    });
    // The key `handlers![...]` checks for duplicates: resolvers share their endpoint, so a
    // resolver is known by the UI modules on it, if any.
    let module_key = match kind {
        Kind::Resolver => ui.first().map(|module| module.key.clone()),
        _ => Some(key),
    };
    let route = codegen::route_item(
        &handler,
        RouteParts {
            method: &method,
            path: path.as_str(),
            auth: Auth::Forge,
            params: &[],
            module: None,
            forge: Some((module, module_key)),
            paths: &paths,
        },
    );
    let function = &handler.item;
    Ok(quote!(#function #route))
}
