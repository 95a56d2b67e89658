//! The per-request cost of the `Jwt` policy, against a baseline measured in the same
//! run: bare jsonwebtoken HS256 decoding (signature and `exp`, nothing Connect-specific).
//!
//! And the `ForgeInvocation` policy (RS256 FIT, key from a cached JWKS) against the
//! `Jwt` policy and bare jsonwebtoken RS256 decoding, in one group.
//!
//! ```text
//! cargo bench -p connect-testing --bench verify
//! cargo bench -p connect-testing --bench verify -- forge_invocation
//! ```
//!
//! Read the ratios (framework / baseline), not the absolute times: these machines are shared.

use connect_descriptor::ForgeAppId;
use connect_runtime::__private::qsh::query_string_hash;
use connect_runtime::__private::{
    ForgeTokens, InvocationVerifier, QshRule, QueryParams, RequestTarget, Verifier,
};
use connect_runtime::config::ConnectConfig;
use connect_runtime::config::HostRule;
use connect_runtime::store::{MemoryStore, SqliteStore};
use connect_runtime::{App, TenantStore};
use connect_testing::conformance::sample_tenant;
use connect_testing::{ForgeInstallation, ForgePlatform, TokenSpec};
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::ExposeSecret;
use std::hint::black_box;
use std::sync::Arc;
use warp::http::Method;

const APP_KEY: &str = "com.example.bench";
const CLIENT: &str = "client-bench";
const TARGET_PATH: &str = "/panel";
const TARGET_QUERY: &str = "issueKey=TEST-1&projectKey=TEST&lic=none&tz=Australia%2FSydney&xdm_e=https%3A%2F%2Facme.atlassian.net";

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tenant = sample_tenant(APP_KEY, CLIENT);
    let secret = tenant.shared_secret.expose_secret().as_bytes().to_vec();
    let memory: Arc<dyn TenantStore> = Arc::new(MemoryStore::default());
    let sqlite: Arc<dyn TenantStore> =
        Arc::new(runtime.block_on(SqliteStore::open_in_memory()).unwrap());
    for store in [&memory, &sqlite] {
        runtime.block_on(store.save(&tenant)).unwrap();
    }
    let config = ConnectConfig::new("https://bench.example.com".parse().unwrap());
    let verifier =
        |store: &Arc<dyn TenantStore>| Verifier::new(APP_KEY, &config, Arc::clone(store)).unwrap();
    let (with_memory, with_sqlite) = (verifier(&memory), verifier(&sqlite));
    let target = Arc::new(RequestTarget {
        method: Method::GET,
        path: TARGET_PATH.into(),
        query: QueryParams::parse(TARGET_QUERY.into()),
    });
    let token = TokenSpec::for_request(CLIENT, "GET", &format!("{TARGET_PATH}?{TARGET_QUERY}"), "")
        .sign_hs256(&secret);
    let header = format!("JWT {token}");
    // Every variant must accept the token, or the numbers would compare failures.
    assert!(
        runtime
            .block_on(with_memory.verify_tenant(&target, Some(&header), QshRule::ThisRequest))
            .is_ok()
    );
    assert!(
        runtime
            .block_on(with_sqlite.verify_tenant(&target, Some(&header), QshRule::ThisRequest))
            .is_ok()
    );

    let mut group = c.benchmark_group("page_load_verification");
    group.bench_function("baseline_jsonwebtoken_hs256_decode", |b| {
        let key = jsonwebtoken::DecodingKey::from_secret(&secret);
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_aud = false;
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation).unwrap()
        })
    });
    group.bench_function("qsh_only", |b| {
        b.iter(|| query_string_hash("GET", black_box(TARGET_PATH), black_box(TARGET_QUERY), ""))
    });
    // One page-load verification with `verifier`'s store.
    let verify_with = |verifier: &Verifier| {
        runtime
            .block_on(verifier.verify_tenant(
                &target,
                Some(black_box(&header)),
                QshRule::ThisRequest,
            ))
            .unwrap()
    };
    group.bench_function("shared_secret_policy_memory_store", |b| {
        b.iter(|| verify_with(&with_memory))
    });
    group.bench_function("shared_secret_policy_sqlite_store", |b| {
        b.iter(|| verify_with(&with_sqlite))
    });
    group.finish();

    // Outbound: what signing one request to the product costs (resolve the URL against the
    // tenant's baseUrl, qsh, HS256 token), against inbound verification in the same run.
    let app = App::new(APP_KEY, "Bench")
        .build(config.clone(), Arc::clone(&memory))
        .unwrap();
    let client = app.client_for(&tenant).unwrap();
    let outbound_path = format!("{TARGET_PATH}?{TARGET_QUERY}");
    assert!(client.sign(&Method::GET, &outbound_path).is_ok());
    let mut group = c.benchmark_group("outbound_signing");
    group.bench_function("inbound_jsonwebtoken_hs256_decode", |b| {
        let key = jsonwebtoken::DecodingKey::from_secret(&secret);
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_aud = false;
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation).unwrap()
        })
    });
    group.bench_function("inbound_shared_secret_policy", |b| {
        b.iter(|| verify_with(&with_memory))
    });
    group.bench_function("outbound_sign_request", |b| {
        b.iter(|| {
            client
                .sign(&Method::GET, black_box(&outbound_path))
                .unwrap()
        })
    });
    group.finish();

    // Forge: one FIT verification with the JWKS cached (fetched once, before measuring).
    const FORGE_APP: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";
    let platform = runtime.block_on(ForgePlatform::start(FORGE_APP)).unwrap();
    let mut forge_config = config.clone();
    forge_config.forge.jwks_url = platform.jwks_url().parse().unwrap();
    forge_config.forge.allowed_api_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
    let forge = InvocationVerifier::new(ForgeAppId::parse(FORGE_APP).unwrap(), &forge_config.forge)
        .unwrap();
    let installation = ForgeInstallation::jira("bench");
    // Valid for the whole run (a real FIT lives 25 s; the verifier accepts up to 300 s).
    let now = connect_testing::unix_now();
    let fit = platform.sign(
        &platform
            .fit(&installation, "bench-remote")
            .claim("iat", serde_json::json!(now))
            .claim("exp", serde_json::json!(now + 290)),
    );
    let bearer = format!("Bearer {fit}");
    let verify_fit = || {
        runtime
            .block_on(forge.verify(Some(black_box(&bearer)), ForgeTokens::default()))
            .unwrap()
    };
    verify_fit();
    assert_eq!(platform.jwks_fetches(), 1);
    let mut group = c.benchmark_group("forge_invocation");
    group.bench_function("baseline_jsonwebtoken_rs256_decode", |b| {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(platform.keys().public_pem().as_bytes())
            .unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_aud = false;
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&fit), &key, &validation).unwrap()
        })
    });
    group.bench_function("shared_secret_policy", |b| {
        b.iter(|| verify_with(&with_memory))
    });
    group.bench_function("forge_invocation_policy_cached_jwks", |b| {
        b.iter(verify_fit)
    });
    group.finish();
    assert_eq!(platform.jwks_fetches(), 1, "the JWKS stayed cached");
}

criterion_group!(benches, bench);
criterion_main!(benches);
