//! `handlers![a, m::b]`: the explicit list of an app's handlers.
//!
//! Each path names the hidden item of a handler attribute, spanned at the user's token, so a
//! misspelled or unannotated name is reported there. Duplicate module keys and duplicate
//! routes within one list are compile errors, checked in a constant.

use crate::paths;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

/// Expands `handlers![...]`.
pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let paths_list = Punctuated::<Path, Token![,]>::parse_terminated.parse2(input)?;
    let items: Vec<&Path> = paths_list.iter().collect();
    let p = paths::private();
    let handler_item = paths::handler_item();
    let calls = items
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#path as #handler_item>::handler()));
    let mut checks = Vec::new();
    for (later_index, later) in items.iter().enumerate() {
        for earlier in &items[..later_index] {
            checks.push(quote_spanned! {later.span()=>
                if #p::same_key(<#earlier as #handler_item>::MODULE_KEY, <#later as #handler_item>::MODULE_KEY) {
                    ::core::panic!("duplicate module key: two handlers in this handlers![...] list declare the same module key");
                }
                if #p::same_key(<#earlier as #handler_item>::ROUTE, <#later as #handler_item>::ROUTE) {
                    ::core::panic!("duplicate route: two handlers in this handlers![...] list serve the same method and URL");
                }
            });
        }
    }
    Ok(quote! {{
        const _: () = { #(#checks)* };
        ::std::vec![#(#calls),*]
    }})
}
