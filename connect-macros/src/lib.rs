//! Attribute macros of `atlassian-connect`: one attribute on a handler yields the descriptor
//! module, the route and the route's auth policy.
//!
//! Use them through the facade: `use atlassian_connect::prelude::*;` then
//! `#[connect::general_page(...)]`; the facade documents every attribute with its arguments and
//! an example. This file holds only the entry points: the front end (the handler's AST,
//! attribute arguments, checks, the error collector) is in `internals`, code generation per
//! attribute family in `expand`, every runtime path generated code names in `paths`.
//! Set `CONNECT_MACROS_DEBUG=1` to print every expansion to stderr.

mod expand;
mod internals;
mod paths;

use connect_descriptor::ModuleType;
use internals::attr;
use proc_macro::TokenStream;

fn finish(name: &str, result: syn::Result<proc_macro2::TokenStream>) -> TokenStream {
    let tokens = result.unwrap_or_else(|error| error.to_compile_error());
    if std::env::var_os("CONNECT_MACROS_DEBUG").is_some() {
        eprintln!("---- #[connect::{name}] expansion ----\n{tokens}");
    }
    tokens.into()
}

fn module_attr(attr: &'static str, args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse::<attr::Args>(args).and_then(|args| {
        let item = syn::parse::<syn::ItemFn>(item)?;
        let spec = ModuleType::by_attr(attr)
            .ok_or_else(|| {
                syn::Error::new_spanned(&item.sig.ident, format!("no module kind `{attr}`"))
            })?
            .spec();
        expand::module::expand(spec, args, item)
    });
    finish(attr, result)
}

macro_rules! module_attributes {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            module_attr(stringify!($name), args, item)
        }
    )*};
}

// One attribute per row of the module-kind table (`connect-descriptor/src/table.rs`), with
// the row's doc comment.
connect_descriptor::for_each_module_attr!(module_attributes);

/// An app route that is not a module: `#[connect::route(GET, "/api/notes", auth = context)]`.
/// `auth` is `jwt` (default), `context` (accepts `AP.context.getToken()` tokens) or `none`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse::<attr::Args>(args)
        .and_then(|args| expand::route::expand(args, syn::parse(item)?));
    finish("route", result)
}

macro_rules! lifecycle_attributes {
    ($($(#[$doc:meta])* $name:ident => $event:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            let result = syn::parse::<attr::Args>(args).and_then(|args| {
                expand::lifecycle::expand(stringify!($name), stringify!($event), args, syn::parse(item)?)
            });
            finish(stringify!($name), result)
        }
    )*};
}

lifecycle_attributes! {
    /// Runs after a verified signed install was stored: `async fn(tenant: Tenant)`.
    installed => Installed,
    /// Runs after a verified uninstall marked the tenant uninstalled.
    uninstalled => Uninstalled,
    /// Runs after a verified `enabled` event.
    enabled => Enabled,
    /// Runs after a verified `disabled` event.
    disabled => Disabled,
}

macro_rules! forge_attributes {
    ($($(#[$doc:meta])* $name:ident => $kind:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            let result = syn::parse::<attr::Args>(args).and_then(|args| {
                expand::forge::expand(expand::forge::Kind::$kind, args, syn::parse(item)?)
            });
            finish(stringify!($name), result)
        }
    )*};
}

forge_attributes! {
    /// A Forge Remote endpoint (`forge::remote` in the facade): `key`, `path`; optional
    /// `method` (POST), `system_token`, `user_token`. Verified with a Forge Invocation Token.
    forge_remote => Remote,
    /// A route of a UI resolver endpoint (`forge::resolver`): `endpoint`, `path`; optional
    /// `method` (POST), `system_token`, `user_token`.
    forge_resolver => Resolver,
    /// A Forge trigger delivered to the remote (`forge::trigger`): `key`, `events = [...]`,
    /// `path`; optional `endpoint`, `system_token`, filter and payload options, `unchecked`.
    forge_trigger => Trigger,
    /// A Forge scheduled trigger (`forge::scheduled_trigger`): `key`, `interval`
    /// (`fiveMinute`, `hour`, `day`, `week`), `path`; optional `endpoint`, `system_token`.
    forge_scheduled_trigger => ScheduledTrigger,
    /// A Rovo action (`forge::action`): `key`, `verb`, `description`, `path`; optional
    /// `name`, `outputs`, `endpoint`, `system_token`, `user_token`.
    forge_action => Action,
    /// An async event consumer (`forge::consumer`): `key`, `queue`, `path`; optional
    /// `endpoint`, `system_token`.
    forge_consumer => Consumer,
    /// A web trigger (`forge::webtrigger`): `key`, `path`; optional `endpoint`,
    /// `system_token`.
    forge_webtrigger => Webtrigger,
    /// The pre-uninstall call (`forge::pre_uninstall`): `key`, `path`; optional `endpoint`,
    /// `system_token`.
    forge_pre_uninstall => PreUninstall,
}

macro_rules! forge_ui_attributes {
    ($($(#[$doc:meta])* $name:ident => $kind:ident,)*) => {$(
        $(#[$doc])*
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            let result = syn::parse::<attr::Args>(args).and_then(|args| {
                expand::forge_ui::expand(
                    connect_descriptor::forge::UiKind::$kind,
                    args,
                    syn::parse(item)?,
                )
            });
            finish(stringify!($name), result)
        }
    )*};
}

forge_ui_attributes! {
    /// `jira:issuePanel` (`forge::issue_panel`), above a `#[forge::resolver]`.
    forge_issue_panel => IssuePanel,
    /// `jira:globalPage` (`forge::jira_global_page`), above a `#[forge::resolver]`.
    forge_jira_global_page => JiraGlobalPage,
    /// `jira:adminPage` (`forge::admin_page`), above a `#[forge::resolver]`.
    forge_admin_page => AdminPage,
    /// `jira:projectPage` (`forge::project_page`), above a `#[forge::resolver]`.
    forge_project_page => ProjectPage,
    /// `jira:issueGlance` (`forge::issue_glance`), above a `#[forge::resolver]`.
    forge_issue_glance => IssueGlance,
    /// `jira:issueContext` (`forge::issue_context`), above a `#[forge::resolver]`.
    forge_issue_context => IssueContext,
    /// `jira:dashboardGadget` (`forge::dashboard_gadget`), above a `#[forge::resolver]`.
    forge_dashboard_gadget => DashboardGadget,
    /// Confluence `macro` (`forge::confluence_macro`), above a `#[forge::resolver]`.
    forge_confluence_macro => ConfluenceMacro,
    /// `confluence:globalPage` (`forge::confluence_global_page`), above a `#[forge::resolver]`.
    forge_confluence_global_page => ConfluenceGlobalPage,
    /// `confluence:spacePage` (`forge::space_page`), above a `#[forge::resolver]`.
    forge_space_page => SpacePage,
}

/// The explicit list of an app's handlers: `App::new(..).handlers(handlers![a, b, m::c])`.
#[proc_macro]
pub fn handlers(input: TokenStream) -> TokenStream {
    finish("handlers", expand::list::expand(input.into()))
}
