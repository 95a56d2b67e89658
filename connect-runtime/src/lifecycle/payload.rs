//! The lifecycle payload (`POST /installed` and friends): parsing and validation.

use crate::config::{ConnectConfig, HostRule, https_or_loopback_http};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

/// Longest shared secret accepted. Atlassian documents up to 400 bytes.
const MAX_SHARED_SECRET_BYTES: usize = 1024;

/// A lifecycle event, named as in the payload's `eventType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleEvent {
    /// `POST /installed`: install, reinstall or upgrade.
    Installed,
    /// `POST /uninstalled`.
    Uninstalled,
    /// `POST /enabled`.
    Enabled,
    /// `POST /disabled`.
    Disabled,
}

impl LifecycleEvent {
    /// The `eventType` value of this event, which is also its route path.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleEvent::Installed => "installed",
            LifecycleEvent::Uninstalled => "uninstalled",
            LifecycleEvent::Enabled => "enabled",
            LifecycleEvent::Disabled => "disabled",
        }
    }
}

/// Why a lifecycle payload was refused (400).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("the body is not valid JSON (line {line}, column {column})")]
    NotJson {
        /// Line of the syntax error.
        line: usize,
        /// Column of the syntax error.
        column: usize,
    },
    /// A required field is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A field has the wrong type. The value is never echoed (it may be the secret).
    #[error("a field has the wrong type (line {line}, column {column})")]
    WrongType {
        /// Line of the offending value.
        line: usize,
        /// Column of the offending value.
        column: usize,
    },
    /// A required string field is empty.
    #[error("field `{0}` must not be empty")]
    EmptyField(&'static str),
    /// The shared secret is implausibly long.
    #[error("sharedSecret is longer than {MAX_SHARED_SECRET_BYTES} bytes")]
    SecretTooLong,
    /// The payload's `key` is another app's.
    #[error("the payload's key is not this app's key")]
    WrongAppKey,
    /// The payload's `eventType` is not this route's event.
    #[error("eventType must be `{expected}` on this route")]
    WrongEventType {
        /// The event of the route.
        expected: &'static str,
    },
    /// The tenant's baseUrl is not an acceptable URL.
    #[error("baseUrl is invalid: {0}")]
    InvalidBaseUrl(&'static str),
    /// The tenant's baseUrl host is not on `CONNECT_ALLOWED_TENANT_HOSTS`.
    #[error("baseUrl host `{0}` is not an allowed tenant host (CONNECT_ALLOWED_TENANT_HOSTS)")]
    HostNotAllowed(String),
}

/// The fields of a lifecycle payload the framework uses. Unknown fields are tolerated and kept
/// in [`ParsedPayload::stored_json`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePayload {
    /// The app key the product installed.
    pub key: String,
    /// The tenant id.
    pub client_key: String,
    /// The tenant's HS256 secret (install events only).
    #[serde(default)]
    pub shared_secret: Option<SecretString>,
    /// The site's baseUrl.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The site's user-facing URL.
    #[serde(default)]
    pub display_url: Option<String>,
    /// `jira` or `confluence`.
    #[serde(default)]
    pub product_type: Option<String>,
    /// The event this payload announces.
    pub event_type: String,
    /// OAuth client id for acting as a user.
    #[serde(default)]
    pub oauth_client_id: Option<String>,
    /// The site's cloud id.
    #[serde(default)]
    pub cloud_id: Option<String>,
    /// The Forge installation (Connect-on-Forge apps only).
    #[serde(default)]
    pub installation_id: Option<String>,
}

/// A parsed payload and its JSON (without `sharedSecret`) to keep with the tenant.
#[derive(Debug)]
pub struct ParsedPayload {
    /// The typed fields.
    pub payload: LifecyclePayload,
    /// The whole payload minus `sharedSecret`, unknown fields included.
    pub stored_json: serde_json::Value,
}

/// Parses a lifecycle body. Error messages never contain field values.
pub fn parse(body: &[u8]) -> Result<ParsedPayload, PayloadError> {
    let mut json: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| PayloadError::NotJson {
            line: error.line(),
            column: error.column(),
        })?;
    let payload = LifecyclePayload::deserialize(&json).map_err(|error| sanitize(&error))?;
    if let Some(object) = json.as_object_mut() {
        object.remove("sharedSecret");
    }
    Ok(ParsedPayload {
        payload,
        stored_json: json,
    })
}

/// serde's messages quote offending values ("invalid type: string \"s3cr3t\""); keep only the
/// name of a missing field, which is safe and the most useful to the installing admin.
fn sanitize(error: &serde_json::Error) -> PayloadError {
    let message = error.to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return PayloadError::MissingField(field.to_owned());
    }
    PayloadError::WrongType {
        line: error.line(),
        column: error.column(),
    }
}

