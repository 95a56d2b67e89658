//! Module attributes (`general_page`, `webhook`, ...): arguments → the checked module, with
//! the shared table of `connect-descriptor` deciding what each attribute takes and how each
//! argument lands in the module. The same `ModuleType::build` runs again when the app is built,
//! so the module the macro checked is the module the descriptor serves.

use super::codegen::{self, Auth, ModuleParts, RouteParts};
use crate::internals::ast::HandlerFn;
use crate::internals::attr::{self, Args, BareIdents, Named, Value};
use crate::internals::check;
use crate::internals::ctxt::Ctxt;
use crate::paths::Paths;
use connect_descriptor::kind::KindSpec;
use connect_descriptor::{ArgValue, ErrorAt, UrlPattern};
use proc_macro2::{Span, TokenStream};
use syn::{ItemFn, Lit};

/// Expands `#[connect::<kind>(args)] item`.
pub fn expand(spec: &'static KindSpec, args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let handler = HandlerFn::from_item(item);
    let cx = Ctxt::new();
    check::signature(&cx, &handler, spec.attr);
    let mut allowed: Vec<&str> = spec.fields.iter().map(|field| field.arg).collect();
    allowed.push("crate");
    let (positional, named) = attr::named(&cx, spec.attr, args, &allowed, BareIdents::Flags);
    for value in positional {
        cx.error_at(
            value.span(),
            format!(
                "`#[connect::{}]` takes named arguments only: {}",
                spec.attr,
                allowed.join(", ")
            ),
        );
    }
    let paths = Paths::from_arg(&cx, named.iter().find(|n| n.name == "crate"));
    let named: Vec<&Named> = named.iter().filter(|n| n.name != "crate").collect();
    let args: Vec<(String, ArgValue)> = named
        .iter()
        .filter_map(|named| Some((named.name.to_string(), arg_value(&cx, named)?)))
        .collect();
    let doc = handler.doc();
    let borrowed: Vec<(&str, ArgValue)> = args
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    let built = spec.module_type.build(&borrowed, doc.as_deref());
    if let Err(errors) = &built {
        for error in errors {
            cx.error_at(error_span(error.at, &named, &handler), &error.message);
        }
    }
    cx.check()?;
    let url = args
        .iter()
        .find_map(|(name, value)| match (name.as_str(), value) {
            ("url", ArgValue::Str(url)) => UrlPattern::parse(url).ok(),
            _ => None,
        })
        .ok_or_else(|| syn::Error::new_spanned(handler.ident(), "the module has no URL"))?;
    let key = args
        .iter()
        .find_map(|(name, value)| match (name.as_str(), value) {
            ("key", ArgValue::Str(key)) => Some(key.clone()),
            _ => None,
        });
    let variant = syn::Ident::new(&format!("{:?}", spec.module_type), Span::call_site());
    let route = codegen::route_item(
        &handler,
        RouteParts {
            method: spec.method,
            path: url.path().as_str(),
            auth: Auth::Jwt,
            params: &url.context_params(),
            module: Some(ModuleParts {
                variant,
                key,
                args,
                doc: doc.filter(|_| spec.doc_description),
            }),
            paths: &paths,
            forge: None,
        },
    );
    let function = &handler.item;
    Ok(quote::quote!(#function #route))
}

/// The attribute's value as the shared table reads it; `extra` is parsed as JSON here, so no
/// JSON text is parsed at run time.
fn arg_value(cx: &Ctxt, named: &Named) -> Option<ArgValue> {
    Some(match &named.value {
        None => ArgValue::Flag,
        Some(Value::Lit(Lit::Str(lit))) if named.name == "extra" => {
            match serde_json::from_str(&lit.value()) {
                Ok(json) => ArgValue::Json(json),
                Err(error) => {
                    cx.error_spanned_by(lit, format!("`extra` is not valid JSON: {error}"));
                    return None;
                }
            }
        }
        Some(Value::Lit(Lit::Str(lit))) => ArgValue::Str(lit.value()),
        Some(Value::Lit(Lit::Int(int))) => match int.base10_parse::<i64>() {
            Ok(n) => ArgValue::Int(n),
            Err(error) => {
                cx.syn_error(error);
                return None;
            }
        },
        Some(Value::Lit(Lit::Bool(b))) => ArgValue::Bool(b.value),
        Some(_) => ArgValue::Other,
    })
}

fn error_span(at: ErrorAt, named: &[&Named], handler: &HandlerFn) -> Span {
    let find = |arg: &str| named.iter().find(|n| n.name == arg);
    match at {
        ErrorAt::Name(arg) => find(arg).map(|n| n.name.span()),
        ErrorAt::Value(arg) => find(arg).and_then(|n| n.value.as_ref().map(Value::span)),
        ErrorAt::Item => None,
    }
    .unwrap_or_else(|| handler.ident().span())
}
