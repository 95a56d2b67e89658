//! PostgreSQL tenant store, for several app instances sharing their tenants.
//!
//! A connection pool (deadpool) over tokio-postgres; the schema is created on open under an
//! advisory lock, so instances starting together migrate once. There is deliberately no
//! per-process read cache: an install acknowledged by one instance is what every other
//! instance reads from the next request on (a reinstall's new secret is never served stale).

use super::sealing::{self, SecretSealer};
use super::{InstallationLink, InstallationQuery, StoreError, Tenant, TenantRecord, TenantStore};
use crate::config::PoolSettings;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::NoTls;

/// Schema migrations, applied in order; `connect_schema_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS connect_tenants (
        app_key          TEXT    NOT NULL,
        client_key       TEXT    NOT NULL,
        shared_secret    TEXT    NOT NULL,
        base_url         TEXT    NOT NULL,
        display_url      TEXT,
        product_type     TEXT,
        oauth_client_id  TEXT,
        cloud_id         TEXT,
        enabled          BOOLEAN NOT NULL,
        uninstalled      BOOLEAN NOT NULL,
        install_payload  TEXT    NOT NULL,
        installed_at     BIGINT  NOT NULL,
        updated_at       BIGINT  NOT NULL,
        PRIMARY KEY (app_key, client_key)
    )",
    // Forge: the installation a tenant is linked to, and lookups by installation and site.
    "ALTER TABLE connect_tenants ADD COLUMN IF NOT EXISTS installation_id TEXT;
    CREATE INDEX IF NOT EXISTS connect_tenants_installation
        ON connect_tenants (app_key, installation_id);
    CREATE INDEX IF NOT EXISTS connect_tenants_cloud ON connect_tenants (app_key, cloud_id);",
    // The framework's data per tenant (the personal data cycle's state, closed accounts,
    // leases): JSON text, with an optional expiry (seconds since the epoch).
    "CREATE TABLE IF NOT EXISTS connect_tenant_data (
        app_key     TEXT    NOT NULL,
        client_key  TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        value       TEXT    NOT NULL,
        expires_at  BIGINT,
        PRIMARY KEY (app_key, client_key, key)
    )",
];

/// Serialises migrations across instances (an arbitrary constant: "connect" in ASCII).
const MIGRATION_LOCK: i64 = 0x0063_6f6e_6e65_6374;

const SELECT_TENANT: &str = "SELECT app_key, client_key, shared_secret, base_url, display_url,
    product_type, oauth_client_id, cloud_id, enabled, uninstalled, install_payload,
    installed_at, updated_at, installation_id
    FROM connect_tenants WHERE app_key = $1 AND client_key = $2";

const SELECT_BY_INSTALLATION: &str = "SELECT app_key, client_key, shared_secret, base_url,
    display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
    install_payload, installed_at, updated_at, installation_id
    FROM connect_tenants
    WHERE app_key = $1 AND (installation_id = $2 OR ($3::TEXT IS NOT NULL AND cloud_id = $3))
        AND ($4::TEXT IS NULL OR product_type IS NULL OR product_type = $4)
    ORDER BY uninstalled ASC, (installation_id IS NOT DISTINCT FROM $2) DESC,
        ($4::TEXT IS NULL OR product_type IS NOT DISTINCT FROM $4) DESC, updated_at DESC
    LIMIT 1";

const UPSERT_TENANT: &str = "INSERT INTO connect_tenants (app_key, client_key, shared_secret,
    base_url, display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
    install_payload, installed_at, updated_at, installation_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (app_key, client_key) DO UPDATE SET shared_secret = EXCLUDED.shared_secret,
    base_url = EXCLUDED.base_url, display_url = EXCLUDED.display_url,
    product_type = EXCLUDED.product_type, oauth_client_id = EXCLUDED.oauth_client_id,
    cloud_id = EXCLUDED.cloud_id, enabled = EXCLUDED.enabled,
    uninstalled = EXCLUDED.uninstalled, install_payload = EXCLUDED.install_payload,
    installed_at = EXCLUDED.installed_at, updated_at = EXCLUDED.updated_at,
    installation_id = EXCLUDED.installation_id";

const LINK_INSTALLATION: &str = "UPDATE connect_tenants
    SET installation_id = $3, cloud_id = COALESCE(cloud_id, $4), updated_at = $5
    WHERE app_key = $1 AND client_key = $2";

