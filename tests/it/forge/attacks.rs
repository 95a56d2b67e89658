//! The `ForgeInvocation` policy from the attacker's side: each forged or misdirected token is
//! answered 401 (503 when the JWKS is down), no handler runs and the store does not change.

use super::{APP_ID, Fixture, Runs, probe_app};
use connect_testing::{ForgeInstallation, Invocation, JwksBehaviour, Site, TokenSpec};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use connect_testing::unix_now as now;

struct Attack {
    fixture: Fixture,
    runs: Arc<Runs>,
    installation: ForgeInstallation,
    site: Site,
}

impl Attack {
    async fn start() -> Self {
        let runs = Arc::new(Runs::default());
        let fixture = Fixture::start(probe_app(Arc::clone(&runs))).await;
        let site = Site::jira("victim");
        fixture.install(&site).await;
        let installation = ForgeInstallation::of_site(&site);
        // One genuine call first: the JWKS is cached, as in a running app.
        let ok = fixture
            .invoke_probe(&installation, &Invocation::default())
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        runs.remote.store(0, Ordering::SeqCst);
        Self {
            fixture,
            runs,
            installation,
            site,
        }
    }

    fn fit(&self) -> TokenSpec {
        self.fixture
            .platform
            .fit(&self.installation, "probe-remote")
    }

    /// Asserts that no handler ran and the store still holds `before`.
    fn assert_untouched(&self, what: &str, before: &[String]) {
        assert_eq!(
            self.runs.remote.load(Ordering::SeqCst),
            0,
            "{what}: the remote ran"
        );
        assert_eq!(
            self.runs.trigger.load(Ordering::SeqCst),
            0,
            "{what}: the trigger ran"
        );
        assert_eq!(
            self.fixture.store_state(),
            before,
            "{what}: the store changed"
        );
    }

    /// Sends `token` (as `Authorization: {scheme} token`) to the Forge endpoint and to the
    /// trigger; asserts `status` from both, no handler run and no store change.
    async fn refused(&self, what: &str, scheme: &str, token: &str, status: u16) {
        let before = self.fixture.store_state();
        let client = reqwest::Client::new();
        for path in ["/forge/probe", "/forge/events"] {
            let mut request = client
                .post(self.fixture.url(path))
                .header("x-forge-oauth-system", "forge-system-stolen")
                .json(&self.fixture.platform.installed_event(&self.installation));
            if !scheme.is_empty() {
                request = request.header("authorization", format!("{scheme} {token}"));
            }
            let answer = request.send().await.unwrap();
            let answer_status = answer.status().as_u16();
            let body = answer.text().await.unwrap();
            assert_eq!(answer_status, status, "{what} on {path}: {body}");
            assert!(
                !body.contains(token) || token.is_empty(),
                "{what}: the token is echoed"
            );
        }
        self.assert_untouched(what, &before);
        assert!(
            self.fixture.platform.api_calls().is_empty(),
            "{what}: the product API was called"
        );
    }
}