impl LifecyclePayload {
    /// Checks the payload for `event` of app `app_key`: the fields the event needs, the app key,
    /// the event type, and (for installs) the tenant's baseUrl against `config`.
    pub fn validate(
        &self,
        event: LifecycleEvent,
        app_key: &str,
        config: &ConnectConfig,
    ) -> Result<(), PayloadError> {
        if self.client_key.is_empty() {
            return Err(PayloadError::EmptyField("clientKey"));
        }
        if self.key != app_key {
            return Err(PayloadError::WrongAppKey);
        }
        if self.event_type != event.name() {
            return Err(PayloadError::WrongEventType {
                expected: event.name(),
            });
        }
        if event == LifecycleEvent::Installed {
            let secret = self
                .shared_secret
                .as_ref()
                .ok_or_else(|| PayloadError::MissingField("sharedSecret".to_owned()))?;
            let secret_len = secrecy::ExposeSecret::expose_secret(secret).len();
            if secret_len == 0 {
                return Err(PayloadError::EmptyField("sharedSecret"));
            }
            if secret_len > MAX_SHARED_SECRET_BYTES {
                return Err(PayloadError::SecretTooLong);
            }
            let base_url = self
                .base_url
                .as_deref()
                .ok_or_else(|| PayloadError::MissingField("baseUrl".to_owned()))?;
            validate_tenant_base_url(base_url, &config.allowed_tenant_hosts)?;
        }
        Ok(())
    }
}

/// A tenant baseUrl must be https on an allowed host; plain http only for loopback hosts.
///
/// It must also be in normal form already: a URL the parser would rewrite (a backslash read as
/// a slash, a tab or newline dropped, dot segments resolved, an upper-case host) is refused, so
/// what is stored, logged and called back is exactly what was checked, and no other URL parser
/// can read a different host out of it.
pub fn validate_tenant_base_url(base_url: &str, allowed: &[HostRule]) -> Result<Url, PayloadError> {
    let url =
        Url::parse(base_url).map_err(|_| PayloadError::InvalidBaseUrl("not an absolute URL"))?;
    if url.as_str().trim_end_matches('/') != base_url.trim_end_matches('/') {
        return Err(PayloadError::InvalidBaseUrl(
            "not in normal form (the URL parser would rewrite it)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(PayloadError::InvalidBaseUrl("credentials are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(PayloadError::InvalidBaseUrl(
            "a query or fragment is not allowed",
        ));
    }
    if url.host().is_none() {
        return Err(PayloadError::InvalidBaseUrl("no host"));
    }
    if !https_or_loopback_http(&url) {
        return Err(PayloadError::InvalidBaseUrl("https is required"));
    }
    let host_name = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host_name = host_name.trim_start_matches('[').trim_end_matches(']');
    if !allowed.iter().any(|rule| rule.matches(host_name)) {
        return Err(PayloadError::HostNotAllowed(host_name.to_owned()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Vec<HostRule> {
        list.iter().map(|r| HostRule::parse(r).unwrap()).collect()
    }

    #[test]
    fn base_url_rules() {
        let allowed = rules(&[".atlassian.net", "127.0.0.1"]);
        assert!(validate_tenant_base_url("https://acme.atlassian.net", &allowed).is_ok());
        assert!(validate_tenant_base_url("https://acme.atlassian.net/wiki", &allowed).is_ok());
        assert!(validate_tenant_base_url("http://127.0.0.1:8080", &allowed).is_ok());
        for bad in [
            "http://acme.atlassian.net",
            "https://evil.example.com",
            "https://atlassian.net.evil.com",
            "https://user:pw@acme.atlassian.net",
            "ftp://acme.atlassian.net",
            "acme.atlassian.net",
            "http://localhost:8080",
            // Rewritten by the URL parser: refused rather than stored in a form that differs
            // from what was checked.
            "https://x.atlassian.net\\@evil.com",
            "https://acme.atlassian.net\n",
            "https://acme.atlassian.net/wi\tki",
            "https://acme.atlassian.net/a/../wiki",
            "https://ACME.atlassian.net",
            "https://acme.atlassian.net:443",
        ] {
            assert!(validate_tenant_base_url(bad, &allowed).is_err(), "{bad:?}");
        }
        assert!(validate_tenant_base_url("https://acme.atlassian.net/", &allowed).is_ok());
    }

    #[test]
    fn wrong_types_never_echo_values() {
        let body = br#"{"key":"k","clientKey":"c","eventType":"installed","sharedSecret":{"v":"s3cr3t-value"}}"#;
        let error = parse(body).unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
        assert!(!format!("{error:?}").contains("s3cr3t"), "{error:?}");
    }

    #[test]
    fn missing_fields_are_named_and_secret_is_not_kept_in_json() {
        let error = parse(br#"{"key":"k","eventType":"installed"}"#).unwrap_err();
        assert_eq!(error.to_string(), "missing field `clientKey`");
        let parsed = parse(
            br#"{"key":"k","clientKey":"c","eventType":"installed","sharedSecret":"x","future":1}"#,
        )
        .unwrap();
        assert!(parsed.stored_json.get("sharedSecret").is_none());
        assert_eq!(parsed.stored_json["future"], 1);
    }
}