const SELECT_INSTALLED: &str = "SELECT app_key, client_key, shared_secret, base_url,
    display_url, product_type, oauth_client_id, cloud_id, enabled, uninstalled,
    install_payload, installed_at, updated_at, installation_id
    FROM connect_tenants WHERE app_key = $1 AND NOT uninstalled ORDER BY client_key";

const DATA_GET: &str = "SELECT value FROM connect_tenant_data
    WHERE app_key = $1 AND client_key = $2 AND key = $3
        AND (expires_at IS NULL OR expires_at > $4)";

const DATA_PUT: &str =
    "INSERT INTO connect_tenant_data (app_key, client_key, key, value, expires_at)
    VALUES ($1, $2, $3, $4, NULL)
    ON CONFLICT (app_key, client_key, key) DO UPDATE SET value = EXCLUDED.value, expires_at = NULL";

const DATA_CLAIM: &str =
    "INSERT INTO connect_tenant_data (app_key, client_key, key, value, expires_at)
    VALUES ($1, $2, $3, $4, $6)
    ON CONFLICT (app_key, client_key, key) DO UPDATE
        SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
        WHERE connect_tenant_data.expires_at IS NOT NULL AND connect_tenant_data.expires_at <= $5";

const DATA_DELETE: &str =
    "DELETE FROM connect_tenant_data WHERE app_key = $1 AND client_key = $2 AND key = $3";

const DATA_LIST: &str = "SELECT key, value FROM connect_tenant_data
    WHERE app_key = $1 AND client_key = $2 AND left(key, length($3)) = $3
        AND (expires_at IS NULL OR expires_at > $4)
    ORDER BY key";

/// Tenants in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    timeout: Duration,
    sealer: Option<SecretSealer>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

