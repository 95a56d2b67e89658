//! Module attributes (`general_page`, `webhook`, ...): one table of kinds drives parsing,
//! the "expected one of" lists in errors, the descriptor JSON and the route.
//!
//! - [`table`]: every module kind and its fields.
//! - [`parse`]: attribute arguments → a checked descriptor entry (parse and check together,
//!   errors collected).
//! - generation: [`crate::handler::route_item`].

pub mod parse;
pub mod table;

use crate::attr::Args;
use crate::ctxt::Ctxt;
use crate::handler::{self, Auth, RouteParts};
use proc_macro2::TokenStream;
use syn::ItemFn;

/// Expands `#[connect::<kind>(args)] item`.
pub fn expand(
    kind: &'static table::ModuleKind,
    args: Args,
    item: ItemFn,
) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    handler::check_fn(&mut cx, &item, kind.attr);
    let entry = parse::entry(&mut cx, kind, args, &item);
    cx.check()?;
    let Some(entry) = entry else {
        return Err(syn::Error::new_spanned(
            &item.sig.ident,
            "invalid module attribute",
        ));
    };
    let mut cx = Ctxt::default();
    let params = crate::url::context_params(&entry.url);
    let route = handler::route_item(
        &mut cx,
        &item,
        RouteParts {
            method: kind.method,
            path: crate::url::route_path(&entry.url),
            auth: Auth::Jwt,
            params: &params,
            module: Some((kind.descriptor_key, entry.json, kind.single, entry.key)),
            paths: &entry.paths,
        },
    );
    cx.check()?;
    let function = handler::HandlerFn { item }.tokens();
    Ok(quote::quote!(#function #route))
}
