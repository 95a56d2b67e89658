use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/hello", extra = "{weight: 10}")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
