//! Embedded SQLite tenant store: the default. One file, WAL journal, created and migrated on
//! open. Calls run on tokio's blocking pool so a slow disk never stalls the async workers.
//!
//! Reads are served from a bounded write-through cache: every request looks its tenant up, and
//! the hand-off to the blocking pool costs far more than the query (see `benches/verify.rs`).
//! The cache is coherent because every write goes through this store: open one `SqliteStore`
//! per database file per process (the embedded store is not meant to be shared by processes;
//! PostgreSQL is the store for that).

use super::sealing::{self, SecretSealer};
use super::{InstallationLink, InstallationQuery, StoreError, Tenant, TenantRecord, TenantStore};
use rusqlite::{Connection, OptionalExtension, params};
use secrecy::SecretString;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE connect_tenants (
        app_key          TEXT    NOT NULL,
        client_key       TEXT    NOT NULL,
        shared_secret    TEXT    NOT NULL,
        base_url         TEXT    NOT NULL,
        display_url      TEXT,
        product_type     TEXT,
        oauth_client_id  TEXT,
        cloud_id         TEXT,
        enabled          INTEGER NOT NULL,
        uninstalled      INTEGER NOT NULL,
        install_payload  TEXT    NOT NULL,
        installed_at     INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (app_key, client_key)
    ) WITHOUT ROWID",
    // Forge: the installation a tenant is linked to, and lookups by installation and site.
    "ALTER TABLE connect_tenants ADD COLUMN installation_id TEXT;
    CREATE INDEX connect_tenants_installation ON connect_tenants (app_key, installation_id);
    CREATE INDEX connect_tenants_cloud ON connect_tenants (app_key, cloud_id);",
    // The framework's data per tenant (the personal data cycle's state, closed accounts,
    // leases): JSON text, with an optional expiry (seconds since the epoch).
    "CREATE TABLE connect_tenant_data (
        app_key     TEXT    NOT NULL,
        client_key  TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        value       TEXT    NOT NULL,
        expires_at  INTEGER,
        PRIMARY KEY (app_key, client_key, key)
    ) WITHOUT ROWID",
];

/// How many tenants the read cache keeps.
const CACHED_TENANTS: u64 = 10_000;

/// Tenants in an SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    /// Keyed by `app_key NUL client_key` (one allocation per lookup).
    cache: moka::sync::Cache<String, Tenant>,
    sealer: Option<SecretSealer>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn db_error(error: rusqlite::Error) -> StoreError {
    StoreError::Database(error.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and migrates it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        Self::init(move || {
            let connection = Connection::open(&path).map_err(db_error)?;
            connection
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(db_error)?;
            Ok(connection)
        })
        .await
    }

    /// An in-memory database (lost on drop), migrated like a file.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(|| Connection::open_in_memory().map_err(db_error)).await
    }

    async fn init(
        open: impl FnOnce() -> Result<Connection, StoreError> + Send + 'static,
    ) -> Result<Self, StoreError> {
        let connection = run_blocking(move || {
            let mut connection = open()?;
            connection
                .busy_timeout(std::time::Duration::from_secs(5))
                .map_err(db_error)?;
            migrate(&mut connection)?;
            Ok(connection)
        })
        .await?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            cache: moka::sync::Cache::new(CACHED_TENANTS),
            sealer: None,
        })
    }

    /// Seals shared secrets with `sealer` from now on (plaintext rows stay readable). Fails if
    /// the stored sealed secrets do not open with it, or are there without one.
    pub async fn sealed_with(mut self, sealer: Option<SecretSealer>) -> Result<Self, StoreError> {
        let sample = self
            .with_connection(|connection| {
                connection
                    .query_row(
                        "SELECT shared_secret FROM connect_tenants WHERE shared_secret LIKE 'sealed:%' LIMIT 1",
                        [],
                        |row| row.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(db_error)
            })
            .await?;
        sealing::check_keys(sealer.as_ref(), sample)?;
        self.sealer = sealer;
        Ok(self)
    }

    async fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        run_blocking(move || {
            let connection = connection
                .lock()
                .map_err(|_| StoreError::Database("connection lock poisoned".to_owned()))?;
            work(&connection)
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::Database(format!("store task failed: {error}")))?
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db_error)?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Database(format!(
            "database schema version {applied} is newer than this build ({})",
            MIGRATIONS.len()
        )));
    }
    let transaction = connection.transaction().map_err(db_error)?;
    for migration in &MIGRATIONS[applied..] {
        transaction.execute_batch(migration).map_err(db_error)?;
    }
    transaction
        .pragma_update(None, "user_version", MIGRATIONS.len())
        .map_err(db_error)?;
    transaction.commit().map_err(db_error)
}

