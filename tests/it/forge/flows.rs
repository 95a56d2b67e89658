//! Connect on Forge end to end: the hello example's Forge contract, trigger deliveries by
//! `jti`, one tenant across both worlds (in either order), key rotation.

use super::{Fixture, Runs, eventually, probe_app};
use crate::examples::hello;
use atlassian_connect::{App, handlers};
use connect_testing::{ForgeInstallation, Invocation, Site, new_installation_id};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

async fn invoke_myself(
    fixture: &Fixture,
    installation: &ForgeInstallation,
    system_token: bool,
) -> (u16, Value) {
    let invocation = Invocation {
        system_token,
        ..Invocation::default()
    };
    let answer = fixture
        .invoke("/forge/myself", "hello-remote", installation, &invocation)
        .await;
    (answer.status, answer.json().unwrap_or(Value::Null))
}

/// Delivers Forge's installed event of `installation` to hello's lifecycle trigger.
async fn deliver_installed(fixture: &Fixture, installation: &ForgeInstallation) {
    let event = fixture.platform.installed_event(installation);
    let (answer, _) = fixture
        .platform
        .deliver(
            &fixture.url("/forge/lifecycle"),
            installation,
            "hello-lifecycle",
            &event,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn hello_forge_remote_answers_the_contract() {
    let fixture = Fixture::start(hello::app()).await;
    fixture.platform.set_display_name("Hello Bot");
    let site = Site::jira("acme");
    fixture.install(&site).await;
    let installation = ForgeInstallation::of_site(&site);

    let (status, body) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "displayName": "Hello Bot",
            "installationId": installation.installation_id,
            "clientKey": site.client_key,
        })
    );
    let calls = fixture.platform.api_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].path, "/rest/api/3/myself");
    assert_eq!(calls[0].token, "system", "called with the system token");

    // Another site, never installed through Connect: no tenant, `clientKey` null.
    let elsewhere = ForgeInstallation::jira("elsewhere");
    let (status, body) = invoke_myself(&fixture, &elsewhere, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["clientKey"], Value::Null);
    assert_eq!(body["installationId"], json!(elsewhere.installation_id));

    // Without the system token, the call is not made and the route answers a generic 500.
    let (status, body) = invoke_myself(&fixture, &installation, false).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        fixture.platform.api_calls().len(),
        2,
        "no call without a token"
    );
}

#[tokio::test]
async fn hello_forge_routes_exist_only_with_a_forge_app_id() {
    let fixture = Fixture::start_with(hello::app(), |config| config.forge.app_id = None).await;
    let installation = ForgeInstallation::jira("acme");
    let (status, _) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(status, 404);
    assert!(fixture.built.manifest().is_none());
    assert_eq!(fixture.platform.jwks_fetches(), 0);
}

#[tokio::test]
async fn a_redelivered_trigger_runs_once_and_a_failed_one_runs_again() {
    let runs = Arc::new(Runs::default());
    let fixture = Fixture::start(probe_app(Arc::clone(&runs))).await;
    let installation = ForgeInstallation::jira("events");
    let url = fixture.url("/forge/events");
    let event = fixture.platform.installed_event(&installation);

    let (first, token) = fixture
        .platform
        .deliver(&url, &installation, "probe-events", &event)
        .await
        .unwrap();
    assert_eq!(first.status, 204, "{}", first.body);
    for _ in 0..3 {
        let again = fixture
            .platform
            .redeliver(&url, &token, &event)
            .await
            .unwrap();
        assert_eq!(again.status, 200, "a duplicate is acknowledged");
        assert_eq!(again.body, "{}");
    }
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 1, "same jti, one run");

    // A handler that fails is run again when the same delivery comes back.
    runs.fail_trigger.store(true, Ordering::SeqCst);
    let (failed, token) = fixture
        .platform
        .deliver(&url, &installation, "probe-events", &event)
        .await
        .unwrap();
    assert_eq!(failed.status, 500);
    runs.fail_trigger.store(false, Ordering::SeqCst);
    let retried = fixture
        .platform
        .redeliver(&url, &token, &event)
        .await
        .unwrap();
    assert_eq!(retried.status, 204);
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 3);

    // Forge's own retry: a fresh token and `retryContext` in the body.
    let (retry, _) = fixture
        .platform
        .deliver_retry(&url, &installation, "probe-events", &event, 1)
        .await
        .unwrap();
    assert_eq!(retry.status, 204);
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 4);
    assert_eq!(
        runs.last_retry.load(Ordering::SeqCst),
        1,
        "retryContext reaches the handler"
    );
}

