use atlassian_connect::prelude::*;

#[forge::consumer(key = "reindex", queue = "notes reindex", path = "/events/reindex", user_token)]
async fn reindex(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::OK
}

fn main() {}
