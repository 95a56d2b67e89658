//! `connect-sim forge ...`: the Forge platform's side of Forge Remote, against a running app.
//!
//! ```text
//! connect-sim forge serve --port 3997 &                     # JWKS + product API, until Ctrl-C
//! FORGE_APP_ID=ari:cloud:ecosystem::app/<uuid> \
//!   FORGE_JWKS_URL=http://127.0.0.1:3997/.well-known/jwks.json \
//!   FORGE_ALLOWED_API_HOSTS=127.0.0.1 cargo run --example hello &
//! connect-sim forge invoke http://127.0.0.1:3000 /forge/myself --module hello-remote --system-token
//! connect-sim forge token --module hello-lifecycle --expires-in 290
//! connect-sim forge invoke http://127.0.0.1:3000 /forge/notes --module notes-api --context issue.key=TEST-1
//! connect-sim forge deliver http://127.0.0.1:3000 /forge/lifecycle --module hello-lifecycle --event avi:forge:installed:app
//! connect-sim forge rotate
//! connect-sim forge serve --close-account 5be24ba3f91c106033269289 --cycle-period P14D &
//! connect-sim forge deliver http://127.0.0.1:3000 /forge/personal-data --module personal-data
//! connect-sim forge container http://127.0.0.1:8080 &     # sidecar :7071 + egress proxy :7072
//! SERVER_PORT=8080 FORGE_EGRESS_PROXY_URL=http://127.0.0.1:7072 \
//!   FORGE_APP_ARI=ari:cloud:ecosystem::app/<uuid> cargo run --example notes -- serve --container &
//! curl -H 'x-forge-sim-account: 557058:alice' 'http://127.0.0.1:7071/notes?issueKey=TEST-1'
//! ```
//!
//! `forge serve` also serves Forge storage; the Forge-native commands (actions, events, web
//! triggers, pre-uninstall, storage) are in `native`.
//!
//! The platform's keys, the app id and the installation live in `connect-sim-forge.json`; the
//! installation takes the cloud id and URL of the Connect site `connect-sim install` made, so a
//! Forge call and the site's Connect requests resolve to one tenant.

use anyhow::{Context as _, bail};
use clap::Subcommand;

mod native;

use connect_testing::{
    Answer, ForgeInstallation, ForgePlatform, Invocation, KeyPair, new_forge_kid,
};
pub use native::StorageCommand;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The state file name.
pub const FILE: &str = "connect-sim-forge.json";

/// The app id the simulator uses unless told otherwise.
pub const DEFAULT_APP_ID: &str = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000";

