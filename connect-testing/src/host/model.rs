//! The values the simulated product works with: its sites, the app it drives, the answers it
//! gets and why a step failed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A simulated product site (one tenant of the app). `Debug` hides the shared secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Site {
    /// The tenant id the app stores it under.
    pub client_key: String,
    /// The site's baseUrl, e.g. `https://acme.atlassian.net`.
    pub base_url: String,
    /// The current shared secret (rotated by [`ProductHost::reinstall`](crate::ProductHost::reinstall)).
    pub shared_secret: String,
    /// `jira` or `confluence`.
    pub product_type: String,
    /// The site's cloud id (`cloudId` of the install payload; the FIT carries it too).
    #[serde(default)]
    pub cloud_id: String,
    /// The Forge installation id the install payload carries (Connect-on-Forge apps), if any.
    #[serde(default)]
    pub installation_id: Option<String>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("client_key", &self.client_key)
            .field("base_url", &self.base_url)
            .field("shared_secret", &"[REDACTED]")
            .field("product_type", &self.product_type)
            .field("cloud_id", &self.cloud_id)
            .field("installation_id", &self.installation_id)
            .finish()
    }
}

impl Site {
    /// A Jira site `https://{name}.atlassian.net` with a fresh random secret.
    pub fn jira(name: &str) -> Self {
        Self {
            client_key: format!("{name}-client-key"),
            base_url: format!("https://{name}.atlassian.net"),
            shared_secret: random_secret(),
            product_type: "jira".into(),
            cloud_id: format!("{name}-cloud-{}", &random_secret()[..12]),
            installation_id: None,
        }
    }

    /// A Confluence site `https://{name}.atlassian.net/wiki`.
    pub fn confluence(name: &str) -> Self {
        Self {
            base_url: format!("https://{name}.atlassian.net/wiki"),
            product_type: "confluence".into(),
            ..Self::jira(name)
        }
    }

    /// The OAuth client id the product gives the app on this site (the `oauthClientId` of the
    /// install payload; the `iss` of user-token assertions).
    pub fn oauth_client_id(&self) -> String {
        format!("{}-oauth-client", self.client_key)
    }
}

pub(super) fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}

/// An app as the host knows it: where it listens and what its descriptor says.
#[derive(Debug, Clone)]
pub struct AppUnderTest {
    /// Where requests go, e.g. `http://127.0.0.1:3000` (the app may declare a public baseUrl).
    pub address: String,
    /// The descriptor fetched from `/atlassian-connect.json`.
    pub descriptor: Value,
}

impl AppUnderTest {
    /// The descriptor's `key`.
    pub fn key(&self) -> &str {
        self.descriptor["key"].as_str().unwrap_or_default()
    }

    /// The descriptor's `baseUrl` (the `aud` of install tokens).
    pub fn base_url(&self) -> &str {
        self.descriptor["baseUrl"].as_str().unwrap_or_default()
    }

    /// The request target on the app's server for a descriptor-relative `url`: the baseUrl's
    /// path followed by `url`.
    pub fn target(&self, url: &str) -> String {
        let base_path = url::Url::parse(self.base_url())
            .map(|base| base.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        format!("{base_path}{url}")
    }

    /// The module with `key`: its type (`generalPages`...) and its JSON.
    pub fn module(&self, key: &str) -> Option<(String, Value)> {
        self.modules()
            .into_iter()
            .find(|(_, module)| module["key"] == key)
    }

    /// Every module entry with its type, in descriptor order.
    pub fn modules(&self) -> Vec<(String, Value)> {
        let Some(modules) = self.descriptor["modules"].as_object() else {
            return Vec::new();
        };
        modules
            .iter()
            .flat_map(|(kind, entries)| match entries {
                Value::Array(entries) => {
                    entries.iter().map(|e| (kind.clone(), e.clone())).collect()
                }
                single => vec![(kind.clone(), single.clone())],
            })
            .collect()
    }

    /// The URL a module is loaded from: `url`, or `target.url` for glances and issue contents.
    pub fn module_url(module: &Value) -> Option<&str> {
        module["url"]
            .as_str()
            .or_else(|| module["target"]["url"].as_str())
            .or_else(|| module["triggered"]["url"].as_str())
    }
}

/// An answer from the app, summarised.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response body as text.
    pub body: String,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub(crate) async fn from(response: reqwest::Response) -> Result<Self, HostError> {
        Ok(Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await?,
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value, HostError> {
        serde_json::from_str(&self.body).map_err(|error| HostError::Descriptor(error.to_string()))
    }
}

/// What went wrong driving the app.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The app could not be reached.
    #[error("request to the app failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The descriptor is missing something the product needs.
    #[error("descriptor: {0}")]
    Descriptor(String),
    /// No module has that key.
    #[error("no module with key `{0}` in the descriptor")]
    UnknownModule(String),
    /// The key CDN could not start.
    #[error("key CDN: {0}")]
    Io(#[from] std::io::Error),
}
