//! The annotated function, as the code generators see it.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

/// A handler function: its item (emitted unchanged), arguments and return type.
pub struct HandlerFn {
    /// The function, unchanged.
    pub item: ItemFn,
    /// Its typed arguments (a `self` receiver is reported by [`check`](super::check)).
    pub args: Vec<Argument>,
    /// Its return type.
    pub output: Output,
}

/// One argument.
pub struct Argument {
    /// The binding name, when the pattern is a plain identifier.
    pub name: Option<String>,
    /// The type.
    pub ty: Box<Type>,
}

/// The return type.
pub enum Output {
    /// No `->`: the unit type; errors point at the function name.
    Unit(Span),
    /// `-> T`.
    Type(Box<Type>),
}

impl Output {
    /// Where errors about the returned value point.
    pub fn span(&self) -> Span {
        match self {
            Output::Unit(span) => *span,
            Output::Type(ty) => ty.span(),
        }
    }
}

impl HandlerFn {
    /// Reads `item`.
    pub fn from_item(item: ItemFn) -> Self {
        let args = item
            .sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Typed(typed) => Some(Argument {
                    name: match &*typed.pat {
                        Pat::Ident(pat) => Some(pat.ident.to_string()),
                        _ => None,
                    },
                    ty: typed.ty.clone(),
                }),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let output = match &item.sig.output {
            ReturnType::Default => Output::Unit(item.sig.ident.span()),
            ReturnType::Type(_, ty) => Output::Type(ty.clone()),
        };
        Self { item, args, output }
    }

    /// The function's name.
    pub fn ident(&self) -> &Ident {
        &self.item.sig.ident
    }

    /// The doc comment, joined, for descriptor descriptions.
    pub fn doc(&self) -> Option<String> {
        let lines: Vec<String> = self
            .item
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .filter_map(|attr| match &attr.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let text = lines.join(" ").trim().to_owned();
        (!text.is_empty()).then_some(text)
    }
}
