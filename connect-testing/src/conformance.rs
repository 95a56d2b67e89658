//! The behaviour every [`TenantStore`] must have. Run it against your own backend:
//!
//! ```ignore
//! #[tokio::test]
//! async fn my_store_conforms() {
//!     connect_testing::conformance::check(&MyStore::connect().await).await;
//! }
//! ```
//!
//! Each scenario uses its own app key, so the suite can run on a database shared with other
//! tests. It panics with a message naming the broken rule.

use connect_runtime::store::{InstallationLink, InstallationQuery, TenantRecord, TenantStore};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// Runs every scenario against `store`.
pub async fn check(store: &dyn TenantStore) {
    missing_tenant_is_none(store).await;
    saved_tenant_reads_back_unchanged(store).await;
    save_replaces_the_row(store).await;
    save_after_read_is_visible(store).await;
    app_keys_isolate_tenants(store).await;
    client_keys_are_case_sensitive(store).await;
    concurrent_saves_are_all_kept(store).await;
    installations_resolve_to_their_tenant(store).await;
    installed_tenants_are_listed(store).await;
    tenant_data_round_trips(store).await;
    claims_are_exclusive_until_they_expire(store).await;
}

/// A tenant with every field set, including a 400-byte secret and a non-ASCII payload.
pub fn sample_tenant(app_key: &str, client_key: &str) -> TenantRecord {
    TenantRecord {
        app_key: app_key.to_owned(),
        client_key: client_key.to_owned(),
        shared_secret: SecretString::from(format!("{client_key}-{}", "s€cret".repeat(57))),
        base_url: "https://acme.atlassian.net".to_owned(),
        display_url: Some("https://jira.acme.example".to_owned()),
        product_type: Some("jira".to_owned()),
        oauth_client_id: Some("oauth-client".to_owned()),
        cloud_id: Some("cloud-1".to_owned()),
        installation_id: Some(format!("ari:cloud:ecosystem::installation/{client_key}")),
        enabled: true,
        uninstalled: false,
        install_payload: json!({"clientKey": client_key, "extra": {"nested": ["ü", 1, null]}}),
        installed_at: 1_700_000_000,
        updated_at: 1_700_000_100,
    }
}

fn assert_same(actual: &TenantRecord, expected: &TenantRecord, rule: &str) {
    let differing = [
        ("app_key", actual.app_key == expected.app_key),
        ("client_key", actual.client_key == expected.client_key),
        (
            "shared_secret",
            actual.shared_secret.expose_secret() == expected.shared_secret.expose_secret(),
        ),
        ("base_url", actual.base_url == expected.base_url),
        ("display_url", actual.display_url == expected.display_url),
        ("product_type", actual.product_type == expected.product_type),
        (
            "oauth_client_id",
            actual.oauth_client_id == expected.oauth_client_id,
        ),
        ("cloud_id", actual.cloud_id == expected.cloud_id),
        (
            "installation_id",
            actual.installation_id == expected.installation_id,
        ),
        ("enabled", actual.enabled == expected.enabled),
        ("uninstalled", actual.uninstalled == expected.uninstalled),
        (
            "install_payload",
            actual.install_payload == expected.install_payload,
        ),
        ("installed_at", actual.installed_at == expected.installed_at),
        ("updated_at", actual.updated_at == expected.updated_at),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(field, _)| field)
    .collect::<Vec<_>>();
    assert!(
        differing.is_empty(),
        "{rule}: stored tenant differs in {differing:?}"
    );
}

async fn get(store: &dyn TenantStore, app_key: &str, client_key: &str) -> Option<TenantRecord> {
    store
        .get(app_key, client_key)
        .await
        .unwrap_or_else(|error| panic!("get({app_key}, {client_key}) failed: {error}"))
        .map(|tenant| tenant.into_record())
}

async fn save(store: &dyn TenantStore, tenant: &TenantRecord) {
    store
        .save(tenant)
        .await
        .unwrap_or_else(|error| panic!("save({}) failed: {error}", tenant.client_key));
}

