//! One tenant across Connect and Forge: a Forge invocation resolves to the Connect tenant of
//! its site, by installation id (from a Connect-on-Forge install payload, or linked earlier),
//! else by cloud id (both sides carry it). A match by cloud id is linked, so the next lookup
//! is by installation id.

use crate::auth::invocation::FitClaims;
use crate::auth::jwt::unix_now;
use crate::store::{InstallationLink, StoreError, Tenant, TenantStore};
use std::sync::Arc;

/// Resolves Forge installations to the Connect tenants of one app.
#[derive(Clone)]
pub(crate) struct Installations {
    pub(crate) app_key: Arc<str>,
    pub(crate) store: Arc<dyn TenantStore>,
}

impl std::fmt::Debug for Installations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installations")
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

/// The site's cloud id of a FIT: `app.installation.contexts[].cloudId`, `context.cloudId`, or
/// the last segment of `app.apiBaseUrl` (`https://api.atlassian.com/ex/jira/<cloudId>`).
pub(crate) fn cloud_id(claims: &FitClaims) -> Option<&str> {
    let from_contexts = claims
        .app
        .installation
        .as_ref()
        .and_then(|installation| installation.get("contexts")?.as_array())
        .into_iter()
        .flatten()
        .find_map(|context| context.get("cloudId")?.as_str());
    let from_context = || claims.context.as_ref()?.get("cloudId")?.as_str();
    let from_api_base_url = || {
        let path = claims.app.api_base_url.trim_end_matches('/');
        let (prefix, last) = path.rsplit_once('/')?;
        (prefix.ends_with("/ex/jira") || prefix.ends_with("/ex/confluence"))
            .then_some(last)
            .filter(|id| !id.is_empty())
    };
    from_contexts
        .or_else(from_context)
        .or_else(from_api_base_url)
}

impl Installations {
    /// The installed Connect tenant of the invocation's installation (linking it when found
    /// by cloud id), or `None`.
    pub(crate) async fn resolve(
        &self,
        claims: &FitClaims,
    ) -> Result<Option<Arc<Tenant>>, StoreError> {
        let installation_id = claims.app.installation_id.as_str();
        let cloud_id = cloud_id(claims);
        let Some(tenant) = self
            .store
            .find_by_installation(&self.app_key, installation_id, cloud_id)
            .await?
        else {
            return Ok(None);
        };
        if tenant.uninstalled {
            return Ok(None);
        }
        if tenant.installation_id.as_deref() == Some(installation_id) {
            return Ok(Some(tenant));
        }
        // Only the link columns are written: a reinstall racing with this keeps its secret.
        let link = InstallationLink {
            installation_id,
            cloud_id,
            now: unix_now(),
        };
        self.store
            .link_installation(&self.app_key, &tenant.client_key, link)
            .await?;
        let mut linked = Tenant::clone(&tenant);
        linked.installation_id = Some(installation_id.to_owned());
        if linked.cloud_id.is_none() {
            linked.cloud_id = cloud_id.map(str::to_owned);
        }
        linked.updated_at = link.now;
        tracing::info!(
            tenant = ?linked.client_key,
            installation = ?installation_id,
            "linked the Forge installation to its Connect tenant"
        );
        Ok(Some(Arc::new(linked)))
    }
}
