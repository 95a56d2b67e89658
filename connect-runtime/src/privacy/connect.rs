//! The Connect path: every installed tenant's cycle, run by the app itself (a Connect app
//! holds its tenants' shared secrets, so it needs no invocation): a task started by `serve`
//! that goes through the tenants twice a day (each cycle runs only when due), and the
//! `report-personal-data` command, which does it once.
//!
//! The cycle's state lives in the tenant store (`TenantStore::data_*`), shared by every
//! instance of the app; reports go to `POST {baseUrl}/rest/atlassian-connect/latest/report-accounts`
//! as the app (a JWT with the tenant's shared secret and the request's `qsh`). That path is
//! not in Atlassian's current docs: it comes from community code (`ace-gdpr`, a companion
//! package of atlassian-connect-express), and an Atlassian engineer confirmed on the developer
//! forum that Connect apps call the API "in the context of your App, using JWTs", per site.

use super::cycle::{self, Cycle, Ledger, Outcome, Reporter};
use super::{DataScope, PersonalDataHook};
use crate::handler::Core;
use crate::store::TenantStore;
use std::sync::Arc;
use std::time::Duration;

/// How often the task goes through the tenants (each cycle runs only when due).
const ROUND: Duration = Duration::from_secs(12 * 60 * 60);
/// How long one tenant's cycle may run.
const DEADLINE: Duration = Duration::from_secs(10 * 60);

/// What one round over a Connect app's tenants did
/// ([`ConnectApp::report_personal_data`](crate::ConnectApp::report_personal_data)).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TenantsReport {
    /// `(clientKey, accounts reported, requests)` of each tenant whose cycle ran.
    pub reported: Vec<(String, usize, usize)>,
    /// Tenants whose cycle was not due, or was being run by another instance.
    pub skipped: usize,
    /// `(clientKey, why)` of each tenant whose cycle stopped (it resumes at the next round).
    pub failed: Vec<(String, String)>,
}

/// Runs the cycle of every installed tenant of `app_key` that is due.
pub(crate) async fn report_tenants(
    hook: &PersonalDataHook,
    core: &Core,
    store: &Arc<dyn TenantStore>,
    app_key: &str,
) -> Result<TenantsReport, crate::store::StoreError> {
    let mut report = TenantsReport::default();
    for tenant in store.installed_tenants(app_key).await? {
        let client_key = tenant.client_key.clone();
        let client = match core.host_client(&tenant) {
            Ok(client) => client,
            Err(error) => {
                report.failed.push((client_key, error.to_string()));
                continue;
            }
        };
        let ledger = Ledger::Tenant {
            store: Arc::clone(store),
            app_key: app_key.to_owned(),
            client_key: client_key.clone(),
        };
        let reporter = Reporter::Connect(client.clone());
        let scope = DataScope::connect(tenant, client);
        let run = super::catching_panics(cycle::run(Cycle {
            hook: &*hook.0,
            scope: &scope,
            ledger: &ledger,
            reporter: &reporter,
        }));
        match tokio::time::timeout(DEADLINE, run).await {
            Ok(Ok(Outcome::Reported { accounts, batches })) => {
                report.reported.push((client_key, accounts, batches));
            }
            Ok(Ok(Outcome::NotDue | Outcome::Busy)) => report.skipped += 1,
            Ok(Err(error)) => report.failed.push((client_key, error)),
            Err(_) => report
                .failed
                .push((client_key, "the cycle ran past its deadline".to_owned())),
        }
    }
    Ok(report)
}

/// Starts the task that runs every due tenant cycle, a few minutes after start and then
/// twice a day, for as long as the process serves.
pub(crate) fn spawn_daily(
    hook: PersonalDataHook,
    core: Arc<Core>,
    store: Arc<dyn TenantStore>,
    app_key: String,
) {
    tokio::spawn(async move {
        // Not at start: instances restarted together would all try at once, and the app's
        // first minutes belong to its traffic.
        let first = Duration::from_secs(60 + rand::random::<u64>() % 300);
        tokio::time::sleep(first).await;
        loop {
            match report_tenants(&hook, &core, &store, &app_key).await {
                Ok(report) => {
                    for (client_key, accounts, batches) in &report.reported {
                        tracing::info!(tenant = ?client_key, accounts, batches, "personal data reported");
                    }
                    for (client_key, error) in &report.failed {
                        tracing::warn!(tenant = ?client_key, %error, "personal data cycle stopped; it resumes at the next round");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not list the tenants for personal data reporting")
                }
            }
            tokio::time::sleep(ROUND).await;
        }
    });
}