#[tokio::test]
async fn forged_and_misdirected_tokens_are_refused() {
    let attack = Attack::start().await;
    let platform = &attack.fixture.platform;
    let sign = |spec: TokenSpec| platform.sign(&spec);
    let t = now();

    attack.refused("no token", "", "", 401).await;
    attack
        .refused("alg none", "Bearer", &attack.fit().unsigned(), 401)
        .await;
    // The classic confusion: HS256 "signed" with the RSA public key the JWKS publishes.
    let public_pem = platform.keys().public_pem().to_owned();
    let hs256 = attack
        .fit()
        .kid(platform.keys().kid())
        .sign_hs256(public_pem.as_bytes());
    attack
        .refused("HS256 with the JWKS public key", "Bearer", &hs256, 401)
        .await;
    attack
        .refused(
            "wrong aud",
            "Bearer",
            &sign(attack.fit().claim(
                "aud",
                json!("ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555"),
            )),
            401,
        )
        .await;
    let mut other_app = attack.fit();
    other_app.claims.get_mut("app").unwrap()["id"] =
        json!("ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555");
    attack
        .refused("app.id of another app", "Bearer", &sign(other_app), 401)
        .await;
    attack
        .refused(
            "wrong iss",
            "Bearer",
            &sign(attack.fit().claim("iss", json!("connect"))),
            401,
        )
        .await;
    attack
        .refused(
            "expired",
            "Bearer",
            &sign(
                attack
                    .fit()
                    .claim("iat", json!(t - 120))
                    .claim("nbf", json!(t - 120))
                    .claim("exp", json!(t - 60)),
            ),
            401,
        )
        .await;
    attack
        .refused(
            "nbf in the future",
            "Bearer",
            &sign(
                attack
                    .fit()
                    .claim("nbf", json!(t + 120))
                    .claim("exp", json!(t + 180)),
            ),
            401,
        )
        .await;
    attack
        .refused(
            "iat in the future",
            "Bearer",
            &sign(
                attack
                    .fit()
                    .claim("iat", json!(t + 120))
                    .claim("exp", json!(t + 180)),
            ),
            401,
        )
        .await;
    attack
        .refused("no jti", "Bearer", &sign(attack.fit().without("jti")), 401)
        .await;
    attack
        .refused(
            "a lifetime of hours",
            "Bearer",
            &sign(attack.fit().claim("exp", json!(t + 7200))),
            401,
        )
        .await;
    let mut whole_host = attack.fit();
    whole_host.claims.get_mut("app").unwrap()["apiBaseUrl"] =
        json!(format!("{}/admin", platform.url()));
    attack
        .refused(
            "apiBaseUrl not scoped to a site",
            "Bearer",
            &sign(whole_host),
            401,
        )
        .await;
    attack
        .refused(
            "unknown kid",
            "Bearer",
            &sign(attack.fit().kid("forge/invocation-token/wf-unknown")),
            401,
        )
        .await;
    let mut foreign = attack.fit();
    foreign.claims.get_mut("app").unwrap()["apiBaseUrl"] =
        json!("https://evil.example/ex/jira/stolen");
    attack
        .refused(
            "apiBaseUrl on a foreign host",
            "Bearer",
            &sign(foreign),
            401,
        )
        .await;
    let mut plain_http = attack.fit();
    plain_http.claims.get_mut("app").unwrap()["apiBaseUrl"] =
        json!("http://api.atlassian.com/ex/jira/stolen");
    attack
        .refused("apiBaseUrl over http", "Bearer", &sign(plain_http), 401)
        .await;
    // A valid FIT under the Connect scheme is no Bearer token.
    attack
        .refused("FIT as `JWT`", "JWT", &sign(attack.fit()), 401)
        .await;

    // A Connect JWT of the installed tenant, valid for this very request, on a Forge route.
    for scheme in ["JWT", "Bearer"] {
        let connect = TokenSpec::for_request(&attack.site.client_key, "POST", "/forge/probe", "")
            .sign_hs256(attack.site.shared_secret.as_bytes());
        attack
            .refused("a Connect JWT on a Forge route", scheme, &connect, 401)
            .await;
    }
}

