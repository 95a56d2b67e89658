//! `connect-sim`: a simulated Jira or Confluence site on 127.0.0.1 that drives a running
//! Connect app the way the product does, so an app can be installed and clicked through
//! without a real site or a public tunnel.
//!
//! ```text
//! CONNECT_KEYS_CDN_URL=http://127.0.0.1:3999 cargo run --example hello &
//! connect-sim install http://127.0.0.1:3000 --cdn-port 3999
//! connect-sim page hello                       # prints a signed URL to open in a browser
//! connect-sim webhook jira:issue_created --body @issue.json
//! connect-sim webhook jira:issue_created --body '{"issue": {"key": "TEST-1"}}'
//! connect-sim context-token
//! connect-sim uninstall
//! ```
//!
//! For an app that calls the product back (`HostClient`), install the site on 127.0.0.1 and
//! serve its REST API and authorization server while you click through:
//!
//! ```text
//! CONNECT_KEYS_CDN_URL=http://127.0.0.1:3999 CONNECT_ALLOWED_TENANT_HOSTS=127.0.0.1 \
//!   CONNECT_OAUTH_URL=http://127.0.0.1:3998 cargo run --example hello &
//! connect-sim install http://127.0.0.1:3000 --rest-port 3998
//! connect-sim serve &                          # the site's REST API on 127.0.0.1:3998
//! connect-sim page hello --load
//! ```
//!
//! For Connect on Forge, `connect-sim forge ...` plays the Forge platform: a JWKS, Forge
//! Invocation Tokens, remote invocations with system/user tokens, trigger deliveries and key
//! rotation (see `connect-sim forge --help`).

mod forge;
mod state;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use connect_testing::{Answer, AppUnderTest, KeyPair, ProductHost, Site, TokenSpec};
use state::State;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "connect-sim",
    version,
    about = "A simulated Atlassian site that installs and drives a running Connect app"
)]
struct Cli {
    /// Directory of the state file (`connect-sim.json`).
    #[arg(long, global = true, default_value = ".")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the app at APP_URL with a signed install (RS256), then enable it. Starts a key
    /// CDN on --cdn-port for the app to fetch the install key from: start the app with
    /// CONNECT_KEYS_CDN_URL=http://127.0.0.1:PORT.
    Install {
        /// Where the app listens, e.g. http://127.0.0.1:3000 (its mount path included, if any).
        app_url: String,
        /// Port of the simulated key CDN.
        #[arg(long, default_value_t = 3999)]
        cdn_port: u16,
        /// Site name: the tenant is `https://NAME.atlassian.net`.
        #[arg(long, default_value = "acme")]
        site: String,
        /// Simulate Confluence (baseUrl `https://NAME.atlassian.net/wiki`).
        #[arg(long)]
        confluence: bool,
        /// Put the site on http://127.0.0.1:PORT (plus /wiki for Confluence), where `serve`
        /// answers its REST API and OAuth token requests; the app must allow the host with
        /// CONNECT_ALLOWED_TENANT_HOSTS=127.0.0.1.
        #[arg(long)]
        rest_port: Option<u16>,
    },
    /// Serve the installed site's REST API (`/rest/api/3/myself`...) and its OAuth 2.0
    /// authorization server on the --rest-port given to `install`, verifying the app's tokens
    /// as the product does, until Ctrl-C. Start the app with CONNECT_OAUTH_URL pointing here.
    /// It also answers the personal data reports of a Connect app
    /// (`/rest/atlassian-connect/latest/report-accounts`).
    Serve {
        /// An account the reporting API answers `closed` (repeatable).
        #[arg(long = "close-account", value_name = "ACCOUNT_ID")]
        close_accounts: Vec<String>,
        /// The `Cycle-Period` header of the reporting API's answers (e.g. `P14D`).
        #[arg(long)]
        cycle_period: Option<String>,
    },
    /// Install again with a rotated shared secret, as an app upgrade does.
    Reinstall,
    /// Send a signed uninstall.
    Uninstall,
    /// Send `enabled`.
    Enable,
    /// Send `disabled`.
    Disable,
    /// Print a signed URL of a module page, as the product loads it in an iframe.
    Page {
        /// The module key in the descriptor.
        module_key: String,
        /// Context variables, e.g. --context issue.key=TEST-1 (repeatable).
        #[arg(long = "context", value_parser = parse_pair)]
        context: Vec<(String, String)>,
        /// Also load it and print the answer.
        #[arg(long)]
        load: bool,
    },
    /// Send a webhook the descriptor registers for EVENT.
    Webhook {
        /// The event, e.g. jira:issue_created.
        event: String,
        /// The JSON body: inline (`'{"issue": {...}}'`) or `@FILE`.
        #[arg(long)]
        body: String,
    },
    /// Print a token as AP.context.getToken() returns it.
    ContextToken,
    /// Print an HS256 token for one request to the app (its qsh covers METHOD and PATH), as the
    /// product signs page loads and webhooks: for curl, a load generator or a browser.
    Token {
        /// The HTTP method, e.g. GET.
        method: String,
        /// The path relative to the app's baseUrl, with its query, e.g. /bench/jwt?x=1.
        path: String,
        /// Lifetime of the token in seconds.
        #[arg(long, default_value_t = 180)]
        expires_in: i64,
    },
    /// Show the simulated site.
    Status,
    /// Play the Forge platform: JWKS, invocations, trigger deliveries, key rotation.
    #[command(subcommand)]
    Forge(forge::ForgeCommand),
}

