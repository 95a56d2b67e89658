use atlassian_connect::prelude::*;

#[connect::route(FETCH, "/api/notes")]
async fn notes(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
