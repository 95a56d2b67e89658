//! One tenant across Connect and Forge: a Forge invocation resolves to the Connect tenant of
//! its site, by installation id (from a Connect-on-Forge install payload, or linked earlier),
//! else by cloud id (both sides carry it). A match by cloud id is linked, so the next lookup
//! is by installation id.

use crate::auth::invocation::VerifiedInvocation;
use crate::auth::jwt::unix_now;
use crate::store::{InstallationLink, InstallationQuery, StoreError, Tenant, TenantStore};
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

/// The product and the site's cloud id of a verified invocation: the last two segments of its
/// `apiBaseUrl` (`/ex/jira/<cloudId>`), the claim the system token is sent to, whose shape
/// the verifier checked.
pub(crate) fn product_and_cloud_id(invocation: &VerifiedInvocation) -> Option<(&str, &str)> {
    invocation.product_and_cloud_id()
}

/// Whether a lookup may move a tenant's link to this installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relink {
    /// An ordinary invocation: link a tenant that has no installation yet, never move one.
    IfUnlinked,
    /// Forge's `avi:forge:installed:app`: a (re)install on the site; the new installation
    /// replaces the old one.
    Installed,
}

impl Installations {
    /// The installed Connect tenant of the invocation's installation, or `None`. A tenant of
    /// the same site found by cloud id is linked when it has no installation yet, or when
    /// `relink` says this is a new installation of the site; a tenant linked to another
    /// installation is not this one's.
    pub(crate) async fn resolve(
        &self,
        invocation: &VerifiedInvocation,
        relink: Relink,
    ) -> Result<Option<Tenant>, StoreError> {
        let installation_id = invocation.claims().app.installation_id.as_str();
        let (product, cloud_id) = product_and_cloud_id(invocation).unzip();
        let query = InstallationQuery {
            installation_id,
            cloud_id,
            product,
        };
        let Some(tenant) = self
            .store
            .find_by_installation(&self.app_key, query)
            .await?
        else {
            return Ok(None);
        };
        if tenant.uninstalled {
            return Ok(None);
        }
        match (tenant.installation_id.as_deref(), relink) {
            (Some(linked), _) if linked == installation_id => return Ok(Some(tenant)),
            (Some(_), Relink::IfUnlinked) => return Ok(None),
            (Some(_), Relink::Installed) | (None, _) => {}
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
        let mut linked = tenant.into_record();
        link.apply_to(&mut linked);
        tracing::info!(
            tenant = ?linked.client_key,
            installation = ?installation_id,
            "linked the Forge installation to its Connect tenant"
        );
        Ok(Some(Tenant::new(linked)))
    }
}
