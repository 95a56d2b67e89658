//! Every tenant store backend passes the same conformance suite; SQLite also keeps its data
//! across a reopen (the file is the source of truth).

use connect_runtime::TenantStore;
use connect_runtime::store::{self, MemoryStore, SqliteStore};
use connect_testing::conformance::{check, pre_forge_row_survives_migration, sample_tenant};
use secrecy::ExposeSecret;

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("connect-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("tenants.db")
}

#[tokio::test]
async fn memory_store_conforms() {
    check(&MemoryStore::default()).await;
}

#[tokio::test]
async fn sqlite_file_store_conforms() {
    check(&SqliteStore::open(temp_db("conforms")).await.expect("open")).await;
}

#[tokio::test]
async fn sqlite_in_memory_store_conforms() {
    check(&SqliteStore::open_in_memory().await.expect("open")).await;
}

#[tokio::test]
async fn stores_opened_from_database_urls_conform() {
    let path = temp_db("url");
    for url in [
        format!("sqlite://{}", path.display()),
        "sqlite::memory:".into(),
        "memory://".into(),
    ] {
        check(store::open(&url).await.expect("open").as_ref()).await;
    }
    assert!(store::open("mysql://db/x").await.is_err());
}

#[tokio::test]
async fn sqlite_keeps_tenants_across_reopen_in_wal_mode() {
    let path = temp_db("reopen");
    let tenant = sample_tenant("com.example.reopen", "client-1");
    {
        let store = SqliteStore::open(&path).await.expect("open");
        store.save(&tenant).await.expect("save");
    }
    let reopened = SqliteStore::open(&path).await.expect("reopen");
    let stored = reopened
        .get("com.example.reopen", "client-1")
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(
        stored.shared_secret.expose_secret(),
        tenant.shared_secret.expose_secret()
    );
    assert_eq!(stored.install_payload, tenant.install_payload);
    let mode: String = rusqlite_mode(&path);
    assert_eq!(mode, "wal");
}

/// The journal mode recorded in the file (WAL persists in the database header).
fn rusqlite_mode(path: &std::path::Path) -> String {
    let header = std::fs::read(path).expect("db file");
    // Bytes 18 and 19 of the header are 2 for WAL, 1 for the rollback journal.
    if header.get(18) == Some(&2) && header.get(19) == Some(&2) {
        "wal".into()
    } else {
        "rollback".into()
    }
}

#[tokio::test]
async fn tenant_debug_never_shows_the_secret() {
    let tenant = sample_tenant("com.example.debug", "client-1");
    let debug = format!("{tenant:?}");
    assert!(
        !debug.contains(tenant.shared_secret.expose_secret()),
        "{debug}"
    );
    assert!(debug.contains("REDACTED"));
}

// ---- PostgreSQL (the suite runs through scripts/with-postgres.sh, which starts a server) ----

/// The server the suite runs against. Missing is a failure, never a skip.
pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run the suite with `scripts/with-postgres.sh cargo test --workspace` \
         (it starts a throwaway PostgreSQL), or point TEST_DATABASE_URL at a server of yours",
    )
}

#[tokio::test]
async fn postgres_store_conforms() {
    let url = test_database_url();
    let store = store::PostgresStore::connect(&url, store::PoolSettings::default())
        .await
        .expect("connect");
    check(&store).await;
    // Opened from a DATABASE_URL too (and migrating an existing schema is a no-op).
    check(store::open(&url).await.expect("open").as_ref()).await;
}

/// `GET /page` behind the `Jwt` policy, as `#[connect::route(GET, "/page", auth = jwt)]`
/// generates it.
fn verified_page() -> connect_runtime::__private::Handler {
    use connect_runtime::__private::{Handler, HandlerKind, RouteSpec, route_call};
    use connect_runtime::IntoResponse;
    use connect_runtime::policy::Jwt;
    Handler {
        name: "page",
        kind: HandlerKind::route::<Jwt>(
            None,
            RouteSpec::new(
                warp::http::Method::GET,
                "/page",
                route_call(|_| async { Ok("verified".into_response()) }),
            ),
        ),
        requires: |_| {},
    }
}

