use atlassian_connect::prelude::*;

#[connect::route(GET, "/public", auth = none)]
async fn public(jira: HostClient) -> String {
    jira.client_key().to_owned()
}

fn main() {}
