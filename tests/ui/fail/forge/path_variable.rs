use atlassian_connect::prelude::*;

#[forge::remote(key = "notes-remote", path = "/forge/notes/{issue.key}")]
async fn notes(forge: ForgeContext) -> String {
    forge.installation_id().to_owned()
}

fn main() {}
