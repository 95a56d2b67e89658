use atlassian_connect::prelude::*;

#[connect::route(GET, "/public", auth = none)]
async fn public(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
