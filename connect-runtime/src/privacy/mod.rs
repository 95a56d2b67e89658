//! Personal data reporting: the app says which accounts it stores about (per Forge
//! installation) and what to do when one is closed; the framework reports them to Atlassian's
//! personal data reporting API on the cycle Atlassian sets, erases closed accounts through the
//! app once, and never reports them again.
//!
//! - [`PersonalData`]: what the app implements.
//! - `cycle`: one cycle for one installation: due or not, a lease so that one instance
//!   reports, batches of 90, `Cycle-Period`, closed and updated accounts.
//! - `period`: reading `Cycle-Period`.
//! - `forge`: the Forge Remote path: the framework's own `scheduledTrigger` `personal-data`,
//!   the cycle's state in Forge storage, reports with the delivery's system token.
//! - `connect`: the Connect path: every installed tenant's cycle, from the tenant store, as
//!   the app (a JWT with the tenant's shared secret).
//!
//! Source: Atlassian's "User privacy guidelines" (the API, 90 accounts a request, 7 days by
//! default, `Cycle-Period`, never `unknown`) and `@forge/api`'s `privacy.reportPersonalData`.

mod connect;
mod cycle;
mod forge;
mod period;

pub use connect::TenantsReport;
pub(crate) use connect::{report_tenants, spawn_daily};
pub(crate) use forge::{PERSONAL_DATA_KEY, PERSONAL_DATA_PATH, delivery_call};
pub use period::{DEFAULT_CYCLE, MAX_CYCLE, MIN_CYCLE, parse_cycle_period};

use crate::client::storage::ForgeStorage;
use crate::client::{ForgeClient, HostClient};
use crate::http::AppError;
use crate::store::Tenant;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use time::OffsetDateTime;

/// The most accounts one report carries.
pub const MAX_ACCOUNTS_PER_REPORT: usize = 90;

/// The account id Atlassian uses for "no account": never stored, never reported.
pub const UNKNOWN_ACCOUNT: &str = "unknown";

/// An account the app stores personal data about, and when that data was last fetched from
/// Atlassian (for data of several ages, the oldest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    /// The Atlassian account id.
    pub account_id: String,
    /// When the app's copy was fetched (RFC 3339 when reported).
    pub updated_at: OffsetDateTime,
}

/// Whose data a cycle is about, for the app's [`PersonalData`] methods: a Forge installation
/// (its storage and a product client, with the system token of the delivery that started the
/// cycle) or a Connect tenant (its record and a client as the app).
#[derive(Debug, Clone)]
pub struct DataScope {
    owner: Owner,
}

#[derive(Debug, Clone)]
enum Owner {
    Forge {
        installation_id: String,
        storage: ForgeStorage,
        client: ForgeClient,
    },
    Connect {
        tenant: Tenant,
        client: HostClient,
    },
}

/// A 500 for a [`DataScope`] accessor of the other kind of owner: the app's own mistake.
fn wrong_scope(message: &'static str) -> AppError {
    AppError::status(warp::http::StatusCode::INTERNAL_SERVER_ERROR, message)
}

impl DataScope {
    pub(crate) fn forge(
        installation_id: String,
        storage: ForgeStorage,
        client: ForgeClient,
    ) -> Self {
        Self {
            owner: Owner::Forge {
                installation_id,
                storage,
                client,
            },
        }
    }

    pub(crate) fn connect(tenant: Tenant, client: HostClient) -> Self {
        Self {
            owner: Owner::Connect { tenant, client },
        }
    }

    /// Who, for logs: the installation id or the clientKey.
    pub fn owner_id(&self) -> &str {
        match &self.owner {
            Owner::Forge {
                installation_id, ..
            } => installation_id,
            Owner::Connect { tenant, .. } => &tenant.client_key,
        }
    }

    /// The Forge installation (a Forge app's cycle).
    pub fn installation_id(&self) -> Option<&str> {
        match &self.owner {
            Owner::Forge {
                installation_id, ..
            } => Some(installation_id),
            Owner::Connect { .. } => None,
        }
    }

    /// The installation's Forge storage; an error for a Connect tenant's cycle.
    pub fn storage(&self) -> Result<&ForgeStorage, AppError> {
        match &self.owner {
            Owner::Forge { storage, .. } => Ok(storage),
            Owner::Connect { .. } => Err(wrong_scope(
                "a Connect tenant's personal data cycle has no Forge storage: read the tenant's data from your own store (DataScope::tenant)",
            )),
        }
    }

    /// Product calls for the installation, as the app; an error for a Connect tenant's cycle.
    pub fn forge_client(&self) -> Result<&ForgeClient, AppError> {
        match &self.owner {
            Owner::Forge { client, .. } => Ok(client),
            Owner::Connect { .. } => Err(wrong_scope(
                "a Connect tenant's personal data cycle has no Forge client: use DataScope::host_client",
            )),
        }
    }

    /// The Connect tenant (a Connect app's cycle); an error for a Forge installation's.
    pub fn tenant(&self) -> Result<&Tenant, AppError> {
        match &self.owner {
            Owner::Connect { tenant, .. } => Ok(tenant),
            Owner::Forge { .. } => Err(wrong_scope(
                "a Forge installation's personal data cycle has no Connect tenant: use DataScope::storage",
            )),
        }
    }

