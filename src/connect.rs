//! The attribute macros. Each module attribute takes the module's fields as arguments, checks
//! them at compile time, and yields the descriptor module, the route and its auth policy.

pub use connect_macros::{
    admin_page, configure_page, dialog, disabled, dynamic_content_macro, enabled, general_page,
    installed, issue_content, issue_glance, project_page, route, space_tools_tab,
    static_content_macro, uninstalled, web_item, web_panel, webhook,
};
