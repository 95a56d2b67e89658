use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/hello")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

#[connect::general_page(key = "hello", name = "Hello again", url = "/hello-again")]
async fn hello_again(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {
    let _ = App::new("com.example.dup", "Dup").handlers(handlers![hello, hello_again]);
}
