use atlassian_connect::prelude::*;

#[connect::route(POST, "/public", auth = none)]
async fn public(tenant: Tenant) -> String {
    tenant.base_url.clone()
}

fn main() {}