#[tokio::test]
async fn instances_sharing_postgres_serve_each_others_installs() {
    use connect_runtime::config::HostRule;
    use connect_runtime::{App, ConnectConfig};
    use connect_testing::{ProductHost, Site, TokenSpec};
    use std::sync::Arc;

    let url = test_database_url();
    let host = ProductHost::start().await.expect("host");
    let app_key = format!("com.example.instances-{}", std::process::id());
    let mut instances = Vec::new();
    for _ in 0..2 {
        let mut config = ConnectConfig::new("https://instances.example.com".parse().unwrap());
        config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
        config.allowed_tenant_hosts = vec![HostRule::parse(".atlassian.net").unwrap()];
        let pool = store::PoolSettings {
            max_size: 8,
            ..store::PoolSettings::default()
        };
        let store: Arc<dyn TenantStore> = Arc::new(
            store::PostgresStore::connect(&url, pool)
                .await
                .expect("pool"),
        );
        let app = App::new(app_key.clone(), "Instances")
            .handlers([verified_page()])
            .build(config, Arc::clone(&store))
            .expect("app");
        let server = connect_runtime::__private::spawn(app.filter(), ([127, 0, 0, 1], 0).into())
            .await
            .expect("server");
        let under_test = host.connect(&server.url()).await.expect("descriptor");
        instances.push((server, under_test, store));
    }
    let (a, b) = (&instances[0].1, &instances[1].1);

    // 200 distinct tenants installed concurrently, alternating instances.
    let sites: Vec<Site> = (0..200).map(|i| Site::jira(&format!("pg-{i}"))).collect();
    let installs = sites.iter().enumerate().map(|(i, site)| {
        let app = if i % 2 == 0 { a } else { b };
        host.install(app, site)
    });
    for answer in futures_util::future::join_all(installs).await {
        assert_eq!(answer.expect("install").status, 204);
    }
    for (i, site) in sites.iter().enumerate() {
        // Read through the other instance than the one that stored it.
        let store = &instances[(i + 1) % 2].2;
        let tenant = store
            .get(&app_key, &site.client_key)
            .await
            .expect("get")
            .expect("every acknowledged install is stored");
        assert_eq!(tenant.shared_secret.expose_secret(), site.shared_secret);
    }

    // An install through A is served by B at once: no per-process cache to go stale.
    let site = &sites[0];
    let token = TokenSpec::for_request(&site.client_key, "GET", "/page", "")
        .sign_hs256(site.shared_secret.as_bytes());
    let page = reqwest::get(format!("{}/page?jwt={token}", b.address))
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "verified by B");
    let forged = TokenSpec::for_request(&site.client_key, "GET", "/page", "").sign_hs256(b"guess");
    let refused = reqwest::get(format!("{}/page?jwt={forged}", b.address))
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // 50 concurrent reinstalls of one tenant with rotated secrets: one row, whose secret is one
    // of the acknowledged ones, and B serves it right after A stored it.
    let base = Site::jira("pg-reinstalled");
    let rotations: Vec<Site> = (0..50)
        .map(|i| Site {
            shared_secret: format!("rotated-secret-{i}-{}", std::process::id()),
            ..base.clone()
        })
        .collect();
    let reinstalls = rotations.iter().enumerate().map(|(i, site)| {
        let app = if i % 2 == 0 { a } else { b };
        host.install(app, site)
    });
    let mut acknowledged = Vec::new();
    for (site, answer) in rotations
        .iter()
        .zip(futures_util::future::join_all(reinstalls).await)
    {
        if answer.expect("reinstall").status == 204 {
            acknowledged.push(site.shared_secret.clone());
        }
    }
    assert_eq!(acknowledged.len(), 50);
    let stored = instances[1]
        .2
        .get(&app_key, &base.client_key)
        .await
        .unwrap()
        .unwrap();
    assert!(acknowledged.contains(&stored.shared_secret.expose_secret().to_owned()));
    let token = TokenSpec::for_request(&base.client_key, "GET", "/page", "")
        .sign_hs256(stored.shared_secret.expose_secret().as_bytes());
    for (_, instance, _) in &instances {
        let page = reqwest::get(format!("{}/page?jwt={token}", instance.address))
            .await
            .unwrap();
        assert_eq!(
            page.status(),
            200,
            "the stored secret verifies on both instances"
        );
    }
}