async fn missing_tenant_is_none(store: &dyn TenantStore) {
    assert!(
        get(store, "conformance.missing", "nobody").await.is_none(),
        "get of a tenant never saved must be None"
    );
}

async fn saved_tenant_reads_back_unchanged(store: &dyn TenantStore) {
    let tenant = sample_tenant("conformance.roundtrip", "client-1");
    assert!(tenant.shared_secret.expose_secret().len() >= 400);
    save(store, &tenant).await;
    let stored = get(store, "conformance.roundtrip", "client-1").await;
    assert_same(
        &stored.expect("a saved tenant must be found"),
        &tenant,
        "round trip",
    );
}

async fn save_replaces_the_row(store: &dyn TenantStore) {
    let mut tenant = sample_tenant("conformance.replace", "client-1");
    save(store, &tenant).await;
    tenant.shared_secret = SecretString::from("rotated".to_owned());
    tenant.enabled = false;
    tenant.uninstalled = true;
    tenant.display_url = None;
    tenant.updated_at += 10;
    save(store, &tenant).await;
    let stored = get(store, "conformance.replace", "client-1").await;
    assert_same(
        &stored.expect("a replaced tenant must be found"),
        &tenant,
        "save of an existing key replaces every field",
    );
}

async fn save_after_read_is_visible(store: &dyn TenantStore) {
    // A backend that caches reads must not serve the old secret after a reinstall.
    let mut tenant = sample_tenant("conformance.read-then-save", "client-1");
    save(store, &tenant).await;
    for round in 0..3 {
        let read = get(store, "conformance.read-then-save", "client-1").await;
        assert!(read.is_some(), "read before save, round {round}");
        tenant.shared_secret = SecretString::from(format!("secret-round-{round}"));
        tenant.updated_at += 1;
        save(store, &tenant).await;
        let stored = get(store, "conformance.read-then-save", "client-1").await;
        assert_same(
            &stored.expect("saved tenant"),
            &tenant,
            "a save after a read must be what the next read returns",
        );
    }
}

async fn app_keys_isolate_tenants(store: &dyn TenantStore) {
    let jira = sample_tenant("conformance.isolation.jira", "shared-client");
    let mut confluence = sample_tenant("conformance.isolation.confluence", "shared-client");
    confluence.shared_secret = SecretString::from("confluence-secret".to_owned());
    save(store, &jira).await;
    save(store, &confluence).await;
    let stored = get(store, "conformance.isolation.jira", "shared-client").await;
    assert_same(
        &stored.expect("tenant of the first app"),
        &jira,
        "a tenant of another app key with the same clientKey must not overwrite it",
    );
    assert!(
        get(store, "conformance.isolation.other", "shared-client")
            .await
            .is_none(),
        "a clientKey must not be found under an app key it was never saved for"
    );
}

async fn client_keys_are_case_sensitive(store: &dyn TenantStore) {
    let lower = sample_tenant("conformance.case", "client-a");
    save(store, &lower).await;
    assert!(
        get(store, "conformance.case", "CLIENT-A").await.is_none(),
        "clientKeys are compared exactly"
    );
}

async fn concurrent_saves_are_all_kept(store: &dyn TenantStore) {
    let tenants: Vec<TenantRecord> = (0..50)
        .map(|i| sample_tenant("conformance.concurrent", &format!("client-{i}")))
        .collect();
    futures_util::future::join_all(tenants.iter().map(|tenant| store.save(tenant)))
        .await
        .into_iter()
        .for_each(|result| result.expect("concurrent save failed"));
    for tenant in &tenants {
        let stored = get(store, "conformance.concurrent", &tenant.client_key).await;
        assert_same(
            &stored.expect("every concurrently saved tenant must be found"),
            tenant,
            "concurrent saves",
        );
    }
}

