//! `unchecked` accepts events and locations newer than the framework's lists.
use atlassian_connect::prelude::*;

#[connect::webhook(event = "jira:issue_teleported", url = "/webhooks/teleported", unchecked)]
async fn teleported(tenant: Tenant) -> String {
    tenant.client_key.clone()
}

#[connect::web_panel(key = "panel", name = "Panel", url = "/panel", location = "jira.brand.new.location", unchecked)]
async fn panel(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {
    let _ = App::new("com.example.unchecked", "Unchecked").handlers(handlers![teleported, panel]);
}
