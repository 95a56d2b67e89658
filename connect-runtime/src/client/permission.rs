//! Product permissions of a user, checked through the product's REST API as that user.
//!
//! Answers are cached briefly per (tenant, user, permission): an admin settings page makes
//! several AJAX calls, and each would otherwise cost a REST call against the app's rate limit.
//! A revoked permission is honoured within the cache's time to live: [`DEFAULT_PERMISSION_TTL`](crate::config::DEFAULT_PERMISSION_TTL) (30 s)
//! by default, `CONNECT_PERMISSION_CACHE_SECS` (`ClientConfig::permission_ttl`) otherwise; 0
//! turns the cache off, which is what a test that grants and revokes permissions wants.

use super::{ClientError, HostClient};
use moka::future::Cache;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const CACHE_CAPACITY: u64 = 50_000;

/// A permission a user holds on the tenant's site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Permission {
    /// A Jira global permission, e.g. `ADMINISTER` (Jira administrators).
    JiraGlobal(String),
    /// A Jira project permission in one project, e.g. `ADMINISTER_PROJECTS` in `TEST`.
    JiraProject {
        /// The permission key, e.g. `EDIT_ISSUES`.
        permission: String,
        /// The project key or id.
        project: String,
    },
    /// Confluence site administration (`administer` on the application).
    ConfluenceAdmin,
    /// Administration of one Confluence space.
    ConfluenceSpaceAdmin {
        /// The space key.
        space: String,
    },
}

impl Permission {
    /// Jira's `ADMINISTER` global permission.
    pub fn jira_admin() -> Self {
        Permission::JiraGlobal("ADMINISTER".into())
    }

    /// What a refusal tells the user.
    pub fn describe(&self) -> String {
        match self {
            Permission::JiraGlobal(permission) => format!("the Jira permission {permission}"),
            Permission::JiraProject {
                permission,
                project,
            } => format!("the permission {permission} in project {project}"),
            Permission::ConfluenceAdmin => "Confluence administration".into(),
            Permission::ConfluenceSpaceAdmin { space } => {
                format!("administration of space {space}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PermissionKey {
    client_key: Arc<str>,
    account_id: Arc<str>,
    permission: Permission,
}

/// The permission answers of one app.
#[derive(Clone)]
pub(crate) struct PermissionCache {
    /// `None` when answers are not cached (a time to live of 0).
    cache: Option<Cache<PermissionKey, bool>>,
}

impl PermissionCache {
    /// Answers trusted for `ttl`; none kept when `ttl` is 0.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            cache: (!ttl.is_zero()).then(|| {
                Cache::builder()
                    .max_capacity(CACHE_CAPACITY)
                    .time_to_live(ttl)
                    .build()
            }),
        }
    }
}

impl HostClient {
    /// Whether the user this client acts as ([`as_user`](HostClient::as_user)) holds
    /// `permission`, asked of the product as that user and cached for [`DEFAULT_PERMISSION_TTL`](crate::config::DEFAULT_PERMISSION_TTL)
    /// (`CONNECT_PERMISSION_CACHE_SECS`; 0 asks every time). Failed checks are not cached.
    pub async fn has_permission(&self, permission: &Permission) -> Result<bool, ClientError> {
        let user = self.user.as_ref().ok_or(ClientError::NoUser)?;
        let Some(cache) = &self.outbound.permissions.cache else {
            return self.ask(permission).await;
        };
        let key = PermissionKey {
            client_key: Arc::clone(&self.tenant.client_key),
            account_id: Arc::clone(&user.account_id),
            permission: permission.clone(),
        };
        cache
            .try_get_with(key, self.ask(permission))
            .await
            .map_err(|shared| (*shared).clone())
    }

    async fn ask(&self, permission: &Permission) -> Result<bool, ClientError> {
        match permission {
            Permission::JiraGlobal(name) => {
                let answer: Value = self
                    .get("/rest/api/3/mypermissions")
                    .query([("permissions", name.as_str())])
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok(answer["permissions"][name]["havePermission"] == true)
            }
            Permission::JiraProject {
                permission,
                project,
            } => {
                let answer: Value = self
                    .get("/rest/api/3/mypermissions")
                    .query([
                        ("permissions", permission.as_str()),
                        ("projectKey", project),
                    ])
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok(answer["permissions"][permission]["havePermission"] == true)
            }
            Permission::ConfluenceAdmin => {
                let answer: Value = self
                    .get("/rest/api/user/current")
                    .query([("expand", "operations")])
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok(has_operation(&answer, "administer", "application"))
            }
            Permission::ConfluenceSpaceAdmin { space } => {
                let path = format!(
                    "/rest/api/space/{}",
                    utf8_percent_encode(space, NON_ALPHANUMERIC)
                );
                let answer: Value = self
                    .get(path)
                    .query([("expand", "operations")])
                    .send()
                    .await?
                    .json()
                    .await?;
                Ok(has_operation(&answer, "administer", "space"))
            }
        }
    }
}

/// Whether Confluence's `operations` expansion lists `operation` on `target`.
fn has_operation(answer: &Value, operation: &str, target: &str) -> bool {
    answer["operations"].as_array().is_some_and(|operations| {
        operations
            .iter()
            .any(|op| op["operation"] == operation && op["targetType"] == target)
    })
}
