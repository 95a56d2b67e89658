use atlassian_connect::prelude::*;

#[connect::installed]
async fn on_install(tenant: Tenant, other: Tenant) {
    let _ = (tenant, other);
}

fn main() {}