fn parse_pair(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{raw}`"))
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("connect-sim: {error:#}");
            std::process::exit(2);
        }
    }
}

/// Runs one command; the exit code is 1 when the app answered an error.
async fn run(cli: Cli) -> anyhow::Result<i32> {
    let dir = cli.dir.as_path();
    match cli.command {
        Command::Install {
            app_url,
            cdn_port,
            site,
            confluence,
            rest_port,
        } => {
            let keys = site_keys(dir, &site)?;
            let mut site = if confluence {
                Site::confluence(&site)
            } else {
                Site::jira(&site)
            };
            if let Some(port) = rest_port {
                let wiki = if confluence { "/wiki" } else { "" };
                site.base_url = format!("http://127.0.0.1:{port}{wiki}");
            }
            let state = State {
                kid: keys.kid().to_owned(),
                private_key_pem: keys.private_pem().to_owned(),
                cdn_port,
                app_url,
                site,
                rest_port,
            };
            let (host, app) = connect(&state, keys, cdn_port).await?;
            println!("app {} ({}) at {}", app.key(), app.base_url(), app.address);
            println!(
                "site {} clientKey {} · key CDN http://127.0.0.1:{cdn_port} kid {}",
                state.site.base_url, state.site.client_key, state.kid
            );
            let installed = report_with_cdn(
                "installed",
                host.install(&app, &state.site).await?,
                Some(cdn_port),
            );
            state.save(dir)?;
            if installed != 0 {
                return Ok(installed);
            }
            if app.descriptor["lifecycle"]["enabled"].is_string() {
                Ok(report("enabled", host.enable(&app, &state.site).await?))
            } else {
                // The product only sends what the descriptor asks for.
                println!("enabled: not sent (the descriptor declares no lifecycle.enabled URL)");
                Ok(0)
            }
        }
        Command::Reinstall => {
            let mut state = State::load(dir)?;
            let (host, app) = connect(&state, state.keys()?, state.cdn_port).await?;
            let code = report_with_cdn(
                "installed (rotated secret)",
                host.reinstall(&app, &mut state.site).await?,
                Some(state.cdn_port),
            );
            if code == 0 {
                state.save(dir)?;
            }
            Ok(code)
        }
        Command::Uninstall => lifecycle(dir, "uninstalled").await,
        Command::Enable => lifecycle(dir, "enabled").await,
        Command::Disable => lifecycle(dir, "disabled").await,
        Command::Page {
            module_key,
            context,
            load,
        } => {
            let state = State::load(dir)?;
            let (host, app) = connect(&state, state.keys()?, 0).await?;
            let context: BTreeMap<String, String> = context.into_iter().collect();
            let url = host.page_url(&app, &state.site, &module_key, &context)?;
            println!("{url}");
            if load {
                return Ok(report(
                    &module_key,
                    host.load_page(&app, &state.site, &module_key, &context)
                        .await?,
                ));
            }
            Ok(0)
        }
        Command::Webhook { event, body } => {
            let state = State::load(dir)?;
            let body = json_body(&body)?;
            let (host, app) = connect(&state, state.keys()?, 0).await?;
            Ok(report(
                &format!("webhook {event}"),
                host.send_webhook(&app, &state.site, &event, &body).await?,
            ))
        }
        Command::Serve {
            close_accounts,
            cycle_period,
        } => serve(dir, &close_accounts, cycle_period.as_deref()).await,
        Command::Token {
            method,
            path,
            expires_in,
        } => {
            let state = State::load(dir)?;
            if !path.starts_with('/') {
                bail!("PATH must start with `/` (relative to the app's baseUrl)");
            }
            let token = TokenSpec::for_request(&state.site.client_key, &method, &path, "")
                .claim(
                    "exp",
                    serde_json::json!(connect_testing::unix_now() + expires_in),
                )
                .sign_hs256(state.site.shared_secret.as_bytes());
            println!("{token}");
            Ok(0)
        }
        Command::ContextToken => {
            let state = State::load(dir)?;
            let host = ProductHost::with_keys(state.keys()?, 0).await?;
            println!("{}", host.context_token(&state.site));
            Ok(0)
        }
        Command::Forge(command) => forge::run(dir, command).await,
        Command::Status => {
            let state = State::load(dir)?;
            println!("app      {}", state.app_url);
            println!(
                "site     {} ({})",
                state.site.base_url, state.site.product_type
            );
            println!("client   {}", state.site.client_key);
            println!(
                "key CDN  http://127.0.0.1:{} (kid {})",
                state.cdn_port, state.kid
            );
            Ok(0)
        }
    }
}

async fn connect(
    state: &State,
    keys: KeyPair,
    cdn_port: u16,
) -> anyhow::Result<(ProductHost, AppUnderTest)> {
    let host = ProductHost::with_keys(keys, cdn_port)
        .await
        .with_context(|| format!("starting the key CDN on 127.0.0.1:{cdn_port}"))?;
    let app = host
        .connect(&state.app_url)
        .await
        .with_context(|| format!("fetching the descriptor from {}", state.app_url))?;
    Ok((host, app))
}

/// `serve`: the site's REST API and authorization server until Ctrl-C. The state file is read
/// again every second, so a `reinstall` from another shell (a rotated secret) is followed.
async fn serve(
    dir: &Path,
    close_accounts: &[String],
    cycle_period: Option<&str>,
) -> anyhow::Result<i32> {
    let state = State::load(dir)?;
    let Some(port) = state.rest_port else {
        bail!(
            "this site was installed without --rest-port: run `connect-sim install APP_URL --rest-port PORT` first"
        );
    };
    // The key CDN port stays free for `reinstall` and `uninstall` from another shell.
    let (host, app) = connect(&state, state.keys()?, 0).await?;
    let site = host
        .serve_site_on(state.site.clone(), port)
        .await
        .with_context(|| format!("serving the site's REST API on 127.0.0.1:{port}"))?;
    host.api().record_install(&app, &site);
    for account in close_accounts {
        host.api().close_account(account);
    }
    if let Some(period) = cycle_period {
        host.api().set_cycle_period(period);
    }
    println!("site REST API  {}", site.base_url);
    println!("OAuth server   start the app with CONNECT_OAUTH_URL=http://127.0.0.1:{port}");
    println!("serving until Ctrl-C");
    let mut secret = site.shared_secret.clone();
    let mut seen = 0;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                if let Ok(latest) = State::load(dir)
                    && latest.site.shared_secret != secret
                {
                    secret = latest.site.shared_secret.clone();
                    host.api().record_install(&app, &latest.site);
                    println!("followed a reinstall of {}", latest.site.client_key);
                }
                for call in host.api().calls().iter().skip(seen) {
                    println!("{:?} {} {:?} -> {} ({:?})", call.client_key, call.method, call.path, call.status, call.caller);
                }
                seen = host.api().call_count();
            }
        }
    }
    Ok(0)
}

async fn lifecycle(dir: &Path, event: &str) -> anyhow::Result<i32> {
    let state = State::load(dir)?;
    let (host, app) = connect(&state, state.keys()?, state.cdn_port).await?;
    let answer = match event {
        "uninstalled" => host.uninstall(&app, &state.site).await?,
        "enabled" => host.enable(&app, &state.site).await?,
        "disabled" => host.disable(&app, &state.site).await?,
        other => bail!("unknown lifecycle event {other}"),
    };
    Ok(report_with_cdn(event, answer, Some(state.cdn_port)))
}

/// The install signer of site `name`: the one already in the state file when it is the same
/// site (the app caches keys by kid, so a site keeps its key pair across installs), otherwise a
/// new key pair under a new kid (a new key never reuses a kid an app may have cached).
fn site_keys(dir: &Path, name: &str) -> anyhow::Result<KeyPair> {
    if let Ok(state) = State::load(dir) {
        if state.site_name() == name {
            return state.keys();
        }
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    Ok(KeyPair::generate(format!("connect-sim/{name}/{nonce:x}")))
}

/// `--body`: inline JSON, or `@FILE`.
fn json_body(raw: &str) -> anyhow::Result<serde_json::Value> {
    match raw.strip_prefix('@') {
        Some(path) => {
            let text = std::fs::read(path).with_context(|| format!("reading {path}"))?;
            serde_json::from_slice(&text).with_context(|| format!("{path} is not JSON"))
        }
        None => serde_json::from_str(raw).with_context(|| {
            if Path::new(raw).exists() {
                format!("--body is not JSON; to send the file {raw}, write --body @{raw}")
            } else {
                "--body is not JSON (inline JSON, or @FILE)".to_owned()
            }
        }),
    }
}

/// Prints a one-line summary of the app's answer (and a hint for common failures); returns the
/// exit code.
fn report(what: &str, answer: Answer) -> i32 {
    report_with_cdn(what, answer, None)
}

/// [`report`] for answers to RS256-signed lifecycle events, whose failures may come from the
/// app's key CDN configuration.
fn report_with_cdn(what: &str, answer: Answer, cdn_port: Option<u16>) -> i32 {
    let reason = reqwest::StatusCode::from_u16(answer.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("");
    println!("{what}: {} {reason}", answer.status);
    let body = answer.body.trim();
    if !body.is_empty() {
        println!("  {}", body.chars().take(500).collect::<String>());
    }
    if answer.status < 400 {
        return 0;
    }
    if let Some(hint) = hint(answer.status, body, cdn_port) {
        eprintln!("  hint: {hint}");
    }
    1
}

/// What a failure most likely means, judged from the app's own message.
fn hint(status: u16, body: &str, cdn_port: Option<u16>) -> Option<String> {
    let cdn = |port: u16| format!("CONNECT_KEYS_CDN_URL=http://127.0.0.1:{port}");
    if body.contains("CONNECT_ALLOWED_TENANT_HOSTS") {
        return Some(
            "the app refuses this site's host; allow it with CONNECT_ALLOWED_TENANT_HOSTS"
                .to_owned(),
        );
    }
    match (status, cdn_port) {
        (503, Some(port)) => Some(format!(
            "the app could not fetch the install key; start it with {}",
            cdn(port)
        )),
        (401, Some(port)) if body.contains("install key not found") => Some(format!(
            "the app's key CDN does not know this simulator's key; start it with {}",
            cdn(port)
        )),
        (401, Some(_)) if body.contains("signature is invalid") => Some(
            "the app holds a different key under this kid (keys are cached by kid); this happens when connect-sim.json was deleted while the app kept running: restart the app"
                .to_owned(),
        ),
        (401, None) if body.contains("unknown tenant") || body.contains("uninstalled") => Some(
            "the app does not know this site as installed: run `connect-sim install APP_URL`"
                .to_owned(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_inline_or_from_a_file() {
        assert_eq!(json_body(r#"{"a": 1}"#).unwrap()["a"], 1);
        let dir = std::env::temp_dir().join(format!("connect-sim-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("issue.json");
        std::fs::write(&file, r#"{"issue": {"key": "TEST-1"}}"#).unwrap();
        let from_file = json_body(&format!("@{}", file.display())).unwrap();
        assert_eq!(from_file["issue"]["key"], "TEST-1");
        let error = json_body(&file.display().to_string()).unwrap_err();
        assert!(format!("{error:#}").contains("--body @"), "{error:#}");
    }

    #[test]
    fn hints_follow_the_apps_message() {
        assert!(
            hint(401, "install key not found: ...", Some(3999))
                .unwrap()
                .contains("3999")
        );
        assert!(
            hint(401, "the JWT signature is invalid", Some(3999))
                .unwrap()
                .contains("restart the app")
        );
        assert!(hint(401, "the JWT has expired", Some(3999)).is_none());
        assert!(
            hint(503, "key service unavailable", Some(3999))
                .unwrap()
                .contains("CONNECT_KEYS_CDN_URL")
        );
    }

    #[test]
    fn a_site_keeps_its_key_pair_and_a_new_site_gets_a_new_kid() {
        let dir = std::env::temp_dir().join(format!("connect-sim-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(State::path(&dir));
        let first = site_keys(&dir, "acme").unwrap();
        let state = State {
            kid: first.kid().to_owned(),
            private_key_pem: first.private_pem().to_owned(),
            cdn_port: 3999,
            app_url: "http://127.0.0.1:3000".to_owned(),
            site: Site::jira("acme"),
            rest_port: None,
        };
        state.save(&dir).unwrap();
        let again = site_keys(&dir, "acme").unwrap();
        assert_eq!(again.kid(), first.kid());
        assert_eq!(again.private_pem(), first.private_pem());
        let other = site_keys(&dir, "globex").unwrap();
        assert_ne!(other.kid(), first.kid());
    }
}
