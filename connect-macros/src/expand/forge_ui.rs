//! The UI module attributes (`#[forge::issue_panel(...)]`, `#[forge::confluence_macro(...)]`...
//! one per row of `connect_descriptor::forge::ui::UI_KINDS`). A UI module is placed right above
//! the `#[forge::resolver(endpoint = ...)]` of a handler that answers its frontend: its
//! resolver is that endpoint by construction. The attribute checks its arguments against its
//! row (required and allowed fields, key, resource key and folder), then hands the module to
//! the resolver attribute below as a hidden `__ui` argument and emits nothing else.

use crate::internals::attr::{self, Args, BareIdents};
use crate::internals::ctxt::Ctxt;
use connect_descriptor::forge::ui::{
    UI_ARGS, UiField, UiKind, check_resource_key, check_resource_path,
};
use connect_descriptor::forge::{self as rules};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Value, json};
use syn::{Ident, ItemFn, LitStr};

/// The hidden argument carrying a checked UI module to the resolver attribute.
pub const UI_ARG: &str = "__ui";

/// A checked UI module, as the resolver attribute receives it.
pub struct UiArg {
    kind: UiKind,
    /// The module key.
    pub key: String,
    resource: String,
    resource_path: String,
    fields: Vec<(UiField, String)>,
}

impl UiArg {
    fn encode(&self) -> String {
        json!({
            "type": self.kind.spec().module_type,
            "key": self.key,
            "resource": self.resource,
            "resource_path": self.resource_path,
            "fields": self.fields.iter().map(|(field, value)| json!([field.name(), value])).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// The module encoded by [`UiArg::encode`].
    pub fn decode(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let string = |name: &str| value.get(name)?.as_str().map(str::to_owned);
        Some(Self {
            kind: UiKind::by_module_type(value.get("type")?.as_str()?)?,
            key: string("key")?,
            resource: string("resource")?,
            resource_path: string("resource_path")?,
            fields: value
                .get("fields")?
                .as_array()?
                .iter()
                .filter_map(|pair| {
                    Some((
                        UiField::by_name(pair.get(0)?.as_str()?)?,
                        pair.get(1)?.as_str()?.to_owned(),
                    ))
                })
                .collect(),
        })
    }

    /// The `UiModule` expression.
    pub fn tokens(&self, fm: &TokenStream) -> TokenStream {
        let kind = Ident::new(&format!("{:?}", self.kind), proc_macro2::Span::call_site());
        let (key, resource, path) = (&self.key, &self.resource, &self.resource_path);
        let fields = self.fields.iter().map(|(field, value)| {
            let field = Ident::new(&format!("{field:?}"), proc_macro2::Span::call_site());
            quote!((#fm::UiField::#field, #value))
        });
        quote!(#fm::UiModule {
            kind: #fm::UiKind::#kind,
            key: #key,
            resource: #resource,
            resource_path: #path,
            fields: ::std::vec![#(#fields),*],
        })
    }
}

/// Expands UI attribute `kind` on `item`.
pub fn expand(kind: UiKind, args: Args, mut item: ItemFn) -> syn::Result<TokenStream> {
    let spec = kind.spec();
    let cx = Ctxt::new();
    let mut allowed: Vec<&str> = UI_ARGS.to_vec();
    allowed.extend(spec.required.iter().chain(spec.optional).map(|f| f.name()));
    let (positional, named) = attr::named(&cx, spec.attr, args, &allowed, BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[{}]` takes named arguments only, e.g. `{}`",
                spec.attr, spec.example
            ),
        );
    }
    let find = |name: &str| named.iter().find(|n| n.name == name);
    let required = |name: &str| match find(name) {
        Some(named) => attr::string(&cx, named),
        None => {
            cx.error_spanned_by(
                &item.sig.ident,
                format!("`#[{}]` needs `{name}`, e.g. `{}`", spec.attr, spec.example),
            );
            None
        }
    };
    let checked = |lit: Option<LitStr>, rule: &dyn Fn(&str) -> Result<(), rules::ForgeError>| {
        lit.and_then(|lit| match rule(&lit.value()) {
            Ok(()) => Some(lit.value()),
            Err(error) => {
                cx.error_spanned_by(&lit, error);
                None
            }
        })
    };
    let key = checked(required("key"), &rules::check_key);
    let resource = checked(required("resource"), &check_resource_key);
    let resource_path = checked(required("resource_path"), &check_resource_path);
    let mut fields = Vec::new();
    for field in UiField::ALL {
        if !spec.allows(field) {
            continue;
        }
        let lit = if spec.required.contains(&field) {
            required(field.name())
        } else {
            find(field.name()).and_then(|named| attr::string(&cx, named))
        };
        if let Some(value) = checked(lit, &|value| field.check(value)) {
            fields.push((field, value));
        }
    }
    let resolver = find("resolver").and_then(|named| attr::string(&cx, named));
    let _ = find("crate");

    // The resolver attribute below, which the module is handed to.
    let below = item.attrs.iter_mut().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "resolver")
    });
    let Some(below) = below else {
        cx.error_spanned_by(
            &item.sig.ident,
            format!(
                "`#[{}]` goes right above the `#[forge::resolver(endpoint = \"...\", ...)]` of a handler that answers its frontend: the module's resolver is that endpoint",
                spec.attr
            ),
        );
        return Err(cx.check().err().unwrap_or_else(|| {
            syn::Error::new_spanned(&item.sig.ident, "a UI module needs a resolver")
        }));
    };
    let endpoint = below.parse_args::<Args>().ok().and_then(|args| {
        args.items
            .into_iter()
            .find_map(|arg| match (arg.name, arg.value) {
                (Some(name), Some(attr::Value::Lit(syn::Lit::Str(lit)))) if name == "endpoint" => {
                    Some(lit.value())
                }
                _ => None,
            })
    });
    if let (Some(resolver), Some(endpoint)) = (&resolver, &endpoint)
        && resolver.value() != *endpoint
    {
        cx.error_spanned_by(
            resolver,
            format!(
                "this module's resolver is the endpoint of the handler below, `{endpoint}`: remove `resolver` or name `{endpoint}`"
            ),
        );
    }
    cx.check()?;
    let (Some(key), Some(resource), Some(resource_path)) = (key, resource, resource_path) else {
        return Err(syn::Error::new_spanned(
            &item.sig.ident,
            format!("invalid `#[{}]` attribute", spec.attr),
        ));
    };
    let encoded = UiArg {
        kind,
        key,
        resource,
        resource_path,
        fields,
    }
    .encode();
    let ui_arg = Ident::new(UI_ARG, proc_macro2::Span::call_site());
    let addition = quote!(#ui_arg = #encoded);
    match &mut below.meta {
        syn::Meta::List(list) => {
            let tokens = &list.tokens;
            list.tokens = if tokens.is_empty() {
                addition
            } else {
                quote!(#tokens, #addition)
            };
        }
        other => {
            let path = other.path().clone();
            *other = syn::parse_quote!(#path(#addition));
        }
    }
    Ok(quote!(#item))
}
