//! Personal data reporting, end to end with the simulated platform's reporting API: the
//! framework's `personal-data` trigger on the notes example (and on a counting app), batches
//! of 90 per installation, `unknown` never sent, closed accounts erased once and never
//! reported again (after a restart too), `Cycle-Period` honoured, 429 waited out, two
//! instances reporting once per cycle.

use super::APP_ID;
use super::native::native_config;
use crate::examples::notes;
use atlassian_connect::__private::{self as server, RunningServer};
use atlassian_connect::prelude::*;
use atlassian_connect::privacy::{DataScope, PersonalData, StoredAccount};
use atlassian_connect::store::MemoryStore;
use connect_testing::{Answer, ForgeInstallation, ForgePlatform};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Serves `app` as a remote of `platform` (several instances may share one platform).
async fn serve(app: App, platform: &ForgePlatform) -> RunningServer {
    let built = app
        .build(native_config(platform), Arc::new(MemoryStore::default()))
        .unwrap();
    server::spawn(built.filter(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
}

/// Delivers the `personal-data` trigger to the instance at `url`.
async fn deliver(platform: &ForgePlatform, url: &str, installation: &ForgeInstallation) -> Answer {
    let (answer, _) = platform
        .deliver(
            &format!("{url}/forge/personal-data"),
            installation,
            "personal-data",
            &json!({"context": {"cloudId": installation.cloud_id}}),
        )
        .await
        .unwrap();
    answer
}

/// The cycle's state in `installation`'s storage.
fn cycle_state(platform: &ForgePlatform, installation: &ForgeInstallation) -> Value {
    platform
        .storage(installation)
        .get("personal-data:cycle")
        .cloned()
        .unwrap_or(Value::Null)
}

/// Waits until `installation`'s cycle has ended (a `lastCycle` and nothing to resume) and no
/// lease is held.
async fn cycle_ended(platform: &ForgePlatform, installation: &ForgeInstallation) -> Value {
    for _ in 0..200 {
        let state = cycle_state(platform, installation);
        let leased = platform
            .storage(installation)
            .contains_key("personal-data:lease");
        if state["lastCycle"].is_string() && state["resumeAfter"].is_null() && !leased {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the cycle did not end: {}",
        cycle_state(platform, installation)
    );
}

/// Waits until the reporting API has accepted `count` reports.
async fn reports_reach(platform: &ForgePlatform, count: usize) {
    for _ in 0..200 {
        if platform.reports().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} reports, not {count}", platform.reports().len());
}

/// Moves `installation`'s last cycle `days` days into the past.
fn age_cycle(platform: &ForgePlatform, installation: &ForgeInstallation, days: i64) {
    let mut state = cycle_state(platform, installation);
    let past = time::OffsetDateTime::now_utc() - time::Duration::days(days);
    state["lastCycle"] = json!(
        past.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    platform.put_storage(installation, "personal-data:cycle", state);
}

fn account(n: usize) -> String {
    format!("557058:{n:08}")
}

/// Stores notes by the authors `authors` on `installation` (one note each, on issues of 20
/// notes), plus a second, later note by the first author.
fn store_notes(platform: &ForgePlatform, installation: &ForgeInstallation, authors: &[String]) {
    for (issue, chunk) in authors.chunks(20).enumerate() {
        let notes: Vec<Value> = chunk
            .iter()
            .map(|author| {
                json!({"id": format!("{author}-1"), "text": "x", "author": author,
                       "createdAt": "2026-11-01T10:00:00Z"})
            })
            .collect();
        platform.put_storage(installation, &format!("notes:TEST-{issue}"), json!(notes));
    }
    let mut later = platform.storage(installation)["notes:TEST-0"].clone();
    later
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "late", "text": "y", "author": authors[0],
        "createdAt": "2026-12-01T08:30:00Z"}));
    platform.put_storage(installation, "notes:TEST-0", later);
}

#[tokio::test]
async fn authors_are_reported_per_installation_in_batches_of_90() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let app = serve(notes::app(), &platform).await;
    let (first, second) = (
        ForgeInstallation::jira("first"),
        ForgeInstallation::jira("second"),
    );
    // 250 accounts: 150 on the first site, 110 on the second, 10 of them on both.
    let on_first: Vec<String> = (0..150).map(account).collect();
    let on_second: Vec<String> = (140..250).map(account).collect();
    store_notes(&platform, &first, &on_first);
    store_notes(&platform, &second, &on_second);
    // A note by `unknown` (as Jira reports some users): never reported.
    platform.put_storage(
        &first,
        "notes:TEST-99",
        json!([{"id": "u", "text": "?", "author": "unknown", "createdAt": "2026-11-02T00:00:00Z"}]),
    );
    for installation in [&first, &second] {
        let answer = deliver(&platform, &app.url(), installation).await;
        assert_eq!(answer.status, 202, "answered at once: {}", answer.body);
        cycle_ended(&platform, installation).await;
    }
    let reports = platform.reports();
    for (installation, expected, sizes) in [
        (&first, &on_first, vec![90, 60]),
        (&second, &on_second, vec![90, 20]),
    ] {
        let batches: Vec<_> = reports
            .iter()
            .filter(|batch| batch.installation_id == installation.installation_id)
            .collect();
        assert_eq!(
            batches.iter().map(|b| b.accounts.len()).collect::<Vec<_>>(),
            sizes
        );
        let mut reported: Vec<String> = batches
            .iter()
            .flat_map(|batch| batch.accounts.iter().map(|(id, _)| id.clone()))
            .collect();
        reported.sort();
        assert_eq!(&reported, expected, "each account once per installation");
        // The author with two notes: the later note's time.
        let first_author = batches
            .iter()
            .flat_map(|batch| batch.accounts.iter())
            .find(|(id, _)| id == &expected[0])
            .unwrap();
        assert_eq!(first_author.1, "2026-12-01T08:30:00Z");
    }
    assert!(
        reports
            .iter()
            .all(|batch| batch.accounts.iter().all(|(id, _)| id != "unknown"))
    );
    // A second delivery within the cycle reports nothing.
    let before = platform.reports().len();
    assert_eq!(deliver(&platform, &app.url(), &first).await.status, 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(platform.reports().len(), before);
}

/// A personal data implementation that counts its erasures, over accounts in one key.
struct Counting {
    erased: Arc<AtomicUsize>,
}

impl PersonalData for Counting {
    async fn accounts(&self, scope: &DataScope) -> Result<Vec<StoredAccount>, AppError> {
        let accounts: Vec<String> = scope.storage()?.get("accounts").await?.unwrap_or_default();
        Ok(accounts
            .into_iter()
            .map(|account_id| StoredAccount {
                account_id,
                updated_at: time::macros::datetime!(2026-11-30 12:00 UTC),
            })
            .collect())
    }

    async fn erase(&self, scope: &DataScope, account_id: &str) -> Result<(), AppError> {
        self.erased.fetch_add(1, Ordering::SeqCst);
        let mut accounts: Vec<String> = scope.storage()?.get("accounts").await?.unwrap_or_default();
        accounts.retain(|account| account != account_id);
        scope.storage()?.set("accounts", &accounts).await?;
        Ok(())
    }
}

#[forge::issue_panel(
    key = "count-panel",
    title = "Count",
    icon = "https://example.com/icon.svg",
    resource = "count",
    resource_path = "examples/notes/panel/build"
)]
#[forge::resolver(endpoint = "count-api", path = "/count", method = GET)]
async fn count() -> &'static str {
    "ok"
}

