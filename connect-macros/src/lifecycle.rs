//! `#[connect::installed]`, `uninstalled`, `enabled`, `disabled`: hooks the framework runs
//! after it verified the event and stored its effect.

use crate::attr::{self, Args, BareIdents};
use crate::ctxt::Ctxt;
use crate::handler;
use crate::paths::Paths;
use proc_macro2::TokenStream;
use syn::ItemFn;

/// Expands a lifecycle hook attribute for `event` (`Installed`...). The only argument is
/// `crate = "..."`: the framework owns the route itself.
pub fn expand(attr: &str, event: &str, args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let (positional, named) = attr::named(&mut cx, attr, args, &["crate"], BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[connect::{attr}]` takes no arguments: the framework owns the `/{attr}` route"
            ),
        );
    }
    let paths = Paths::from_arg(&mut cx, named.first());
    handler::check_fn(&mut cx, &item, attr);
    cx.check()?;
    let mut cx = Ctxt::default();
    let hook = handler::hook_item(&mut cx, &item, event, &paths);
    cx.check()?;
    let function = handler::HandlerFn { item }.tokens();
    Ok(quote::quote!(#function #hook))
}
