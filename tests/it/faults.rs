//! Faults from the operator's side: the app killed with SIGKILL while 8 streams of signed
//! installs run against it loses no install it acknowledged, on SQLite and on PostgreSQL.
//! (The real `hello` binary, as deployed; its store is read back after the kill, as the next
//! start does, and the restarted app serves the acknowledged tenants.)

use crate::store::test_database_url;
use connect_runtime::TenantStore;
use connect_runtime::store::{self, PoolSettings, SqliteStore};
use connect_testing::{AppProcess, ProductHost, Site, example_binary, free_port};
use secrecy::ExposeSecret;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const STREAMS: usize = 8;
const BASE_URL: &str = "https://faults.example.com";

fn start_hello(host: &ProductHost, database_url: &str) -> (AppProcess, String) {
    let port = free_port().expect("port");
    let binary = example_binary("hello");
    assert!(binary.exists(), "{} not built", binary.display());
    let process = AppProcess::spawn(
        &binary,
        &[
            ("PORT", port.to_string()),
            ("CONNECT_BASE_URL", BASE_URL.into()),
            ("DATABASE_URL", database_url.to_owned()),
            ("CONNECT_KEYS_CDN_URL", host.cdn_url()),
            ("CONNECT_ALLOWED_TENANT_HOSTS", ".atlassian.net".into()),
        ],
    )
    .expect("spawn hello");
    process
        .wait_for_log("listening", Duration::from_secs(20))
        .expect("hello never listened");
    (process, format!("http://127.0.0.1:{port}"))
}

/// Streams installs into hello on `database_url`, SIGKILLs it mid-stream, and returns the
/// sites whose install was answered 204 (the kill comes after the 60th).
async fn installs_until_killed(host: &ProductHost, database_url: &str, tag: &str) -> Vec<Site> {
    let (process, url) = start_hello(host, database_url);
    let app = host.connect(&url).await.expect("descriptor");
    let acknowledged: Arc<Mutex<Vec<Site>>> = Arc::default();
    let streams = (0..STREAMS).map(|stream| {
        let (app, acknowledged) = (&app, Arc::clone(&acknowledged));
        async move {
            for n in 0.. {
                let site = Site::jira(&format!("{tag}-{}-{stream}-{n}", std::process::id()));
                match host.install(app, &site).await {
                    Ok(answer) if answer.status == 204 => acknowledged.lock().unwrap().push(site),
                    Ok(answer) => panic!("install answered {}: {}", answer.status, answer.body),
                    // The process is gone: the stream ends.
                    Err(_) => break,
                }
            }
        }
    });
    let killer = {
        let acknowledged = Arc::clone(&acknowledged);
        async move {
            while acknowledged.lock().unwrap().len() < 60 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            drop(process); // SIGKILL, with installs in flight on every stream
        }
    };
    let (_, ()) = futures_util::future::join(futures_util::future::join_all(streams), killer).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 60);
    acknowledged
}

