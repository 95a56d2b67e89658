//! One reporting cycle for one Forge installation.
//!
//! Its state lives in the installation's Forge storage, so it survives restarts and is shared
//! by every instance of the app:
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
use crate::client::storage::{KeyPolicy, SetOptions, StorageError, Ttl, TtlUnit};
use crate::client::{ClientError, ForgeClient};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use warp::http::StatusCode;

const STATE_KEY: &str = "personal-data:cycle";
const LEASE_KEY: &str = "personal-data:lease";
const CLOSED_PREFIX: &str = "personal-data:closed:";
/// The reporting API, below the origin of `apiBaseUrl`.
const REPORT_PATH: &str = "/app/report-accounts/";

/// How long a lease holds when its holder dies without releasing it.
pub(crate) const LEASE: Duration = Duration::from_secs(15 * 60);

/// Why a cycle stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CycleError {
    #[error("Forge storage: {0}")]
    Storage(#[from] StorageError),
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
            || self
                .last_cycle
                .is_none_or(|last| now >= last + self.period())
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

/// Runs the installation's cycle if it is due and no other instance runs it.
pub(crate) async fn run(
    hook: &dyn ErasedPersonalData,
    scope: &DataScope,
    api: &ForgeClient,
) -> Result<Outcome, CycleError> {
    let kvs = scope.storage();
    let now = OffsetDateTime::now_utc();
    let state: CycleState = kvs.get(STATE_KEY).await?.unwrap_or_default();
    if !state.due(now) {
        return Ok(Outcome::NotDue);
    }
    let lease = SetOptions {
        ttl: Some(Ttl {
            value: LEASE.as_secs(),
            unit: TtlUnit::Seconds,
        }),
        key_policy: KeyPolicy::FailIfExists,
    };
    match kvs
        .set_with(LEASE_KEY, &json!({ "since": now.unix_timestamp() }), lease)
        .await
    {
        Ok(()) => {}
        Err(StorageError::Conflict { .. }) => return Ok(Outcome::Busy),
        Err(error) => return Err(error.into()),
    }
    let result = run_leased(hook, scope, api, now).await;
    if let Err(error) = kvs.delete(LEASE_KEY).await {
        // The TTL frees it.
        tracing::warn!(%error, "could not release the personal data lease");
    }
    result
}

async fn run_leased(
    hook: &dyn ErasedPersonalData,
    scope: &DataScope,
    api: &ForgeClient,
    now: OffsetDateTime,
) -> Result<Outcome, CycleError> {
    let kvs = scope.storage();
    // Read again under the lease: another instance may have finished the cycle meanwhile.
    let mut state: CycleState = kvs.get(STATE_KEY).await?.unwrap_or_default();
    if !state.due(now) {
        return Ok(Outcome::NotDue);
    }
    let closed: BTreeMap<String, bool> = kvs
        .query_all::<Closed>(CLOSED_PREFIX)
        .await?
        .into_iter()
        .filter_map(|entry| {
            let id = entry.key.strip_prefix(CLOSED_PREFIX)?.to_owned();
            Some((id, entry.value.erased))
        })
        .collect();
    // Erasures that failed last time, without reporting the account again.
    for (account_id, erased) in &closed {
        if !erased {
            erase(hook, scope, account_id).await?;
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
        let answer = report(api, batch).await?;
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
                    kvs.set(&closed_key(&account_id), &Closed { erased: false })
                        .await?;
                    erase(hook, scope, &account_id).await?;
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
        kvs.set(STATE_KEY, &state).await?;
    }
    state.last_cycle = Some(started);
    state.started = None;
    state.resume_after = None;
    kvs.set(STATE_KEY, &state).await?;
    Ok(Outcome::Reported {
        accounts: pending.len(),
        batches,
    })
}

/// Erases a closed account through the app; recorded as erased only when the app succeeded
/// (else retried at the next cycle).
async fn erase(
    hook: &dyn ErasedPersonalData,
    scope: &DataScope,
    account_id: &str,
) -> Result<(), CycleError> {
    match hook.erase(scope, account_id).await {
        Ok(()) => {
            scope
                .storage()
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
async fn report(api: &ForgeClient, batch: &[StoredAccount]) -> Result<Answer, CycleError> {
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
    let response = api
        .post(REPORT_PATH)
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
    }
}
