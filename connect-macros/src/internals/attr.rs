//! Parsing attribute arguments: `name = "lit"`, `name = ident`, bare flags and positional
//! items (`route(GET, "/path", auth = jwt)`), with "unknown" and "duplicate" errors that list
//! what is accepted, generated from the caller's own table.

use crate::internals::ctxt::Ctxt;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Lit, Token};

/// The value of an argument.
#[derive(Clone)]
pub enum Value {
    /// A literal (`"text"`, `3`, `true`).
    Lit(Lit),
    /// An identifier (`jwt`, `GET`).
    Ident(Ident),
    /// A bracketed list of literals (`events = ["a", "b"]`), with the brackets' span.
    Array(Vec<Lit>, Span),
}

impl Value {
    /// The span of the value.
    pub fn span(&self) -> Span {
        match self {
            Value::Lit(lit) => lit.span(),
            Value::Ident(ident) => ident.span(),
            Value::Array(_, span) => *span,
        }
    }
}

/// One argument.
#[derive(Clone)]
pub struct Arg {
    /// `Some` for `name = value` and for a bare flag.
    pub name: Option<Ident>,
    /// `None` for a bare flag.
    pub value: Option<Value>,
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Lit) {
            return Ok(Arg {
                name: None,
                value: Some(Value::Lit(input.parse()?)),
            });
        }
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value = if input.peek(syn::token::Bracket) {
                let content;
                let brackets = syn::bracketed!(content in input);
                let items = Punctuated::<Lit, Token![,]>::parse_terminated(&content)?;
                Value::Array(items.into_iter().collect(), brackets.span.join())
            } else if input.peek(Lit) {
                Value::Lit(input.parse()?)
            } else {
                Value::Ident(input.call(syn::ext::IdentExt::parse_any)?)
            };
            Ok(Arg {
                name: Some(ident),
                value: Some(value),
            })
        } else {
            Ok(Arg {
                name: Some(ident),
                value: None,
            })
        }
    }
}

/// All arguments of one attribute.
pub struct Args {
    /// In source order.
    pub items: Vec<Arg>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let items = Punctuated::<Arg, Token![,]>::parse_terminated(input)?;
        Ok(Args {
            items: items.into_iter().collect(),
        })
    }
}

/// A named argument with its value and the span of its name.
pub struct Named {
    /// The argument name.
    pub name: Ident,
    /// Its value (`None` for a flag).
    pub value: Option<Value>,
}

/// How bare identifiers (`GET`, `unchecked`) are read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BareIdents {
    /// As flags, checked against the allowed names.
    Flags,
    /// As positional values (`route(GET, ...)`).
    Positional,
}

/// How error messages name attribute `attr`: `connect::route`, or the path as given
/// (`forge::remote`).
pub fn attr_path(attr: &str) -> String {
    if attr.contains("::") {
        attr.to_owned()
    } else {
        format!("connect::{attr}")
    }
}

/// Splits `args` into positional values and named arguments, reporting unknown names (with
/// the list of `allowed` ones) and duplicates.
pub fn named(
    cx: &Ctxt,
    attr: &str,
    args: Args,
    allowed: &[&str],
    bare: BareIdents,
) -> (Vec<Value>, Vec<Named>) {
    let mut positional = Vec::new();
    let mut named: Vec<Named> = Vec::new();
    for arg in args.items {
        match (arg.name, arg.value) {
            (None, Some(value)) => positional.push(value),
            (Some(name), None) if bare == BareIdents::Positional => {
                positional.push(Value::Ident(name))
            }
            (Some(name), value) => {
                let key = name.to_string();
                if !allowed.contains(&key.as_str()) {
                    cx.error_spanned_by(
                        &name,
                        format!(
                            "unknown argument `{key}` of `#[{}]`; expected one of: {}",
                            attr_path(attr),
                            allowed.join(", ")
                        ),
                    );
                } else if named.iter().any(|n| n.name == key) {
                    cx.error_spanned_by(
                        &name,
                        format!("duplicate argument `{key}` of `#[{}]`", attr_path(attr)),
                    );
                } else {
                    named.push(Named { name, value });
                }
            }
            (None, None) => {}
        }
    }
    (positional, named)
}

/// The string value of `named`, or an error saying a string is expected.
pub fn string(cx: &Ctxt, named: &Named) -> Option<syn::LitStr> {
    match &named.value {
        Some(Value::Lit(Lit::Str(lit))) => Some(lit.clone()),
        _ => {
            cx.error_spanned_by(
                &named.name,
                format!(
                    "`{}` expects a string, e.g. `{} = \"...\"`",
                    named.name, named.name
                ),
            );
            None
        }
    }
}