/// Every acknowledged site is stored with its secret, and the restarted app serves it.
async fn assert_all_present(
    host: &ProductHost,
    store: &dyn TenantStore,
    database_url: &str,
    acknowledged: &[Site],
) {
    let mut missing = Vec::new();
    for site in acknowledged {
        match store
            .get("com.example.hello", &site.client_key)
            .await
            .expect("store")
        {
            Some(tenant) if tenant.shared_secret.expose_secret() == site.shared_secret => {}
            _ => missing.push(site.client_key.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged installs lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    println!(
        "SIGKILL during {STREAMS} install streams: {} acknowledged, {} present",
        acknowledged.len(),
        acknowledged.len() - missing.len()
    );
    let (_restarted, url) = start_hello(host, database_url);
    let app = host.connect(&url).await.expect("descriptor");
    let notes = host
        .call_with_context_token(&app, &acknowledged[0], reqwest::Method::GET, "/api/notes")
        .await
        .expect("notes");
    assert_eq!(
        notes.status, 200,
        "the restarted app serves an acknowledged tenant"
    );
}

#[tokio::test]
async fn sigkill_during_install_streams_loses_no_acknowledged_install_on_sqlite() {
    let host = ProductHost::start().await.expect("host");
    let dir = std::env::temp_dir().join(format!("connect-sigkill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tenants.db");
    let database_url = format!("sqlite://{}", path.display());
    let acknowledged = installs_until_killed(&host, &database_url, "sqlite").await;
    let store = SqliteStore::open(&path)
        .await
        .expect("reopen after SIGKILL");
    assert_all_present(&host, &store, &database_url, &acknowledged).await;
}

#[tokio::test]
async fn sigkill_during_install_streams_loses_no_acknowledged_install_on_postgres() {
    let host = ProductHost::start().await.expect("host");
    let database_url = test_database_url();
    let acknowledged = installs_until_killed(&host, &database_url, "pg").await;
    let store = store::PostgresStore::connect(&database_url, PoolSettings::default())
        .await
        .expect("connect");
    assert_all_present(&host, &store, &database_url, &acknowledged).await;
}

/// A TCP proxy in front of PostgreSQL that the test can cut (listener closed, every open
/// connection dropped) and restore on the same port: a database outage, then its restart.
struct CuttableProxy {
    port: u16,
    target: std::net::SocketAddr,
    running: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl CuttableProxy {
    async fn start(target: std::net::SocketAddr) -> Arc<Self> {
        let port = free_port().expect("port");
        let proxy = Arc::new(Self {
            port,
            target,
            running: Mutex::new(None),
        });
        proxy.restore().await;
        proxy
    }

    async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("proxy port");
        let target = self.target;
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        *self.running.lock().unwrap() = Some(task);
    }

    /// Aborting the accept task drops the listener and, with its `JoinSet`, every connection.
    fn cut(&self) {
        if let Some(task) = self.running.lock().unwrap().take() {
            task.abort();
        }
    }
}

#[tokio::test]
async fn a_database_outage_is_503_with_nothing_stored_and_recovers_without_a_restart() {
    use connect_runtime::config::HostRule;
    use connect_runtime::{App, ConnectConfig};
    use connect_testing::TokenSpec;

    let url = url::Url::parse(&test_database_url()).expect("TEST_DATABASE_URL");
    let target = (
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432),
    );
    let target = tokio::net::lookup_host(target)
        .await
        .expect("resolve")
        .next()
        .expect("address");
    let proxy = CuttableProxy::start(target).await;
    let mut through_proxy = url.clone();
    through_proxy.set_host(Some("127.0.0.1")).unwrap();
    through_proxy.set_port(Some(proxy.port)).unwrap();

    let host = ProductHost::start().await.expect("host");
    let settings = PoolSettings {
        max_size: 4,
        timeout: Duration::from_millis(800),
    };
    let store = Arc::new(
        store::PostgresStore::connect(through_proxy.as_str(), settings)
            .await
            .expect("connect"),
    );
    let mut config = ConnectConfig::new(BASE_URL.parse().unwrap());
    config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
    config.allowed_tenant_hosts = vec![HostRule::parse(".atlassian.net").unwrap()];
    let app_key = format!("com.example.outage-{}", std::process::id());
    let built = App::new(app_key.clone(), "Outage")
        .module(
            "generalPages",
            serde_json::json!({"key": "p", "name": {"value": "P"}, "url": "/p"}),
        )
        .build(config, store.clone())
        .expect("app");
    let server = connect_runtime::__private::spawn(built.filter(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("server");
    let app = host.connect(&server.url()).await.expect("descriptor");
    let enable = |site: &Site| {
        // An HS256 lifecycle event: verified against the stored tenant, then stored.
        let token = TokenSpec::for_request(&site.client_key, "POST", "/enabled", "")
            .sign_hs256(site.shared_secret.as_bytes());
        (token, format!("{}/enabled", app.address))
    };

    let before = Site::jira("outage-before");
    assert_eq!(host.install(&app, &before).await.unwrap().status, 204);

    proxy.cut();
    let during = Site::jira("outage-during");
    let refused = host.install(&app, &during).await.unwrap();
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(
        refused.body.contains("tenant store unavailable"),
        "{}",
        refused.body
    );
    let (token, enabled_url) = enable(&before);
    let toggled = reqwest::Client::new()
        .post(&enabled_url)
        .header("authorization", format!("JWT {token}"))
        .json(&serde_json::json!({"clientKey": before.client_key, "key": app_key}))
        .send()
        .await
        .unwrap();
    assert_eq!(toggled.status(), 503);

    proxy.restore().await;
    // The pool drops the dead connections and reconnects: no restart of the app.
    let mut answer = host.install(&app, &during).await.unwrap();
    for _ in 0..20 {
        if answer.status == 204 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = host.install(&app, &during).await.unwrap();
    }
    assert_eq!(answer.status, 204, "{}", answer.body);
    let stored = store
        .get(&app_key, &before.client_key)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.enabled, "the refused enable changed nothing");
    assert!(
        store
            .get(&app_key, &during.client_key)
            .await
            .unwrap()
            .is_some()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    use connect_testing::TokenSpec;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let host = ProductHost::start().await.expect("host");
    let dir = std::env::temp_dir().join(format!("connect-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = format!("sqlite://{}", dir.join("tenants.db").display());
    let (mut process, url) = start_hello(&host, &database_url);
    let app = host.connect(&url).await.expect("descriptor");
    let site = Site::jira("sigterm");
    assert_eq!(host.install(&app, &site).await.unwrap().status, 204);

    // A webhook whose body is still arriving when SIGTERM comes.
    let token = TokenSpec::for_request(&site.client_key, "POST", "/webhooks/issue-created", "")
        .sign_hs256(site.shared_secret.as_bytes());
    let body = br#"{"webhookEvent": "jira:issue_created", "issue": {"key": "TERM-1"}}"#;
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /webhooks/issue-created HTTP/1.1\r\nHost: {address}\r\nAuthorization: JWT {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    process.terminate().expect("SIGTERM");
    process
        .wait_for_log("shutting down", Duration::from_secs(10))
        .expect("the app saw SIGTERM");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("TERM-1"), "{answer}");

    let code = process
        .wait_for_exit(Duration::from_secs(10))
        .expect("exited after draining");
    assert_eq!(code, Some(0));
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );
}
