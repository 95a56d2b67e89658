//! The `#[forge::...]` handler attributes (`remote`, `resolver`, `trigger`,
//! `scheduled_trigger`, `action`, `consumer`, `webtrigger`, `pre_uninstall`): a route with the
//! `ForgeInvocation` policy plus its Forge module. Keys, events, intervals, queues and verbs
//! are checked by the rules of `connect_descriptor::forge`, the same the runtime applies when
//! it renders the manifest. UI modules stacked on a resolver arrive as hidden `__ui` arguments
//! (see [`super::forge_ui`]).

use super::codegen::{self, Auth, RouteParts};
use super::forge_ui::{UI_ARG, UiArg};
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents, Named, Value};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use connect_descriptor::PathPattern;
use connect_descriptor::forge::action::ActionVerb;
use connect_descriptor::forge::{self as rules, Interval, TriggerFilter};
use connect_descriptor::url::METHODS;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Lit, LitStr};

/// Which Forge attribute: a row of the Forge attribute table.
pub use connect_descriptor::forge::ForgeKind as Kind;

/// Keys of modules whose endpoint is `<key>-ep` leave room for the suffix.
const MAX_SUFFIXED_KEY_LEN: usize = rules::MAX_FORGE_KEY_LEN - 3;

/// The parsed arguments of one attribute, with its error context.
struct Attr<'a> {
    cx: &'a Ctxt,
    kind: Kind,
    handler: &'a HandlerFn,
    named: Vec<Named>,
}

impl Attr<'_> {
    fn name(&self) -> &'static str {
        self.kind.spec().attr
    }

    fn find(&self, name: &str) -> Option<&Named> {
        self.named.iter().find(|n| n.name == name)
    }

    fn flag(&self, name: &str) -> bool {
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

    fn missing(&self, name: &str) {
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
    fn required_string(&self, name: &str) -> Option<LitStr> {
        match self.find(name) {
            Some(named) => attr::string(self.cx, named),
            None => {
                self.missing(name);
                None
            }
        }
    }

    /// An optional string argument.
    fn optional_string(&self, name: &str) -> Option<LitStr> {
        self.find(name)
            .and_then(|named| attr::string(self.cx, named))
    }

    /// A key (module or endpoint), checked by Forge's rule; `max` for keys that get a suffix.
    fn key(&self, lit: LitStr, max: usize) -> Option<String> {
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
    fn strings(&self, name: &str, example: &str) -> Option<Vec<LitStr>> {
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
    fn word(&self, name: &str) -> Option<(String, Span)> {
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

fn trigger(at: &Attr<'_>, fm: &TokenStream) -> Option<TokenStream> {
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
fn static_outputs(at: &Attr<'_>) -> Option<Vec<Output>> {
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

fn interval(at: &Attr<'_>) -> Option<Interval> {
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

fn action(at: &Attr<'_>, fm: &TokenStream, paths: &Paths) -> Option<TokenStream> {
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
