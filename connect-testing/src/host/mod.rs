//! A simulated Jira or Confluence: drives an app over real HTTP exactly as the product does.
//!
//! It owns an RSA key pair (served by its own [`KeyCdn`]), fetches the app's descriptor, and
//! sends signed lifecycle events, page loads, webhooks and context tokens for any number of
//! sites. Start the app with its key CDN URL ([`ProductHost::cdn_url`]) and its sites' host
//! allowed (`127.0.0.1` or `.atlassian.net`, see [`Site`]).

use super::{KeyCdn, KeyPair, ProductApi, TokenSpec, install_payload};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

mod model;

use model::random_secret;
pub use model::{Answer, AppUnderTest, HostError, Site};

/// The simulated product.
pub struct ProductHost {
    keys: Mutex<Arc<KeyPair>>,
    cdn: KeyCdn,
    api: ProductApi,
    http: reqwest::Client,
    account_id: String,
}

impl std::fmt::Debug for ProductHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductHost")
            .field("cdn", &self.cdn.url())
            .finish_non_exhaustive()
    }
}

impl ProductHost {
    /// A host with a fresh key pair, its CDN on an ephemeral port of 127.0.0.1.
    pub async fn start() -> Result<Self, HostError> {
        Self::with_keys(KeyPair::generate(new_kid()), 0).await
    }

