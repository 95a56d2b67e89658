use atlassian_connect::prelude::*;

#[forge::jira_global_page(key = "notes-page", title = "Notes", resource = "static/panel", resource_path = "../outside")]
#[forge::resolver(endpoint = "notes-api", path = "/notes", method = GET)]
async fn notes(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
