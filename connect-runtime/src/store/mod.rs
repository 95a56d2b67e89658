//! Tenant storage: one row per (app key, clientKey).
//!
//! [`TenantStore`] is deliberately small (get and save of a whole [`Tenant`]): the lifecycle
//! module decides the transitions, backends only persist. Every backend must pass the
//! conformance suite of the `connect-testing` crate (`connect_testing::conformance`), which our
//! own tests run against each of them.

mod memory;
mod postgres;
mod sealing;
mod sqlite;

pub use crate::config::PoolSettings;
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sealing::SecretSealer;
pub use sqlite::SqliteStore;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::sync::{Arc, OnceLock};

/// An installation of the app on one product site, as stored: read it through a [`Tenant`]
/// (which dereferences to it); build one to save a row.
///
/// `Debug` shows the shared secret as `[REDACTED]`; read it with
/// [`secrecy::ExposeSecret::expose_secret`].
#[derive(Debug, Clone)]
pub struct TenantRecord {
    /// The app key this installation belongs to.
    pub app_key: String,
    /// The site's id (`clientKey` of the install payload; `iss` of its tokens).
    pub client_key: String,
    /// The HS256 secret shared with this site.
    pub shared_secret: SecretString,
    /// The site's baseUrl, e.g. `https://acme.atlassian.net` (with `/wiki` for Confluence).
    pub base_url: String,
    /// The site's user-facing URL, when it differs.
    pub display_url: Option<String>,
    /// `jira` or `confluence`.
    pub product_type: Option<String>,
    /// The OAuth client id for acting as a user.
    pub oauth_client_id: Option<String>,
    /// The site's cloud id (from the install payload, or linked from a Forge invocation).
    pub cloud_id: Option<String>,
    /// The Forge installation of the app on this site (`ari:cloud:ecosystem::installation/...`),
    /// once known: from the install payload of a Connect-on-Forge app, or linked when a Forge
    /// invocation of the same site arrives. Resolves Forge calls to this tenant.
    pub installation_id: Option<String>,
    /// Whether the app is enabled on the site (`enabled`/`disabled` events).
    pub enabled: bool,
    /// Whether the site uninstalled the app. The row stays; requests are refused.
    pub uninstalled: bool,
    /// The last install payload, without its `sharedSecret`, unknown fields included.
    pub install_payload: serde_json::Value,
    /// When the first install was stored (seconds since the epoch).
    pub installed_at: i64,
    /// When the row last changed (seconds since the epoch).
    pub updated_at: i64,
}

/// A tenant as a handler, a hook or the store hands it out: the stored [`TenantRecord`]
/// behind an `Arc`, so taking one (the `Tenant` extractor, a cache hit) costs a reference
/// count, never a copy of the install payload. Fields read through `Deref`:
/// `tenant.client_key`, `tenant.base_url`.
///
/// ```
/// use connect_runtime::Tenant;
///
/// fn site(tenant: &Tenant) -> &str {
///     &tenant.base_url
/// }
/// ```
#[derive(Clone)]
pub struct Tenant(Arc<Shared>);

/// What a [`Tenant`] shares: the record, and the HMAC key state of its shared secret, derived
/// once per record (a secret longer than SHA-256's block is hashed first, several blocks per
/// request otherwise) and reused by every request the cached tenant verifies. A new secret is
/// a new record, so the key can never be stale.
struct Shared {
    record: TenantRecord,
    signing_key: OnceLock<Option<Hmac<Sha256>>>,
}

impl Tenant {
    /// A tenant holding `record`.
    pub fn new(record: TenantRecord) -> Self {
        Self(Arc::new(Shared {
            record,
            signing_key: OnceLock::new(),
        }))
    }

    /// The record, to change and save: moved out when this is its only holder, copied
    /// otherwise.
    pub fn into_record(self) -> TenantRecord {
        match Arc::try_unwrap(self.0) {
            Ok(shared) => shared.record,
            Err(shared) => shared.record.clone(),
        }
    }

    /// Whether both hold the very same record (not merely equal ones).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The HMAC-SHA256 key state of the shared secret, computed on first use; `None` only if
    /// the secret cannot key an HMAC (never for SHA-256, which takes any length).
    pub(crate) fn signing_key(&self) -> Option<&Hmac<Sha256>> {
        self.0
            .signing_key
            .get_or_init(|| {
                Hmac::new_from_slice(self.0.record.shared_secret.expose_secret().as_bytes()).ok()
            })
            .as_ref()
    }
}

impl std::ops::Deref for Tenant {
    type Target = TenantRecord;

    fn deref(&self) -> &TenantRecord {
        &self.0.record
    }
}

impl From<TenantRecord> for Tenant {
    fn from(record: TenantRecord) -> Self {
        Self::new(record)
    }
}

/// The record's `Debug` (the secret `[REDACTED]`); the key state is never shown.
impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        TenantRecord::fmt(&self.0.record, f)
    }
}