#[tokio::test]
async fn concurrent_redeliveries_run_the_handler_once() {
    let runs = Arc::new(Runs::default());
    let fixture = Fixture::start(probe_app(Arc::clone(&runs))).await;
    let installation = ForgeInstallation::jira("burst");
    let url = fixture.url("/forge/events");
    let event = fixture.platform.installed_event(&installation);
    let token = fixture
        .platform
        .sign(&fixture.platform.fit(&installation, "probe-events"));
    let deliveries = (0..20).map(|_| fixture.platform.redeliver(&url, &token, &event));
    let answers = futures_util::future::join_all(deliveries).await;
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().unwrap().status / 100 == 2)
    );
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 1);
}

/// The Forge installed event first, the Connect install after (carrying `installationId`, as
/// Connect-on-Forge installs do): one tenant.
#[tokio::test]
async fn forge_installed_then_connect_install_is_one_tenant() {
    let fixture = Fixture::start(hello::app()).await;
    let mut site = Site::jira("forge-first");
    site.installation_id = Some(new_installation_id());
    let installation = ForgeInstallation::of_site(&site);
    deliver_installed(&fixture, &installation).await;
    assert!(fixture.store.snapshot().is_empty(), "no Connect tenant yet");

    fixture.install(&site).await;
    let (status, body) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["clientKey"], json!(site.client_key));
    let tenants = fixture.store.snapshot();
    assert_eq!(tenants.len(), 1);
    assert_eq!(tenants[0].installation_id, site.installation_id);
}

/// A Connect install without `installationId` first, the Forge installed event after: the
/// event links the installation to the tenant of the same site (by cloud id).
#[tokio::test]
async fn connect_install_then_forge_installed_is_one_tenant() {
    let fixture = Fixture::start(hello::app()).await;
    let site = Site::jira("connect-first");
    let other = Site::jira("bystander");
    fixture.install(&site).await;
    fixture.install(&other).await;
    let installation = ForgeInstallation::of_site(&site);
    deliver_installed(&fixture, &installation).await;
    assert!(
        eventually(|| {
            fixture.store.snapshot().iter().any(|t| {
                t.client_key == site.client_key
                    && t.installation_id.as_deref() == Some(installation.installation_id.as_str())
            })
        })
        .await,
        "the installed event links the tenant"
    );
    let bystander = fixture
        .store
        .snapshot()
        .into_iter()
        .find(|t| t.client_key == other.client_key)
        .unwrap();
    assert_eq!(
        bystander.installation_id, None,
        "other sites are not linked"
    );
    let (status, body) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["clientKey"], json!(site.client_key));

    // A reinstall through Connect (new secret) keeps the link.
    let mut site = site;
    let answer = fixture
        .host
        .reinstall(&fixture.app, &mut site)
        .await
        .unwrap();
    assert_eq!(answer.status, 204);
    let (_, body) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(body["clientKey"], json!(site.client_key));
}

