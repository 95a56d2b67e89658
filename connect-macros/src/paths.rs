//! Every runtime path the generated code names, in one table (as Rocket's `exports.rs`).
//! Generated code only uses absolute paths, so a user's own `Context` or `Result` never
//! shadows ours. The root is `::atlassian_connect` unless the attribute says
//! `crate = "renamed"` (for users who rename the dependency, as serde's `#[serde(crate)]`).

use crate::attr::Named;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;

/// The runtime paths for one expansion.
#[derive(Clone)]
pub struct Paths {
    root: TokenStream,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            root: quote!(::atlassian_connect),
        }
    }
}

impl Paths {
    /// From a `crate = "path"` argument, if given.
    pub fn from_arg(cx: &mut Ctxt, named: Option<&Named>) -> Self {
        let Some(named) = named else {
            return Self::default();
        };
        let Some(lit) = crate::attr::string(cx, named) else {
            return Self::default();
        };
        match lit.parse::<syn::Path>() {
            Ok(path) => Self {
                root: quote!(#path),
            },
            Err(_) => {
                cx.error_spanned_by(
                    &lit,
                    "`crate` expects a path, e.g. `crate = \"my_connect\"`",
                );
                Self::default()
            }
        }
    }

    /// From a parsed path.
    pub fn from_path(path: &syn::Path) -> Self {
        Self {
            root: quote!(#path),
        }
    }

    /// `<root>::__private`, the hidden module of runtime items for generated code.
    pub fn private(&self) -> TokenStream {
        let root = &self.root;
        quote!(#root::__private)
    }

    /// `Handler`.
    pub fn handler(&self) -> TokenStream {
        let p = self.private();
        quote!(#p::Handler)
    }

    /// The `HandlerItem` trait.
    pub fn handler_item(&self) -> TokenStream {
        let p = self.private();
        quote!(#p::HandlerItem)
    }

    /// `FromRequest<P>`.
    pub fn extractor_trait(&self) -> TokenStream {
        let p = self.private();
        quote!(#p::FromRequest)
    }

    /// The `Reply` trait (warp's).
    pub fn reply(&self) -> TokenStream {
        let p = self.private();
        quote!(#p::Reply)
    }
}

/// `Option` from core.
pub fn option() -> TokenStream {
    quote!(::core::option::Option)
}

/// `Result` from core.
pub fn result() -> TokenStream {
    quote!(::core::result::Result)
}
