//! Personal data reporting of a Connect app: the cycle of every installed tenant, its state
//! in the tenant store, reports to the simulated site as the app (JWT with `qsh`), a closed
//! account erased once and never reported again (after a restart of the app too), a second
//! round within the cycle reporting nothing, two instances on one store reporting once.

use crate::common::APP_BASE_URL;
use atlassian_connect::TenantStore;
use atlassian_connect::prelude::*;
use atlassian_connect::privacy::{DataScope, PersonalData, StoredAccount};
use atlassian_connect::store::MemoryStore;
use connect_runtime::__private::{RunningServer, spawn};
use connect_runtime::config::{HostRule, RetryPolicy};
use connect_testing::{Caller, ProductHost, Site};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "com.example.privacy";

/// The accounts each tenant stores (by clientKey), and the erasures asked for.
#[derive(Default)]
struct Accounts {
    by_tenant: Mutex<HashMap<String, Vec<String>>>,
    erased: Mutex<Vec<(String, String)>>,
}

#[derive(Clone)]
struct Stored(Arc<Accounts>);

impl PersonalData for Stored {
    async fn accounts(&self, scope: &DataScope) -> Result<Vec<StoredAccount>, AppError> {
        let client_key = &scope.tenant()?.client_key;
        let accounts = self.0.by_tenant.lock().unwrap().get(client_key).cloned();
        Ok(accounts
            .unwrap_or_default()
            .into_iter()
            .map(|account_id| StoredAccount {
                account_id,
                updated_at: time::macros::datetime!(2026-11-30 12:00 UTC),
            })
            .collect())
    }

    async fn erase(&self, scope: &DataScope, account_id: &str) -> Result<(), AppError> {
        let client_key = scope.tenant()?.client_key.clone();
        if let Some(accounts) = self.0.by_tenant.lock().unwrap().get_mut(&client_key) {
            accounts.retain(|account| account != account_id);
        }
        self.0
            .erased
            .lock()
            .unwrap()
            .push((client_key, account_id.to_owned()));
        Ok(())
    }
}

#[connect::general_page(key = "hello", name = "Hello", url = "/hello")]
async fn hello() -> &'static str {
    "hello"
}

fn config(host: &ProductHost) -> ConnectConfig {
    let mut config = ConnectConfig::new(APP_BASE_URL.parse().unwrap());
    config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
    config.allowed_tenant_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
    config.client.retry = RetryPolicy {
        max_attempts: 4,
        max_total_wait: Duration::from_secs(5),
        base_delay: Duration::from_millis(40),
        max_delay: Duration::from_millis(100),
    };
    config
}

fn app(key: &str, accounts: &Arc<Accounts>) -> App {
    App::new(key, "Privacy")
        .scopes([Scope::Read])
        .personal_data(Stored(Arc::clone(accounts)))
        .handlers(handlers![hello])
}

struct Setup {
    key: String,
    host: ProductHost,
    store: Arc<dyn TenantStore>,
    accounts: Arc<Accounts>,
    sites: Vec<Site>,
    _server: RunningServer,
}

impl Setup {
    /// The app installed on two Jira sites, storing 120 and 30 accounts (10 on both).
    async fn start() -> Self {
        Self::start_on(KEY.to_owned(), Arc::new(MemoryStore::default())).await
    }

    /// As [`start`](Self::start), app `key` on `store`.
    async fn start_on(key: String, store: Arc<dyn TenantStore>) -> Self {
        let host = ProductHost::start().await.unwrap();
        let accounts = Arc::new(Accounts::default());
        let built = app(&key, &accounts)
            .build(config(&host), Arc::clone(&store))
            .unwrap();
        let server = spawn(built.filter(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let under_test = host.connect(&server.url()).await.unwrap();
        let mut sites = Vec::new();
        for name in ["one", "two"] {
            let site = host.serve_site(Site::jira(name)).await.unwrap();
            assert_eq!(host.install(&under_test, &site).await.unwrap().status, 204);
            sites.push(site);
        }
        let ids = |range: std::ops::Range<usize>| -> Vec<String> {
            range.map(|n| format!("557058:{n:06}")).collect()
        };
        {
            let mut by_tenant = accounts.by_tenant.lock().unwrap();
            by_tenant.insert(sites[0].client_key.clone(), ids(0..120));
            by_tenant.insert(sites[1].client_key.clone(), ids(110..140));
        }
        Self {
            key,
            host,
            store,
            accounts,
            sites,
            _server: server,
        }
    }

    /// A fresh instance of the app on the same tenant store (a restart, or a second
    /// instance).
    fn instance(&self) -> ConnectApp {
        app(&self.key, &self.accounts)
            .build(config(&self.host), Arc::clone(&self.store))
            .unwrap()
    }
}

#[tokio::test]
async fn every_tenant_is_reported_once_per_cycle_as_the_app() {
    let setup = Setup::start().await;
    let app = setup.instance();
    let round = app.report_personal_data().await.unwrap();
    assert!(round.failed.is_empty(), "{round:?}");
    let mut reported: Vec<(String, usize, usize)> = round.reported.clone();
    reported.sort();
    let mut expected = vec![
        (setup.sites[0].client_key.clone(), 120, 2),
        (setup.sites[1].client_key.clone(), 30, 1),
    ];
    expected.sort();
    assert_eq!(reported, expected);
    let reports = setup.host.api().reports();
    let sizes: Vec<(String, usize)> = reports
        .iter()
        .map(|(client_key, accounts)| (client_key.clone(), accounts.len()))
        .collect();
    assert!(sizes.iter().all(|(_, n)| *n <= 90), "{sizes:?}");
    // Each request went to the tenant's own site, signed as the app.
    let calls: Vec<_> = setup
        .host
        .api()
        .calls()
        .into_iter()
        .filter(|call| call.path == "/rest/atlassian-connect/latest/report-accounts")
        .collect();
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|call| call.caller == Caller::App(KEY.to_owned()) && call.status == 204),
        "{calls:?}"
    );
    // Within the cycle: nothing again, from this instance or another.
    let again = app.report_personal_data().await.unwrap();
    assert_eq!((again.reported.len(), again.skipped), (0, 2));
    let other = setup.instance().report_personal_data().await.unwrap();
    assert_eq!((other.reported.len(), other.skipped), (0, 2));
    assert_eq!(setup.host.api().reports().len(), 3);
}