const SELECT_TENANT: &str = "SELECT app_key, client_key, shared_secret, base_url, display_url,
        product_type, oauth_client_id, cloud_id, enabled, uninstalled, install_payload,
        installed_at, updated_at, installation_id
    FROM connect_tenants WHERE app_key = ?1 AND client_key = ?2";

const SELECT_BY_INSTALLATION: &str = "SELECT app_key, client_key, shared_secret, base_url,
        display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
        install_payload, installed_at, updated_at, installation_id
    FROM connect_tenants
    WHERE app_key = ?1 AND (installation_id = ?2 OR (?3 IS NOT NULL AND cloud_id = ?3))
        AND (?4 IS NULL OR product_type IS NULL OR product_type = ?4)
    ORDER BY uninstalled ASC, (installation_id IS ?2) DESC,
        (?4 IS NULL OR product_type IS ?4) DESC, updated_at DESC
    LIMIT 1";

const UPSERT_TENANT: &str = "INSERT INTO connect_tenants (app_key, client_key, shared_secret,
        base_url, display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
        install_payload, installed_at, updated_at, installation_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
    ON CONFLICT (app_key, client_key) DO UPDATE SET
        shared_secret = excluded.shared_secret, base_url = excluded.base_url,
        display_url = excluded.display_url, product_type = excluded.product_type,
        oauth_client_id = excluded.oauth_client_id, cloud_id = excluded.cloud_id,
        enabled = excluded.enabled, uninstalled = excluded.uninstalled,
        install_payload = excluded.install_payload, installed_at = excluded.installed_at,
        updated_at = excluded.updated_at, installation_id = excluded.installation_id";

const LINK_INSTALLATION: &str = "UPDATE connect_tenants
    SET installation_id = ?3, cloud_id = COALESCE(cloud_id, ?4), updated_at = ?5
    WHERE app_key = ?1 AND client_key = ?2";

/// The row's tenant (its secret still empty), install payload and stored secret.
const SELECT_INSTALLED: &str = "SELECT app_key, client_key, shared_secret, base_url,
    display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
    install_payload, installed_at, updated_at, installation_id
    FROM connect_tenants WHERE app_key = ?1 AND uninstalled = 0 ORDER BY client_key";

const DATA_GET: &str = "SELECT value FROM connect_tenant_data
    WHERE app_key = ?1 AND client_key = ?2 AND key = ?3
        AND (expires_at IS NULL OR expires_at > ?4)";

const DATA_PUT: &str =
    "INSERT INTO connect_tenant_data (app_key, client_key, key, value, expires_at)
    VALUES (?1, ?2, ?3, ?4, NULL)
    ON CONFLICT (app_key, client_key, key) DO UPDATE SET value = excluded.value, expires_at = NULL";

const DATA_CLAIM: &str =
    "INSERT INTO connect_tenant_data (app_key, client_key, key, value, expires_at)
    VALUES (?1, ?2, ?3, ?4, ?6)
    ON CONFLICT (app_key, client_key, key) DO UPDATE
        SET value = excluded.value, expires_at = excluded.expires_at
        WHERE connect_tenant_data.expires_at IS NOT NULL AND connect_tenant_data.expires_at <= ?5";

const DATA_DELETE: &str =
    "DELETE FROM connect_tenant_data WHERE app_key = ?1 AND client_key = ?2 AND key = ?3";

const DATA_LIST: &str = "SELECT key, value FROM connect_tenant_data
    WHERE app_key = ?1 AND client_key = ?2 AND substr(key, 1, length(?3)) = ?3
        AND (expires_at IS NULL OR expires_at > ?4)
    ORDER BY key";