fn counting_app(erased: &Arc<AtomicUsize>) -> App {
    App::new("com.example.counting", "Counting")
        .forge_native()
        .product(Product::Jira)
        .personal_data(Counting {
            erased: Arc::clone(erased),
        })
        .handlers(handlers![count])
}

#[tokio::test]
async fn a_closed_account_is_erased_once_and_never_reported_again_even_after_a_restart() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let erased = Arc::new(AtomicUsize::new(0));
    let installation = ForgeInstallation::jira("closing");
    let closed = "5be24ba3f91c106033269289";
    platform.put_storage(
        &installation,
        "accounts",
        json!(["5be24ad8b1653240376955d2", closed]),
    );
    platform.close_account(closed);
    let first = serve(counting_app(&erased), &platform).await;
    assert_eq!(
        deliver(&platform, &first.url(), &installation).await.status,
        202
    );
    cycle_ended(&platform, &installation).await;
    assert_eq!(erased.load(Ordering::SeqCst), 1);
    assert_eq!(
        platform.storage(&installation)["accounts"],
        json!(["5be24ad8b1653240376955d2"])
    );
    // The app stores the closed account again (a stale copy elsewhere): still not reported.
    platform.put_storage(
        &installation,
        "accounts",
        json!(["5be24ad8b1653240376955d2", closed]),
    );
    // A restart: a new instance (nothing in memory), a cycle later.
    drop(first);
    age_cycle(&platform, &installation, 8);
    let second = serve(counting_app(&erased), &platform).await;
    assert_eq!(
        deliver(&platform, &second.url(), &installation)
            .await
            .status,
        202
    );
    reports_reach(&platform, 2).await;
    cycle_ended(&platform, &installation).await;
    let reports = platform.reports();
    assert_eq!(reports.len(), 2, "one report per cycle");
    assert!(reports[0].accounts.iter().any(|(id, _)| id == closed));
    assert!(
        reports[1].accounts.iter().all(|(id, _)| id != closed),
        "a closed account is never reported again: {:?}",
        reports[1]
    );
    assert_eq!(erased.load(Ordering::SeqCst), 1, "erased exactly once");
}

