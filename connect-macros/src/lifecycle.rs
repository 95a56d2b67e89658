//! `#[connect::installed]`, `uninstalled`, `enabled`, `disabled`: hooks the framework runs
//! after it verified the event and stored its effect.

use crate::ctxt::Ctxt;
use crate::handler;
use proc_macro2::TokenStream;
use syn::ItemFn;

/// Expands a lifecycle hook attribute for `event` (`Installed`...).
pub fn expand(
    attr: &str,
    event: &str,
    args: TokenStream,
    item: ItemFn,
) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    if !args.is_empty() {
        cx.error_spanned_by(
            &args,
            format!(
                "`#[connect::{attr}]` takes no arguments: the framework owns the `/{attr}` route"
            ),
        );
    }
    handler::check_fn(&mut cx, &item, attr);
    cx.check()?;
    let mut cx = Ctxt::default();
    let hook = handler::hook_item(&mut cx, &item, event);
    cx.check()?;
    let function = handler::HandlerFn { item }.tokens();
    Ok(quote::quote!(#function #hook))
}