fn database_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(error.to_string())
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`), creating the schema
    /// if needed. TLS is not built in: use a local socket, a private network or a sidecar.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| StoreError::UnsupportedUrl(super::redact_url(url)))?;
        config.connect_timeout(settings.timeout);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.timeout))
            .create_timeout(Some(settings.timeout))
            .recycle_timeout(Some(settings.timeout))
            .build()
            .map_err(database_error)?;
        let store = Self {
            pool,
            timeout: settings.timeout,
            sealer: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Seals shared secrets with `sealer` from now on (plaintext rows stay readable). Fails if
    /// the stored sealed secrets do not open with it, or are there without one.
    pub async fn sealed_with(mut self, sealer: Option<SecretSealer>) -> Result<Self, StoreError> {
        let client = self.client().await?;
        let sample = self
            .bounded(client.query_opt(
                "SELECT shared_secret FROM connect_tenants WHERE shared_secret LIKE 'sealed:%' LIMIT 1",
                &[],
            ))
            .await?
            .map(|row| row.get::<_, String>(0));
        drop(client);
        sealing::check_keys(sealer.as_ref(), sample)?;
        self.sealer = sealer;
        Ok(self)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(database_error)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(database_error)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(database_error)?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS connect_schema_version (version INTEGER NOT NULL);",
            )
            .await
            .map_err(database_error)?;
        let applied: i64 = transaction
            .query_one("SELECT count(*) FROM connect_schema_version", &[])
            .await
            .map_err(database_error)?
            .get(0);
        let applied = usize::try_from(applied).unwrap_or(usize::MAX);
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            transaction
                .batch_execute(migration)
                .await
                .map_err(database_error)?;
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            transaction
                .execute(
                    "INSERT INTO connect_schema_version (version) VALUES ($1)",
                    &[&version],
                )
                .await
                .map_err(database_error)?;
        }
        transaction.commit().await.map_err(database_error)
    }

    /// Bounds one statement by the pool's timeout: a stalled server is an error, not a hang.
    async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| StoreError::Database("statement timed out".into()))?
            .map_err(database_error)
    }
}

fn tenant_from_row(
    row: &tokio_postgres::Row,
    sealer: Option<&SecretSealer>,
) -> Result<TenantRecord, StoreError> {
    let payload: String = row.get(10);
    Ok(TenantRecord {
        app_key: row.get(0),
        client_key: row.get(1),
        shared_secret: sealing::from_store_form(sealer, row.get(2))?,
        base_url: row.get(3),
        display_url: row.get(4),
        product_type: row.get(5),
        oauth_client_id: row.get(6),
        cloud_id: row.get(7),
        installation_id: row.get(13),
        enabled: row.get(8),
        uninstalled: row.get(9),
        install_payload: serde_json::from_str(&payload)
            .map_err(|error| StoreError::Corrupt(format!("install_payload: {error}")))?,
        installed_at: row.get(11),
        updated_at: row.get(12),
    })
}

#[async_trait::async_trait]
impl TenantStore for PostgresStore {
    async fn get(&self, app_key: &str, client_key: &str) -> Result<Option<Tenant>, StoreError> {
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(SELECT_TENANT)).await?;
        let row = self
            .bounded(client.query_opt(&statement, &[&app_key, &client_key]))
            .await?;
        row.as_ref()
            .map(|row| tenant_from_row(row, self.sealer.as_ref()))
            .transpose()
            .map(|tenant| tenant.map(Tenant::new))
    }

    async fn save(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let payload = serde_json::to_string(&tenant.install_payload)
            .map_err(|error| StoreError::Corrupt(format!("install_payload: {error}")))?;
        let stored_secret = sealing::store_form(self.sealer.as_ref(), &tenant.shared_secret)?;
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(UPSERT_TENANT)).await?;
        self.bounded(client.execute(
            &statement,
            &[
                &tenant.app_key,
                &tenant.client_key,
                &stored_secret,
                &tenant.base_url,
                &tenant.display_url,
                &tenant.product_type,
                &tenant.oauth_client_id,
                &tenant.cloud_id,
                &tenant.enabled,
                &tenant.uninstalled,
                &payload,
                &tenant.installed_at,
                &tenant.updated_at,
                &tenant.installation_id,
            ],
        ))
        .await?;
        Ok(())
    }

    async fn find_by_installation(
        &self,
        app_key: &str,
        query: InstallationQuery<'_>,
    ) -> Result<Option<Tenant>, StoreError> {
        let client = self.client().await?;
        let statement = self
            .bounded(client.prepare_cached(SELECT_BY_INSTALLATION))
            .await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
            &app_key,
            &query.installation_id,
            &query.cloud_id,
            &query.product,
        ];
        let row = self.bounded(client.query_opt(&statement, &params)).await?;
        row.as_ref()
            .map(|row| tenant_from_row(row, self.sealer.as_ref()))
            .transpose()
            .map(|tenant| tenant.map(Tenant::new))
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
        let client = self.client().await?;
        let statement = self
            .bounded(client.prepare_cached(LINK_INSTALLATION))
            .await?;
        self.bounded(client.execute(
            &statement,
            &[&app_key, &client_key, &installation_id, &cloud_id, &now],
        ))
        .await?;
        Ok(())
    }

    async fn installed_tenants(&self, app_key: &str) -> Result<Vec<Tenant>, StoreError> {
        let client = self.client().await?;
        let statement = self
            .bounded(client.prepare_cached(SELECT_INSTALLED))
            .await?;
        let rows = self.bounded(client.query(&statement, &[&app_key])).await?;
        rows.iter()
            .map(|row| tenant_from_row(row, self.sealer.as_ref()).map(Tenant::new))
            .collect()
    }

    async fn data_get(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(DATA_GET)).await?;
        let row = self
            .bounded(client.query_opt(&statement, &[&app_key, &client_key, &key, &now]))
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    async fn data_put(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(DATA_PUT)).await?;
        self.bounded(client.execute(&statement, &[&app_key, &client_key, &key, &value]))
            .await?;
        Ok(())
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
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(DATA_CLAIM)).await?;
        let changed = self
            .bounded(client.execute(
                &statement,
                &[&app_key, &client_key, &key, &value, &now, &expires_at],
            ))
            .await?;
        Ok(changed == 1)
    }

    async fn data_delete(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(DATA_DELETE)).await?;
        self.bounded(client.execute(&statement, &[&app_key, &client_key, &key]))
            .await?;
        Ok(())
    }

    async fn data_list(
        &self,
        app_key: &str,
        client_key: &str,
        prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let client = self.client().await?;
        let statement = self.bounded(client.prepare_cached(DATA_LIST)).await?;
        let rows = self
            .bounded(client.query(&statement, &[&app_key, &client_key, &prefix, &now]))
            .await?;
        Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
    }
}
