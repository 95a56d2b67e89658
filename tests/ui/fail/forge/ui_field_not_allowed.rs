use atlassian_connect::prelude::*;

#[forge::issue_panel(key = "notes-panel", title = "Notes", icon = "https://example.com/i.svg", route = "notes", resource = "panel", resource_path = "static/panel")]
#[forge::resolver(endpoint = "notes-api", path = "/notes", method = GET)]
async fn notes(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
