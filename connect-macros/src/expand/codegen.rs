//! Code generation shared by every handler attribute.
//!
//! Every handler attribute emits the function unchanged, plus a hidden braced struct with the
//! function's name (types and values live in separate namespaces, as Rocket does) that
//! implements `HandlerItem`. `handlers![f]` names `<f as HandlerItem>::handler()`.
//! Generated locals use `Span::mixed_site()`, so they can neither clash with nor be named by
//! the user's code.

use crate::internals::ast::HandlerFn;
use crate::paths::{self, Paths};
use connect_descriptor::{ArgValue, ContextParam};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use serde_json::Value;
use syn::Ident;
use syn::spanned::Spanned;

/// The policy of a route as the type-level marker the extractors are checked against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `auth = jwt` (pages, webhooks).
    Jwt,
    /// `auth = context`.
    Context,
    /// `auth = none`.
    None,
    /// `#[forge::...]`: a Forge Invocation Token.
    Forge,
}

impl Auth {
    fn marker(self, paths: &Paths) -> TokenStream {
        match self {
            Auth::Jwt => paths.policy("Jwt"),
            Auth::Context => paths.policy("ContextJwt"),
            Auth::None => paths.policy("Public"),
            Auth::Forge => paths.policy("ForgeInvocation"),
        }
    }
}

/// The module a route serves: its type (a `ModuleType` variant), key and arguments.
pub struct ModuleParts {
    /// The `ModuleType` variant.
    pub variant: Ident,
    /// The module key (none for webhooks).
    pub key: Option<String>,
    /// The checked arguments.
    pub args: Vec<(String, ArgValue)>,
    /// The doc comment, for module types with a description.
    pub doc: Option<String>,
}

/// What a route needs to generate.
pub struct RouteParts<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The route path (`/issue/{issue.key}`).
    pub path: &'a str,
    /// The policy.
    pub auth: Auth,
    /// The context parameters the URL offers.
    pub params: &'a [ContextParam],
    /// The module, if the route serves one.
    pub module: Option<ModuleParts>,
    /// For `#[forge::...]` routes: the `ForgeModule` expression and the key `handlers![...]`
    /// checks for duplicates (none for a resolver without UI modules: resolvers share their
    /// endpoint).
    pub forge: Option<(TokenStream, Option<String>)>,
    /// The runtime paths (`crate = "..."`).
    pub paths: &'a Paths,
}