#[tokio::test]
async fn cycle_period_is_honoured_and_rate_limits_are_waited_out() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let erased = Arc::new(AtomicUsize::new(0));
    let installation = ForgeInstallation::jira("period");
    platform.put_storage(&installation, "accounts", json!(["557058:a", "557058:b"]));
    // 14 days, in seconds; the first report is rate limited once.
    platform.set_cycle_period("1209600");
    platform.rate_limit_reports(1);
    let app = serve(counting_app(&erased), &platform).await;
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    let state = cycle_ended(&platform, &installation).await;
    assert_eq!(state["periodSecs"], json!(1_209_600));
    assert_eq!(
        platform.reports().len(),
        1,
        "the 429 was retried, then accepted"
    );
    // 8 days later: within the 14 days Atlassian asked for, nothing is reported.
    age_cycle(&platform, &installation, 8);
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(platform.reports().len(), 1);
    // 15 days later: a new cycle.
    age_cycle(&platform, &installation, 15);
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    reports_reach(&platform, 2).await;
    assert_eq!(platform.reports().len(), 2);
}

#[tokio::test]
async fn two_instances_report_once_per_cycle() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let erased = Arc::new(AtomicUsize::new(0));
    let installation = ForgeInstallation::jira("twins");
    let accounts: Vec<String> = (0..120).map(account).collect();
    platform.put_storage(&installation, "accounts", json!(accounts));
    // The first instance's first report waits a second (429, Retry-After: 1): the second
    // instance's delivery comes while the first holds the lease.
    platform.rate_limit_reports(1);
    let (one, two) = (
        serve(counting_app(&erased), &platform).await,
        serve(counting_app(&erased), &platform).await,
    );
    let (one_url, two_url) = (one.url(), two.url());
    let (a, b) = tokio::join!(deliver(&platform, &one_url, &installation), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        deliver(&platform, &two_url, &installation).await
    });
    assert_eq!((a.status, b.status), (202, 202));
    cycle_ended(&platform, &installation).await;
    // And once more on each after the cycle ended: not due.
    deliver(&platform, &one.url(), &installation).await;
    deliver(&platform, &two.url(), &installation).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut reported: Vec<String> = platform
        .reports()
        .iter()
        .flat_map(|batch| batch.accounts.iter().map(|(id, _)| id.clone()))
        .collect();
    assert_eq!(reported.len(), 120, "each account once in the cycle");
    reported.sort();
    reported.dedup();
    assert_eq!(reported.len(), 120);
}

#[tokio::test]
async fn an_interrupted_cycle_resumes_without_reporting_twice() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let erased = Arc::new(AtomicUsize::new(0));
    let installation = ForgeInstallation::jira("resume");
    let accounts: Vec<String> = (0..200).map(account).collect();
    platform.put_storage(&installation, "accounts", json!(accounts));
    let app = serve(counting_app(&erased), &platform).await;
    // The first report is accepted, the second fails (500): the cycle stops after 90.
    platform.fail_reports_after(1);
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    let mut stopped = Value::Null;
    for _ in 0..200 {
        let state = cycle_state(&platform, &installation);
        let leased = platform
            .storage(&installation)
            .contains_key("personal-data:lease");
        if !leased && state["resumeAfter"].is_string() {
            stopped = state;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stopped["resumeAfter"], json!(account(89)), "{stopped}");
    assert!(stopped["lastCycle"].is_null(), "the cycle did not end");
    assert_eq!(platform.reports().len(), 1);
    // The next delivery resumes after the last account reported.
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    cycle_ended(&platform, &installation).await;
    let sizes: Vec<usize> = platform
        .reports()
        .iter()
        .map(|b| b.accounts.len())
        .collect();
    assert_eq!(sizes, [90, 90, 20]);
    let mut cycle: Vec<String> = platform
        .reports()
        .iter()
        .flat_map(|batch| batch.accounts.iter().map(|(id, _)| id.clone()))
        .collect();
    cycle.sort();
    assert_eq!(cycle, accounts, "each account once in the cycle");
}

