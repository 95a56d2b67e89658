//! The personal data reporting API of the simulated platform (`POST /app/report-accounts/`),
//! as Atlassian's user privacy guidelines describe it: at most 90 accounts a request, each
//! `{accountId, updatedAt}` (RFC 3339); 200 with the accounts that are `closed` or `updated`,
//! 204 when nothing is to be done; 400 `{errorType, errorMessage}` for a malformed request
//! (the account `unknown` included); 429 with `Retry-After`; a `Cycle-Period` header when a
//! test sets one. Every accepted request is recorded as a batch.

use super::answers::{PRODUCT_API_LEEWAY_SECS, token_caller};
use super::{ForgePlatform, PlatformState};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Mutex;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// What the simulated reporting API knows and saw.
#[derive(Debug, Default)]
pub(super) struct ReportingState {
    closed: BTreeSet<String>,
    updated: BTreeSet<String>,
    cycle_period: Option<String>,
    rate_limited: usize,
    failing: usize,
    /// After this many more accepted reports, one fails.
    fail_after: Option<usize>,
    batches: Vec<ReportBatch>,
}

/// One request the reporting API accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBatch {
    /// The installation whose system token sent it.
    pub installation_id: String,
    /// The accounts reported, with their `updatedAt`.
    pub accounts: Vec<(String, String)>,
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    warp::reply::with_status(
        warp::reply::json(&json!({"errorType": kind, "errorMessage": message})),
        status,
    )
    .into_response()
}

pub(super) fn report_answer(
    state: &Mutex<PlatformState>,
    authorization: Option<String>,
    body: &[u8],
) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let caller = token_caller(
        &state.keys,
        authorization.as_deref(),
        PRODUCT_API_LEEWAY_SECS,
    );
    if caller.kind != "system" {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "a system token is required",
        );
    }
    let installation_id = caller
        .claims
        .as_ref()
        .and_then(|claims| claims.get("installationId")?.as_str())
        .unwrap_or_default()
        .to_owned();
    let reporting = &mut state.reporting;
    if reporting.rate_limited > 0 {
        reporting.rate_limited -= 1;
        return warp::reply::with_header(
            error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "slow down"),
            "retry-after",
            "1",
        )
        .into_response();
    }
    if reporting.fail_after == Some(0) {
        reporting.fail_after = None;
        reporting.failing += 1;
    }
    if reporting.failing > 0 {
        reporting.failing -= 1;
        return error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "try later");
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "not JSON");
    };
    let Some(accounts) = request["accounts"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "accounts is required",
        );
    };
    if accounts.is_empty() || accounts.len() > 90 {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "1 to 90 accounts");
    }
    let mut batch = Vec::new();
    for account in accounts {
        let (Some(id), Some(updated_at)) =
            (account["accountId"].as_str(), account["updatedAt"].as_str())
        else {
            return error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "accountId and updatedAt",
            );
        };
        if id == "unknown"
            || time::OffsetDateTime::parse(
                updated_at,
                &time::format_description::well_known::Rfc3339,
            )
            .is_err()
        {
            return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid account");
        }
        batch.push((id.to_owned(), updated_at.to_owned()));
    }
    let statuses: Vec<Value> = batch
        .iter()
        .filter_map(|(id, _)| {
            if reporting.closed.contains(id) {
                Some(json!({"accountId": id, "status": "closed"}))
            } else if reporting.updated.contains(id) {
                Some(json!({"accountId": id, "status": "updated"}))
            } else {
                None
            }
        })
        .collect();
    if let Some(left) = &mut reporting.fail_after {
        *left -= 1;
    }
    reporting.batches.push(ReportBatch {
        installation_id,
        accounts: batch,
    });
    let mut answer = if statuses.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        warp::reply::json(&json!({ "accounts": statuses })).into_response()
    };
    if let Some(period) = &reporting.cycle_period
        && let Ok(value) = warp::http::HeaderValue::from_str(period)
    {
        answer.headers_mut().insert("cycle-period", value);
    }
    answer
}

/// The reporting API's switches and records, for tests.
impl ForgePlatform {
    /// Answers `account_id` as `closed` from now on.
    pub fn close_account(&self, account_id: &str) {
        self.lock().reporting.closed.insert(account_id.to_owned());
    }

    /// Answers `account_id` as `updated` from now on.
    pub fn update_account(&self, account_id: &str) {
        self.lock().reporting.updated.insert(account_id.to_owned());
    }

    /// Sends `Cycle-Period: value` with every answer.
    pub fn set_cycle_period(&self, value: &str) {
        self.lock().reporting.cycle_period = Some(value.to_owned());
    }

    /// Answers the next `count` reports with 429 and `Retry-After: 1`.
    pub fn rate_limit_reports(&self, count: usize) {
        self.lock().reporting.rate_limited = count;
    }

    /// Answers the next `count` reports with 500.
    pub fn fail_reports(&self, count: usize) {
        self.lock().reporting.failing = count;
    }

    /// Accepts the next `accepted` reports, then answers one with 500.
    pub fn fail_reports_after(&self, accepted: usize) {
        self.lock().reporting.fail_after = Some(accepted);
    }

    /// The reports accepted so far.
    pub fn reports(&self) -> Vec<ReportBatch> {
        self.lock().reporting.batches.clone()
    }
}