fn tenant_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(TenantRecord, String, String)> {
    let payload: String = row.get(10)?;
    let stored_secret: String = row.get(2)?;
    let tenant = TenantRecord {
        app_key: row.get(0)?,
        client_key: row.get(1)?,
        shared_secret: SecretString::from(String::new()),
        base_url: row.get(3)?,
        display_url: row.get(4)?,
        product_type: row.get(5)?,
        oauth_client_id: row.get(6)?,
        cloud_id: row.get(7)?,
        installation_id: row.get(13)?,
        enabled: row.get(8)?,
        uninstalled: row.get(9)?,
        install_payload: serde_json::Value::Null,
        installed_at: row.get(11)?,
        updated_at: row.get(12)?,
    };
    Ok((tenant, payload, stored_secret))
}

/// The tenant of a row read by [`tenant_from_row`]: its secret opened, its payload parsed.
fn finish_row(
    (mut tenant, payload, stored_secret): (TenantRecord, String, String),
    sealer: Option<&SecretSealer>,
) -> Result<Tenant, StoreError> {
    tenant.shared_secret = sealing::from_store_form(sealer, stored_secret)?;
    tenant.install_payload = serde_json::from_str(&payload)
        .map_err(|error| StoreError::Corrupt(format!("install_payload: {error}")))?;
    Ok(Tenant::new(tenant))
}

/// The cache key of a tenant: app keys and clientKeys never contain NUL.
fn cache_key(app_key: &str, client_key: &str) -> String {
    let mut key = String::with_capacity(app_key.len() + client_key.len() + 1);
    key.push_str(app_key);
    key.push('\0');
    key.push_str(client_key);
    key
}

#[async_trait::async_trait]
impl TenantStore for SqliteStore {
    async fn get(&self, app_key: &str, client_key: &str) -> Result<Option<Tenant>, StoreError> {
        let cache_key = cache_key(app_key, client_key);
        if let Some(tenant) = self.cache.get(&cache_key) {
            return Ok(Some(tenant));
        }
        let cache = self.cache.clone();
        let sealer = self.sealer.clone();
        let (app_key, client_key) = (app_key.to_owned(), client_key.to_owned());
        self.with_connection(move |connection| {
            let found = connection
                .prepare_cached(SELECT_TENANT)
                .and_then(|mut statement| {
                    statement
                        .query_row(params![app_key, client_key], tenant_from_row)
                        .optional()
                })
                .map_err(db_error)?;
            let Some(row) = found else {
                return Ok(None);
            };
            // Filled while the connection lock is held, so a concurrent save (which updates
            // the cache under the same lock) can never be overwritten by this older read.
            let tenant = finish_row(row, sealer.as_ref())?;
            cache.insert(cache_key, tenant.clone());
            Ok(Some(tenant))
        })
        .await
    }

    async fn save(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let tenant = tenant.clone();
        let payload = serde_json::to_string(&tenant.install_payload)
            .map_err(|error| StoreError::Corrupt(format!("install_payload: {error}")))?;
        let stored_secret = sealing::store_form(self.sealer.as_ref(), &tenant.shared_secret)?;
        let cache = self.cache.clone();
        self.with_connection(move |connection| {
            let cache_key = cache_key(&tenant.app_key, &tenant.client_key);
            // Under the connection lock: on failure the stale row is gone from the cache and
            // the next read goes to the database; on success the cache holds what was written.
            cache.invalidate(&cache_key);
            connection
                .prepare_cached(UPSERT_TENANT)
                .and_then(|mut statement| {
                    statement.execute(params![
                        tenant.app_key,
                        tenant.client_key,
                        stored_secret,
                        tenant.base_url,
                        tenant.display_url,
                        tenant.product_type,
                        tenant.oauth_client_id,
                        tenant.cloud_id,
                        tenant.enabled,
                        tenant.uninstalled,
                        payload,
                        tenant.installed_at,
                        tenant.updated_at,
                        tenant.installation_id,
                    ])
                })
                .map_err(db_error)?;
            cache.insert(cache_key, Tenant::new(tenant));
            Ok(())
        })
        .await
    }