#[tokio::test]
async fn a_forged_delivery_reports_nothing() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let erased = Arc::new(AtomicUsize::new(0));
    let installation = ForgeInstallation::jira("forged");
    platform.put_storage(&installation, "accounts", json!(["557058:a"]));
    let app = serve(counting_app(&erased), &platform).await;
    let other = ForgePlatform::start(APP_ID).await.unwrap();
    let forged = other.sign(&other.fit(&installation, "personal-data").without("context"));
    let answer = platform
        .send_with(
            &format!("{}/forge/personal-data", app.url()),
            reqwest::Method::POST,
            &forged,
            &connect_testing::Invocation {
                system_token: true,
                body: Some(json!({})),
                ..connect_testing::Invocation::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(platform.reports().is_empty());
    assert!(cycle_state(&platform, &installation).is_null());
}

#[tokio::test]
async fn a_closed_author_has_every_note_removed_and_is_not_reported_again() {
    let platform = ForgePlatform::start(APP_ID).await.unwrap();
    let app = serve(notes::app(), &platform).await;
    let installation = ForgeInstallation::jira("notes-closing");
    let note = |id: &str, author: &str| json!({"id": id, "text": id, "author": author, "createdAt": "2026-11-20T10:00:00Z"});
    platform.put_storage(
        &installation,
        "notes:TEST-1",
        json!([
            note("a1", "557058:alice"),
            note("b1", "557058:bob"),
            note("a2", "557058:alice")
        ]),
    );
    platform.put_storage(
        &installation,
        "notes:TEST-2",
        json!([note("a3", "557058:alice")]),
    );
    platform.put_storage(
        &installation,
        "notes:TEST-3",
        json!([note("b2", "557058:bob")]),
    );
    platform.close_account("557058:alice");
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    cycle_ended(&platform, &installation).await;
    let stored = platform.storage(&installation);
    assert_eq!(stored["notes:TEST-1"], json!([note("b1", "557058:bob")]));
    assert_eq!(stored["notes:TEST-2"], json!([]));
    assert_eq!(stored["notes:TEST-3"], json!([note("b2", "557058:bob")]));
    // The next cycle reports Bob only.
    age_cycle(&platform, &installation, 8);
    assert_eq!(
        deliver(&platform, &app.url(), &installation).await.status,
        202
    );
    reports_reach(&platform, 2).await;
    cycle_ended(&platform, &installation).await;
    let reports = platform.reports();
    assert_eq!(reports.len(), 2);
    assert_eq!(
        reports[1]
            .accounts
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        ["557058:bob"]
    );
}

#[test]
fn the_notes_manifest_declares_the_personal_data_trigger() {
    let manifest = notes::app()
        .manifest(
            "https://notes.example.com",
            atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap(),
        )
        .unwrap()
        .to_json();
    let triggers = manifest["modules"]["scheduledTrigger"].as_array().unwrap();
    let trigger = triggers
        .iter()
        .find(|trigger| trigger["key"] == "personal-data")
        .expect("the framework's trigger");
    assert_eq!(trigger["interval"], "day");
    assert_eq!(trigger["endpoint"], "personal-data-ep");
    let endpoint = manifest["modules"]["endpoint"]
        .as_array()
        .unwrap()
        .iter()
        .find(|endpoint| endpoint["key"] == "personal-data-ep")
        .expect("its endpoint");
    assert_eq!(endpoint["route"]["path"], "/forge/personal-data");
    assert_eq!(endpoint["auth"]["appSystemToken"]["enabled"], true);
    let scopes = manifest["permissions"]["scopes"].as_array().unwrap();
    for scope in ["report:personal-data", "storage:app"] {
        assert!(scopes.contains(&json!(scope)), "{scope}: {scopes:?}");
    }
}

#[tokio::test]
async fn a_container_acknowledges_the_trigger_and_reports_nothing() {
    let notes = super::native::Notes::start_in(super::native::Mode::Container).await;
    notes.add("TEST-1", "557058:alice", "hello").await;
    let answer = notes
        .invoke(
            "/forge/personal-data",
            reqwest::Method::POST,
            "personal-data",
            &connect_testing::Invocation {
                body: Some(json!({})),
                ..connect_testing::Invocation::default()
            },
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(super::native::json_of(&answer), json!({"reported": false}));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(notes.platform.reports().is_empty());
    assert!(cycle_state(&notes.platform, &notes.installation).is_null());
}
