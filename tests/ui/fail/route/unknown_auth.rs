use atlassian_connect::prelude::*;

#[connect::route(GET, "/api/notes", auth = public)]
async fn notes(ctx: Context) -> impl Reply {
    ctx.tenant().base_url.clone()
}

fn main() {}
