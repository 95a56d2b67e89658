use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", key = "again", name = "Hello", url = "/hello")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