#[derive(Subcommand)]
pub enum ForgeCommand {
    /// Serve the Forge JWKS and the product API at `apiBaseUrl` on --port until Ctrl-C. Start
    /// the app with FORGE_JWKS_URL=http://127.0.0.1:PORT/.well-known/jwks.json,
    /// FORGE_ALLOWED_API_HOSTS=127.0.0.1 and FORGE_APP_ID set to --app-id.
    Serve {
        /// The port.
        #[arg(long, default_value_t = 3997)]
        port: u16,
        /// The Forge app id tokens are issued for (the app's FORGE_APP_ID).
        #[arg(long)]
        app_id: Option<String>,
        /// An account the personal data reporting API answers `closed` (repeatable).
        #[arg(long = "close-account", value_name = "ACCOUNT_ID")]
        close_accounts: Vec<String>,
        /// The `Cycle-Period` header of the reporting API's answers (e.g. `P14D`).
        #[arg(long)]
        cycle_period: Option<String>,
    },
    /// Invoke a Forge Remote endpoint: POST (or --method) APP_URL + PATH with a fresh Forge
    /// Invocation Token.
    Invoke {
        /// Where the app listens, e.g. http://127.0.0.1:3000.
        app_url: String,
        /// The endpoint's route path, e.g. /forge/myself.
        path: String,
        /// The HTTP method.
        #[arg(long, default_value = "POST")]
        method: String,
        /// The endpoint's module key (app.module.key of the token).
        #[arg(long, default_value = "remote")]
        module: String,
        /// Send the app's system token (x-forge-oauth-system).
        #[arg(long)]
        system_token: bool,
        /// Send a user token (x-forge-oauth-user) and a principal.
        #[arg(long)]
        user_token: bool,
        /// A JSON body: inline or @FILE.
        #[arg(long)]
        body: Option<String>,
        /// A value of the UI context the call comes from, as `path=value` into the token's
        /// `context.extension` (repeatable): `--context issue.key=TEST-1`.
        #[arg(long = "context", value_name = "PATH=VALUE")]
        context: Vec<String>,
        /// The token's `app.module.type`, e.g. `jira:issuePanel` for a UI resolver call
        /// (default `core:endpoint`).
        #[arg(long)]
        module_type: Option<String>,
        /// The token's `principal` (the calling user's account id).
        #[arg(long)]
        principal: Option<String>,
    },
    /// Call a Rovo action's endpoint as an agent does: the inputs as top-level JSON keys plus
    /// `context`, a FIT naming the endpoint, the user as principal, the system token.
    Action {
        /// Where the app listens.
        app_url: String,
        /// The endpoint's route path, e.g. /actions/find-notes.
        path: String,
        /// The endpoint's key (app.module.key of the token).
        #[arg(long)]
        endpoint: String,
        /// The action's key (context.moduleKey of the body).
        #[arg(long, default_value = "action")]
        action: String,
        /// An input as NAME=VALUE (repeatable; a JSON value, or else a string).
        #[arg(long = "input", value_name = "NAME=VALUE")]
        inputs: Vec<String>,
        /// The calling user's account id.
        #[arg(long, default_value = "557058:forge-user")]
        account_id: String,
    },
    /// Deliver an async event to a consumer's endpoint, in Forge's envelope
    /// `{body, jobId, eventId, queueName}`.
    Event {
        /// Where the app listens.
        app_url: String,
        /// The endpoint's route path, e.g. /events/reindex.
        path: String,
        /// The endpoint's key (app.module.key of the token).
        #[arg(long)]
        endpoint: String,
        /// The queue's name.
        #[arg(long)]
        queue: String,
        /// The job id (a fresh one by default).
        #[arg(long)]
        job_id: Option<String>,
        /// The event id (`<job id>-event` by default: one event per job).
        #[arg(long)]
        event_id: Option<String>,
        /// The event body (JSON, inline or @FILE).
        #[arg(long, default_value = "{}")]
        body: String,
        /// Deliver as Forge's retry number N (`retryContext`).
        #[arg(long, default_value_t = 0)]
        retry: u32,
        /// Deliver the same job twice (the app should run its handler once).
        #[arg(long)]
        twice: bool,
    },
    /// Call a web trigger as an outside caller does: no token, the raw body.
    Webtrigger {
        /// Where the app listens.
        app_url: String,
        /// The endpoint's route path, e.g. /hooks/notes.
        path: String,
        /// The HTTP method.
        #[arg(long, default_value = "POST")]
        method: String,
        /// The raw body.
        #[arg(long)]
        body: Option<String>,
        /// Its content type.
        #[arg(long, default_value = "application/json")]
        content_type: String,
    },
    /// Forge's pre-uninstall call.
    PreUninstall {
        /// Where the app listens.
        app_url: String,
        /// The endpoint's route path, e.g. /lifecycle/pre-uninstall.
        path: String,
        /// The endpoint's key (app.module.key of the token).
        #[arg(long)]
        endpoint: String,
        /// The preUninstall module's key (context.moduleKey of the body).
        #[arg(long, default_value = "pre-uninstall")]
        module: String,
    },
    /// Read or write the installation's Forge storage held by `forge serve`.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Deliver a Forge event to a trigger route (with the system token), as Forge does.
    Deliver {
        /// Where the app listens.
        app_url: String,
        /// The trigger's route path, e.g. /forge/lifecycle.
        path: String,
        /// The trigger's module key (app.module.key of the token): the app accepts a token
        /// only at the routes of the module it names.
        #[arg(long, default_value = "trigger")]
        module: String,
        /// The event.
        #[arg(long, default_value = "avi:forge:installed:app")]
        event: String,
        /// The event body (default: the installed event of the installation).
        #[arg(long)]
        body: Option<String>,
        /// Deliver as Forge's retry number N (`retryContext` in the body).
        #[arg(long)]
        retry: Option<u32>,
        /// Deliver twice with the same token (a redelivery: the app should run its handler once).
        #[arg(long)]
        twice: bool,
    },
    /// Print a Forge Invocation Token for the installation and MODULE, as Forge mints one (for
    /// curl, wrk and other clients; a FIT lives at most 300 s).
    Token {
        /// The module key the token names (app.module.key).
        #[arg(long)]
        module: String,
        /// Its lifetime in seconds (Forge's are 25 s; the app refuses more than 300).
        #[arg(long, default_value_t = 25)]
        expires_in: i64,
    },
    /// Rotate the platform's signing key (the old key stays published unless --drop-old).
    Rotate {
        /// Stop publishing the old key.
        #[arg(long)]
        drop_old: bool,
    },
    /// Play Forge's side of a Forge Container service until Ctrl-C: the egress proxy on
    /// --proxy-port (the container's FORGE_EGRESS_PROXY_URL: invocation contexts, product
    /// calls, storage, SQL, events, installations) and the sidecar's front on --sidecar-port,
    /// which forwards every request to APP_URL with a fresh x-forge-invocation-id (headers
    /// x-forge-sim-account and x-forge-sim-module name the user and the module).
    Container {
        /// Where the container listens (its SERVER_PORT), e.g. http://127.0.0.1:8080.
        app_url: String,
        /// The egress proxy's port.
        #[arg(long, default_value_t = 7072)]
        proxy_port: u16,
        /// The sidecar front's port.
        #[arg(long, default_value_t = 7071)]
        sidecar_port: u16,
        /// The Forge app id (the container's FORGE_APP_ARI).
        #[arg(long)]
        app_id: Option<String>,
    },
    /// Show the platform state.
    Status,
}

