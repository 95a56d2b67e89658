//! `crate = "..."` points generated code at a re-exported or renamed `atlassian_connect`.
mod framework {
    pub use atlassian_connect::*;
}

use atlassian_connect::prelude::*;

#[connect::general_page(key = "hello", name = "Hello", url = "/hello", crate = "crate::framework")]
async fn hello(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

#[connect::route(GET, "/api", auth = context, crate = "crate::framework")]
async fn api(ctx: Context) -> String {
    ctx.tenant().client_key.clone()
}

#[connect::installed(crate = "crate::framework")]
async fn on_install() {}

fn main() {
    let _ = App::new("com.example.renamed", "Renamed")
        .handlers(handlers![crate = "crate::framework"; hello, api, on_install]);
}
