//! Every runtime path the generated code names, in one table (as Rocket's `exports.rs`).
//! Generated code only uses absolute paths, so a user's own `Context` or `Result` never
//! shadows ours.

use proc_macro2::TokenStream;
use quote::quote;

/// `::atlassian_connect::__private`, the hidden module of runtime items for generated code.
pub fn private() -> TokenStream {
    quote!(::atlassian_connect::__private)
}

/// `Handler`.
pub fn handler() -> TokenStream {
    let p = private();
    quote!(#p::Handler)
}

/// The `HandlerItem` trait.
pub fn handler_item() -> TokenStream {
    let p = private();
    quote!(#p::HandlerItem)
}

/// `FromRequest<P>`.
pub fn from_request() -> TokenStream {
    let p = private();
    quote!(#p::FromRequest)
}

/// The `Reply` trait (warp's).
pub fn reply() -> TokenStream {
    let p = private();
    quote!(#p::Reply)
}

/// `Option`, `Result` from core.
pub fn option() -> TokenStream {
    quote!(::core::option::Option)
}

/// `Result` from core.
pub fn result() -> TokenStream {
    quote!(::core::result::Result)
}
