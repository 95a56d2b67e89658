//! `handlers![a, m::b]`: the explicit list of an app's handlers.
//!
//! Each path names the hidden item of a handler attribute, spanned at the user's token, so a
//! misspelled or unannotated name is reported there. Duplicate module keys and duplicate
//! routes within one list are compile errors, checked in a constant. A leading
//! `crate = "renamed";` names a renamed `atlassian_connect` dependency.

use crate::paths;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

/// Expands `handlers![...]`.
pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let List { runtime, handlers } = syn::parse2(input)?;
    let items: Vec<&Path> = handlers.iter().collect();
    let same_key = runtime.same_key();
    let handler_item = runtime.handler_item();
    let calls = items
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#path as #handler_item>::handler()));
    let mut checks = Vec::new();
    for (later_index, later) in items.iter().enumerate() {
        for earlier in &items[..later_index] {
            checks.push(quote_spanned! {later.span()=>
                if #same_key(<#earlier as #handler_item>::MODULE_KEY, <#later as #handler_item>::MODULE_KEY) {
                    ::core::panic!("duplicate module key: two handlers in this handlers![...] list declare the same module key");
                }
                if #same_key(<#earlier as #handler_item>::ROUTE, <#later as #handler_item>::ROUTE) {
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

/// `[crate = "path";] a, m::b, ...`
struct List {
    runtime: paths::Paths,
    handlers: Punctuated<Path, Token![,]>,
}

impl Parse for List {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut runtime = paths::Paths::default();
        if input.peek(Token![crate]) && input.peek2(Token![=]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            let lit: syn::LitStr = input.parse()?;
            let path: syn::Path = lit.parse()?;
            runtime = paths::Paths::from_path(&path);
            input.parse::<Token![;]>()?;
        }
        Ok(List {
            runtime,
            handlers: Punctuated::parse_terminated(input)?,
        })
    }
}
