//! In-memory tenant store, for tests and throwaway runs.

use super::{StoreError, Tenant, TenantStore};
use std::collections::HashMap;
use std::sync::RwLock;

/// Tenants in a map; lost when the process exits.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tenants: RwLock<HashMap<(String, String), Tenant>>,
}

impl MemoryStore {
    /// Every stored tenant, for assertions in tests.
    pub fn snapshot(&self) -> Vec<Tenant> {
        self.tenants
            .read()
            .map(|tenants| tenants.values().cloned().collect())
            .unwrap_or_default()
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Database("in-memory store lock poisoned".to_owned())
}

#[async_trait::async_trait]
impl TenantStore for MemoryStore {
    async fn get(&self, app_key: &str, client_key: &str) -> Result<Option<Tenant>, StoreError> {
        let tenants = self.tenants.read().map_err(poisoned)?;
        Ok(tenants
            .get(&(app_key.to_owned(), client_key.to_owned()))
            .cloned())
    }

    async fn save(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut tenants = self.tenants.write().map_err(poisoned)?;
        tenants.insert(
            (tenant.app_key.clone(), tenant.client_key.clone()),
            tenant.clone(),
        );
        Ok(())
    }
}
