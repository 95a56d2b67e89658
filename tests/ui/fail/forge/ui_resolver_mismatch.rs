use atlassian_connect::prelude::*;

#[forge::issue_glance(key = "notes-glance", title = "Notes", label = "Notes", resource = "glance", resource_path = "static/glance", resolver = "other-api")]
#[forge::resolver(endpoint = "notes-api", path = "/notes", method = GET)]
async fn notes(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