#[derive(Serialize, Deserialize)]
struct SavedKey {
    kid: String,
    private_key_pem: String,
}

#[derive(Serialize, Deserialize)]
struct ForgeState {
    app_id: String,
    port: u16,
    /// Current first.
    keys: Vec<SavedKey>,
    installation_id: String,
    cloud_id: String,
    site_url: String,
    product: String,
}

impl ForgeState {
    fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no simulated Forge platform here ({}): run `connect-sim forge serve` first",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is unreadable", path.display()))
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        crate::state::write_private(&Self::path(dir), &serde_json::to_vec_pretty(self)?)
    }

    fn keys(&self) -> anyhow::Result<Vec<KeyPair>> {
        self.keys
            .iter()
            .map(|saved| {
                KeyPair::from_private_pem(saved.kid.clone(), &saved.private_key_pem)
                    .map_err(|error| anyhow::anyhow!("a key in {FILE} is unreadable: {error}"))
            })
            .collect()
    }

    fn installation(&self) -> ForgeInstallation {
        ForgeInstallation {
            installation_id: self.installation_id.clone(),
            cloud_id: self.cloud_id.clone(),
            site_url: self.site_url.clone(),
            product: self.product.clone(),
        }
    }

    fn api_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A platform process signing with the saved keys, whose `apiBaseUrl` points at `serve`.
    async fn platform(&self) -> anyhow::Result<ForgePlatform> {
        let platform = ForgePlatform::start_with_keys(&self.app_id, 0, self.keys()?).await?;
        platform.set_api_origin(&self.api_origin());
        Ok(platform)
    }
}

fn saved(keys: &KeyPair) -> SavedKey {
    SavedKey {
        kid: keys.kid().to_owned(),
        private_key_pem: keys.private_pem().to_owned(),
    }
}

/// A new state, its installation on the Connect site of `connect-sim install` when there is
/// one (same cloud id and URL).
fn new_state(dir: &Path, port: u16, app_id: String) -> ForgeState {
    let keys = KeyPair::generate(new_forge_kid());
    let site = crate::state::State::load(dir).ok().map(|state| state.site);
    let installation = match &site {
        Some(site) => ForgeInstallation::of_site(site),
        None => ForgeInstallation::jira("acme"),
    };
    ForgeState {
        app_id,
        port,
        keys: vec![saved(&keys)],
        installation_id: installation.installation_id,
        cloud_id: installation.cloud_id,
        site_url: installation.site_url,
        product: installation.product,
    }
}