// ---- secrets at rest --------------------------------------------------------------------------

/// Whether `needle` appears in the database file or its WAL.
fn on_disk(path: &std::path::Path, needle: &str) -> bool {
    let mut bytes = std::fs::read(path).unwrap_or_default();
    bytes.extend(std::fs::read(format!("{}-wal", path.display())).unwrap_or_default());
    bytes
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn shared_secrets_are_sealed_at_rest_and_the_key_rotates() {
    use connect_runtime::config::SealingKeys;
    let app = "com.example.sealed";
    let path = temp_db("sealed");
    let url = format!("sqlite://{}", path.display());
    let old_key = SealingKeys::from_bytes([7; 32], None);
    let legacy = sample_tenant(app, "legacy");
    {
        // A row written before any key was set.
        let plain = SqliteStore::open(&path).await.expect("open");
        plain.save(&legacy).await.expect("save");
    }
    let sealed_tenant = sample_tenant(app, "sealed");
    {
        let store = store::open_with(&url, store::PoolSettings::default(), Some(&old_key))
            .await
            .expect("open with a key over plaintext rows");
        store.save(&sealed_tenant).await.expect("save");
        for tenant in [&legacy, &sealed_tenant] {
            let read = store.get(app, &tenant.client_key).await.unwrap().unwrap();
            assert_eq!(
                read.shared_secret.expose_secret(),
                tenant.shared_secret.expose_secret()
            );
        }
    }
    let secret = sealed_tenant.shared_secret.expose_secret();
    assert!(
        !on_disk(&path, &secret[..40]),
        "the sealed secret is not on disk"
    );
    assert!(
        on_disk(&path, &legacy.shared_secret.expose_secret()[..40]),
        "legacy row untouched"
    );

    // A wrong key, and no key at all, are start-up errors, not garbage secrets.
    let wrong = SealingKeys::from_bytes([9; 32], None);
    let error = store::open_with(&url, store::PoolSettings::default(), Some(&wrong))
        .await
        .err()
        .expect("wrong key refused");
    assert!(error.to_string().contains("CONNECT_SECRET_KEY"), "{error}");
    let error = store::open_with(&url, store::PoolSettings::default(), None)
        .await
        .err()
        .expect("sealed rows need a key");
    assert!(error.to_string().contains("CONNECT_SECRET_KEY"), "{error}");

    // Rotation: the new key with the old as previous reads everything and seals what it saves.
    let new_key = SealingKeys::from_bytes([8; 32], Some([7; 32]));
    let rotating = store::open_with(&url, store::PoolSettings::default(), Some(&new_key))
        .await
        .expect("rotating");
    for tenant in [&legacy, &sealed_tenant] {
        let read = rotating
            .get(app, &tenant.client_key)
            .await
            .unwrap()
            .unwrap();
        rotating
            .save(&read)
            .await
            .expect("re-seal with the new key");
    }
    drop(rotating);
    let new_only = SealingKeys::from_bytes([8; 32], None);
    let store = store::open_with(&url, store::PoolSettings::default(), Some(&new_only))
        .await
        .expect("every row is sealed with the new key now");
    for tenant in [&legacy, &sealed_tenant] {
        let read = store.get(app, &tenant.client_key).await.unwrap().unwrap();
        assert_eq!(
            read.shared_secret.expose_secret(),
            tenant.shared_secret.expose_secret()
        );
    }
}

#[tokio::test]
async fn a_sealed_postgres_store_conforms_and_refuses_a_wrong_key() {
    use connect_runtime::config::SealingKeys;
    // Its own database: a database holding sealed rows needs the key to open at all.
    let mut url = url::Url::parse(&test_database_url()).expect("TEST_DATABASE_URL");
    let database = format!("connect_sealed_{}", std::process::id());
    let created = std::process::Command::new("psql")
        .arg(url.as_str())
        .args(["-qc", &format!("CREATE DATABASE {database}")])
        .status()
        .expect("psql (from the PostgreSQL client) creates the sealed test database");
    assert!(created.success());
    url.set_path(&database);
    let keys = SealingKeys::from_bytes([5; 32], None);
    let sealed = store::open_with(url.as_str(), store::PoolSettings::default(), Some(&keys))
        .await
        .expect("open");
    check(sealed.as_ref()).await;
    let wrong = SealingKeys::from_bytes([6; 32], None);
    assert!(
        store::open_with(url.as_str(), store::PoolSettings::default(), Some(&wrong))
            .await
            .is_err()
    );
    assert!(
        store::open(url.as_str()).await.is_err(),
        "sealed rows need the key"
    );
}

/// A SQLite database written by the first schema (before Forge) keeps its rows when this build
/// opens it: the installation link column is added, empty, and lookups by site work.
#[tokio::test]
async fn the_sqlite_forge_migration_keeps_existing_rows() {
    let path = std::env::temp_dir().join(format!("connect-v1-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        // The schema as the first release wrote it (schema version 1).
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE connect_tenants (
                    app_key TEXT NOT NULL, client_key TEXT NOT NULL, shared_secret TEXT NOT NULL,
                    base_url TEXT NOT NULL, display_url TEXT, product_type TEXT,
                    oauth_client_id TEXT, cloud_id TEXT, enabled INTEGER NOT NULL,
                    uninstalled INTEGER NOT NULL, install_payload TEXT NOT NULL,
                    installed_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                    PRIMARY KEY (app_key, client_key)) WITHOUT ROWID;
                 PRAGMA user_version = 1;
                 INSERT INTO connect_tenants VALUES ('app', 'old-site', 'secret',
                    'https://old.atlassian.net', NULL, 'jira', NULL, 'cloud-old', 1, 0, '{}', 1, 2);",
            )
            .unwrap();
    }
    let url = format!("sqlite://{}", path.display());
    let store = store::open(&url).await.expect("open migrates");
    pre_forge_row_survives_migration(store.as_ref()).await;
    drop(store);
    // Opening again applies nothing twice.
    let again = store::open(&url).await.expect("reopen");
    assert!(again.get("app", "old-site").await.unwrap().is_some());
    let _ = std::fs::remove_file(&path);
}

/// A PostgreSQL database written by the first schema (before Forge) keeps its rows when this
/// build opens it: the link column is added (empty) and lookups by site work.
#[tokio::test]
async fn the_postgres_forge_migration_keeps_existing_rows() {
    let mut url = url::Url::parse(&test_database_url()).expect("TEST_DATABASE_URL");
    let database = format!("connect_v1_{}", std::process::id());
    let psql = |url: &str, sql: &str| {
        let status = std::process::Command::new("psql")
            .arg(url)
            .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
            .status()
            .expect("psql (from the PostgreSQL client)");
        assert!(status.success(), "{sql}");
    };
    psql(url.as_str(), &format!("CREATE DATABASE {database}"));
    url.set_path(&database);
    psql(
        url.as_str(),
        "CREATE TABLE connect_schema_version (version INTEGER NOT NULL);
         INSERT INTO connect_schema_version VALUES (1);
         CREATE TABLE connect_tenants (
            app_key TEXT NOT NULL, client_key TEXT NOT NULL, shared_secret TEXT NOT NULL,
            base_url TEXT NOT NULL, display_url TEXT, product_type TEXT, oauth_client_id TEXT,
            cloud_id TEXT, enabled BOOLEAN NOT NULL, uninstalled BOOLEAN NOT NULL,
            install_payload TEXT NOT NULL, installed_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
            PRIMARY KEY (app_key, client_key));
         INSERT INTO connect_tenants VALUES ('app', 'old-site', 'secret',
            'https://old.atlassian.net', NULL, 'jira', NULL, 'cloud-old', TRUE, FALSE, '{}', 1, 2);",
    );
    let store = store::open(url.as_str()).await.expect("open migrates");
    pre_forge_row_survives_migration(store.as_ref()).await;
    // A second instance starting on the migrated database applies nothing twice.
    let again = store::open(url.as_str()).await.expect("reopen");
    assert!(again.get("app", "old-site").await.unwrap().is_some());
}
