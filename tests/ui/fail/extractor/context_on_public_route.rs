use atlassian_connect::prelude::*;

#[connect::route(GET, "/public", auth = none)]
async fn public(ctx: Context) -> impl Reply {
    ctx.tenant().base_url.clone()
}

fn main() {}