/// `tokens` with every span set to `span`: a call to a runtime helper reported at the user's
/// token (the return type) rather than at the attribute.
fn respanned(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respanned(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The hidden struct and `HandlerItem` impl of a route handler.
pub fn route_item(handler: &HandlerFn, route: RouteParts<'_>) -> TokenStream {
    let paths = route.paths;
    let from_request = paths.extractor_trait();
    let context_param = paths.context_param();
    let result = paths::result();
    let option = paths::option();
    let ident = handler.ident();
    let marker = route.auth.marker(paths);
    let request = local("__request");
    let requirements = local("__requirements");

    let mut bindings = Vec::new();
    let mut declares = Vec::new();
    let mut call_args = Vec::new();
    for (index, arg) in handler.args.iter().enumerate() {
        let local = format_ident!("__arg{}", index, span = Span::mixed_site());
        let ty = &arg.ty;
        let param = arg
            .name
            .as_deref()
            .and_then(|name| route.params.iter().find(|param| param.arg == name));
        if let Some(param) = param {
            let lookups = &param.lookups;
            bindings.push(quote_spanned! {ty.span()=>
                let #local: #ty = #context_param(&#request, &[#(#lookups),*])?;
            });
        } else {
            // Spanned at the argument's type: a type that is no extractor for this policy is
            // reported there, with the trait's `on_unimplemented` note.
            bindings.push(quote_spanned! {ty.span()=>
                let #local = <#ty as #from_request<#marker>>::from_request(&#request).await?;
            });
            declares.push(quote_spanned! {ty.span()=>
                <#ty as #from_request<#marker>>::declare(#requirements);
            });
        }
        call_args.push(local);
    }
    let value = local("__value");
    let respond = respanned(paths.response_conversion(), handler.output.span());
    let value_at_output = Ident::new(
        "__value",
        Span::mixed_site().located_at(handler.output.span()),
    );
    let response = quote_spanned!(handler.output.span()=> #respond(#value_at_output));

    let method = Ident::new(route.method, Span::call_site());
    let path = route.path;
    let route_key = format!("{} {}", route.method, route.path);
    let (module, mut module_key) = match &route.module {
        Some(module) => (
            {
                let module = module_tokens(module, paths);
                quote!(#option::Some(#module))
            },
            match &module.key {
                Some(key) => quote!(#option::Some(#key)),
                None => quote!(#option::None),
            },
        ),
        None => (quote!(#option::None), quote!(#option::None)),
    };
    let handler_kind = paths.handler_kind();
    let route_spec = paths.route_spec();
    let route_call = paths.route_call();
    let method_ty = paths.method();
    let connect_request = paths.connect_request();
    let route_value = quote! {
        #route_spec::new(
            #method_ty::#method,
            #path,
            #route_call(|#request: #connect_request| async move {
                #(#bindings)*
                let #value = #ident(#(#call_args),*).await;
                #result::Ok(#response)
            }),
        )
    };
    let kind = match &route.forge {
        Some((forge_module, key)) => {
            module_key = match key {
                Some(key) => quote!(#option::Some(#key)),
                None => quote!(#option::None),
            };
            quote!(#handler_kind::Forge { module: #forge_module, route: #route_value })
        }
        None => quote!(#handler_kind::route::<#marker>(#module, #route_value)),
    };
    let handler_fn = handler_fn(handler, paths, &declares, kind);
    hidden_item(
        handler,
        paths,
        quote! {
            const MODULE_KEY: #option<&'static str> = #module_key;
            const ROUTE: #option<&'static str> = #option::Some(#route_key);
            #handler_fn
        },
    )
}

/// `fn handler() -> Handler`: the handler's name, `kind` (route or hook), and the function
/// declaring what its extractors need from the app.
fn handler_fn(
    handler: &HandlerFn,
    paths: &Paths,
    declares: &[TokenStream],
    kind: TokenStream,
) -> TokenStream {
    let handler_ty = paths.handler();
    let requirements_ty = paths.requirements();
    let requirements = local("__requirements");
    let name = handler.ident().to_string();
    quote! {
        fn handler() -> #handler_ty {
            fn requires(#requirements: &mut #requirements_ty) {
                let _ = &#requirements;
                #(#declares)*
            }
            #handler_ty {
                name: #name,
                kind: #kind,
                requires,
            }
        }
    }
}

/// The hidden struct and `HandlerItem` impl of a lifecycle hook for `event` (`Installed`...).
pub fn hook_item(handler: &HandlerFn, event: &str, paths: &Paths) -> TokenStream {
    let ident = handler.ident();
    let variant = Ident::new(event, Span::call_site());
    let hook = local("__hook");
    let requirements = local("__requirements");
    let from_hook = paths.hook_extractor_trait();
    let mut bindings = Vec::new();
    let mut declares = Vec::new();
    let mut call_args = Vec::new();
    for (index, arg) in handler.args.iter().enumerate() {
        let local = format_ident!("__arg{}", index, span = Span::mixed_site());
        let ty = &arg.ty;
        bindings.push(quote_spanned! {ty.span()=>
            let #local = <#ty as #from_hook>::from_hook(&#hook)?;
        });
        declares.push(quote_spanned! {ty.span()=>
            <#ty as #from_hook>::declare(#requirements);
        });
        call_args.push(local);
    }
    let value = local("__value");
    let hook_outcome = respanned(paths.hook_outcome(), handler.output.span());
    let value_at_output = Ident::new(
        "__value",
        Span::mixed_site().located_at(handler.output.span()),
    );
    let outcome =
        quote_spanned!(handler.output.span()=> #hook_outcome::into_outcome(#value_at_output));
    let handler_kind = paths.handler_kind();
    let lifecycle_event = paths.lifecycle_event();
    let hook_call = paths.hook_call();
    let hook_request = paths.hook_request();
    let kind = quote! {
        #handler_kind::Hook {
            event: #lifecycle_event::#variant,
            call: #hook_call(|#hook: #hook_request| async move {
                let _ = &#hook;
                #(#bindings)*
                let #value = #ident(#(#call_args),*).await;
                #outcome
            }),
        }
    };
    let handler_fn = handler_fn(handler, paths, &declares, kind);
    hidden_item(handler, paths, handler_fn)
}

/// `ModuleSpec { module_type, args, doc }`.
fn module_tokens(module: &ModuleParts, paths: &Paths) -> TokenStream {
    let module_spec = paths.module_spec();
    let module_type = paths.module_type();
    let option = paths::option();
    let variant = &module.variant;
    let args = module.args.iter().map(|(name, value)| {
        let value = arg_value_tokens(value, paths);
        quote!((#name, #value))
    });
    let doc = match &module.doc {
        Some(doc) => quote!(#option::Some(#doc)),
        None => quote!(#option::None),
    };
    quote! {
        #module_spec {
            module_type: #module_type::#variant,
            args: ::std::vec![#(#args),*],
            doc: #doc,
        }
    }
}

fn arg_value_tokens(value: &ArgValue, paths: &Paths) -> TokenStream {
    let arg_value = paths.arg_value();
    let string = paths::string();
    match value {
        ArgValue::Str(text) => quote!(#arg_value::Str(#string::from(#text))),
        ArgValue::Int(n) => {
            let n = Literal::i64_suffixed(*n);
            quote!(#arg_value::Int(#n))
        }
        ArgValue::Bool(b) => quote!(#arg_value::Bool(#b)),
        ArgValue::Json(json) => {
            let json = json_tokens(json, paths);
            quote!(#arg_value::Json(#json))
        }
        // Only checked arguments reach code generation; `Other` never passes the checks.
        ArgValue::Flag | ArgValue::Other => quote!(#arg_value::Flag),
    }
}

/// Code that builds `value` (no JSON text is parsed at run time).
fn json_tokens(value: &Value, paths: &Paths) -> TokenStream {
    let sj = paths.serde_json();
    let string = paths::string();
    match value {
        Value::Null => quote!(#sj::Value::Null),
        Value::Bool(b) => quote!(#sj::Value::Bool(#b)),
        Value::Number(n) => {
            let literal = if let Some(i) = n.as_i64() {
                Literal::i64_suffixed(i)
            } else if let Some(u) = n.as_u64() {
                Literal::u64_suffixed(u)
            } else {
                Literal::f64_suffixed(n.as_f64().unwrap_or_default())
            };
            quote!(#sj::Value::from(#literal))
        }
        Value::String(s) => quote!(#sj::Value::String(#string::from(#s))),
        Value::Array(items) => {
            let items = items.iter().map(|item| json_tokens(item, paths));
            quote!(#sj::Value::Array(::std::vec![#(#items),*]))
        }
        Value::Object(map) => {
            let object = local("__object");
            let inserts = map.iter().map(|(key, value)| {
                let value = json_tokens(value, paths);
                quote!(#object.insert(#string::from(#key), #value);)
            });
            quote!({
                let mut #object = #sj::Map::new();
                #(#inserts)*
                #sj::Value::Object(#object)
            })
        }
    }
}

/// The hidden braced struct named like the function (type namespace only, so it coexists with
/// the function) and its `HandlerItem` impl with `body`.
fn hidden_item(handler: &HandlerFn, paths: &Paths, body: TokenStream) -> TokenStream {
    let vis = &handler.item.vis;
    let ident = handler.ident();
    let handler_item = paths.handler_item();
    let doc = format!("Handler item of [`{ident}()`], named by `handlers![...]`.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}
        const _: () = {
            #[automatically_derived]
            #[allow(clippy::all, unused_qualifications)]
            impl #handler_item for #ident {
                #body
            }
        };
    }
}
