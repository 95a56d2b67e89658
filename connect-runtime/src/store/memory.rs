//! In-memory tenant store, for tests and throwaway runs.

use super::{InstallationLink, InstallationQuery, StoreError, Tenant, TenantRecord, TenantStore};
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

/// Tenant data: by (app key, clientKey), then key → (value, expiry).
type DataMap = HashMap<(String, String), BTreeMap<String, (String, Option<i64>)>>;

/// Tenants in a map (by app key, then clientKey, so a lookup allocates nothing); lost when
/// the process exits.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tenants: RwLock<HashMap<String, HashMap<String, Tenant>>>,
    data: RwLock<DataMap>,
}

fn live(entry: &(String, Option<i64>), now: i64) -> bool {
    entry.1.is_none_or(|expires_at| expires_at > now)
}

fn owner(app_key: &str, client_key: &str) -> (String, String) {
    (app_key.to_owned(), client_key.to_owned())
}

impl MemoryStore {
    /// Every stored tenant, for assertions in tests.
    pub fn snapshot(&self) -> Vec<Tenant> {
        self.tenants
            .read()
            .map(|apps| apps.values().flat_map(HashMap::values).cloned().collect())
            .unwrap_or_default()
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Database("in-memory store lock poisoned".to_owned())
}

#[async_trait::async_trait]
impl TenantStore for MemoryStore {
    async fn get(&self, app_key: &str, client_key: &str) -> Result<Option<Tenant>, StoreError> {
        let apps = self.tenants.read().map_err(poisoned)?;
        Ok(apps
            .get(app_key)
            .and_then(|tenants| tenants.get(client_key))
            .cloned())
    }

    async fn save(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let mut apps = self.tenants.write().map_err(poisoned)?;
        apps.entry(tenant.app_key.clone())
            .or_default()
            .insert(tenant.client_key.clone(), Tenant::new(tenant.clone()));
        Ok(())
    }

    async fn find_by_installation(
        &self,
        app_key: &str,
        query: InstallationQuery<'_>,
    ) -> Result<Option<Tenant>, StoreError> {
        let apps = self.tenants.read().map_err(poisoned)?;
        Ok(apps
            .get(app_key)
            .into_iter()
            .flat_map(HashMap::values)
            .filter(|tenant| query.matches(tenant))
            .min_by_key(|tenant| query.rank(tenant))
            .cloned())
    }

    async fn link_installation(
        &self,
        app_key: &str,
        client_key: &str,
        link: InstallationLink<'_>,
    ) -> Result<(), StoreError> {
        let mut apps = self.tenants.write().map_err(poisoned)?;
        if let Some(tenant) = apps
            .get_mut(app_key)
            .and_then(|tenants| tenants.get_mut(client_key))
        {
            let mut linked = TenantRecord::clone(tenant);
            link.apply_to(&mut linked);
            *tenant = Tenant::new(linked);
        }
        Ok(())
    }

    async fn installed_tenants(&self, app_key: &str) -> Result<Vec<Tenant>, StoreError> {
        let apps = self.tenants.read().map_err(poisoned)?;
        let mut tenants: Vec<Tenant> = apps
            .get(app_key)
            .into_iter()
            .flat_map(HashMap::values)
            .filter(|tenant| !tenant.uninstalled)
            .cloned()
            .collect();
        tenants.sort_by(|a, b| a.client_key.cmp(&b.client_key));
        Ok(tenants)
    }

    async fn data_get(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let data = self.data.read().map_err(poisoned)?;
        Ok(data
            .get(&owner(app_key, client_key))
            .and_then(|values| values.get(key))
            .filter(|entry| live(entry, now))
            .map(|entry| entry.0.clone()))
    }

    async fn data_put(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let mut data = self.data.write().map_err(poisoned)?;
        data.entry(owner(app_key, client_key))
            .or_default()
            .insert(key.to_owned(), (value.to_owned(), None));
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
        let mut data = self.data.write().map_err(poisoned)?;
        let values = data.entry(owner(app_key, client_key)).or_default();
        if values.get(key).is_some_and(|entry| live(entry, now)) {
            return Ok(false);
        }
        values.insert(key.to_owned(), (value.to_owned(), Some(expires_at)));
        Ok(true)
    }

    async fn data_delete(
        &self,
        app_key: &str,
        client_key: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let mut data = self.data.write().map_err(poisoned)?;
        if let Some(values) = data.get_mut(&owner(app_key, client_key)) {
            values.remove(key);
        }
        Ok(())
    }

    async fn data_list(
        &self,
        app_key: &str,
        client_key: &str,
        prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let data = self.data.read().map_err(poisoned)?;
        Ok(data
            .get(&owner(app_key, client_key))
            .into_iter()
            .flat_map(|values| values.range(prefix.to_owned()..))
            .take_while(|(key, _)| key.starts_with(prefix))
            .filter(|(_, entry)| live(entry, now))
            .map(|(key, entry)| (key.clone(), entry.0.clone()))
            .collect())
    }
}