#[tokio::test]
async fn a_rotated_key_is_fetched_after_the_refresh_interval() {
    let runs = Arc::new(Runs::default());
    let fixture = Fixture::start_with(probe_app(Arc::clone(&runs)), |config| {
        config.forge.jwks_min_refresh = Duration::from_secs(1);
    })
    .await;
    let installation = ForgeInstallation::jira("rotation");
    let invocation = Invocation {
        system_token: true,
        user_token: true,
        ..Invocation::default()
    };
    let invoke = || fixture.invoke_probe(&installation, &invocation);
    let answer = invoke().await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let claims = answer.json().unwrap();
    assert_eq!(claims["principal"], json!("557058:forge-user"));
    assert_eq!(claims["cloudId"], json!(installation.cloud_id));
    assert_eq!(claims["siteUrl"], json!(installation.site_url));
    assert_eq!(claims["module"], json!("probe-remote"));
    assert_eq!(claims["environment"], json!("DEVELOPMENT"));

    fixture.platform.rotate_keys(true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answer = invoke().await;
    assert_eq!(
        answer.status, 200,
        "the new key is fetched: {}",
        answer.body
    );
    assert_eq!(fixture.platform.jwks_fetches(), 2);
    assert_eq!(runs.remote.load(Ordering::SeqCst), 2);
}

/// Another installation on the site of a linked tenant (another app environment, or a stale
/// token) does not take the tenant over; Forge's installed event for the site does, and an
/// uninstall drops the link.
#[tokio::test]
async fn a_linked_tenant_moves_only_on_an_installed_event() {
    let fixture = Fixture::start(hello::app()).await;
    let mut site = Site::jira("linked");
    site.installation_id = Some(new_installation_id());
    fixture.install(&site).await;
    let linked = ForgeInstallation::of_site(&site);
    let (_, body) = invoke_myself(&fixture, &linked, true).await;
    assert_eq!(body["clientKey"], json!(site.client_key));

    let other = ForgeInstallation {
        installation_id: new_installation_id(),
        ..linked.clone()
    };
    let (status, body) = invoke_myself(&fixture, &other, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["clientKey"],
        Value::Null,
        "an invocation never moves a link"
    );
    let (_, body) = invoke_myself(&fixture, &linked, true).await;
    assert_eq!(body["clientKey"], json!(site.client_key), "the link stayed");

    // Another event at the same trigger (a trigger may subscribe to several) is no reinstall:
    // it does not move the link, whatever installation it comes from.
    let mut upgraded = fixture.platform.installed_event(&other);
    upgraded["eventType"] = json!("avi:forge:upgraded:app");
    let before = fixture.store_state();
    let (answer, _) = fixture
        .platform
        .deliver(
            &fixture.url("/forge/lifecycle"),
            &other,
            "hello-lifecycle",
            &upgraded,
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(fixture.store_state(), before, "no link moved");
    let (_, body) = invoke_myself(&fixture, &linked, true).await;
    assert_eq!(body["clientKey"], json!(site.client_key), "the link stayed");

    // A reinstall on Forge: the installed event of the new installation moves the link.
    deliver_installed(&fixture, &other).await;
    let (_, body) = invoke_myself(&fixture, &other, true).await;
    assert_eq!(body["clientKey"], json!(site.client_key));
    let (_, body) = invoke_myself(&fixture, &linked, true).await;
    assert_eq!(
        body["clientKey"],
        Value::Null,
        "the old installation lost the tenant"
    );

    // An uninstall drops the link and the tenant.
    let answer = fixture.host.uninstall(&fixture.app, &site).await.unwrap();
    assert_eq!(answer.status, 204);
    let (_, body) = invoke_myself(&fixture, &other, true).await;
    assert_eq!(body["clientKey"], Value::Null);
    let tenant = fixture.store.snapshot().pop().unwrap();
    assert_eq!(tenant.installation_id, None);
}

/// `ForgeClient` shares the outbound client's rate-limit handling: a 429 with `Retry-After` is
/// waited out and retried with the same token.
#[tokio::test]
async fn forge_client_retries_rate_limited_calls() {
    let fixture = Fixture::start(hello::app()).await;
    let installation = ForgeInstallation::jira("limited");
    fixture.platform.rate_limit_next(1);
    let started = std::time::Instant::now();
    let (status, body) = invoke_myself(&fixture, &installation, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let calls = fixture.platform.api_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|call| call.token == "system"));
}

/// An app installed in Jira and in Confluence on one site has two Connect tenants with one
/// cloud id: each product's invocations resolve to that product's tenant, whichever was
/// installed last.
#[tokio::test]
async fn each_product_of_a_site_resolves_to_its_own_tenant() {
    let fixture = Fixture::start(probe_app(Arc::new(Runs::default()))).await;
    let jira = Site::jira("both");
    let confluence = Site {
        client_key: "both-confluence-client-key".to_owned(),
        cloud_id: jira.cloud_id.clone(),
        ..Site::confluence("both")
    };
    fixture.install(&jira).await;
    fixture.install(&confluence).await;

    let installations = [
        ForgeInstallation::of_site(&jira),
        ForgeInstallation::of_site(&confluence),
    ];
    for (site, installation) in [(&jira, &installations[0]), (&confluence, &installations[1])]
        .into_iter()
        .cycle()
        .take(4)
    {
        let answer = fixture
            .invoke_probe(installation, &Invocation::default())
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body: Value = answer.json().unwrap();
        assert_eq!(body["product"], json!(site.product_type));
        assert_eq!(
            body["clientKey"],
            json!(site.client_key),
            "{} invocation",
            site.product_type
        );
    }
    let linked: Vec<_> = fixture
        .store
        .snapshot()
        .iter()
        .map(|t| (t.product_type.clone(), t.installation_id.is_some()))
        .collect();
    assert_eq!(linked.len(), 2);
    assert!(linked.iter().all(|(_, linked)| *linked), "{linked:?}");
}

/// Handler routes take bodies up to their own limit (1 MiB by default), not the lifecycle
/// routes' 64 KiB: an issue event can be hundreds of KiB. A body over it is refused with 413
/// before the handler runs and before its `jti` counts as delivered.
#[tokio::test]
async fn trigger_bodies_have_the_handler_limit() {
    let runs = Arc::new(Runs::default());
    let fixture = Fixture::start_with(probe_app(Arc::clone(&runs)), |config| {
        config.max_handler_body_bytes = 256 * 1024;
    })
    .await;
    assert!(fixture.built.config().max_lifecycle_body_bytes < 200 * 1024);
    let installation = ForgeInstallation::jira("big-events");
    let url = fixture.url("/forge/events");
    let mut event = fixture.platform.installed_event(&installation);

    event["issue"] = json!({ "description": "d".repeat(200 * 1024) });
    let (answer, _) = fixture
        .platform
        .deliver(&url, &installation, "probe-events", &event)
        .await
        .unwrap();
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 1);

    event["issue"] = json!({ "description": "d".repeat(300 * 1024) });
    let before = fixture.store_state();
    let (answer, token) = fixture
        .platform
        .deliver(&url, &installation, "probe-events", &event)
        .await
        .unwrap();
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(
        runs.trigger.load(Ordering::SeqCst),
        1,
        "the handler did not run"
    );
    assert_eq!(fixture.store_state(), before);

    // The refused delivery was not recorded: the same `jti` with a body that fits runs.
    event["issue"] = json!({ "description": "short" });
    let again = fixture
        .platform
        .redeliver(&url, &token, &event)
        .await
        .unwrap();
    assert_eq!(again.status, 204, "{}", again.body);
    assert_eq!(runs.trigger.load(Ordering::SeqCst), 2);
}

