use atlassian_connect::prelude::*;

#[derive(serde::Deserialize)]
struct FindNotes {
    issue_key: String,
}

#[forge::action(key = "find-notes", verb = GET, description = "Finds notes", path = "/actions/find")]
async fn find(input: Json<FindNotes>) -> StatusCode {
    let _ = input.0.issue_key;
    StatusCode::OK
}

fn main() {}
