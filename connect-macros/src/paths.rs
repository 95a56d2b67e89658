//! Every runtime path the generated code names, in one table (as Rocket's `exports.rs`).
//! Generated code only uses absolute paths, so a user's own `Context` or `Result` never
//! shadows ours. The root is `::atlassian_connect` unless the attribute says
//! `crate = "renamed"` (for users who rename the dependency, as serde's `#[serde(crate)]`).

use crate::internals::attr::Named;
use crate::internals::ctxt::Ctxt;
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
    pub fn from_arg(cx: &Ctxt, named: Option<&Named>) -> Self {
        let Some(named) = named else {
            return Self::default();
        };
        let Some(lit) = crate::internals::attr::string(cx, named) else {
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

    /// `<root>::IntoResponse::into_response`: public, so that a return type that is no
    /// response is reported with the trait users read about.
    pub fn response_conversion(&self) -> TokenStream {
        let root = &self.root;
        quote!(#root::IntoResponse::into_response)
    }

    /// `<root>::extract::HookOutcome`: what a lifecycle hook returns.
    pub fn hook_outcome(&self) -> TokenStream {
        let root = &self.root;
        quote!(#root::extract::HookOutcome)
    }

    /// `<root>::forge::ActionSchema`: what an action's input and output types implement,
    /// public so that a type without `JsonSchema` is reported with a trait users can read about.
    pub fn action_schema(&self) -> TokenStream {
        let root = &self.root;
        quote!(#root::forge::ActionSchema)
    }

    /// `<root>::policy::<name>`: a route policy, named by its public path so that compile
    /// errors about it name what the user can read about.
    pub fn policy(&self, name: &str) -> TokenStream {
        let root = &self.root;
        let name = syn::Ident::new(name, proc_macro2::Span::call_site());
        quote!(#root::policy::#name)
    }
}

/// The table: one method per runtime item generated code names, all under `__private`.
macro_rules! private_items {
    ($($(#[$doc:meta])* $method:ident => $item:ident,)*) => {
        impl Paths {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> TokenStream {
                    let p = self.private();
                    quote!(#p::$item)
                }
            )*
        }
    };
}

private_items! {
    /// `Handler`: what `HandlerItem::handler()` returns.
    handler => Handler,
    /// `HandlerKind`: route or hook.
    handler_kind => HandlerKind,
    /// The `HandlerItem` trait of the hidden items.
    handler_item => HandlerItem,
    /// `RouteSpec`.
    route_spec => RouteSpec,
    /// `ModuleSpec`.
    module_spec => ModuleSpec,
    /// `ModuleType`, the module-kind table's enum.
    module_type => ModuleType,
    /// `ArgValue`, an attribute argument's value.
    arg_value => ArgValue,
    /// serde_json, for `extra` values.
    serde_json => serde_json,
    /// The `FromRequest<P>` extractor trait.
    extractor_trait => FromRequest,
    /// The `FromHook` extractor trait of lifecycle hooks.
    hook_extractor_trait => FromHook,
    /// `connect_descriptor::forge`: the Forge module model (`ForgeModule`, `UiModule`...).
    forge_model => forge_model,
    /// HTTP methods.
    method => Method,
    /// `route_call`, boxing a route's closure.
    route_call => route_call,
    /// `hook_call`, boxing a hook's closure.
    hook_call => hook_call,
    /// `context_param`, binding a URL variable to an argument.
    context_param => context_param,
    /// `ConnectRequest`, what extractors read.
    connect_request => ConnectRequest,
    /// `HookRequest`, what hook extractors read.
    hook_request => HookRequest,
    /// `Requirements`, what extractors declare.
    requirements => Requirements,
    /// `LifecycleEvent`.
    lifecycle_event => LifecycleEvent,
    /// `same_key`, the const comparison of `handlers![...]`.
    same_key => same_key,
}

/// `Option` from core.
pub fn option() -> TokenStream {
    quote!(::core::option::Option)
}

/// `Result` from core.
pub fn result() -> TokenStream {
    quote!(::core::result::Result)
}

/// `String` from std.
pub fn string() -> TokenStream {
    quote!(::std::string::String)
}