fn link<'a>(installation_id: &'a str, cloud_id: Option<&'a str>) -> InstallationLink<'a> {
    InstallationLink {
        installation_id,
        cloud_id,
        now: 1_800_000_000,
    }
}

/// Forge invocations find their Connect tenant by installation id, else by cloud id; an exact
/// installation wins over a cloud-id match, an installed row over an uninstalled one, and
/// other apps' rows never match.
async fn installations_resolve_to_their_tenant(store: &dyn TenantStore) {
    let app = "conformance.installations";
    let find_of = |installation: &'static str,
                   cloud: Option<&'static str>,
                   product: Option<&'static str>| async move {
        let query = InstallationQuery {
            installation_id: installation,
            cloud_id: cloud,
            product,
        };
        store
            .find_by_installation(app, query)
            .await
            .expect("find_by_installation failed")
            .map(|tenant| tenant.client_key.clone())
    };
    let find = |installation, cloud| find_of(installation, cloud, None);
    assert_eq!(
        find("ari:none", Some("cloud-x")).await,
        None,
        "nothing stored yet"
    );

    let mut linked = sample_tenant(app, "linked");
    linked.installation_id = Some("ari:install-1".to_owned());
    linked.cloud_id = Some("cloud-a".to_owned());
    store.save(&linked).await.expect("save failed");
    let mut by_cloud = sample_tenant(app, "by-cloud");
    by_cloud.installation_id = None;
    by_cloud.cloud_id = Some("cloud-b".to_owned());
    store.save(&by_cloud).await.expect("save failed");
    let mut old = sample_tenant(app, "old-uninstalled");
    old.installation_id = None;
    old.cloud_id = Some("cloud-b".to_owned());
    old.uninstalled = true;
    old.updated_at += 1_000;
    store.save(&old).await.expect("save failed");
    let mut other_app = sample_tenant("conformance.installations.other", "foreign");
    other_app.installation_id = Some("ari:install-2".to_owned());
    store.save(&other_app).await.expect("save failed");

    assert_eq!(
        find("ari:install-1", None).await.as_deref(),
        Some("linked"),
        "an installation id finds its tenant"
    );
    assert_eq!(
        find("ari:install-1", Some("cloud-b")).await.as_deref(),
        Some("linked"),
        "an exact installation id wins over a cloud id match"
    );
    assert_eq!(
        find("ari:unknown", Some("cloud-b")).await.as_deref(),
        Some("by-cloud"),
        "the cloud id finds the installed tenant of the site"
    );
    assert_eq!(
        find("ari:install-2", None).await,
        None,
        "another app's installation never matches"
    );
    assert_eq!(
        find("ari:unknown", None).await,
        None,
        "no installation and no cloud id match nothing"
    );

    store
        .link_installation(
            app,
            "by-cloud",
            link("ari:install-3", Some("cloud-ignored")),
        )
        .await
        .expect("link_installation failed");
    let relinked = store
        .get(app, "by-cloud")
        .await
        .expect("get failed")
        .expect("the linked tenant is still there");
    assert_eq!(
        relinked.installation_id.as_deref(),
        Some("ari:install-3"),
        "link is stored"
    );
    assert_eq!(
        relinked.cloud_id.as_deref(),
        Some("cloud-b"),
        "link keeps an existing cloud id"
    );
    assert_eq!(
        relinked.shared_secret.expose_secret(),
        by_cloud.shared_secret.expose_secret(),
        "link leaves the secret alone"
    );
    assert_eq!(
        find("ari:install-3", None).await.as_deref(),
        Some("by-cloud"),
        "a linked installation finds its tenant"
    );
    store
        .link_installation(app, "missing", link("ari:install-4", None))
        .await
        .expect("linking a missing tenant is not an error");

    // One site with the app installed in Jira and in Confluence: each product finds its own
    // tenant, by cloud id and by installation id alike, however recent the other row.
    let mut jira = sample_tenant(app, "site-c-jira");
    jira.installation_id = None;
    jira.cloud_id = Some("cloud-c".to_owned());
    jira.product_type = Some("jira".to_owned());
    store.save(&jira).await.expect("save failed");
    let mut confluence = sample_tenant(app, "site-c-confluence");
    confluence.installation_id = None;
    confluence.cloud_id = Some("cloud-c".to_owned());
    confluence.product_type = Some("confluence".to_owned());
    confluence.updated_at = jira.updated_at + 1_000;
    store.save(&confluence).await.expect("save failed");
    assert_eq!(
        find_of("ari:unknown", Some("cloud-c"), Some("jira"))
            .await
            .as_deref(),
        Some("site-c-jira"),
        "a Jira invocation finds the Jira tenant of the site"
    );
    assert_eq!(
        find_of("ari:unknown", Some("cloud-c"), Some("confluence"))
            .await
            .as_deref(),
        Some("site-c-confluence"),
        "a Confluence invocation finds the Confluence tenant of the site"
    );
    store
        .link_installation(app, "site-c-jira", link("ari:install-c", None))
        .await
        .expect("link_installation failed");
    store
        .link_installation(app, "site-c-confluence", link("ari:install-c", None))
        .await
        .expect("link_installation failed");
    assert_eq!(
        find_of("ari:install-c", None, Some("jira"))
            .await
            .as_deref(),
        Some("site-c-jira"),
        "a shared installation id still resolves by product"
    );
    let mut unknown_product = sample_tenant(app, "site-d-unknown-product");
    unknown_product.installation_id = None;
    unknown_product.cloud_id = Some("cloud-d".to_owned());
    unknown_product.product_type = None;
    store.save(&unknown_product).await.expect("save failed");
    assert_eq!(
        find_of("ari:unknown", Some("cloud-d"), Some("confluence"))
            .await
            .as_deref(),
        Some("site-d-unknown-product"),
        "a row without a recorded product matches any product"
    );
    assert_eq!(
        find_of("ari:unknown", Some("cloud-d"), Some("jira"))
            .await
            .as_deref(),
        Some("site-d-unknown-product")
    );
}