pub async fn run(dir: &Path, command: ForgeCommand) -> anyhow::Result<i32> {
    match command {
        ForgeCommand::Container {
            app_url,
            proxy_port,
            sidecar_port,
            app_id,
        } => {
            let state = match ForgeState::load(dir) {
                Ok(state) => state,
                Err(_) => new_state(
                    dir,
                    0,
                    app_id.clone().unwrap_or_else(|| DEFAULT_APP_ID.to_owned()),
                ),
            };
            let app_id = app_id.unwrap_or_else(|| state.app_id.clone());
            let platform = std::sync::Arc::new(
                ForgePlatform::start_with_keys(&app_id, 0, state.keys()?).await?,
            );
            let sidecar = connect_testing::ForgeSidecar::start_on(platform, proxy_port)
                .await
                .with_context(|| format!("serving the egress proxy on 127.0.0.1:{proxy_port}"))?;
            let installation = state.installation();
            let front = sidecar
                .serve_front(&url(&app_url, "/")?, &installation, sidecar_port)
                .await
                .with_context(|| format!("serving the sidecar on 127.0.0.1:{sidecar_port}"))?;
            println!("egress proxy   {}", sidecar.url());
            println!("sidecar        {} -> {app_url}", front.url());
            println!("installation   {}", installation.installation_id);
            println!(
                "start the container with SERVER_PORT=<its port> FORGE_EGRESS_PROXY_URL={} FORGE_APP_ARI={app_id} and `serve --container`",
                sidecar.url()
            );
            println!("serving until Ctrl-C");
            let mut seen = 0;
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                        let calls = sidecar.calls();
                        for call in calls.iter().skip(seen) {
                            println!("proxy {} {:?} -> {}", call.method, call.path, call.status);
                        }
                        seen = calls.len();
                    }
                }
            }
            Ok(0)
        }
        ForgeCommand::Serve {
            port,
            app_id,
            close_accounts,
            cycle_period,
        } => {
            let mut state = match ForgeState::load(dir) {
                Ok(state) => state,
                Err(_) => new_state(
                    dir,
                    port,
                    app_id.clone().unwrap_or_else(|| DEFAULT_APP_ID.to_owned()),
                ),
            };
            state.port = port;
            if let Some(app_id) = app_id {
                state.app_id = app_id;
            }
            state.save(dir)?;
            let platform = ForgePlatform::start_with_keys(&state.app_id, port, state.keys()?)
                .await
                .with_context(|| format!("serving the Forge platform on 127.0.0.1:{port}"))?;
            for account in &close_accounts {
                platform.close_account(account);
            }
            if let Some(period) = &cycle_period {
                platform.set_cycle_period(period);
            }
            println!("Forge app id   {}", state.app_id);
            println!("JWKS           {}", platform.jwks_url());
            println!(
                "apiBaseUrl     {}",
                platform.api_base_url(&state.installation())
            );
            println!("installation   {}", state.installation_id);
            println!(
                "start the app with FORGE_APP_ID={} FORGE_JWKS_URL={} FORGE_ALLOWED_API_HOSTS=127.0.0.1",
                state.app_id,
                platform.jwks_url()
            );
            println!("serving until Ctrl-C");
            let mut seen = 0;
            let mut reports_seen = 0;
            let mut kids: Vec<String> = state.keys.iter().map(|k| k.kid.clone()).collect();
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                        // Follow a `forge rotate` from another shell.
                        if let Ok(latest) = ForgeState::load(dir) {
                            let latest_kids: Vec<String> = latest.keys.iter().map(|k| k.kid.clone()).collect();
                            if latest_kids != kids {
                                platform.set_keys(latest.keys()?);
                                println!("followed a key rotation: signing with {}", latest_kids[0]);
                                kids = latest_kids;
                            }
                        }
                        let calls = platform.api_calls();
                        for call in calls.iter().skip(seen) {
                            println!("{} {:?} ({} token)", call.method, call.path, call.token);
                        }
                        seen = calls.len();
                        let reports = platform.reports();
                        for report in reports.iter().skip(reports_seen) {
                            println!(
                                "personal data report of {}: {} accounts",
                                report.installation_id,
                                report.accounts.len()
                            );
                        }
                        reports_seen = reports.len();
                    }
                }
            }
            Ok(0)
        }
        ForgeCommand::Invoke {
            app_url,
            path,
            method,
            module,
            system_token,
            user_token,
            body,
            context,
            module_type,
            principal,
        } => {
            let state = ForgeState::load(dir)?;
            let method: reqwest::Method = method
                .to_ascii_uppercase()
                .parse()
                .with_context(|| format!("`{method}` is not an HTTP method"))?;
            let platform = state.platform().await?;
            let mut invocation = Invocation {
                system_token,
                user_token,
                body: body.as_deref().map(crate::json_body).transpose()?,
                module_type,
                principal,
                ..Invocation::default()
            };
            for pair in &context {
                let (path, value) = pair
                    .split_once('=')
                    .filter(|(path, _)| !path.is_empty())
                    .with_context(|| {
                        format!("--context `{pair}`: expected PATH=VALUE, e.g. issue.key=TEST-1")
                    })?;
                invocation = invocation.with_context(path, value);
            }
            let answer = platform
                .invoke(
                    &url(&app_url, &path)?,
                    method,
                    &state.installation(),
                    &module,
                    &invocation,
                )
                .await?;
            Ok(crate::report(&format!("invoke {path}"), answer))
        }
        ForgeCommand::Deliver {
            app_url,
            path,
            module,
            event,
            body,
            retry,
            twice,
        } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let installation = state.installation();
            let mut payload = match body {
                Some(body) => crate::json_body(&body)?,
                None => platform.installed_event(&installation),
            };
            payload["eventType"] = serde_json::Value::from(event.clone());
            let target = url(&app_url, &path)?;
            let (answer, token): (Answer, String) = match retry {
                Some(count) => {
                    platform
                        .deliver_retry(&target, &installation, &module, &payload, count)
                        .await?
                }
                None => {
                    platform
                        .deliver(&target, &installation, &module, &payload)
                        .await?
                }
            };
            let code = crate::report(&format!("deliver {event}"), answer);
            if twice && code == 0 {
                let again = platform.redeliver(&target, &token, &payload).await?;
                return Ok(crate::report("redelivered (same jti)", again));
            }
            Ok(code)
        }
        command @ (ForgeCommand::Action { .. }
        | ForgeCommand::Event { .. }
        | ForgeCommand::Webtrigger { .. }
        | ForgeCommand::PreUninstall { .. }
        | ForgeCommand::Storage { .. }) => native::run(dir, command).await,
        ForgeCommand::Token { module, expires_in } => {
            let state = ForgeState::load(dir)?;
            let platform = state.platform().await?;
            let spec = platform.fit(&state.installation(), &module);
            let issued = spec
                .claims
                .get("iat")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            let spec = spec.claim("exp", serde_json::Value::from(issued + expires_in));
            println!("{}", platform.sign(&spec));
            Ok(0)
        }
        ForgeCommand::Rotate { drop_old } => {
            let mut state = ForgeState::load(dir)?;
            let keys = KeyPair::generate(new_forge_kid());
            if drop_old {
                state.keys.clear();
            }
            state.keys.insert(0, saved(&keys));
            state.save(dir)?;
            println!(
                "signing with {} ({} key(s) published)",
                keys.kid(),
                state.keys.len()
            );
            Ok(0)
        }
        ForgeCommand::Status => {
            let state = ForgeState::load(dir)?;
            println!("app id        {}", state.app_id);
            println!("JWKS          {}/.well-known/jwks.json", state.api_origin());
            println!("installation  {}", state.installation_id);
            println!(
                "site          {} (cloud {})",
                state.site_url, state.cloud_id
            );
            println!(
                "current kid   {}",
                state.keys.first().map(|k| k.kid.as_str()).unwrap_or("-")
            );
            Ok(0)
        }
    }
}

pub(crate) fn url(app_url: &str, path: &str) -> anyhow::Result<String> {
    if !path.starts_with('/') {
        bail!("PATH must start with `/`, e.g. /forge/myself");
    }
    Ok(format!("{}{path}", app_url.trim_end_matches('/')))
}