    /// Calls to the tenant's site as the app (a Connect app's cycle).
    pub fn host_client(&self) -> Result<&HostClient, AppError> {
        match &self.owner {
            Owner::Connect { client, .. } => Ok(client),
            Owner::Forge { .. } => Err(wrong_scope(
                "a Forge installation's personal data cycle has no HostClient: use DataScope::forge_client",
            )),
        }
    }
}

/// What an app that stores personal data implements, given to
/// [`App::personal_data`](crate::App::personal_data).
///
/// ```
/// use connect_runtime::privacy::{DataScope, PersonalData, StoredAccount};
/// use connect_runtime::AppError;
/// use time::OffsetDateTime;
///
/// /// Comments are stored as `comment:<id>` = `{author, text, createdAt}`.
/// struct Comments;
///
/// #[derive(serde::Deserialize, serde::Serialize)]
/// #[serde(rename_all = "camelCase")]
/// struct Comment {
///     author: String,
///     text: String,
///     #[serde(with = "time::serde::rfc3339")]
///     created_at: OffsetDateTime,
/// }
///
/// impl PersonalData for Comments {
///     async fn accounts(&self, scope: &DataScope) -> Result<Vec<StoredAccount>, AppError> {
///         let comments = scope.storage()?.query_all::<Comment>("comment:").await?;
///         Ok(comments
///             .into_iter()
///             .map(|entry| StoredAccount {
///                 account_id: entry.value.author,
///                 updated_at: entry.value.created_at,
///             })
///             .collect())
///     }
///
///     async fn erase(&self, scope: &DataScope, account_id: &str) -> Result<(), AppError> {
///         let kvs = scope.storage()?;
///         for entry in kvs.query_all::<Comment>("comment:").await? {
///             if entry.value.author == account_id {
///                 kvs.delete(&entry.key).await?;
///             }
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait PersonalData: Send + Sync + 'static {
    /// Every account the installation's data mentions, with when its data was fetched. The
    /// framework drops `unknown` and accounts already reported closed, and keeps one entry per
    /// account (the oldest `updated_at`).
    fn accounts(
        &self,
        scope: &DataScope,
    ) -> impl Future<Output = Result<Vec<StoredAccount>, AppError>> + Send;

    /// Erases everything the installation's data holds about `account_id`, whose Atlassian
    /// account was closed. Called once per account and installation; a failure is retried at
    /// the next cycle (without reporting the account again).
    fn erase(
        &self,
        scope: &DataScope,
        account_id: &str,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Atlassian says the app's copy of `account_id`'s data is stale: fetch it again if it
    /// matters. Nothing by default.
    fn refresh(
        &self,
        scope: &DataScope,
        account_id: &str,
    ) -> impl Future<Output = Result<(), AppError>> + Send {
        let _ = (scope, account_id);
        async { Ok(()) }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs a cycle; a panic anywhere in it (the app's hooks are caught inside, before the lease
/// is released) becomes an error naming it, so it neither ends a reporting task nor goes
/// unlogged.
pub(crate) async fn catching_panics(
    cycle: impl Future<Output = Result<cycle::Outcome, cycle::CycleError>>,
) -> Result<cycle::Outcome, String> {
    match crate::http::stack::catch_panic(cycle).await {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(message) => Err(format!("the cycle panicked: {message}")),
    }
}

/// [`PersonalData`] behind a pointer: what the framework keeps.
pub(crate) trait ErasedPersonalData: Send + Sync {
    fn accounts<'a>(
        &'a self,
        scope: &'a DataScope,
    ) -> BoxFuture<'a, Result<Vec<StoredAccount>, AppError>>;
    fn erase<'a>(
        &'a self,
        scope: &'a DataScope,
        account: &'a str,
    ) -> BoxFuture<'a, Result<(), AppError>>;
    fn refresh<'a>(
        &'a self,
        scope: &'a DataScope,
        account: &'a str,
    ) -> BoxFuture<'a, Result<(), AppError>>;
}

impl<T: PersonalData> ErasedPersonalData for T {
    fn accounts<'a>(
        &'a self,
        scope: &'a DataScope,
    ) -> BoxFuture<'a, Result<Vec<StoredAccount>, AppError>> {
        Box::pin(PersonalData::accounts(self, scope))
    }

    fn erase<'a>(
        &'a self,
        scope: &'a DataScope,
        account: &'a str,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(PersonalData::erase(self, scope, account))
    }

    fn refresh<'a>(
        &'a self,
        scope: &'a DataScope,
        account: &'a str,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(PersonalData::refresh(self, scope, account))
    }
}

/// The name of the framework's personal data handler.
pub(crate) const PERSONAL_DATA_HANDLER: &str = "personal_data (the framework's)";

/// The app's [`PersonalData`], as kept in the app's state for the framework's route.
#[derive(Clone)]
pub(crate) struct PersonalDataHook(pub(crate) Arc<dyn ErasedPersonalData>);
