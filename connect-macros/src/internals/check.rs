//! Checks every handler signature must pass: a free `async fn` without generics.

use super::ast::HandlerFn;
use super::ctxt::Ctxt;
use syn::FnArg;

/// Records what is wrong with `handler`'s signature for attribute `attr`.
pub fn signature(cx: &Ctxt, handler: &HandlerFn, attr: &str) {
    let sig = &handler.item.sig;
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "`#[{}]` handlers must be `async fn`: write `async fn {}(...)`",
                super::attr::attr_path(attr),
                sig.ident
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "handlers cannot be generic: the framework must name one function",
        );
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        cx.error_spanned_by(receiver, "handlers must be free functions, not methods");
    }
    if sig.inputs.len() > 16 {
        cx.error_spanned_by(&sig.inputs, "a handler takes at most 16 arguments");
    }
}
