//! The Forge Remote path: Forge hands a remote a system token only with an invocation, so the
//! framework declares its own daily `scheduledTrigger` (`personal-data`) and runs an
//! installation's cycle after answering each delivery, with that delivery's token (which lives
//! for hours), under a deadline. Reports go to `/app/report-accounts/` at the origin of the
//! verified `apiBaseUrl`, the system token as `Bearer` (the remote storage page's pattern for
//! Atlassian's APIs; `@forge/api` posts to the same path as the app); the manifest gains the
//! `report:personal-data` scope.
//!
//! A Forge Container has no documented proxy path to the reporting API: there the delivery is
//! acknowledged and a warning logged, nothing reported.

use super::cycle::{self, Cycle, Ledger, Outcome, Reporter};
use super::{DataScope, PersonalDataHook};
use crate::client::ForgeClient;
use crate::client::storage::ForgeStorage;
use crate::error::ConnectError;
use crate::handler::ConnectRequest;
use crate::handler::extract::FromRequest;
use crate::http::{AppError, IntoResponse, Json, Response};
use crate::policy::ForgeInvocation;
use std::time::Duration;

/// The key of the framework's scheduled trigger (its endpoint is `personal-data-ep`).
pub(crate) const PERSONAL_DATA_KEY: &str = "personal-data";
/// Its route.
pub(crate) const PERSONAL_DATA_PATH: &str = "/forge/personal-data";

/// How long one installation's cycle may run after its delivery was answered.
const DEADLINE: Duration = Duration::from_secs(10 * 60);

/// A delivery of the `personal-data` trigger: answered 202 at once; the installation's cycle
/// runs after, on its own task.
pub(crate) async fn delivery_call(request: ConnectRequest) -> Result<Response, AppError> {
    let Some(hook) = request.core.state.get::<PersonalDataHook>() else {
        return Err(ConnectError::Internal("personal data route without its hook").into());
    };
    let forge = request.verified_forge()?.clone();
    let client = <ForgeClient as FromRequest<ForgeInvocation>>::from_request(&request).await?;
    if client.in_container() {
        tracing::warn!(
            "personal data reporting has no documented path from a Forge Container: nothing reported"
        );
        return Ok(IntoResponse::into_response((
            warp::http::StatusCode::ACCEPTED,
            Json(serde_json::json!({ "reported": false })),
        )));
    }
    let storage = ForgeStorage::new(&client).map_err(ConnectError::from)?;
    let reporter = Reporter::Forge(client.at_platform().map_err(ConnectError::from)?);
    let ledger = Ledger::Forge(storage.clone());
    let scope = DataScope::forge(forge.installation_id().to_owned(), storage, client);
    let hook = PersonalDataHook::clone(&hook);
    tokio::spawn(async move {
        let run = super::catching_panics(cycle::run(Cycle {
            hook: &*hook.0,
            scope: &scope,
            ledger: &ledger,
            reporter: &reporter,
        }));
        match tokio::time::timeout(DEADLINE, run).await {
            Ok(Ok(Outcome::Reported { accounts, batches })) => tracing::info!(
                installation = scope.owner_id(),
                accounts,
                batches,
                "personal data reported"
            ),
            Ok(Ok(Outcome::NotDue)) => {
                tracing::debug!(
                    installation = scope.owner_id(),
                    "personal data cycle not due"
                );
            }
            Ok(Ok(Outcome::Busy)) => tracing::debug!(
                installation = scope.owner_id(),
                "personal data cycle run by another instance"
            ),
            Ok(Err(error)) => tracing::warn!(
                installation = scope.owner_id(),
                %error,
                "personal data cycle stopped; it resumes at the next delivery"
            ),
            Err(_) => tracing::warn!(
                installation = scope.owner_id(),
                "personal data cycle ran past its deadline; it resumes at the next delivery"
            ),
        }
    });
    Ok(IntoResponse::into_response((
        warp::http::StatusCode::ACCEPTED,
        Json(serde_json::json!({ "reported": "started" })),
    )))
}
