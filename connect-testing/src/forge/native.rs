//! The Forge platform's calls to a Forge-native app's backend modules: async event deliveries,
//! Rovo action calls, pre-uninstall, and web trigger calls; and what its storage holds.

use super::model::uuid;
use super::{AsyncDelivery, ForgeInstallation, ForgePlatform, Invocation};
use crate::host::{Answer, HostError};
use serde_json::{Value, json};
use std::collections::BTreeMap;

impl ForgePlatform {
    /// Delivers an async event as Forge delivers it to a consumer's endpoint: a backend FIT
    /// naming `endpoint_key`, the system token, and the envelope `{"body", "jobId",
    /// "eventId", "queueName"}` (plus `retryContext` on a retry, `retry_count` > 0).
    pub async fn deliver_event(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        event: &AsyncDelivery<'_>,
    ) -> Result<Answer, HostError> {
        let invocation = event_invocation(event);
        self.invoke(
            url,
            reqwest::Method::POST,
            installation,
            endpoint_key,
            &invocation,
        )
        .await
    }

    /// Calls a Rovo action's endpoint as an agent does: a FIT with the user as `principal`
    /// (and the user's and the system token),
    /// and the inputs as top-level keys of the body plus `context {cloudId, moduleKey, jira |
    /// confluence}` (what the function payload documents).
    pub async fn invoke_action(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        action_key: &str,
        inputs: &Value,
        account_id: &str,
    ) -> Result<Answer, HostError> {
        let invocation = action_invocation(installation, action_key, inputs, account_id);
        self.invoke(
            url,
            reqwest::Method::POST,
            installation,
            endpoint_key,
            &invocation,
        )
        .await
    }

    /// Forge's pre-uninstall call: a backend FIT naming `endpoint_key`, the system token, and
    /// `{"context": {"cloudId", "moduleKey"}, "contextToken"}`.
    pub async fn pre_uninstall(
        &self,
        url: &str,
        installation: &ForgeInstallation,
        endpoint_key: &str,
        module_key: &str,
    ) -> Result<Answer, HostError> {
        let invocation = pre_uninstall_invocation(installation, module_key);
        self.invoke(
            url,
            reqwest::Method::POST,
            installation,
            endpoint_key,
            &invocation,
        )
        .await
    }

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
pub(crate) fn event_invocation(event: &AsyncDelivery<'_>) -> Invocation {
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
pub(crate) fn action_invocation(
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
pub(crate) fn pre_uninstall_invocation(
    installation: &ForgeInstallation,
    module_key: &str,
) -> Invocation {
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
