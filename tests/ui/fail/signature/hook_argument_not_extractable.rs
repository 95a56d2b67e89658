use atlassian_connect::prelude::*;

// Hooks get the stored `Tenant` and `State<T>`; there is no request token to give a `Context`.
#[connect::installed]
async fn on_install(tenant: Tenant, ctx: Context) {
    let _ = (tenant, ctx);
}

fn main() {}
