use atlassian_connect::prelude::*;

#[forge::scheduled_trigger(key = "sync", interval = "minute", path = "/forge/sync")]
async fn sync(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::NO_CONTENT
}

fn main() {}