#[tokio::test]
async fn a_fit_on_a_connect_route_is_refused() {
    let attack = Attack::start().await;
    let fit = attack.fixture.platform.sign(&attack.fit());
    let client = reqwest::Client::new();
    for scheme in ["Bearer", "JWT"] {
        let answer = client
            .get(attack.fixture.url("/connect/probe"))
            .header("authorization", format!("{scheme} {fit}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "{scheme}");
    }
    let query = client
        .get(format!(
            "{}?jwt={fit}",
            attack.fixture.url("/connect/probe")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 401);
    assert_eq!(attack.runs.connect.load(Ordering::SeqCst), 0);
    // The route works with the tenant's own token: the refusals above were about the token.
    let connect = TokenSpec::for_request(&attack.site.client_key, "GET", "/connect/probe", "")
        .sign_hs256(attack.site.shared_secret.as_bytes());
    let answer = client
        .get(attack.fixture.url("/connect/probe"))
        .header("authorization", format!("JWT {connect}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(attack.runs.connect.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_jwks_outage_is_503_and_retryable() {
    let runs = Arc::new(Runs::default());
    let fixture = super::Fixture::start(probe_app(Arc::clone(&runs))).await;
    fixture.platform.set_jwks(JwksBehaviour::Status(500));
    let installation = ForgeInstallation::jira("outage");
    let invocation = Invocation::default();
    let invoke = || fixture.invoke_probe(&installation, &invocation);
    for _ in 0..5 {
        let answer = invoke().await;
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(!answer.body.contains("127.0.0.1"), "{}", answer.body);
    }
    assert_eq!(runs.remote.load(Ordering::SeqCst), 0);
    assert!(
        fixture.platform.jwks_fetches() <= 1,
        "an outage is not a stream of fetches: {}",
        fixture.platform.jwks_fetches()
    );
    let _ = APP_ID;
}

#[tokio::test]
async fn random_unknown_kids_cost_a_few_jwks_fetches() {
    let runs = Arc::new(Runs::default());
    let fixture = super::Fixture::start(probe_app(Arc::clone(&runs))).await;
    let installation = ForgeInstallation::jira("flood");
    let client = reqwest::Client::new();
    let requests = (0..200).map(|i| {
        let token =
            fixture
                .platform
                .sign(
                    &fixture
                        .platform
                        .fit(&installation, "probe-remote")
                        .kid(&format!(
                            "forge/invocation-token/wf-forged-{i}-{}",
                            rand::random::<u64>()
                        )),
                );
        let request = client
            .post(fixture.url("/forge/probe"))
            .header("authorization", format!("Bearer {token}"));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|status| *status == 401), "{statuses:?}");
    let fetches = fixture.platform.jwks_fetches();
    assert!(
        (1..=2).contains(&fetches),
        "200 forged kids made {fetches} JWKS fetches"
    );
    assert_eq!(runs.remote.load(Ordering::SeqCst), 0);
}

/// Tokens naming Atlassian's staging API host are verified with the staging JWKS, and only
/// when the app opted in; neither JWKS vouches for the other environment.
#[tokio::test]
async fn staging_tokens_need_the_staging_jwks() {
    use connect_testing::ForgePlatform;
    let staging = ForgePlatform::start(APP_ID).await.unwrap();
    let runs = Arc::new(Runs::default());
    let staging_jwks = staging.jwks_url();
    let fixture = super::Fixture::start_with(probe_app(Arc::clone(&runs)), |config| {
        config.forge.staging_jwks_url = Some(staging_jwks.parse().unwrap());
    })
    .await;
    let installation = ForgeInstallation::jira("staging");
    let on = |platform: &ForgePlatform, api_base_url: &str| {
        let mut spec = platform.fit(&installation, "probe-remote");
        spec.claims.get_mut("app").unwrap()["apiBaseUrl"] = json!(api_base_url);
        platform.sign(&spec)
    };
    let send = |token: String| {
        reqwest::Client::new()
            .post(fixture.url("/forge/probe"))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    let stg = "https://api.stg.atlassian.com/ex/jira/0a1b2c";
    let prod = "https://api.atlassian.com/ex/jira/0a1b2c";
    assert_eq!(send(on(&staging, stg)).await.unwrap().status(), 200);
    assert_eq!(runs.remote.load(Ordering::SeqCst), 1);
    assert_eq!(
        send(on(&fixture.platform, stg)).await.unwrap().status(),
        401,
        "a production key does not sign for staging"
    );
    assert_eq!(
        send(on(&staging, prod)).await.unwrap().status(),
        401,
        "a staging key does not sign for production"
    );
    assert_eq!(runs.remote.load(Ordering::SeqCst), 1);

    // Without the opt-in, staging tokens are refused before any JWKS is asked.
    let runs = Arc::new(Runs::default());
    let plain = super::Fixture::start(probe_app(Arc::clone(&runs))).await;
    let fetches = staging.jwks_fetches();
    let answer = reqwest::Client::new()
        .post(plain.url("/forge/probe"))
        .header("authorization", format!("Bearer {}", on(&staging, stg)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(staging.jwks_fetches(), fetches);
    assert_eq!(runs.remote.load(Ordering::SeqCst), 0);
}

/// A FIT names the module it was minted for (`app.module.key`): it is accepted only at the
/// route that module reaches (an endpoint's own key; a trigger's key or its `<key>-ep`
/// endpoint), never at another module's route.
#[tokio::test]
async fn a_token_minted_for_one_module_is_refused_at_another_modules_route() {
    let attack = Attack::start().await;
    let platform = &attack.fixture.platform;
    let client = reqwest::Client::new();
    let send = |path: &'static str, module: &'static str| {
        let token = platform.sign(&platform.fit(&attack.installation, module));
        client
            .post(attack.fixture.url(path))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"eventType": "avi:forge:upgraded:app"}))
            .send()
    };
    let before = attack.fixture.store_state();
    for (path, module) in [
        ("/forge/events", "probe-remote"),
        ("/forge/probe", "probe-events"),
        ("/forge/probe", "probe-events-ep"),
        ("/forge/events", "another-module"),
        ("/forge/probe", "another-module"),
    ] {
        let answer = send(path, module).await.unwrap();
        assert_eq!(answer.status(), 401, "{module} at {path}");
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("another module"),
            "{module} at {path}: {body}"
        );
        attack.assert_untouched(&format!("{module} at {path}"), &before);
    }
    // Each route's own modules are accepted, both ways for the trigger.
    for (path, module) in [
        ("/forge/probe", "probe-remote"),
        ("/forge/events", "probe-events"),
        ("/forge/events", "probe-events-ep"),
    ] {
        let answer = send(path, module).await.unwrap();
        assert!(
            answer.status().is_success(),
            "{module} at {path}: {}",
            answer.status()
        );
    }
    assert_eq!(attack.runs.remote.load(Ordering::SeqCst), 1);
    assert_eq!(attack.runs.trigger.load(Ordering::SeqCst), 2);
}
