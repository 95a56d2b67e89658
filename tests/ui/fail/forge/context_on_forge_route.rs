use atlassian_connect::prelude::*;

#[forge::remote(key = "notes-remote", path = "/forge/notes")]
async fn notes(ctx: Context) -> String {
    ctx.tenant().client_key.clone()
}

fn main() {}
