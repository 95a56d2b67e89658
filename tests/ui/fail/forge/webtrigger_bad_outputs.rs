use atlassian_connect::prelude::*;

#[forge::webtrigger(key = "hook", path = "/hook", outputs = ["ok|200", "ok|201", "gone|999", "bare"])]
async fn hook() -> StatusCode {
    StatusCode::OK
}

fn main() {}
