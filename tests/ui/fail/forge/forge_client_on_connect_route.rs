use atlassian_connect::prelude::*;

#[connect::route(GET, "/api/notes")]
async fn notes(jira: ForgeClient) -> String {
    format!("{jira:?}")
}

fn main() {}
