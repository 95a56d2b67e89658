//! [`ContainerApi`]: a Forge Container's calls outside any invocation (background work, a
//! scheduled job of the app's own): the installations of the app (`/v1/installations`, paged),
//! and per installation a [`ForgeClient`] and [`ForgeStorage`] whose calls name it in
//! `forge-proxy-authorization: Forge as=app,installationId=<id>`.
//!
//! Source: Atlassian's "Call a containerised service without an invocation ID" page and the
//! Forge Containers API collection.

use super::events::ForgeEvents;
use super::storage::{ForgeSql, ForgeStorage};
use super::{ClientError, ForgeClient, Outbound};
use crate::auth::container::join;
use crate::auth::invocation::{OnBehalf, ProxyRoute};
use crate::config::{ClientConfig, ConfigError, ContainerEnv};
use connect_descriptor::Product;
use serde::Deserialize;
use std::sync::Arc;
use url::Url;

/// The most installations `/v1/installations` answers per page.
pub const MAX_INSTALLATIONS_PAGE: usize = 100;

/// The largest number of pages [`ContainerApi::installations`] reads (100,000 installations):
/// a proxy that keeps answering a cursor cannot keep it looping.
const MAX_PAGES: usize = 1_000;

/// One installation of the app, as `/v1/installations` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    /// The installation id: what [`ContainerApi::client`] and friends take.
    pub id: String,
    /// The site, e.g. `ari:cloud:jira::site/<cloudId>`.
    #[serde(default)]
    pub installation_context: Option<String>,
    /// The app version installed there.
    #[serde(default)]
    pub version: Option<String>,
    /// Further contexts of the installation.
    #[serde(default)]
    pub secondary_installation_contexts: Vec<String>,
}

#[derive(Deserialize)]
struct InstallationsPage {
    #[serde(default)]
    installations: Vec<Installation>,
    #[serde(default)]
    cursor: Option<String>,
}

/// Calls from a Forge Container outside an invocation, through its egress proxy.
///
/// ```no_run
/// use connect_runtime::forge::ContainerApi;
///
/// # async fn nightly() -> Result<(), Box<dyn std::error::Error>> {
/// // In the container (FORGE_EGRESS_PROXY_URL is set by Forge).
/// let api = ContainerApi::from_env()?;
/// for installation in api.installations().await? {
///     let kvs = api.storage(&installation.id)?;
///     let runs: u64 = kvs.get("nightly-runs").await?.unwrap_or(0);
///     kvs.set("nightly-runs", &(runs + 1)).await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ContainerApi {
    outbound: Arc<Outbound>,
    proxy: Arc<Url>,
    product: &'static str,
}

impl std::fmt::Debug for ContainerApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerApi")
            .field("proxy", &self.proxy.as_str())
            .field("product", &self.product)
            .finish_non_exhaustive()
    }
}

impl ContainerApi {
    /// The API of the container this process runs in: the proxy of `FORGE_EGRESS_PROXY_URL`,
    /// Jira's product prefix (see [`for_product`](Self::for_product)).
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = ContainerEnv::from_env()?;
        Self::new(env.egress_proxy, Product::Jira)
    }

    /// The API through the proxy at `proxy`, with product calls to `product`'s prefix.
    pub fn new(proxy: Url, product: Product) -> Result<Self, ConfigError> {
        let outbound = Outbound::new("forge-container", [""; 0], &ClientConfig::default())
            .map_err(|error| ConfigError::new("FORGE_EGRESS_PROXY_URL", error.to_string()))?;
        Ok(Self {
            outbound: Arc::new(outbound),
            proxy: Arc::new(proxy),
            product: product.as_str(),
        })
    }

    /// The same API with product calls to `product`'s prefix (`/jira` or `/confluence`).
    pub fn for_product(&self, product: Product) -> Self {
        Self {
            product: product.as_str(),
            ..self.clone()
        }
    }

    fn route(&self, installation_id: &str) -> ProxyRoute {
        ProxyRoute {
            proxy: Arc::clone(&self.proxy),
            product: self.product,
            on_behalf: OnBehalf::Installation(installation_id.to_owned()),
        }
    }

    /// Product calls as the app for `installation_id` (`as_account` for a user).
    pub fn client(&self, installation_id: &str) -> Result<ForgeClient, ClientError> {
        ForgeClient::for_installation(
            Arc::clone(&self.outbound),
            self.route(installation_id),
            &join(&self.proxy, &format!("/{}", self.product)),
        )
    }

    /// Forge storage of `installation_id`.
    pub fn storage(&self, installation_id: &str) -> Result<ForgeStorage, ClientError> {
        ForgeStorage::new(&self.client(installation_id)?)
    }

    /// Forge SQL of `installation_id` (the app's manifest must declare the `sql` module: a
    /// handler taking `ForgeSql` does that).
    pub fn sql(&self, installation_id: &str) -> Result<ForgeSql, ClientError> {
        ForgeSql::new(&self.client(installation_id)?)
    }

    /// Async event pushes for `installation_id`.
    pub fn events(&self, installation_id: &str) -> Result<ForgeEvents, ClientError> {
        ForgeEvents::new(&self.client(installation_id)?)
    }

    /// Every installation of the app in this environment, reading `/v1/installations` page
    /// by page (100 per page; the proxy allows 100 requests a minute, and a 429 is retried by
    /// the app's retry policy).
    pub async fn installations(&self) -> Result<Vec<Installation>, ClientError> {
        let client = ForgeClient::for_installation(
            Arc::clone(&self.outbound),
            // The listing names no installation: the proxy knows the app from the container.
            self.route(""),
            &self.proxy,
        )?;
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut request = client
                .get("/v1/installations")
                .query([("pageSize", MAX_INSTALLATIONS_PAGE.to_string())])
                .no_proxy_authorization();
            if let Some(cursor) = &cursor {
                request = request.query([("cursor", cursor.as_str())]);
            }
            let page: InstallationsPage = request.send().await?.json().await?;
            all.extend(page.installations);
            match page.cursor.filter(|next| !next.is_empty()) {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(all),
            }
        }
        Err(ClientError::Body(
            "the installation list did not end after 1000 pages".to_owned(),
        ))
    }
}
