use atlassian_connect::prelude::*;

#[forge::remote(key = "notes-remote", system_token)]
async fn notes(forge: ForgeContext) -> String {
    forge.installation_id().to_owned()
}

fn main() {}