    /// A host signing with `keys`, its CDN on `port` (0 for any).
    pub async fn with_keys(keys: KeyPair, port: u16) -> Result<Self, HostError> {
        let cdn = KeyCdn::start_on(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await?;
        cdn.publish(&keys);
        let api = ProductApi::start(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        Ok(Self {
            keys: Mutex::new(Arc::new(keys)),
            cdn,
            api,
            http: reqwest::Client::new(),
            account_id: "557058:simulated-user".into(),
        })
    }

    /// The key CDN base URL to give the app as `CONNECT_KEYS_CDN_URL`.
    pub fn cdn_url(&self) -> String {
        self.cdn.url()
    }

    /// The key CDN (to count fetches or make it fail).
    pub fn key_cdn(&self) -> &KeyCdn {
        &self.cdn
    }

    /// The sites' simulated REST API and the authorization server: counters, rate limits,
    /// permissions, token lifetimes.
    pub fn api(&self) -> &ProductApi {
        &self.api
    }

    /// The authorization server's URL, to give the app as `CONNECT_OAUTH_URL`.
    pub fn oauth_url(&self) -> String {
        self.api.oauth_url()
    }

    /// Serves `site`'s REST API on an ephemeral port of 127.0.0.1 and returns the site with its
    /// baseUrl there (`http://127.0.0.1:PORT`, plus `/wiki` for Confluence). Install it after:
    /// the app must allow the host `127.0.0.1` (`CONNECT_ALLOWED_TENANT_HOSTS`).
    pub async fn serve_site(&self, site: Site) -> Result<Site, HostError> {
        self.serve_site_on(site, 0).await
    }

    /// As [`serve_site`](Self::serve_site), on `port`.
    pub async fn serve_site_on(&self, site: Site, port: u16) -> Result<Site, HostError> {
        Ok(self.api.serve_site(site, port).await?)
    }

    /// The current signing key pair.
    pub fn keys(&self) -> Arc<KeyPair> {
        Arc::clone(&self.keys.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Rotates to a new key pair with a new kid (published on the CDN; the old one stays
    /// published, as on Atlassian's CDN). Returns the new kid.
    pub fn rotate_keys(&self) -> String {
        let keys = KeyPair::generate(new_kid());
        self.cdn.publish(&keys);
        let kid = keys.kid().to_owned();
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        kid
    }

    /// The account id of the simulated user in page loads and context tokens.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Fetches the app's descriptor. `url` is where the app listens (`http://127.0.0.1:3000`),
    /// optionally with the app's mount path (`http://127.0.0.1:3000/jira`), or the full
    /// descriptor URL. Later requests go to the server's origin plus the baseUrl's path.
    pub async fn connect(&self, url: &str) -> Result<AppUnderTest, HostError> {
        let url = url.trim_end_matches('/');
        let descriptor_url = if url.ends_with("/atlassian-connect.json") {
            url.to_owned()
        } else {
            format!("{url}/atlassian-connect.json")
        };
        let address = url::Url::parse(&descriptor_url)
            .map_err(|error| HostError::Descriptor(format!("app URL `{url}`: {error}")))?
            .origin()
            .ascii_serialization();
        let descriptor: Value = self
            .http
            .get(&descriptor_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if descriptor["baseUrl"].as_str().is_none() {
            return Err(HostError::Descriptor("no baseUrl".into()));
        }
        Ok(AppUnderTest {
            address,
            descriptor,
        })
    }

    /// A signed `installed` event for `site` (RS256, current kid, `aud` = the app's baseUrl,
    /// `iss` = clientKey, qsh of the request).
    pub async fn install(&self, app: &AppUnderTest, site: &Site) -> Result<Answer, HostError> {
        self.signed_lifecycle(app, site, "installed", &self.keys())
            .await
    }

    /// A signed `installed` event signed by `keys` rather than the current pair (a token
    /// issued just before a rotation).
    pub async fn install_signed_by(
        &self,
        app: &AppUnderTest,
        site: &Site,
        keys: &KeyPair,
    ) -> Result<Answer, HostError> {
        self.signed_lifecycle(app, site, "installed", keys).await
    }

    /// Rotates the site's shared secret and installs again (an app upgrade or reinstall).
    pub async fn reinstall(
        &self,
        app: &AppUnderTest,
        site: &mut Site,
    ) -> Result<Answer, HostError> {
        site.shared_secret = random_secret();
        self.install(app, site).await
    }

    /// A signed `uninstalled` event.
    pub async fn uninstall(&self, app: &AppUnderTest, site: &Site) -> Result<Answer, HostError> {
        self.signed_lifecycle(app, site, "uninstalled", &self.keys())
            .await
    }

    /// An HS256 `enabled` event.
    pub async fn enable(&self, app: &AppUnderTest, site: &Site) -> Result<Answer, HostError> {
        self.shared_secret_lifecycle(app, site, "enabled").await
    }

    /// An HS256 `disabled` event.
    pub async fn disable(&self, app: &AppUnderTest, site: &Site) -> Result<Answer, HostError> {
        self.shared_secret_lifecycle(app, site, "disabled").await
    }

    /// The signed URL the product would load in an iframe for `module_key`, with context
    /// variables (`{issue.key}`) filled from `context` and `jwt` in the query.
    pub fn page_url(
        &self,
        app: &AppUnderTest,
        site: &Site,
        module_key: &str,
        context: &BTreeMap<String, String>,
    ) -> Result<String, HostError> {
        let (_, module) = app
            .module(module_key)
            .ok_or_else(|| HostError::UnknownModule(module_key.to_owned()))?;
        let url = AppUnderTest::module_url(&module)
            .ok_or_else(|| HostError::Descriptor(format!("module `{module_key}` has no url")))?;
        let relative = fill_context(url, context);
        let target = app.target(&relative);
        let token = TokenSpec::for_request(&site.client_key, "GET", &relative, "")
            .claim("sub", Value::from(self.account_id.clone()))
            .claim(
                "context",
                serde_json::json!({"user": {"accountId": self.account_id}}),
            )
            .sign_hs256(site.shared_secret.as_bytes());
        let separator = if target.contains('?') { '&' } else { '?' };
        Ok(format!("{}{target}{separator}jwt={token}", app.address))
    }

    /// Loads a module page as the product's iframe does.
    pub async fn load_page(
        &self,
        app: &AppUnderTest,
        site: &Site,
        module_key: &str,
        context: &BTreeMap<String, String>,
    ) -> Result<Answer, HostError> {
        let url = self.page_url(app, site, module_key, context)?;
        Answer::from(self.http.get(url).send().await?).await
    }

    /// Sends a webhook for `event` (HS256 in the `Authorization` header) to the URL the
    /// descriptor registers for it.
    pub async fn send_webhook(
        &self,
        app: &AppUnderTest,
        site: &Site,
        event: &str,
        body: &Value,
    ) -> Result<Answer, HostError> {
        let (_, hook) = app
            .modules()
            .into_iter()
            .find(|(kind, module)| kind == "webhooks" && module["event"] == event)
            .ok_or_else(|| HostError::UnknownModule(format!("webhook {event}")))?;
        let url = hook["url"].as_str().unwrap_or("/");
        let token = TokenSpec::for_request(&site.client_key, "POST", url, "")
            .sign_hs256(site.shared_secret.as_bytes());
        let response = self
            .http
            .post(format!("{}{}", app.address, app.target(url)))
            .header("authorization", format!("JWT {token}"))
            .json(body)
            .send()
            .await?;
        Answer::from(response).await
    }

    /// A token as `AP.context.getToken()` returns it in the iframe (`qsh: context-qsh`).
    pub fn context_token(&self, site: &Site) -> String {
        TokenSpec::context(&site.client_key, &self.account_id)
            .sign_hs256(site.shared_secret.as_bytes())
    }

    /// Calls an app route with a context token, as the iframe's JavaScript does.
    pub async fn call_with_context_token(
        &self,
        app: &AppUnderTest,
        site: &Site,
        method: reqwest::Method,
        url: &str,
    ) -> Result<Answer, HostError> {
        self.context_call(app, site, method, url, None).await
    }

    /// Calls `url` as the iframe's JavaScript does with `AP.context.getToken()`, sending `body`
    /// as JSON (`POST`/`PUT` AJAX calls).
    pub async fn call_with_context_token_and_body(
        &self,
        app: &AppUnderTest,
        site: &Site,
        method: reqwest::Method,
        url: &str,
        body: &Value,
    ) -> Result<Answer, HostError> {
        self.context_call(app, site, method, url, Some(body)).await
    }

    async fn context_call(
        &self,
        app: &AppUnderTest,
        site: &Site,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, HostError> {
        let mut request = self
            .http
            .request(method, format!("{}{}", app.address, app.target(url)))
            .header("authorization", format!("JWT {}", self.context_token(site)));
        if let Some(body) = body {
            request = request.json(body);
        }
        Answer::from(request.send().await?).await
    }

    async fn signed_lifecycle(
        &self,
        app: &AppUnderTest,
        site: &Site,
        event: &str,
        keys: &KeyPair,
    ) -> Result<Answer, HostError> {
        let path = lifecycle_path(app, event)?;
        let token = TokenSpec::for_request(&site.client_key, "POST", &path, "")
            .claim("aud", Value::from(app.base_url()))
            .sign_rs256(keys);
        self.post_lifecycle(app, site, event, &path, token).await
    }

    async fn shared_secret_lifecycle(
        &self,
        app: &AppUnderTest,
        site: &Site,
        event: &str,
    ) -> Result<Answer, HostError> {
        let path = lifecycle_path(app, event)?;
        let token = TokenSpec::for_request(&site.client_key, "POST", &path, "")
            .sign_hs256(site.shared_secret.as_bytes());
        self.post_lifecycle(app, site, event, &path, token).await
    }

    async fn post_lifecycle(
        &self,
        app: &AppUnderTest,
        site: &Site,
        event: &str,
        path: &str,
        token: String,
    ) -> Result<Answer, HostError> {
        let mut body = install_payload(
            app.key(),
            &site.client_key,
            &site.shared_secret,
            &site.base_url,
            event,
        );
        body["productType"] = Value::from(site.product_type.clone());
        body["oauthClientId"] = Value::from(site.oauth_client_id());
        if !site.cloud_id.is_empty() {
            body["cloudId"] = Value::from(site.cloud_id.clone());
        }
        if let Some(installation_id) = &site.installation_id {
            body["installationId"] = Value::from(installation_id.clone());
        }
        if event == "installed" {
            // Before sending: the app may call the site back from its `installed` hook.
            self.api.record_install(app, site);
        }
        let response = self
            .http
            .post(format!("{}{}", app.address, app.target(path)))
            .header("authorization", format!("JWT {token}"))
            .json(&body)
            .send()
            .await?;
        Answer::from(response).await
    }
}

fn lifecycle_path(app: &AppUnderTest, event: &str) -> Result<String, HostError> {
    app.descriptor["lifecycle"][event]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| HostError::Descriptor(format!("no lifecycle.{event} URL")))
}

fn new_kid() -> String {
    format!("simulated/{}", &random_secret()[..16])
}

/// Replaces `{name}` context variables with values from `context` (URL-encoded); unknown
/// variables become empty, as the product does for context it does not have.
pub fn fill_context(url: &str, context: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &rest[start + 1..start + end];
        if let Some(value) = context.get(name) {
            out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_debug_hides_the_secret() {
        let site = Site::jira("acme");
        let debug = format!("{site:?}");
        assert!(!debug.contains(&site.shared_secret), "{debug}");
        assert!(debug.contains("acme-client-key"));
    }

    #[test]
    fn context_variables_are_filled_and_encoded() {
        let context = BTreeMap::from([("issue.key".to_owned(), "TEST 1".to_owned())]);
        assert_eq!(
            fill_context("/glance?issueKey={issue.key}&p={project.key}", &context),
            "/glance?issueKey=TEST+1&p="
        );
    }
}
