//! `#[connect::installed]`, `uninstalled`, `enabled`, `disabled`: hooks the framework runs
//! after it verified the event and stored its effect. Their arguments are `FromHook`
//! extractors (`Tenant`, `HostClient`, `State<T>`).

use super::codegen;
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use proc_macro2::TokenStream;
use syn::ItemFn;

/// Expands a lifecycle hook attribute for `event` (`Installed`...). The only argument is
/// `crate = "..."`: the framework owns the route itself.
pub fn expand(attr: &str, event: &str, args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let handler = HandlerFn::from_item(item);
    let cx = Ctxt::new();
    let (positional, named) = attr::named(&cx, attr, args, &["crate"], BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[connect::{attr}]` takes no arguments: the framework owns the `/{attr}` route"
            ),
        );
    }
    let paths = Paths::from_arg(&cx, named.first());
    check::signature(&cx, &handler, attr);
    cx.check()?;
    let hook = codegen::hook_item(&handler, event, &paths);
    let function = &handler.item;
    Ok(quote::quote!(#function #hook))
}
