use atlassian_connect::prelude::*;

#[forge::trigger(key = "lifecycle", events = ["avi:forge:install:app"], path = "/forge/lifecycle")]
async fn lifecycle(forge: ForgeContext) -> StatusCode {
    let _ = forge;
    StatusCode::NO_CONTENT
}

fn main() {}
