//! One reporting cycle for one Forge installation or Connect tenant.
//!
//! Its state lives in the installation's Forge storage, or in the tenant store for a Connect
//! tenant, so it survives restarts and is shared by every instance of the app:
//!
//! - `personal-data:cycle`: when the last cycle ended, the period Atlassian set, and, for a
//!   cycle interrupted halfway, the last account reported (the next run resumes after it, so
//!   that no account is reported twice in one cycle);
//! - `personal-data:lease`: held (written only if absent, with a TTL) by the instance that
//!   runs the cycle; another instance finds it and does nothing;
//! - `personal-data:closed:<accountId>`: an account Atlassian reported closed: never reported
//!   again; `erased` says whether the app's `erase` succeeded (retried at the next cycle if
//!   not).

use super::{
    DataScope, ErasedPersonalData, MAX_ACCOUNTS_PER_REPORT, StoredAccount, UNKNOWN_ACCOUNT, period,
};
use crate::client::storage::{ForgeStorage, KeyPolicy, SetOptions, StorageError, Ttl, TtlUnit};
use crate::client::{ClientError, ForgeClient, HostClient, RequestBuilder};
use crate::store::{StoreError, TenantStore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use warp::http::StatusCode;

const STATE_KEY: &str = "personal-data:cycle";
const LEASE_KEY: &str = "personal-data:lease";
const CLOSED_PREFIX: &str = "personal-data:closed:";
/// The reporting API, below the origin of `apiBaseUrl` (Forge).
const FORGE_REPORT_PATH: &str = "/app/report-accounts/";
/// The reporting API of a Connect tenant, below its baseUrl (community-sourced: see the
/// `connect` module).
const CONNECT_REPORT_PATH: &str = "/rest/atlassian-connect/latest/report-accounts";

/// How long a lease holds when its holder dies without releasing it.
pub(crate) const LEASE: Duration = Duration::from_secs(15 * 60);

/// Why a cycle stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CycleError {
    #[error("Forge storage: {0}")]
    Storage(#[from] StorageError),
    #[error("the tenant store: {0}")]
    Store(#[from] StoreError),
    #[error("stored cycle data is unreadable: {0}")]
    Corrupt(String),
    #[error("the reporting API: {0}")]
    Client(#[from] ClientError),
    #[error("the reporting API answered {status}: {message}")]
    Refused { status: StatusCode, message: String },
    #[error("the app's accounts: {0}")]
    App(String),
}

/// What a run did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The cycle is not due: nothing was reported.
    NotDue,
    /// Another instance holds the lease.
    Busy,
    /// Reported `accounts` accounts in `batches` requests.
    Reported { accounts: usize, batches: usize },
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CycleState {
    /// When the last complete cycle started (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    last_cycle: Option<OffsetDateTime>,
    /// The period Atlassian set, in seconds.
    #[serde(default)]
    period_secs: Option<u64>,
    /// An interrupted cycle: when it started, and the last account it reported.
    #[serde(default, with = "time::serde::rfc3339::option")]
    started: Option<OffsetDateTime>,
    #[serde(default)]
    resume_after: Option<String>,
}

impl CycleState {
    fn period(&self) -> Duration {
        self.period_secs
            .map_or(period::DEFAULT_CYCLE, Duration::from_secs)
    }

    fn due(&self, now: OffsetDateTime) -> bool {
        self.resume_after.is_some()
            || self.last_cycle.is_none_or(|last| {
                // A stored value out of range reads as due, never as a panic.
                time::Duration::try_from(self.period())
                    .ok()
                    .and_then(|period| last.checked_add(period))
                    .is_none_or(|next| now >= next)
            })
    }
}

#[derive(Serialize, Deserialize)]
struct Closed {
    erased: bool,
}

/// A report's answer: the accounts with something to do, and the period Atlassian set.
struct Answer {
    statuses: Vec<(String, String)>,
    period: Option<Duration>,
}

/// Where a cycle's state lives.
pub(crate) enum Ledger {
    /// A Forge installation's storage.
    Forge(ForgeStorage),
    /// The tenant store's data of a Connect tenant.
    Tenant {
        store: Arc<dyn TenantStore>,
        app_key: String,
        client_key: String,
    },
}

/// Where reports go.
pub(crate) enum Reporter {
    /// Forge: the origin of `apiBaseUrl`, the system token.
    Forge(ForgeClient),
    /// Connect: the tenant's site, as the app.
    Connect(HostClient),
}

impl Reporter {
    fn request(&self) -> RequestBuilder {
        match self {
            Reporter::Forge(client) => client.post(FORGE_REPORT_PATH),
            Reporter::Connect(client) => client.post(CONNECT_REPORT_PATH),
        }
    }
}

fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Ledger {
    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, CycleError> {
        match self {
            Ledger::Forge(kvs) => Ok(kvs.get(key).await?),
            Ledger::Tenant {
                store,
                app_key,
                client_key,
            } => store
                .data_get(app_key, client_key, key, now_secs())
                .await?
                .map(|text| {
                    serde_json::from_str(&text)
                        .map_err(|error| CycleError::Corrupt(error.to_string()))
                })
                .transpose(),
        }
    }

    async fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), CycleError> {
        match self {
            Ledger::Forge(kvs) => Ok(kvs.set(key, value).await?),
            Ledger::Tenant {
                store,
                app_key,
                client_key,
            } => {
                let text = serde_json::to_string(value)
                    .map_err(|error| CycleError::Corrupt(error.to_string()))?;
                Ok(store.data_put(app_key, client_key, key, &text).await?)
            }
        }
    }

    /// Takes the lease as `holder`; `false` when another instance holds it.
    async fn lease(&self, now: OffsetDateTime, holder: &str) -> Result<bool, CycleError> {
        let value = json!({ "since": now.unix_timestamp(), "holder": holder });
        match self {
            Ledger::Forge(kvs) => {
                let options = SetOptions {
                    ttl: Some(Ttl {
                        value: LEASE.as_secs(),
                        unit: TtlUnit::Seconds,
                    }),
                    key_policy: KeyPolicy::FailIfExists,
                };
                match kvs.set_with(LEASE_KEY, &value, options).await {
                    Ok(()) => Ok(true),
                    Err(StorageError::Conflict { .. }) => Ok(false),
                    Err(error) => Err(error.into()),
                }
            }
            Ledger::Tenant {
                store,
                app_key,
                client_key,
            } => {
                let now = now.unix_timestamp();
                let until = now + i64::try_from(LEASE.as_secs()).unwrap_or(i64::MAX);
                Ok(store
                    .data_claim(
                        app_key,
                        client_key,
                        LEASE_KEY,
                        &value.to_string(),
                        now,
                        until,
                    )
                    .await?)
            }
        }
    }

    /// Releases the lease if `holder` still holds it: a lease that expired and was taken by
    /// another instance (a slow cycle, a skewed clock) is not deleted from under it.
    async fn release(&self, holder: &str) -> Result<(), CycleError> {
        let lease: Option<Value> = self.get(LEASE_KEY).await?;
        if lease
            .as_ref()
            .and_then(|lease| lease.get("holder")?.as_str())
            != Some(holder)
        {
            return Ok(());
        }
        match self {
            Ledger::Forge(kvs) => Ok(kvs.delete(LEASE_KEY).await?),
            Ledger::Tenant {
                store,
                app_key,
                client_key,
            } => Ok(store.data_delete(app_key, client_key, LEASE_KEY).await?),
        }
    }

    /// The closed accounts, with whether each was erased.
    async fn closed(&self) -> Result<BTreeMap<String, bool>, CycleError> {
        let entries: Vec<(String, Closed)> = match self {
            Ledger::Forge(kvs) => kvs
                .query_all::<Closed>(CLOSED_PREFIX)
                .await?
                .into_iter()
                .map(|entry| (entry.key, entry.value))
                .collect(),
            Ledger::Tenant {
                store,
                app_key,
                client_key,
            } => store
                .data_list(app_key, client_key, CLOSED_PREFIX, now_secs())
                .await?
                .into_iter()
                .map(|(key, text)| {
                    serde_json::from_str(&text)
                        .map(|closed| (key, closed))
                        .map_err(|error| CycleError::Corrupt(error.to_string()))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(entries
            .into_iter()
            .filter_map(|(key, closed)| {
                Some((key.strip_prefix(CLOSED_PREFIX)?.to_owned(), closed.erased))
            })
            .collect())
    }
}

fn closed_key(account_id: &str) -> String {
    format!("{CLOSED_PREFIX}{account_id}")
}

/// Whether `id` is an account id Atlassian would take: 1 to 128 of `A-Z a-z 0-9 - :`, not
/// `unknown` (the guidelines' shape; anything else is not reported).
fn reportable(id: &str) -> bool {
    id != UNKNOWN_ACCOUNT
        && (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b':')
}

/// One cycle's parts: the app, whose data, where its state lives, where reports go.
pub(crate) struct Cycle<'a> {
    pub(crate) hook: &'a dyn ErasedPersonalData,
    pub(crate) scope: &'a DataScope,
    pub(crate) ledger: &'a Ledger,
    pub(crate) reporter: &'a Reporter,
}

/// Runs the cycle if it is due and no other instance runs it.
pub(crate) async fn run(cycle: Cycle<'_>) -> Result<Outcome, CycleError> {
    let ledger = cycle.ledger;
    let now = OffsetDateTime::now_utc();
    let state: CycleState = ledger.get(STATE_KEY).await?.unwrap_or_default();
    if !state.due(now) {
        return Ok(Outcome::NotDue);
    }
    let holder = uuid::Uuid::new_v4().to_string();
    if !ledger.lease(now, &holder).await? {
        return Ok(Outcome::Busy);
    }
    // A panic in the app's hooks must not keep the lease until it expires: caught here,
    // before the release, and reported as the cycle's error.
    let result = crate::http::stack::catch_panic(run_leased(&cycle, now))
        .await
        .unwrap_or_else(|message| Err(CycleError::App(format!("the cycle panicked: {message}"))));
    if let Err(error) = ledger.release(&holder).await {
        // The lease expires by itself.
        tracing::warn!(%error, "could not release the personal data lease");
    }
    result
}

async fn run_leased(cycle: &Cycle<'_>, now: OffsetDateTime) -> Result<Outcome, CycleError> {
    let (hook, scope, ledger) = (cycle.hook, cycle.scope, cycle.ledger);
    // Read again under the lease: another instance may have finished the cycle meanwhile.
    let mut state: CycleState = ledger.get(STATE_KEY).await?.unwrap_or_default();
    if !state.due(now) {
        return Ok(Outcome::NotDue);
    }
    let closed = ledger.closed().await?;
    // Erasures that failed last time, without reporting the account again.
    for (account_id, erased) in &closed {
        if !erased {
            erase(cycle, account_id).await?;
        }
    }
    let mut accounts: BTreeMap<String, OffsetDateTime> = BTreeMap::new();
    for account in hook
        .accounts(scope)
        .await
        .map_err(|error| CycleError::App(error.to_string()))?
    {
        if !reportable(&account.account_id) || closed.contains_key(&account.account_id) {
            continue;
        }
        accounts
            .entry(account.account_id)
            .and_modify(|at| *at = (*at).min(account.updated_at))
            .or_insert(account.updated_at);
    }
    let started = match (&state.resume_after, state.started) {
        (Some(_), Some(started)) => started,
        _ => now,
    };
    let pending: Vec<StoredAccount> = accounts
        .into_iter()
        .filter(|(id, _)| state.resume_after.as_ref().is_none_or(|after| id > after))
        .map(|(account_id, updated_at)| StoredAccount {
            account_id,
            updated_at,
        })
        .collect();
    let mut batches = 0;
    for batch in pending.chunks(MAX_ACCOUNTS_PER_REPORT) {
        let answer = report(cycle.reporter, batch).await?;
        batches += 1;
        if let Some(period) = answer.period {
            state.period_secs = Some(period.as_secs());
        }
        for (account_id, status) in answer.statuses {
            // Only what this batch asked about.
            if !batch.iter().any(|account| account.account_id == account_id) {
                continue;
            }
            match status.as_str() {
                "closed" => {
                    ledger
                        .set(&closed_key(&account_id), &Closed { erased: false })
                        .await?;
                    erase(cycle, &account_id).await?;
                }
                "updated" => {
                    if let Err(error) = hook.refresh(scope, &account_id).await {
                        tracing::warn!(%error, "the app's refresh of an updated account failed");
                    }
                }
                _ => {}
            }
        }
        // Where to resume if the cycle stops here.
        state.started = Some(started);
        state.resume_after = batch.last().map(|account| account.account_id.clone());
        ledger.set(STATE_KEY, &state).await?;
    }
    state.last_cycle = Some(started);
    state.started = None;
    state.resume_after = None;
    ledger.set(STATE_KEY, &state).await?;
    Ok(Outcome::Reported {
        accounts: pending.len(),
        batches,
    })
}

/// Erases a closed account through the app; recorded as erased only when the app succeeded
/// (else retried at the next cycle).
async fn erase(cycle: &Cycle<'_>, account_id: &str) -> Result<(), CycleError> {
    match cycle.hook.erase(cycle.scope, account_id).await {
        Ok(()) => {
            cycle
                .ledger
                .set(&closed_key(account_id), &Closed { erased: true })
                .await?;
        }
        Err(error) => {
            tracing::warn!(%error, "the app's erasure of a closed account failed; retried at the next cycle");
        }
    }
    Ok(())
}

/// Reports `batch` (at most 90 accounts); 429 is waited out by the app's retry policy.
async fn report(reporter: &Reporter, batch: &[StoredAccount]) -> Result<Answer, CycleError> {
    let accounts: Vec<Value> = batch
        .iter()
        .map(|account| {
            json!({
                "accountId": account.account_id,
                "updatedAt": account
                    .updated_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            })
        })
        .collect();
    let response = reporter
        .request()
        .json(&json!({ "accounts": accounts }))
        // A 429 was not carried out: sending the batch again is safe.
        .idempotent()
        .any_status()
        .send()
        .await?;
    let period = response
        .headers()
        .get("cycle-period")
        .and_then(|value| value.to_str().ok())
        .and_then(period::parse_cycle_period);
    match response.status() {
        StatusCode::NO_CONTENT => Ok(Answer {
            statuses: Vec::new(),
            period,
        }),
        StatusCode::OK => {
            #[derive(Deserialize)]
            struct Body {
                #[serde(default)]
                accounts: Vec<Status>,
            }
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Status {
                account_id: String,
                status: String,
            }
            let body: Body =
                serde_json::from_slice(response.bytes()).map_err(|_| CycleError::Refused {
                    status: StatusCode::OK,
                    message: "the answer is not `{accounts: [...]}`".to_owned(),
                })?;
            Ok(Answer {
                statuses: body
                    .accounts
                    .into_iter()
                    .map(|status| (status.account_id, status.status))
                    .collect(),
                period,
            })
        }
        status => Err(CycleError::Refused {
            status,
            message: serde_json::from_slice::<Value>(response.bytes())
                .ok()
                .and_then(|body| body.get("errorMessage")?.as_str().map(str::to_owned))
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_account_ids_are_reported() {
        assert!(reportable("5be24ad8b1653240376955d2"));
        assert!(reportable("557058:f5b2c1e0-1a2b-4c3d-9e8f-001122334455"));
        for bad in ["unknown", "", "a b", "a/b", &"x".repeat(129)] {
            assert!(!reportable(bad), "{bad}");
        }
    }

    #[test]
    fn due_after_the_period_or_when_interrupted() {
        let now = OffsetDateTime::now_utc();
        assert!(CycleState::default().due(now));
        let recent = CycleState {
            last_cycle: Some(now - Duration::from_secs(3600)),
            ..CycleState::default()
        };
        assert!(!recent.due(now));
        assert!(recent.due(now + period::DEFAULT_CYCLE));
        let interrupted = CycleState {
            resume_after: Some("a".to_owned()),
            ..recent
        };
        assert!(interrupted.due(now));
        let corrupt = CycleState {
            last_cycle: Some(time::PrimitiveDateTime::MAX.assume_utc()),
            period_secs: Some(u64::MAX),
            ..CycleState::default()
        };
        assert!(corrupt.due(now), "out of range reads as due, not a panic");
    }
}