#[tokio::test]
async fn a_closed_account_is_erased_once_and_never_reported_again_after_a_restart() {
    let setup = Setup::start().await;
    let closed = "557058:000115"; // on both sites
    setup.host.api().close_account(closed);
    setup.host.api().set_cycle_period("P7D");
    let first = setup.instance();
    first.report_personal_data().await.unwrap();
    let erased = setup.accounts.erased.lock().unwrap().clone();
    let mut erased_sites: Vec<&str> = erased.iter().map(|(site, _)| site.as_str()).collect();
    erased_sites.sort();
    let mut both: Vec<&str> = setup
        .sites
        .iter()
        .map(|site| site.client_key.as_str())
        .collect();
    both.sort();
    assert_eq!(erased_sites, both, "erased once in each installation");
    assert!(erased.iter().all(|(_, account)| account == closed));
    // The app stores it again (a stale copy), a cycle later, in a restarted app.
    for site in &setup.sites {
        setup
            .accounts
            .by_tenant
            .lock()
            .unwrap()
            .get_mut(&site.client_key)
            .unwrap()
            .push(closed.to_owned());
        let mut state: serde_json::Value = serde_json::from_str(
            &setup
                .store
                .data_get(KEY, &site.client_key, "personal-data:cycle", 0)
                .await
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        state["lastCycle"] = serde_json::json!("2026-01-01T00:00:00Z");
        setup
            .store
            .data_put(
                KEY,
                &site.client_key,
                "personal-data:cycle",
                &state.to_string(),
            )
            .await
            .unwrap();
    }
    let before = setup.host.api().reports().len();
    drop(first);
    let restarted = setup.instance();
    let round = restarted.report_personal_data().await.unwrap();
    assert_eq!(round.reported.len(), 2, "{round:?}");
    let later = &setup.host.api().reports()[before..];
    assert!(
        later
            .iter()
            .all(|(_, accounts)| accounts.iter().all(|(id, _)| id != closed)),
        "never reported again"
    );
    assert_eq!(
        setup.accounts.erased.lock().unwrap().len(),
        2,
        "not erased a second time"
    );
}

#[tokio::test]
async fn two_instances_on_one_postgres_store_report_each_account_once() {
    let url = crate::store::test_database_url();
    let store = atlassian_connect::store::open(&url).await.unwrap();
    let key = format!("com.example.privacy.{}", rand::random::<u32>());
    let setup = Setup::start_on(key, store).await;
    let (one, two) = (setup.instance(), setup.instance());
    let (a, b) = tokio::join!(one.report_personal_data(), two.report_personal_data());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.failed.is_empty() && b.failed.is_empty(), "{a:?} {b:?}");
    assert_eq!(
        a.reported.len() + b.reported.len(),
        2,
        "each tenant's cycle ran once: {a:?} {b:?}"
    );
    let mut reported: Vec<(String, String)> = setup
        .host
        .api()
        .reports()
        .into_iter()
        .flat_map(|(client_key, accounts)| {
            accounts
                .into_iter()
                .map(move |(id, _)| (client_key.clone(), id))
        })
        .collect();
    let total = reported.len();
    reported.sort();
    reported.dedup();
    assert_eq!(total, 150, "120 + 30 accounts");
    assert_eq!(reported.len(), 150, "none twice");
}

/// Accounts that panic for one tenant: a bug in the app's hook.
struct PanicsFor(String, Stored);

impl PersonalData for PanicsFor {
    async fn accounts(&self, scope: &DataScope) -> Result<Vec<StoredAccount>, AppError> {
        if scope.tenant()?.client_key == self.0 {
            panic!("a bug in the app's accounts()");
        }
        self.1.accounts(scope).await
    }

    async fn erase(&self, scope: &DataScope, account_id: &str) -> Result<(), AppError> {
        self.1.erase(scope, account_id).await
    }
}

#[tokio::test]
async fn a_panic_in_one_tenants_hook_fails_that_tenant_only() {
    let setup = Setup::start().await;
    let broken = setup.sites[0].client_key.clone();
    let app = App::new(KEY, "Privacy")
        .scopes([Scope::Read])
        .personal_data(PanicsFor(
            broken.clone(),
            Stored(Arc::clone(&setup.accounts)),
        ))
        .handlers(handlers![hello])
        .build(config(&setup.host), Arc::clone(&setup.store))
        .unwrap();
    let round = app.report_personal_data().await.unwrap();
    assert_eq!(round.failed.len(), 1, "{round:?}");
    assert_eq!(round.failed[0].0, broken);
    assert!(round.failed[0].1.contains("panicked"), "{round:?}");
    assert_eq!(
        round.reported,
        [(setup.sites[1].client_key.clone(), 30, 1)],
        "the other tenant is reported"
    );
    // The lease was released: the next round tries the broken tenant again.
    let again = app.report_personal_data().await.unwrap();
    assert_eq!(again.failed.len(), 1, "{again:?}");
}
