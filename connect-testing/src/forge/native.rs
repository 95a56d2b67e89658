//! The Forge platform's calls to a Forge-native app's backend modules: async event deliveries,
//! Rovo action calls, pre-uninstall, and web trigger calls; and what its storage holds.

use super::model::uuid;
use super::{AsyncDelivery, ForgeInstallation, ForgePlatform, Invocation};
use crate::host::{Answer, HostError};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What Forge sends to an app's backend modules, whoever sends it: the platform with a FIT (a
/// Forge Remote) or the sidecar with an invocation id (a Forge Container). Each call builds
/// the body Forge sends and hands it to [`invoke`](Self::invoke).
pub trait ForgeCaller {
    /// Invokes `module_key`'s route at `url` for `installation`, sending what `invocation`
    /// asks for.
    fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send;

    /// Delivers an async event as Forge delivers it to a consumer's endpoint: a backend
    /// invocation naming `endpoint_key`, the system token, and the envelope `{"body",
    /// "jobId", "eventId", "queueName"}` (plus `retryContext` on a retry, `retry_count` > 0).
    fn deliver_event(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        event: &AsyncDelivery<'_>,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send
    where
        Self: Sync,
    {
        let invocation = event_invocation(event);
        async move {
            self.invoke(
                url,
                reqwest::Method::POST,
                installation,
                endpoint_key,
                &invocation,
            )
            .await
        }
    }

    /// Calls a Rovo action's endpoint as an agent does: the user as principal (with the
    /// user's and the system token), and the inputs as top-level keys of the body plus
    /// `context {cloudId, moduleKey}` (what the function payload documents).
    fn invoke_action(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        action_key: &str,
        inputs: &Value,
        account_id: &str,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send
    where
        Self: Sync,
    {
        let invocation = action_invocation(installation, action_key, inputs, account_id);
        async move {
            self.invoke(
                url,
                reqwest::Method::POST,
                installation,
                endpoint_key,
                &invocation,
            )
            .await
        }
    }

    /// Forge's pre-uninstall call: a backend invocation naming `endpoint_key`, the system
    /// token, and `{"context": {"cloudId", "moduleKey"}, "contextToken"}`.
    fn pre_uninstall(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        module_key: &str,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send
    where
        Self: Sync,
    {
        let invocation = pre_uninstall_invocation(installation, module_key);
        async move {
            self.invoke(
                url,
                reqwest::Method::POST,
                installation,
                endpoint_key,
                &invocation,
            )
            .await
        }
    }
}

/// The platform's calls to a remote's backend modules: each with a fresh FIT.
impl ForgeCaller for ForgePlatform {
    fn invoke(
        &self,
        url: &str,
        method: reqwest::Method,
        installation: &ForgeInstallation,
        module_key: &str,
        invocation: &Invocation,
    ) -> impl std::future::Future<Output = Result<Answer, HostError>> + Send {
        ForgePlatform::invoke(self, url, method, installation, module_key, invocation)
    }
}

impl ForgePlatform {
    /// A web trigger call as Forge forwards it to a container: the caller's raw request
    /// (method, headers, body) without a token. Forge authenticates no web trigger caller.
    pub async fn call_webtrigger(
        &self,
        url: &str,
        method: reqwest::Method,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, HostError> {
        let mut request = self.http.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        Answer::from(request.send().await?).await
    }
}

/// An async event's delivery: the envelope `{"body", "jobId", "eventId", "queueName"}` (plus
/// `retryContext` on a retry), as a backend invocation with the system token.
fn event_invocation(event: &AsyncDelivery<'_>) -> Invocation {
    let mut envelope = json!({
        "body": event.body,
        "jobId": event.job_id,
        "eventId": event
            .event_id
            .map_or_else(|| format!("{}-event", event.job_id), str::to_owned),
        "queueName": event.queue,
    });
    if event.retry_count > 0 {
        envelope["retryContext"] = json!({
            "retryCount": event.retry_count,
            "retryReason": "FUNCTION_RETRY_REQUEST",
            "retryData": null,
        });
    }
    Invocation {
        system_token: true,
        backend: true,
        body: Some(envelope),
        ..Invocation::default()
    }
}

/// A Rovo action's call: the inputs as top-level keys plus `context {cloudId, moduleKey}`,
/// with the user as principal.
fn action_invocation(
    installation: &ForgeInstallation,
    action_key: &str,
    inputs: &Value,
    account_id: &str,
) -> Invocation {
    let mut body = inputs.clone();
    if let Value::Object(object) = &mut body {
        object.insert(
            "context".to_owned(),
            json!({"cloudId": installation.cloud_id, "moduleKey": action_key}),
        );
    }
    Invocation {
        system_token: true,
        user_token: true,
        principal: Some(account_id.to_owned()),
        backend: true,
        body: Some(body),
        ..Invocation::default()
    }
}

/// Forge's pre-uninstall call: `{"context": {"cloudId", "moduleKey"}, "contextToken"}`.
fn pre_uninstall_invocation(installation: &ForgeInstallation, module_key: &str) -> Invocation {
    Invocation {
        system_token: true,
        backend: true,
        body: Some(json!({
            "context": {"cloudId": installation.cloud_id, "moduleKey": module_key},
            "contextToken": uuid(),
        })),
        ..Invocation::default()
    }
}

/// What the simulated Forge storage holds, for tests' assertions.
impl ForgePlatform {
    /// A copy of `installation`'s key-value store.
    pub fn storage(&self, installation: &ForgeInstallation) -> BTreeMap<String, Value> {
        self.stored(installation, |store| Some(&store.kvs))
    }

    /// A copy of `installation`'s secret store.
    pub fn secrets(&self, installation: &ForgeInstallation) -> BTreeMap<String, Value> {
        self.stored(installation, |store| Some(&store.secrets))
    }

    /// A copy of `installation`'s custom entity `name`.
    pub fn entities(
        &self,
        installation: &ForgeInstallation,
        name: &str,
    ) -> BTreeMap<String, Value> {
        self.stored(installation, |store| store.entities.get(name))
    }

    /// A copy of the map `part` picks from `installation`'s storage (empty when there is none).
    fn stored(
        &self,
        installation: &ForgeInstallation,
        part: impl FnOnce(&super::storage::Store) -> Option<&BTreeMap<String, Value>>,
    ) -> BTreeMap<String, Value> {
        self.lock()
            .storage
            .get(&installation.installation_id)
            .and_then(part)
            .cloned()
            .unwrap_or_default()
    }

    /// Sets `key` in `installation`'s key-value store, as if the app had.
    pub fn put_storage(&self, installation: &ForgeInstallation, key: &str, value: Value) {
        self.lock()
            .storage
            .entry(installation.installation_id.clone())
            .or_default()
            .kvs
            .insert(key.to_owned(), value);
    }
}
