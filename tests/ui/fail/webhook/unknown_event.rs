use atlassian_connect::prelude::*;

#[connect::webhook(event = "jira:issue_craeted", url = "/webhooks/created")]
async fn created(tenant: Tenant) -> String {
    tenant.client_key
}

fn main() {}
