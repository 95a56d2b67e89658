//! Every tenant store backend passes the same conformance suite; SQLite also keeps its data
//! across a reopen (the file is the source of truth).

use connect_runtime::TenantStore;
use connect_runtime::store::conformance::{check, sample_tenant};
use connect_runtime::store::{self, MemoryStore, SqliteStore};
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
