use atlassian_connect::prelude::*;

#[connect::web_panel(key = "panel", name = "Panel", url = "/panel", location = "atl.jira.view.issue.right.context", colour = "red")]
async fn panel(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
