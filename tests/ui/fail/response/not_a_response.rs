use atlassian_connect::prelude::*;

struct Page {
    title: String,
}

#[connect::general_page(key = "hello", name = "Hello", url = "/hello")]
async fn hello(ctx: Context) -> Page {
    Page { title: ctx.tenant().base_url.clone() }
}

fn main() {}