/// A minted token can carry the UI context (`context.extension`) a handler reads through
/// `ForgeContext::context_claim`, as `connect-sim forge invoke --context issue.key=TEST-1` sends it.
#[tokio::test]
async fn a_minted_token_carries_the_ui_context_extension() {
    let fixture = Fixture::start(probe_app(Arc::new(Runs::default()))).await;
    let installation = ForgeInstallation::jira("extension");
    let invocation = Invocation::default()
        .with_context("issue.key", "TEST-1")
        .with_context("project.key", "TEST");
    let answer = fixture.invoke_probe(&installation, &invocation).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json().unwrap();
    assert_eq!(
        body["extension"],
        json!({"issue": {"key": "TEST-1"}, "project": {"key": "TEST"}})
    );
    // The typed accessors read the same extension; what it does not hold reads as absent.
    assert_eq!(body["ui"]["issueKey"], "TEST-1");
    assert_eq!(body["ui"]["projectKey"], "TEST");
    assert_eq!(body["ui"]["issueId"], Value::Null);
    assert_eq!(body["ui"]["spaceKey"], Value::Null);
    assert_eq!(body["ui"]["moduleKey"], "probe-remote");
    let plain = fixture
        .invoke_probe(&installation, &Invocation::default())
        .await;
    let plain = plain.json().unwrap();
    assert_eq!(plain["extension"], Value::Null);
    assert_eq!(plain["ui"]["issueKey"], Value::Null);

    // A Confluence macro's content and space, with ids as the strings Forge sends.
    let macro_call = Invocation::default()
        .with_context("content.id", "65537")
        .with_context("space.key", "DOCS")
        .with_context("issue.id", "10001");
    let answer = fixture
        .invoke_probe(&ForgeInstallation::confluence("extension"), &macro_call)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let ui = answer.json().unwrap()["ui"].clone();
    assert_eq!(ui["contentId"], "65537");
    assert_eq!(ui["spaceKey"], "DOCS");
    assert_eq!(ui["issueId"], "10001");
}

