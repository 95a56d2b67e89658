use atlassian_connect::prelude::*;

#[forge::confluence_macro(key = "notes-macro", title = "Notes", resource = "macro", resource_path = "static/macro")]
#[forge::remote(key = "notes-remote", path = "/notes")]
async fn notes(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
