//! `#[connect::route(METHOD, "/path", auth = jwt|context|none)]`: an app route that is not a
//! descriptor module (AJAX endpoints, public assets). `auth` defaults to `jwt`.

use super::codegen::{self, Auth, RouteParts};
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents, Value};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use connect_descriptor::{PathPattern, UrlPattern};
use proc_macro2::TokenStream;
use syn::{ItemFn, Lit};

use connect_descriptor::url::METHODS;
const AUTH: &[(&str, Auth)] = &[
    ("jwt", Auth::Jwt),
    ("context", Auth::Context),
    ("none", Auth::None),
];

/// Expands `#[connect::route(...)] item`.
pub fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let handler = HandlerFn::from_item(item);
    let cx = Ctxt::new();
    check::signature(&cx, &handler, "route");
    let (positional, named) = attr::named(
        &cx,
        "route",
        args,
        &["auth", "crate"],
        BareIdents::Positional,
    );
    let mut method = None;
    let mut path = None;
    let mut values = positional.into_iter();
    match values.next() {
        Some(Value::Ident(ident)) if METHODS.contains(&ident.to_string().as_str()) => {
            method = Some(ident.to_string())
        }
        Some(other) => cx.error_at(
            other.span(),
            format!("expected the method first, one of: {}", METHODS.join(", ")),
        ),
        None => cx.error_spanned_by(
            handler.ident(),
            "`#[connect::route]` needs a method and a path, e.g. `#[connect::route(GET, \"/api/notes\")]`",
        ),
    }
    match values.next() {
        Some(Value::Lit(Lit::Str(lit))) => match PathPattern::parse(&lit.value()) {
            Ok(pattern) => path = Some(pattern),
            Err(error) => cx.error_spanned_by(&lit, error),
        },
        Some(other) => cx.error_at(
            other.span(),
            "expected the path as a string, e.g. \"/api/notes\"",
        ),
        None => {}
    }
    for extra in values {
        cx.error_at(
            extra.span(),
            "unexpected argument; `#[connect::route(METHOD, \"/path\", auth = jwt|context|none)]`",
        );
    }
    let paths = Paths::from_arg(&cx, named.iter().find(|n| n.name == "crate"));
    let mut auth = Auth::Jwt;
    if let Some(named) = named.iter().find(|n| n.name == "auth") {
        let chosen = match &named.value {
            Some(Value::Ident(ident)) => AUTH.iter().find(|(name, _)| ident == name),
            _ => None,
        };
        match chosen {
            Some((_, chosen)) => auth = *chosen,
            None => cx.error_spanned_by(
                &named.name,
                format!(
                    "`auth` is one of: {}",
                    AUTH.iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    cx.check()?;
    let (Some(method), Some(path)) = (method, path) else {
        return Err(syn::Error::new_spanned(
            handler.ident(),
            "invalid route attribute",
        ));
    };
    let params = UrlPattern::parse(path.as_str())
        .map(|url| url.context_params())
        .unwrap_or_default();
    let route = codegen::route_item(
        &handler,
        RouteParts {
            method: &method,
            path: path.as_str(),
            auth,
            params: &params,
            module: None,
            forge: None,
            paths: &paths,
        },
    );
    let function = &handler.item;
    Ok(quote::quote!(#function #route))
}
