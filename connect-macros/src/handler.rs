//! The annotated function: checking its signature and generating its hidden item.
//!
//! Every handler attribute emits the function unchanged, plus a hidden braced struct with the
//! function's name (types and values live in separate namespaces, as Rocket does) that
//! implements `HandlerItem`. `handlers![f]` names `<f as HandlerItem>::handler()`.

use crate::ctxt::Ctxt;
use crate::paths::{self, Paths};
use crate::url::ContextParam;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat};

/// A checked handler function.
pub struct HandlerFn {
    pub item: ItemFn,
}

/// Checks what every handler must be: a free `async fn` without generics.
pub fn check_fn(cx: &mut Ctxt, item: &ItemFn, attr: &str) {
    if item.sig.asyncness.is_none() {
        cx.error_spanned_by(
            item.sig.fn_token,
            format!(
                "`#[connect::{attr}]` handlers must be `async fn`: write `async fn {}(...)`",
                item.sig.ident
            ),
        );
    }
    if !item.sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.sig.generics,
            "handlers cannot be generic: the framework must name one function",
        );
    }
    if let Some(FnArg::Receiver(receiver)) = item.sig.inputs.first() {
        cx.error_spanned_by(receiver, "handlers must be free functions, not methods");
    }
}

/// The policy of a route as the type-level marker the extractors are checked against.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `auth = jwt` (pages, webhooks).
    Jwt,
    /// `auth = context`.
    Context,
    /// `auth = none`.
    None,
}

impl Auth {
    fn marker(self, paths: &Paths) -> TokenStream {
        let p = paths.private();
        match self {
            Auth::Jwt => quote!(#p::Jwt),
            Auth::Context => quote!(#p::ContextToken),
            Auth::None => quote!(#p::Public),
        }
    }
}

/// What the route needs to generate.
pub struct RouteParts<'a> {
    /// `GET`, `POST`...
    pub method: &'a str,
    /// The route path (`/issue/{issue.key}`).
    pub path: &'a str,
    /// The policy.
    pub auth: Auth,
    /// The context parameters the URL offers.
    pub params: &'a [ContextParam],
    /// The module entry: descriptor type, JSON, single-object flag, key.
    pub module: Option<(&'a str, String, bool, Option<String>)>,
    /// The runtime paths (`crate = "..."`).
    pub paths: &'a Paths,
}

/// The hidden struct and `HandlerItem` impl of a route handler.
pub fn route_item(cx: &mut Ctxt, item: &ItemFn, route: RouteParts<'_>) -> TokenStream {
    let runtime = route.paths;
    let p = runtime.private();
    let from_request = runtime.extractor_trait();
    let reply = runtime.reply();
    let result = paths::result();
    let option = paths::option();
    let ident = &item.sig.ident;
    let marker = route.auth.marker(runtime);

    let mut bindings = Vec::new();
    let mut call_args = Vec::new();
    for (index, input) in item.sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let arg = format_ident!("__arg{}", index);
        let ty = &typed.ty;
        let name = match &*typed.pat {
            Pat::Ident(pat) => Some(pat.ident.to_string()),
            _ => None,
        };
        let param = name
            .as_deref()
            .and_then(|name| route.params.iter().find(|param| param.ident == name));
        if let Some(param) = param {
            let lookups = &param.lookups;
            bindings.push(quote_spanned! {ty.span()=>
                let #arg: #ty = #p::context_param(&__request, &[#(#lookups),*])?;
            });
        } else {
            // Spanned at the argument's type: a type that is no extractor for this policy is
            // reported there, with the trait's `on_unimplemented` note.
            bindings.push(quote_spanned! {ty.span()=>
                let #arg = <#ty as #from_request<#marker>>::from_request(&__request)?;
            });
        }
        call_args.push(arg);
    }
    if item.sig.inputs.len() > 16 {
        cx.error_spanned_by(&item.sig.inputs, "a handler takes at most 16 arguments");
    }

    let method = syn::Ident::new(route.method, Span::call_site());
    let path = route.path;
    let route_key = format!("{} {}", route.method, route.path);
    let (module, module_key) = match &route.module {
        Some((kind, json, single, key)) => (
            quote!(#option::Some(#p::ModuleSpec { kind: #kind, json: #json, single: #single })),
            match key {
                Some(key) => quote!(#option::Some(#key)),
                None => quote!(#option::None),
            },
        ),
        None => (quote!(#option::None), quote!(#option::None)),
    };
    let handler = runtime.handler();
    hidden_item(
        item,
        runtime,
        quote! {
            const MODULE_KEY: #option<&'static str> = #module_key;
            const ROUTE: #option<&'static str> = #option::Some(#route_key);
            fn handler() -> #handler {
                #handler::Route {
                        module: #module,
                        route: #p::RouteSpec {
                            method: #p::Method::#method,
                            path: #path,
                            policy: <#marker as #p::PolicyMarker>::POLICY,
                            call: #p::route_call(|__request: #p::ConnectRequest| async move {
                                #(#bindings)*
                                #result::Ok(#reply::into_response(#ident(#(#call_args),*).await))
                            }),
                        },
                    }
            }
        },
    )
}

/// The hidden struct and `HandlerItem` impl of a lifecycle hook.
pub fn hook_item(cx: &mut Ctxt, item: &ItemFn, event: &str, paths: &Paths) -> TokenStream {
    let p = paths.private();
    let ident = &item.sig.ident;
    let variant = syn::Ident::new(event, Span::call_site());
    let call = match item.sig.inputs.len() {
        0 => quote!(#ident().await),
        1 => {
            let FnArg::Typed(typed) = &item.sig.inputs[0] else {
                return TokenStream::new();
            };
            let ty = &typed.ty;
            // A hook's one argument is the stored tenant; any other type fails here, at it.
            let tenant = quote_spanned!(ty.span()=> { let __t: #ty = __tenant; __t });
            quote!(#ident(#tenant).await)
        }
        _ => {
            cx.error_spanned_by(
                &item.sig.inputs,
                "a lifecycle hook takes one argument, the verified `Tenant`, or none",
            );
            return TokenStream::new();
        }
    };
    let handler = paths.handler();
    hidden_item(
        item,
        paths,
        quote! {
            fn handler() -> #handler {
                #handler::Hook {
                    event: #p::LifecycleEvent::#variant,
                    call: #p::hook_call(|__tenant: #p::Tenant| async move {
                        #p::HookOutcome::into_outcome(#call)
                    }),
                }
            }
        },
    )
}

/// The hidden braced struct named like the function (type namespace only, so it coexists with
/// the function) and its `HandlerItem` impl with `body`.
fn hidden_item(item: &ItemFn, paths: &Paths, body: TokenStream) -> TokenStream {
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let handler_item = paths.handler_item();
    let doc = format!("Handler item of [`{ident}()`], named by `handlers![...]`.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}
        const _: () = {
            #[automatically_derived]
            impl #handler_item for #ident {
                #body
            }
        };
    }
}

/// The doc comment of `item`, joined, for descriptor descriptions.
pub fn doc_comment(item: &ItemFn) -> Option<String> {
    let lines: Vec<String> = item
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let text = lines.join(" ").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

impl HandlerFn {
    /// The function, unchanged.
    pub fn tokens(&self) -> TokenStream {
        let item = &self.item;
        quote!(#item)
    }
}
