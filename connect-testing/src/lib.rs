//! The test kit of `atlassian-connect`: the product's side of Connect and Forge, on 127.0.0.1,
//! for tests (`atlassian_connect::testing` with the facade's `testing` feature). None of it is
//! runtime API: an app never depends on it outside its tests.
//!
//! - [`KeyPair`]: an RSA key pair with a `kid`, as Atlassian's install signer has.
//! - [`KeyCdn`]: a local key CDN serving public keys by kid, counting hits, and able to fail
//!   the ways a real CDN fails (down, 404, garbage, hanging).
//! - [`TokenSpec`]: claims of a Connect JWT, signed HS256 or RS256, with any claim overridable
//!   so tests can forge exactly the token they want to see refused.
//! - [`install_payload`]: a lifecycle payload as Jira sends it.
//! - [`AppProcess`]: an app binary run as its own process, its log readable by the test.
//! - [`ProductHost`]: all of the above driving an app over HTTP as Jira or Confluence does.
//! - [`ForgePlatform`]: Forge's side of Forge Remote: a JWKS, Forge Invocation Tokens,
//!   invocations with system/user tokens, trigger deliveries and the API at `apiBaseUrl`.
//! - [`ProductApi`]: the sites' REST API and the OAuth 2.0 authorization server the app calls
//!   back, verifying its tokens as Atlassian does, counting requests, answering 429s on demand.
//! - [`conformance`]: the suite every [`TenantStore`](connect_runtime::TenantStore) backend
//!   must pass.
//!
//! A test installs a site, loads a page and calls an API route as the product and the iframe
//! do:
//!
//! ```no_run
//! use connect_testing::{ProductHost, Site};
//! use connect_runtime::{App, ConnectConfig, store::MemoryStore};
//! use std::sync::Arc;
//!
//! # async fn test(app: App) -> Result<(), Box<dyn std::error::Error>> {
//! let host = ProductHost::start().await?; // a key pair and its key CDN on 127.0.0.1
//! let mut config = ConnectConfig::new("https://my-app.example.com".parse()?);
//! config.key_cdn_urls = vec![host.cdn_url().parse()?];
//! let app = app.build(config, Arc::new(MemoryStore::default()))?;
//! let server = connect_testing::spawn(app.filter()).await?; // on 127.0.0.1, any free port
//!
//! let app = host.connect(&server.url()).await?; // reads the descriptor
//! let site = Site::jira("acme");
//! assert_eq!(host.install(&app, &site).await?.status, 204); // RS256-signed, as Jira does
//! let page = host.load_page(&app, &site, "hello", &Default::default()).await?;
//! assert_eq!(page.status, 200);
//! let api = host
//!     .call_with_context_token(&app, &site, reqwest::Method::GET, "/api/notes")
//!     .await?;
//! assert_eq!(api.status, 200);
//! # Ok(())
//! # }
//! ```
//!
//! Key generation is slow in unoptimised builds: give `num-bigint-dig`, `rsa` and `sha2`
//! `opt-level = 3` in your `[profile.dev.package.*]` (see the README).

#![warn(missing_docs)]

pub mod conformance;
mod forge;
mod host;
mod key_cdn;
mod process;
mod product_api;
mod tokens;

pub use forge::{
    AsyncDelivery, ForgeApiCall, ForgeCaller, ForgeInstallation, ForgePlatform, ForgeSidecar,
    Invocation, JwksBehaviour, MAX_EVENTS_PER_PUSH, MAX_PUSH_BYTES, ProxyCall, PublishedEvents,
    ReportBatch, new_forge_kid, new_installation_id,
};
pub use host::{Answer, AppUnderTest, HostError, ProductHost, Site, fill_context};
pub use key_cdn::{CdnBehaviour, KeyCdn};
pub use process::{AppProcess, example_binary, free_port};
pub use product_api::{ApiCall, Caller, DEFAULT_TOKEN_LIFETIME_SECS, ProductApi, RateLimit};
pub use tokens::{KeyPair, TokenSpec, unix_now};

/// A server running on a background task ([`spawn`]): its `url()`, and `shutdown()`.
pub use connect_runtime::__private::RunningServer;

/// Serves `filter` (`ConnectApp::filter`, `apps_filter`, `filter_with`) on a background task
/// on 127.0.0.1, on a free port, through the framework's whole HTTP stack.
pub async fn spawn(
    filter: warp::filters::BoxedFilter<(connect_runtime::Response,)>,
) -> std::io::Result<RunningServer> {
    connect_runtime::__private::spawn(filter, ([127, 0, 0, 1], 0).into()).await
}

use serde_json::{Value, json};

/// A lifecycle payload as Jira sends it for `event_type`.
pub fn install_payload(
    app_key: &str,
    client_key: &str,
    shared_secret: &str,
    tenant_base_url: &str,
    event_type: &str,
) -> Value {
    json!({
        "key": app_key,
        "clientKey": client_key,
        "sharedSecret": shared_secret,
        "baseUrl": tenant_base_url,
        "displayUrl": tenant_base_url,
        "productType": "jira",
        "description": "Atlassian JIRA at https://example.atlassian.net",
        "serviceEntitlementNumber": "SEN-1",
        "eventType": event_type,
        "oauthClientId": "oauth-client-id",
        "cloudId": "cloud-id",
        "serverVersion": "100000",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
    })
}