/// Checks a row a store migrated from the schema before Forge: tenant `old-site` of app `app`,
/// `https://old.atlassian.net`, a Jira site with cloud id `cloud-old`, enabled. It must read
/// back intact with no installation link, be found by its cloud id, and take a link. The
/// SQLite and PostgreSQL migration tests seed that row with their first schema's SQL.
pub async fn pre_forge_row_survives_migration(store: &dyn TenantStore) {
    let tenant = get(store, "app", "old-site")
        .await
        .expect("the row survived the migration");
    assert_eq!(tenant.base_url, "https://old.atlassian.net");
    assert_eq!(tenant.installation_id, None, "no link before Forge");
    assert!(tenant.enabled);
    let query = InstallationQuery {
        installation_id: "ari:installation",
        cloud_id: Some("cloud-old"),
        product: Some("jira"),
    };
    let found = store
        .find_by_installation("app", query)
        .await
        .expect("find_by_installation failed")
        .expect("found by cloud id");
    assert_eq!(found.client_key, "old-site");
    store
        .link_installation("app", "old-site", link("ari:installation", None))
        .await
        .expect("link_installation failed");
    let linked = get(store, "app", "old-site")
        .await
        .expect("the linked row is there");
    assert_eq!(linked.installation_id.as_deref(), Some("ari:installation"));
}

fn unique_app(name: &str) -> String {
    format!("conformance.{name}.{}", rand::random::<u64>())
}

async fn installed_tenants_are_listed(store: &dyn TenantStore) {
    let app = unique_app("installed");
    for client_key in ["b", "a", "gone"] {
        let mut tenant = sample_tenant(&app, client_key);
        tenant.uninstalled = client_key == "gone";
        save(store, &tenant).await;
    }
    save(store, &sample_tenant(&unique_app("other"), "c")).await;
    let listed: Vec<String> = store
        .installed_tenants(&app)
        .await
        .expect("installed_tenants")
        .iter()
        .map(|tenant| tenant.client_key.clone())
        .collect();
    assert_eq!(
        listed,
        ["a", "b"],
        "installed_tenants lists the app's installed tenants only, by clientKey"
    );
}

