//! `#[connect::route(METHOD, "/path", auth = jwt|context|none)]`: an app route that is not a
//! descriptor module (AJAX endpoints, public assets). `auth` defaults to `jwt`.

use crate::attr::{self, Args, Value};
use crate::ctxt::Ctxt;
use crate::handler::{self, Auth, RouteParts};
use proc_macro2::TokenStream;
use syn::{ItemFn, Lit};

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];
const AUTH: &[&str] = &["jwt", "context", "none"];

/// Expands `#[connect::route(...)] item`.
pub fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    handler::check_fn(&mut cx, &item, "route");
    let (positional, named) = attr::named(
        &mut cx,
        "route",
        args,
        &["auth", "crate"],
        attr::BareIdents::Positional,
    );
    let mut method = None;
    let mut path = None;
    let mut values = positional.into_iter();
    match values.next() {
        Some(Value::Ident(ident)) if METHODS.contains(&ident.to_string().as_str()) => method = Some(ident.to_string()),
        Some(other) => cx.error_at(other.span(), format!("expected the method first, one of: {}", METHODS.join(", "))),
        None => cx.error_spanned_by(&item.sig.ident, "`#[connect::route]` needs a method and a path, e.g. `#[connect::route(GET, \"/api/notes\")]`"),
    }
    match values.next() {
        Some(Value::Lit(Lit::Str(lit))) => {
            let value = lit.value();
            if value.contains('?') {
                cx.error_spanned_by(
                    &lit,
                    "a route path has no query; handlers read query parameters with `Query<T>`",
                );
            } else if let Err(message) = crate::url::check(&value) {
                cx.error_spanned_by(&lit, message);
            }
            path = Some(value);
        }
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
    let paths = crate::paths::Paths::from_arg(&mut cx, named.iter().find(|n| n.name == "crate"));
    let mut auth = Auth::Jwt;
    if let Some(named) = named.into_iter().find(|n| n.name == "auth") {
        match &named.value {
            Some(Value::Ident(ident)) if ident == "jwt" => auth = Auth::Jwt,
            Some(Value::Ident(ident)) if ident == "context" => auth = Auth::Context,
            Some(Value::Ident(ident)) if ident == "none" => auth = Auth::None,
            _ => cx.error_spanned_by(
                &named.name,
                format!("`auth` is one of: {}", AUTH.join(", ")),
            ),
        }
    }
    cx.check()?;
    let (Some(method), Some(path)) = (method, path) else {
        return Err(syn::Error::new_spanned(
            &item.sig.ident,
            "invalid route attribute",
        ));
    };
    let params = crate::url::context_params(&path);
    let mut cx = Ctxt::default();
    let route = handler::route_item(
        &mut cx,
        &item,
        RouteParts {
            method: &method,
            path: &path,
            auth,
            params: &params,
            module: None,
            paths: &paths,
        },
    );
    cx.check()?;
    let function = handler::HandlerFn { item }.tokens();
    Ok(quote::quote!(#function #route))
}
