//! In-memory tenant store, for tests and throwaway runs.

use super::{InstallationLink, InstallationQuery, StoreError, Tenant, TenantRecord, TenantStore};
use std::collections::HashMap;
use std::sync::RwLock;

/// Tenants in a map (by app key, then clientKey, so a lookup allocates nothing); lost when
/// the process exits.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tenants: RwLock<HashMap<String, HashMap<String, Tenant>>>,
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
}
