use atlassian_connect::prelude::*;

async fn plain(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {
    let _ = App::new("com.example.plain", "Plain").handlers(handlers![plain]);
}