/// A backend failure. Its message is for logs; clients see a generic 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// A stored row could not be read back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The store does not keep what was asked (a custom store without tenant data).
    #[error("this tenant store does not keep {0}")]
    Unsupported(&'static str),
    /// The database URL names no backend this build supports.
    #[error(
        "unsupported DATABASE_URL `{0}`: expected sqlite://FILE, sqlite::memory:, memory:// or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
}

/// Where tenants live. Implement it for another database and run `connect_testing::conformance`
/// against it.
#[async_trait::async_trait]
pub trait TenantStore: Send + Sync + 'static {
    /// The tenant `client_key` of `app_key`, installed or not.
    ///
    /// A [`Tenant`] is shared: every verified request looks its tenant up, and a cached
    /// tenant must cost a reference count, not a copy of its install payload.
    async fn get(&self, app_key: &str, client_key: &str) -> Result<Option<Tenant>, StoreError>;
    /// Inserts or replaces the row of (`tenant.app_key`, `tenant.client_key`).
    async fn save(&self, tenant: &TenantRecord) -> Result<(), StoreError>;

    /// The Connect tenant of `app_key` a Forge invocation belongs to: the one linked to
    /// `query.installation_id`, or failing that, the one of the site `query.cloud_id`; only
    /// rows of `query.product` (or of no recorded product) match, so an app installed in both
    /// Jira and Confluence on one site resolves each product to its own tenant.
    ///
    /// Among several rows, an installed one wins over an uninstalled one, then one with the
    /// installation id, then one of exactly that product, then the most recently updated.
    async fn find_by_installation(
        &self,
        app_key: &str,
        query: InstallationQuery<'_>,
    ) -> Result<Option<Tenant>, StoreError>;

    /// Links tenant `client_key` of `app_key` to Forge installation `installation_id`, sets
    /// its cloud id when it has none, and its `updated_at` to `now`. Writes only those columns,
    /// so a concurrent reinstall is never undone; a missing row is not an error.
    async fn link_installation(
        &self,
        app_key: &str,
        client_key: &str,
        link: InstallationLink<'_>,
    ) -> Result<(), StoreError>;

    /// Every installed (not uninstalled) tenant of `app_key`: what the framework's own jobs
    /// (personal data reporting) go through.
    async fn installed_tenants(&self, app_key: &str) -> Result<Vec<Tenant>, StoreError> {
        let _ = app_key;
        Err(StoreError::Unsupported("a list of tenants"))
    }

    /// The value at `key` of the framework's data for tenant `client_key` (its personal data
    /// cycle), if any and not expired at `now` (seconds since the epoch).
    async fn data_get(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let _ = (app_key, client_key, key, now);
        Err(StoreError::Unsupported("tenant data"))
    }

    /// Sets `key` to `value` (JSON text) for tenant `client_key`, forever.
    async fn data_put(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let _ = (app_key, client_key, key, value);
        Err(StoreError::Unsupported("tenant data"))
    }

    /// Sets `key` to `value` until `expires_at` only if it is absent or expired at `now`;
    /// `true` when this call wrote it. Atomic: of two concurrent claims, one wins (a lease
    /// shared by app instances).
    async fn data_claim(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let _ = (app_key, client_key, key, value, now, expires_at);
        Err(StoreError::Unsupported("tenant data"))
    }

    /// Deletes `key` of tenant `client_key` (nothing happens when there is none).
    async fn data_delete(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let _ = (app_key, client_key, key);
        Err(StoreError::Unsupported("tenant data"))
    }

    /// Every unexpired `(key, value)` of tenant `client_key` whose key begins with `prefix`,
    /// in key order.
    async fn data_list(
        &self,
        app_key: &str,
        client_key: &str,
        prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let _ = (app_key, client_key, prefix, now);
        Err(StoreError::Unsupported("tenant data"))
    }
}

/// What [`TenantStore::find_by_installation`] looks for: the installation, site and product
/// of a verified Forge invocation.
#[derive(Debug, Clone, Copy)]
pub struct InstallationQuery<'a> {
    /// The Forge installation (`ari:cloud:ecosystem::installation/...`).
    pub installation_id: &'a str,
    /// The site's cloud id, for a tenant not linked yet.
    pub cloud_id: Option<&'a str>,
    /// The product (`jira`, `confluence`), compared with the tenant's `product_type`.
    pub product: Option<&'a str>,
}

impl InstallationQuery<'_> {
    /// Whether `tenant` is a candidate: linked to the installation or of the site, and of the
    /// product (or of none recorded). The SQL stores say the same in their `WHERE`.
    pub(crate) fn matches(&self, tenant: &TenantRecord) -> bool {
        let product_ok = match (self.product, tenant.product_type.as_deref()) {
            (Some(wanted), Some(product)) => wanted == product,
            _ => true,
        };
        let linked = tenant.installation_id.as_deref() == Some(self.installation_id);
        let same_site = self.cloud_id.is_some() && tenant.cloud_id.as_deref() == self.cloud_id;
        product_ok && (linked || same_site)
    }

    /// The order among candidates (smallest first); the SQL stores' `ORDER BY`.
    pub(crate) fn rank(&self, tenant: &TenantRecord) -> (bool, bool, bool, i64) {
        (
            tenant.uninstalled,
            tenant.installation_id.as_deref() != Some(self.installation_id),
            self.product.is_some() && tenant.product_type.as_deref() != self.product,
            -tenant.updated_at,
        )
    }
}

