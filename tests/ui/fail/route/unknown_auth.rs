use atlassian_connect::prelude::*;

#[connect::route(GET, "/api/notes", auth = public)]
async fn notes(ctx: Context) -> String {
    ctx.tenant().base_url.clone()
}

fn main() {}
