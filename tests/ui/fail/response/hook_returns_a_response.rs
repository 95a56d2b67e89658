use atlassian_connect::prelude::*;

#[connect::installed]
async fn on_install(tenant: Tenant) -> StatusCode {
    let _ = tenant;
    StatusCode::OK
}

fn main() {}
