use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/hello", crate = "not_a_crate")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
