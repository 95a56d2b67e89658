//! What the simulated Forge platform hands out and records: installations, invocations, the
//! product API calls it saw.

use serde_json::Value;

/// How the JWKS endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksBehaviour {
    /// The current key set.
    Serve,
    /// This status for every request (an outage).
    Status(u16),
}

/// One installation of the Forge app on a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeInstallation {
    /// `ari:cloud:ecosystem::installation/<uuid>`.
    pub installation_id: String,
    /// The site's cloud id.
    pub cloud_id: String,
    /// The site URL (the Connect tenant's baseUrl).
    pub site_url: String,
    /// `jira` or `confluence`.
    pub product: String,
}

impl ForgeInstallation {
    /// A Jira installation on `https://{name}.atlassian.net` with fresh ids.
    pub fn jira(name: &str) -> Self {
        Self {
            installation_id: new_installation_id(),
            cloud_id: uuid(),
            site_url: format!("https://{name}.atlassian.net"),
            product: "jira".to_owned(),
        }
    }

    /// A Confluence installation on `https://{name}.atlassian.net/wiki` with fresh ids.
    pub fn confluence(name: &str) -> Self {
        Self {
            installation_id: new_installation_id(),
            cloud_id: uuid(),
            site_url: format!("https://{name}.atlassian.net/wiki"),
            product: "confluence".to_owned(),
        }
    }

    /// A fresh installation on the simulated Connect `site`: the same cloud id and URL, so a
    /// Forge invocation and the site's Connect requests belong to one tenant.
    pub fn of_site(site: &crate::Site) -> Self {
        Self {
            installation_id: site
                .installation_id
                .clone()
                .unwrap_or_else(new_installation_id),
            cloud_id: site.cloud_id.clone(),
            site_url: site.base_url.clone(),
            product: site.product_type.clone(),
        }
    }
}

/// A fresh installation id, `ari:cloud:ecosystem::installation/<uuid>`.
pub fn new_installation_id() -> String {
    format!("ari:cloud:ecosystem::installation/{}", uuid())
}

/// A call the simulated product API received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeApiCall {
    /// The method.
    pub method: String,
    /// The path, below `/ex/{product}/{cloudId}`.
    pub path: String,
    /// Which token authorized it: `system`, `user`, `invalid` or `none`.
    pub token: String,
    /// Its `x-b3-traceid`, if it had one.
    pub trace_id: Option<String>,
}

/// One delivery of an async event ([`ForgeCaller::deliver_event`](super::ForgeCaller::deliver_event)).
#[derive(Debug, Clone, Copy)]
pub struct AsyncDelivery<'a> {
    /// The queue's name.
    pub queue: &'a str,
    /// The job id (shared by the events of one push, and by every delivery of each).
    pub job_id: &'a str,
    /// The event's id (`<job id>-event` when `None`: one event per job).
    pub event_id: Option<&'a str>,
    /// The pushed object.
    pub body: &'a Value,
    /// 0 for the first delivery; Forge's retries carry `retryContext.retryCount`.
    pub retry_count: u32,
}

/// What to send with an invocation.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Send a fresh system token (`x-forge-oauth-system`).
    pub system_token: bool,
    /// Send a fresh user token (`x-forge-oauth-user`) and the `principal`.
    pub user_token: bool,
    /// The JSON body.
    pub body: Option<Value>,
    /// `context.extension` of the token: what the UI module the call came from knows (an
    /// issue panel's `{"issue": {"key": ...}, "project": {...}}`). `Null` leaves it out.
    pub extension: Value,
    /// `app.license` of the token, as Forge sends it for paid apps (`{"active": true, "type":
    /// "commercial", ...}`). `Null` leaves it out, as for a free app or a development install.
    pub license: Value,
    /// `app.module.type` of the token (`core:endpoint` when `None`), e.g. `jira:issuePanel`
    /// for a UI resolver call.
    pub module_type: Option<String>,
    /// `principal` of the token (with `user_token`, `557058:forge-user` when `None`).
    pub principal: Option<String>,
    /// A backend invocation (an event, an action, pre-uninstall): the token has no `context`.
    pub backend: bool,
    /// The `x-b3-traceid` to send (a random one when `None`).
    pub trace_id: Option<String>,
}

impl Invocation {
    /// Sets `context.extension.<path>` to `value`, `path` being dotted (`issue.key`), as
    /// `connect-sim forge invoke --context issue.key=TEST-1` does.
    ///
    /// ```
    /// let invocation = connect_testing::Invocation::default().with_context("issue.key", "TEST-1");
    /// assert_eq!(invocation.extension["issue"]["key"], "TEST-1");
    /// ```
    pub fn with_context(mut self, path: &str, value: &str) -> Self {
        let mut node = &mut self.extension;
        for part in path.split('.') {
            if !node.is_object() {
                *node = Value::Object(serde_json::Map::new());
            }
            node = node
                .as_object_mut()
                .map(|object| object.entry(part).or_insert(Value::Null))
                .unwrap_or_else(|| unreachable!("made an object above"));
        }
        *node = Value::from(value);
        self
    }
}

pub(super) fn uuid() -> String {
    let bytes: [u8; 16] = rand::random();
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A fresh kid as Forge names its signing keys: `forge/invocation-token/wf-<uuid>`.
pub fn new_forge_kid() -> String {
    format!("forge/invocation-token/wf-{}", uuid())
}
