use atlassian_connect::prelude::*;

#[connect::route(FETCH, "/api/notes")]
async fn notes(ctx: Context) -> impl Reply {
    ctx.tenant().base_url.clone()
}

fn main() {}
