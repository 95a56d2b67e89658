use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/hello")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

#[connect::route(GET, "/hello", auth = context)]
async fn hello_api(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {
    let _ = App::new("com.example.dup", "Dup").handlers(handlers![hello, hello_api]);
}
