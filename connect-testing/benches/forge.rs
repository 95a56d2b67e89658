//! The whole framework path of a Forge UI resolver call, in process (warp's test client, no
//! sockets): a fresh Forge Invocation Token each request (RS256, key from the cached JWKS),
//! the module binding, the replay record (one entry per token), and the handler; against the
//! same handler behind a public route, measured in the same run. Tokens are minted outside
//! the timed part (`iter_batched`).
//!
//! And the same handler in container mode: a fresh invocation id each request (registered
//! with the simulated sidecar outside the timed part), whose context the app fetches from the
//! simulated egress proxy over loopback HTTP: the per-invocation cost of a container.
//!
//! ```text
//! cargo bench -p connect-testing --bench forge
//! ```
//!
//! Read the ratio, not the absolute times: these machines are shared.

use connect_runtime::__private::forge_model::{
    ForgeModule, ForgeModuleKind, Tokens, UiField, UiKind, UiModule,
};
use connect_runtime::__private::{Handler, HandlerKind, RouteSpec, route_call};
use connect_runtime::config::HostRule;
use connect_runtime::forge::ContainerEnv;
use connect_runtime::policy::Public;
use connect_runtime::store::MemoryStore;
use connect_runtime::{App, ConnectConfig, IntoResponse, Json};
use connect_testing::{ForgeInstallation, ForgePlatform, ForgeSidecar, Invocation};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use warp::http::Method;

const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";

fn answer() -> RouteSpec {
    RouteSpec::new(
        Method::GET,
        "/notes",
        route_call(|_| async { Ok(Json(serde_json::json!({"notes": []})).into_response()) }),
    )
}

fn resolver() -> Handler {
    Handler {
        name: "resolver",
        kind: HandlerKind::Forge {
            module: ForgeModule {
                key: "notes-api",
                endpoint: None,
                tokens: Tokens::default(),
                // A UI module: Forge wants a module besides endpoints.
                kind: ForgeModuleKind::Resolver {
                    ui: vec![UiModule {
                        kind: UiKind::IssuePanel,
                        key: "notes-panel",
                        resource: "panel",
                        resource_path: "panel",
                        fields: vec![
                            (UiField::Title, "Notes"),
                            (UiField::Icon, "https://example.com/icon.svg"),
                        ],
                    }],
                },
            },
            route: answer(),
        },
        requires: |_| {},
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let platform = Arc::new(runtime.block_on(ForgePlatform::start(APP_ID)).unwrap());
    let installation = ForgeInstallation::jira("bench");
    let mut config = ConnectConfig::new("https://bench.example.com".parse().unwrap());
    config.forge.app_id = Some(connect_descriptor::ForgeAppId::parse(APP_ID).unwrap());
    config.forge.jwks_url = platform.jwks_url().parse().unwrap();
    config.forge.allowed_api_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
    let public = Handler {
        name: "public",
        kind: HandlerKind::route::<Public>(
            None,
            RouteSpec::new(
                Method::GET,
                "/public",
                route_call(|_| async {
                    Ok(Json(serde_json::json!({"notes": []})).into_response())
                }),
            ),
        ),
        requires: |_| {},
    };
    let app = App::new("com.example.bench", "Bench")
        .handlers([resolver(), public])
        .build(config, Arc::new(MemoryStore::default()))
        .unwrap();
    let filter = app.filter();
    let fresh_token = || platform.sign(&platform.fit(&installation, "notes-api"));
    let call = |path: &str, token: Option<&str>| {
        let mut request = warp::test::request().method("GET").path(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        runtime.block_on(request.reply(&filter))
    };
    // Both must answer 200 (the first call also caches the JWKS), and a replay is refused.
    let token = fresh_token();
    assert_eq!(call("/notes", Some(&token)).status(), 200);
    assert_eq!(call("/notes", Some(&token)).status(), 401);
    assert_eq!(call("/public", None).status(), 200);

    // The same resolver in a container behind the simulated sidecar and egress proxy.
    let sidecar = runtime
        .block_on(ForgeSidecar::start(Arc::clone(&platform)))
        .unwrap();
    let container = App::new("com.example.bench", "Bench")
        .forge_native()
        .handlers([resolver()])
        .build_container(
            ConnectConfig::new("https://bench.example.com".parse().unwrap()),
            ContainerEnv {
                port: 8080,
                egress_proxy: sidecar.url().parse().unwrap(),
                app_id: connect_descriptor::ForgeAppId::parse(APP_ID).unwrap(),
            },
        )
        .unwrap();
    let container = container.filter();
    let fresh_invocation =
        || sidecar.register(&installation, "notes-panel", &Invocation::default());
    let invoke = |id: &str| {
        runtime.block_on(
            warp::test::request()
                .method("GET")
                .path("/notes")
                .header("x-forge-invocation-id", id)
                .reply(&container),
        )
    };
    let id = fresh_invocation();
    assert_eq!(invoke(&id).status(), 200);
    assert_eq!(invoke(&id).status(), 401, "an invocation is served once");

    let mut group = c.benchmark_group("forge_dispatch");
    group.bench_function("public_route", |b| b.iter(|| call("/public", None)));
    group.bench_function("resolver_fresh_fit", |b| {
        b.iter_batched(
            fresh_token,
            |token| call("/notes", Some(&token)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("container_invocation", |b| {
        b.iter_batched(fresh_invocation, |id| invoke(&id), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
