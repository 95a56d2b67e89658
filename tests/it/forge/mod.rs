//! Forge: the manifest of every example (Atlassian's validator, snapshots), the
//! `ForgeInvocation` policy from the attacker's side, and the flows of Connect on Forge
//! (remote calls with Forge tokens, trigger redeliveries, one tenant across both worlds),
//! driven by the simulated Forge platform over HTTP.

mod attacks;
mod container;
mod container_manifest;
mod container_process;
mod flows;
mod manifest;
mod native;
mod native_attacks;
mod native_context;
mod native_manifest;
mod personal_data;
mod storage;

use atlassian_connect::__private::{self as server, RunningServer};
use atlassian_connect::prelude::*;
use atlassian_connect::store::MemoryStore;
use atlassian_connect::{ConnectApp, TenantStore};
use connect_runtime::config::HostRule;
use connect_testing::{
    Answer, AppUnderTest, ForgeInstallation, ForgePlatform, Invocation, ProductHost, Site,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The Forge app id of every test app.
pub const APP_ID: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";

/// How often each probe handler ran.
#[derive(Debug, Default)]
pub struct Runs {
    pub remote: AtomicUsize,
    pub trigger: AtomicUsize,
    pub connect: AtomicUsize,
    /// The trigger answers 500 while this is set.
    pub fail_trigger: AtomicBool,
    /// `retryContext.retryCount` of the last delivery (0 for none).
    pub last_retry: AtomicUsize,
}

/// A Forge Remote endpoint that counts its runs and echoes what the FIT said.
#[forge::remote(key = "probe-remote", path = "/forge/probe", system_token, user_token)]
async fn probe(forge: ForgeContext, runs: State<Arc<Runs>>) -> Result<Json<Value>, AppError> {
    runs.remote.fetch_add(1, Ordering::SeqCst);
    let tenant = forge.tenant().await?;
    Ok(Json(json!({
        "installationId": forge.installation_id(),
        "principal": forge.account_id(),
        "cloudId": forge.cloud_id(),
        "siteUrl": forge.site_url(),
        "module": forge.module_key(),
        "environment": forge.environment(),
        "appVersion": forge.app_version(),
        "product": forge.product(),
        "extension": forge.extension().cloned(),
        "ui": {
            "issueKey": forge.issue_key(),
            "issueId": forge.issue_id(),
            "projectKey": forge.project_key(),
            "projectId": forge.project_id(),
            "contentId": forge.content_id(),
            "spaceKey": forge.space_key(),
            "localId": forge.local_id(),
            "moduleKey": forge.ui_module_key(),
        },
        "license": format!("{:?}", forge.license()),
        "clientKey": tenant.map(|tenant| tenant.client_key.clone()),
    })))
}

/// A trigger that counts its runs, failing on demand.
#[forge::trigger(key = "probe-events", events = ["avi:forge:installed:app"], path = "/forge/events", system_token)]
async fn probe_events(
    forge: ForgeContext,
    runs: State<Arc<Runs>>,
    event: Json<Value>,
) -> StatusCode {
    let _ = (forge.jti(), event);
    runs.last_retry
        .store(forge.retry_count().unwrap_or(0) as usize, Ordering::SeqCst);
    runs.trigger.fetch_add(1, Ordering::SeqCst);
    if runs.fail_trigger.load(Ordering::SeqCst) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A Connect route (HS256 + qsh) that counts its runs.
#[connect::route(GET, "/connect/probe")]
async fn connect_probe(ctx: Context, runs: State<Arc<Runs>>) -> String {
    runs.connect.fetch_add(1, Ordering::SeqCst);
    ctx.tenant().client_key.clone()
}

/// The probe app: one Forge endpoint, one Forge trigger, one Connect route.
pub fn probe_app(runs: Arc<Runs>) -> App {
    App::new("com.example.forge-probe", "Forge probe")
        .scopes([Scope::Read])
        .state(runs)
        .handlers(handlers![probe, probe_events, connect_probe])
}

/// An app served over HTTP with the simulated product (Connect) and Forge platform.
pub struct Fixture {
    pub platform: ForgePlatform,
    pub host: ProductHost,
    pub app: AppUnderTest,
    pub built: ConnectApp,
    pub store: Arc<MemoryStore>,
    _server: RunningServer,
}

impl Fixture {
    /// Serves `app` with a fresh platform and product host.
    pub async fn start(app: App) -> Self {
        Self::start_with(app, |_| {}).await
    }

    /// As [`Fixture::start`], adjusting the configuration.
    pub async fn start_with(app: App, adjust: impl FnOnce(&mut ConnectConfig)) -> Self {
        let platform = ForgePlatform::start(APP_ID).await.unwrap();
        let host = ProductHost::start().await.unwrap();
        let mut config = ConnectConfig::new("https://forge-app.example.com".parse().unwrap());
        config.key_cdn_urls = vec![host.cdn_url().parse().unwrap()];
        config.forge.app_id =
            Some(atlassian_connect::descriptor::ForgeAppId::parse(APP_ID).unwrap());
        config.forge.jwks_url = platform.jwks_url().parse().unwrap();
        config.forge.allowed_api_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
        adjust(&mut config);
        let store = Arc::new(MemoryStore::default());
        let built = app
            .build(config, Arc::clone(&store) as Arc<dyn TenantStore>)
            .unwrap();
        let server = server::spawn(built.filter(), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let app = host.connect(&server.url()).await.unwrap();
        Self {
            platform,
            host,
            app,
            built,
            store,
            _server: server,
        }
    }

    /// The URL of `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.address)
    }

    /// Invokes the remote at `path` as module `module_key` for `installation` (a POST, as
    /// Forge does).
    pub async fn invoke(
        &self,
        path: &str,
        module_key: &str,
        installation: &ForgeInstallation,
        invocation: &Invocation,
    ) -> Answer {
        self.platform
            .invoke(
                &self.url(path),
                reqwest::Method::POST,
                installation,
                module_key,
                invocation,
            )
            .await
            .unwrap()
    }

    /// Invokes the probe app's remote (`POST /forge/probe`, module `probe-remote`).
    pub async fn invoke_probe(
        &self,
        installation: &ForgeInstallation,
        invocation: &Invocation,
    ) -> Answer {
        self.invoke("/forge/probe", "probe-remote", installation, invocation)
            .await
    }

    /// Installs `site` through Connect (RS256-signed, as Jira does).
    pub async fn install(&self, site: &Site) {
        let answer = self.host.install(&self.app, site).await.unwrap();
        assert_eq!(answer.status, 204, "{}", answer.body);
    }

    /// What the store holds, comparable before and after an attack.
    pub fn store_state(&self) -> Vec<String> {
        let mut rows: Vec<String> = self
            .store
            .snapshot()
            .iter()
            .map(|t| {
                format!(
                    "{} {} {:?} {:?} {} {}",
                    t.client_key,
                    t.base_url,
                    t.cloud_id,
                    t.installation_id,
                    t.uninstalled,
                    t.updated_at
                )
            })
            .collect();
        rows.sort();
        rows
    }
}

/// Waits until `condition` holds, for at most 5 s.
pub async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}
