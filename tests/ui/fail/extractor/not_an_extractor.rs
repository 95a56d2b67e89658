use atlassian_connect::prelude::*;

#[connect::issue_glance(key = "glance", name = "Glance", url = "/glance?issueKey={issue.key}", icon = "/icon.svg", content = "Hi")]
async fn glance(issue: String, ctx: Context) -> String {
    format!("{issue} {}", ctx.tenant().base_url)
}

fn main() {}
