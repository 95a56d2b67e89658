//! A Confluence app with one dynamic content macro.
//!
//! ```text
//! cargo run --example confluence_macro
//! ```
//!
//! Same environment variables as `hello`. Confluence sites live under `/wiki`
//! (`https://acme.atlassian.net/wiki`); the framework stores that baseUrl as the tenant's.

use atlassian_connect::prelude::*;

/// Shows the id of the page the macro is on, rendered where the macro is placed.
#[connect::dynamic_content_macro(
    key = "page-info",
    name = "Page info",
    url = "/macro/page-info?pageId={page.id}&spaceKey={space.key}",
    output_type = "inline"
)]
async fn page_info(page_id: String, space_key: String, tenant: Tenant) -> Html<String> {
    Html(format!(
        "<span>Page {} in space {} of {}</span>",
        html_escape::encode_text(&page_id),
        html_escape::encode_text(&space_key),
        html_escape::encode_text(&tenant.base_url)
    ))
}

/// The app.
pub fn app() -> App {
    App::new("com.example.confluence-macro", "Page info macro")
        .description("A dynamic content macro showing where it is placed")
        .vendor("Example", "https://example.com")
        .scopes([Scope::Read])
        .handlers(handlers![page_info])
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Exit {
    app().run().await.into()
}
