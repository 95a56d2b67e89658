use atlassian_connect::prelude::*;

#[forge::action(key = "find-notes", verb = FETCH, description = "Finds notes", path = "/actions/find")]
async fn find(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
