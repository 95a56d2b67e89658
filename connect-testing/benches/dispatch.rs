//! The whole framework path of one request, in process (warp's test client, no sockets): the
//! route of `examples/bench` behind `auth = jwt` against the same handler behind `auth = none`.
//! The difference is what authentication costs per request; the public route is the baseline
//! measured in the same run, and the public route sent the same `Authorization` header a
//! second one (what carrying the token costs without verifying it).
//!
//! ```text
//! cargo bench -p connect-testing --bench dispatch
//! ```

use connect_runtime::__private::{Handler, HandlerKind, RouteSpec, route_call};
use connect_runtime::policy::{Jwt, Public};
use connect_runtime::store::MemoryStore;
use connect_runtime::{App, ConnectConfig, IntoResponse, Json, TenantStore};
use connect_testing::TokenSpec;
use connect_testing::conformance::sample_tenant;
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::ExposeSecret;
use std::sync::Arc;
use warp::http::Method;

const APP_KEY: &str = "com.example.bench";
const CLIENT: &str = "client-bench";

/// A route like the one `#[connect::route(GET, path, auth = ...)]` generates, answering the
/// bench's small JSON body.
fn route(path: &'static str, kind: fn(RouteSpec) -> HandlerKind) -> Handler {
    Handler {
        name: path,
        kind: kind(RouteSpec::new(
            Method::GET,
            path,
            route_call(|_| async {
                Ok(
                    Json(serde_json::json!({"ok": true, "app": "atlassian-connect-rust"}))
                        .into_response(),
                )
            }),
        )),
        requires: |_| {},
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tenant = sample_tenant(APP_KEY, CLIENT);
    let secret = tenant.shared_secret.expose_secret().as_bytes().to_vec();
    let store = Arc::new(MemoryStore::default());
    runtime.block_on(store.save(&tenant)).unwrap();
    let config = ConnectConfig::new("https://bench.example.com".parse().unwrap());
    let app = App::new(APP_KEY, "Bench")
        .handlers([
            route("/bench/jwt", |route| HandlerKind::route::<Jwt>(None, route)),
            route("/bench/public", |route| {
                HandlerKind::route::<Public>(None, route)
            }),
        ])
        .build(config, store)
        .unwrap();
    let filter = app.filter();
    let token = TokenSpec::for_request(CLIENT, "GET", "/bench/jwt", "")
        .claim("exp", serde_json::json!(i64::MAX / 2))
        .sign_hs256(&secret);
    let header = format!("JWT {token}");
    let call = |path: &str, authorization: Option<&str>| {
        let mut request = warp::test::request().method("GET").path(path);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        runtime.block_on(request.reply(&filter))
    };
    // Both must answer 200, or the comparison would time refusals.
    assert_eq!(call("/bench/jwt", Some(&header)).status(), 200);
    assert_eq!(call("/bench/public", None).status(), 200);

    let mut group = c.benchmark_group("dispatch");
    group.bench_function("public_route", |b| b.iter(|| call("/bench/public", None)));
    // The public route sent the same `Authorization` header (ignored): the cost of building,
    // carrying and reading the header without verifying it, a second baseline.
    group.bench_function("public_route_with_token_header", |b| {
        b.iter(|| call("/bench/public", Some(&header)))
    });
    group.bench_function("jwt_route", |b| {
        b.iter(|| call("/bench/jwt", Some(&header)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