/// What [`TenantStore::link_installation`] writes.
#[derive(Debug, Clone, Copy)]
pub struct InstallationLink<'a> {
    /// The Forge installation (`ari:cloud:ecosystem::installation/...`).
    pub installation_id: &'a str,
    /// The site's cloud id, stored when the row has none.
    pub cloud_id: Option<&'a str>,
    /// The row's new `updated_at` (seconds since the epoch).
    pub now: i64,
}

impl InstallationLink<'_> {
    /// What the link does to a tenant: what [`TenantStore::link_installation`] writes (the SQL
    /// stores say the same in their `UPDATE`).
    pub fn apply_to(&self, tenant: &mut TenantRecord) {
        tenant.installation_id = Some(self.installation_id.to_owned());
        if tenant.cloud_id.is_none() {
            tenant.cloud_id = self.cloud_id.map(str::to_owned);
        }
        tenant.updated_at = self.now;
    }
}

/// Opens the store a `DATABASE_URL` names: `sqlite://FILE` (created and migrated),
/// `sqlite::memory:` or `memory://` (in-memory, lost on exit), `postgres://…` (migrated; the
/// store for several instances), with the default pool settings.
pub async fn open(database_url: &str) -> Result<Arc<dyn TenantStore>, StoreError> {
    open_with(database_url, PoolSettings::default(), None).await
}

/// [`open`] with `pool` settings for PostgreSQL, sealing shared secrets with `sealing` (SQLite
/// and PostgreSQL; the memory store keeps nothing at rest).
pub async fn open_with(
    database_url: &str,
    pool: PoolSettings,
    sealing: Option<&crate::config::SealingKeys>,
) -> Result<Arc<dyn TenantStore>, StoreError> {
    let sealer = sealing.map(SecretSealer::new);
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        let store = PostgresStore::connect(database_url, pool).await?;
        return Ok(Arc::new(store.sealed_with(sealer).await?));
    }
    if database_url == "memory://" {
        return Ok(Arc::new(MemoryStore::default()));
    }
    if database_url == "sqlite::memory:" {
        let store = SqliteStore::open_in_memory().await?;
        return Ok(Arc::new(store.sealed_with(sealer).await?));
    }
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if !path.is_empty() {
            let store = SqliteStore::open(path).await?;
            return Ok(Arc::new(store.sealed_with(sealer).await?));
        }
    }
    Err(StoreError::UnsupportedUrl(redact_url(database_url)))
}

/// A database URL may carry a password: keep only its scheme in messages.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://…"),
        None => "…".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(secret: &str) -> TenantRecord {
        TenantRecord {
            app_key: "app".into(),
            client_key: "client".into(),
            shared_secret: SecretString::from(secret.to_owned()),
            base_url: "https://acme.atlassian.net".into(),
            display_url: None,
            product_type: None,
            oauth_client_id: None,
            cloud_id: None,
            installation_id: None,
            enabled: true,
            uninstalled: false,
            install_payload: serde_json::Value::Null,
            installed_at: 0,
            updated_at: 0,
        }
    }

    fn signs(tenant: &Tenant, message: &[u8], secret: &str) -> bool {
        let mut expected = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        expected.update(message);
        let mut mac = tenant.signing_key().unwrap().clone();
        mac.update(message);
        mac.verify_slice(&expected.finalize().into_bytes()).is_ok()
    }

    #[test]
    fn the_cached_signing_key_is_the_records_secret_and_never_outlives_it() {
        // Short and longer than SHA-256's 64-byte block (which HMAC hashes first).
        for secret in ["short", &"long-".repeat(40)] {
            let tenant = Tenant::new(record(secret));
            assert!(signs(&tenant, b"header.payload", secret));
            assert!(signs(&tenant, b"header.payload", secret), "reused");
            // A rotated secret is a new record, so a new key: the old one cannot verify.
            let mut rotated = tenant.clone().into_record();
            rotated.shared_secret = SecretString::from("rotated".to_owned());
            let rotated = Tenant::new(rotated);
            assert!(!signs(&rotated, b"header.payload", secret));
            assert!(signs(&rotated, b"header.payload", "rotated"));
            assert!(!format!("{tenant:?}").contains(secret));
        }
    }

    #[tokio::test]
    async fn unsupported_urls_do_not_leak_credentials() {
        let error = open("mysql://user:hunter2@db/x").await.err().unwrap();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(error.to_string().contains("mysql://"));
    }

    #[tokio::test]
    async fn unreachable_postgres_is_an_error_without_the_password() {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = PoolSettings {
            max_size: 1,
            timeout: std::time::Duration::from_millis(500),
        };
        let url = format!("postgres://user:hunter2@127.0.0.1:{port}/x");
        let error = open_with(&url, settings, None).await.err().unwrap();
        assert!(matches!(error, StoreError::Database(_)), "{error}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
