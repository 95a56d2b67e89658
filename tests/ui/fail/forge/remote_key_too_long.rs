use atlassian_connect::prelude::*;

#[forge::remote(key = "a-remote-key-over-23-chars", path = "/forge/notes")]
async fn notes(forge: ForgeContext) -> String {
    forge.installation_id().to_owned()
}

fn main() {}