/// `ForgeContext::license` reads the verified `app.license.active` with the same type as
/// `Context::license` on Connect routes: active, not active, or absent (a free app).
#[tokio::test]
async fn the_forge_license_reads_as_the_connect_one_does() {
    let fixture = Fixture::start(probe_app(Arc::new(Runs::default()))).await;
    let installation = ForgeInstallation::jira("licensed");
    for (license, expected) in [
        (json!({"active": true, "type": "commercial"}), "Active"),
        (json!({"active": false, "type": "commercial"}), "Unlicensed"),
        (Value::Null, "Unknown"),
    ] {
        let invocation = Invocation {
            license,
            ..Invocation::default()
        };
        let answer = fixture.invoke_probe(&installation, &invocation).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.json().unwrap()["license"], expected);
    }
}

static LICENSED_RUNS: AtomicUsize = AtomicUsize::new(0);

/// A remote only licensed installations may call.
#[atlassian_connect::forge::remote(key = "licensed-remote", path = "/forge/licensed")]
async fn licensed_remote(_: atlassian_connect::extract::Licensed) -> &'static str {
    LICENSED_RUNS.fetch_add(1, Ordering::SeqCst);
    "licensed"
}

/// `Licensed` on a Forge route refuses an installation whose token says its license is not
/// active (403, the handler not run) and accepts an active or absent one.
#[tokio::test]
async fn licensed_on_a_forge_route_reads_the_tokens_license() {
    // The trigger beside the remote: Forge refuses a manifest whose modules are endpoints only.
    let app = App::new("com.example.forge-licensed", "Licensed")
        .scopes([atlassian_connect::Scope::Read])
        .state(Arc::new(super::Runs::default()))
        .handlers(handlers![licensed_remote, super::probe_events]);
    let fixture = Fixture::start(app).await;
    let installation = ForgeInstallation::jira("licensed-guard");
    let call = |license: Value| {
        let invocation = Invocation {
            license,
            ..Invocation::default()
        };
        let (fixture, installation) = (&fixture, &installation);
        async move {
            fixture
                .invoke(
                    "/forge/licensed",
                    "licensed-remote",
                    installation,
                    &invocation,
                )
                .await
        }
    };
    let before = LICENSED_RUNS.load(Ordering::SeqCst);
    let refused = call(json!({"active": false})).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("no active license"),
        "{}",
        refused.body
    );
    assert_eq!(LICENSED_RUNS.load(Ordering::SeqCst), before);
    assert_eq!(call(json!({"active": true})).await.status, 200);
    assert_eq!(call(Value::Null).await.status, 200);
    assert_eq!(LICENSED_RUNS.load(Ordering::SeqCst), before + 2);
}
