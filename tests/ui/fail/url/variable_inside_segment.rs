use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/issue-{issue.key}")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