async fn tenant_data_round_trips(store: &dyn TenantStore) {
    let app = unique_app("data");
    let now = 1_000_000;
    let get = |client: &'static str, key: &'static str| {
        let app = app.clone();
        async move {
            store
                .data_get(&app, client, key, now)
                .await
                .expect("data_get")
        }
    };
    assert_eq!(get("t1", "cycle").await, None, "absent data is None");
    store
        .data_put(&app, "t1", "cycle", "{\"a\":1}")
        .await
        .expect("data_put");
    store
        .data_put(&app, "t1", "closed:x", "1")
        .await
        .expect("data_put");
    store
        .data_put(&app, "t1", "closed:y", "2")
        .await
        .expect("data_put");
    store
        .data_put(&app, "t1", "closedness", "3")
        .await
        .expect("data_put");
    store
        .data_put(&app, "t2", "closed:z", "4")
        .await
        .expect("data_put");
    assert_eq!(get("t1", "cycle").await.as_deref(), Some("{\"a\":1}"));
    store
        .data_put(&app, "t1", "cycle", "{\"a\":2}")
        .await
        .expect("data_put");
    assert_eq!(
        get("t1", "cycle").await.as_deref(),
        Some("{\"a\":2}"),
        "data_put replaces"
    );
    let listed = store
        .data_list(&app, "t1", "closed:", now)
        .await
        .expect("data_list");
    assert_eq!(
        listed,
        [
            ("closed:x".to_owned(), "1".to_owned()),
            ("closed:y".to_owned(), "2".to_owned())
        ],
        "data_list: the tenant's keys with the prefix, in order"
    );
    store
        .data_delete(&app, "t1", "closed:x")
        .await
        .expect("data_delete");
    store
        .data_delete(&app, "t1", "never")
        .await
        .expect("deleting nothing is fine");
    assert_eq!(get("t1", "closed:x").await, None);
    assert_eq!(
        get("t2", "closed:z").await.as_deref(),
        Some("4"),
        "tenants are apart"
    );
}

async fn claims_are_exclusive_until_they_expire(store: &dyn TenantStore) {
    let app = unique_app("claims");
    let claim = |now: i64, value: &'static str| {
        let app = app.clone();
        async move {
            store
                .data_claim(&app, "t", "lease", value, now, now + 60)
                .await
                .expect("data_claim")
        }
    };
    assert!(claim(100, "first").await, "an absent key is claimed");
    assert!(!claim(120, "second").await, "a live claim holds");
    assert_eq!(
        store
            .data_get(&app, "t", "lease", 120)
            .await
            .expect("data_get")
            .as_deref(),
        Some("first")
    );
    assert_eq!(
        store
            .data_get(&app, "t", "lease", 160)
            .await
            .expect("data_get"),
        None,
        "an expired claim reads as absent"
    );
    assert!(claim(161, "third").await, "an expired claim can be taken");
    // Concurrent claims: exactly one wins.
    let app2 = unique_app("race");
    let attempts = (0..8).map(|n| {
        let app2 = app2.clone();
        async move {
            store
                .data_claim(&app2, "t", "lease", &n.to_string(), 100, 200)
                .await
                .expect("data_claim")
        }
    });
    let won = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .filter(|won| *won)
        .count();
    assert_eq!(won, 1, "of concurrent claims exactly one wins");
    store
        .data_delete(&app2, "t", "lease")
        .await
        .expect("data_delete");
    assert!(
        store
            .data_claim(&app2, "t", "lease", "again", 100, 200)
            .await
            .expect("data_claim"),
        "a deleted claim can be taken again"
    );
}