    async fn find_by_installation(
        &self,
        app_key: &str,
        query: InstallationQuery<'_>,
    ) -> Result<Option<Tenant>, StoreError> {
        let sealer = self.sealer.clone();
        let (app_key, installation_id, cloud_id, product) = (
            app_key.to_owned(),
            query.installation_id.to_owned(),
            query.cloud_id.map(str::to_owned),
            query.product.map(str::to_owned),
        );
        self.with_connection(move |connection| {
            let found = connection
                .prepare_cached(SELECT_BY_INSTALLATION)
                .and_then(|mut statement| {
                    statement
                        .query_row(
                            params![app_key, installation_id, cloud_id, product],
                            tenant_from_row,
                        )
                        .optional()
                })
                .map_err(db_error)?;
            found
                .map(|row| finish_row(row, sealer.as_ref()))
                .transpose()
        })
        .await
    }

    async fn link_installation(
        &self,
        app_key: &str,
        client_key: &str,
        link: InstallationLink<'_>,
    ) -> Result<(), StoreError> {
        let InstallationLink {
            installation_id,
            cloud_id,
            now,
        } = link;
        let cache = self.cache.clone();
        let (app_key, client_key, installation_id, cloud_id) = (
            app_key.to_owned(),
            client_key.to_owned(),
            installation_id.to_owned(),
            cloud_id.map(str::to_owned),
        );
        self.with_connection(move |connection| {
            cache.invalidate(&cache_key(&app_key, &client_key));
            connection
                .prepare_cached(LINK_INSTALLATION)
                .and_then(|mut statement| {
                    statement.execute(params![app_key, client_key, installation_id, cloud_id, now])
                })
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn installed_tenants(&self, app_key: &str) -> Result<Vec<Tenant>, StoreError> {
        let sealer = self.sealer.clone();
        let app_key = app_key.to_owned();
        self.with_connection(move |connection| {
            let rows = connection
                .prepare_cached(SELECT_INSTALLED)
                .and_then(|mut statement| {
                    statement
                        .query_map(params![app_key], tenant_from_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(db_error)?;
            rows.into_iter()
                .map(|row| finish_row(row, sealer.as_ref()))
                .collect()
        })
        .await
    }

    async fn data_get(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let (app_key, client_key, key) =
            (app_key.to_owned(), client_key.to_owned(), key.to_owned());
        self.with_connection(move |connection| {
            connection
                .prepare_cached(DATA_GET)
                .and_then(|mut statement| {
                    statement
                        .query_row(params![app_key, client_key, key, now], |row| row.get(0))
                        .optional()
                })
                .map_err(db_error)
        })
        .await
    }

    async fn data_put(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let owned = (
            app_key.to_owned(),
            client_key.to_owned(),
            key.to_owned(),
            value.to_owned(),
        );
        self.with_connection(move |connection| {
            let (app_key, client_key, key, value) = owned;
            connection
                .prepare_cached(DATA_PUT)
                .and_then(|mut statement| {
                    statement.execute(params![app_key, client_key, key, value])
                })
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn data_claim(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let owned = (
            app_key.to_owned(),
            client_key.to_owned(),
            key.to_owned(),
            value.to_owned(),
        );
        self.with_connection(move |connection| {
            let (app_key, client_key, key, value) = owned;
            let changed = connection
                .prepare_cached(DATA_CLAIM)
                .and_then(|mut statement| {
                    statement.execute(params![app_key, client_key, key, value, now, expires_at])
                })
                .map_err(db_error)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn data_delete(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let (app_key, client_key, key) =
            (app_key.to_owned(), client_key.to_owned(), key.to_owned());
        self.with_connection(move |connection| {
            connection
                .prepare_cached(DATA_DELETE)
                .and_then(|mut statement| statement.execute(params![app_key, client_key, key]))
                .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn data_list(
        &self,
        app_key: &str,
        client_key: &str,
        prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let (app_key, client_key, prefix) =
            (app_key.to_owned(), client_key.to_owned(), prefix.to_owned());
        self.with_connection(move |connection| {
            connection
                .prepare_cached(DATA_LIST)
                .and_then(|mut statement| {
                    statement
                        .query_map(params![app_key, client_key, prefix, now], |row| {
                            Ok((row.get(0)?, row.get(1)?))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(db_error)
        })
        .await
    }
}
