//! The tenant state machine, as pure functions: what a verified lifecycle event does to the
//! stored row. Kept apart from I/O so every transition is unit-tested.

use super::payload::ParsedPayload;
use crate::store::TenantRecord;
use secrecy::SecretString;

/// The row after a verified signed install: a new tenant, or the existing row with the new
/// secret and site details (a reinstall or upgrade). An uninstalled tenant becomes installed
/// again; `enabled` is left to the `enabled` event that follows an install.
pub fn install(
    existing: Option<&TenantRecord>,
    app_key: &str,
    parsed: ParsedPayload,
    secret: SecretString,
    now: i64,
) -> TenantRecord {
    let ParsedPayload {
        payload,
        stored_json,
    } = parsed;
    // A Forge link made before this install stays unless the payload names the installation.
    let installation_id = payload
        .installation_id
        .clone()
        .or_else(|| existing.and_then(|tenant| tenant.installation_id.clone()));
    let (installed_at, enabled) = match existing {
        Some(tenant) if !tenant.uninstalled => (tenant.installed_at, tenant.enabled),
        Some(tenant) => (tenant.installed_at, false),
        None => (now, false),
    };
    TenantRecord {
        app_key: app_key.to_owned(),
        client_key: payload.client_key,
        shared_secret: secret,
        base_url: payload.base_url.unwrap_or_default(),
        display_url: payload.display_url,
        product_type: payload.product_type,
        oauth_client_id: payload.oauth_client_id,
        cloud_id: payload.cloud_id,
        installation_id,
        enabled,
        uninstalled: false,
        install_payload: stored_json,
        installed_at,
        updated_at: now,
    }
}

/// The row after `enabled` (`true`) or `disabled` (`false`).
pub fn set_enabled(mut tenant: TenantRecord, enabled: bool, now: i64) -> TenantRecord {
    tenant.enabled = enabled;
    tenant.updated_at = now;
    tenant
}

/// The row after a verified uninstall: kept (soft delete), marked uninstalled and disabled,
/// its Forge link dropped (a reinstall is a new installation).
pub fn uninstall(mut tenant: TenantRecord, now: i64) -> TenantRecord {
    tenant.uninstalled = true;
    tenant.installation_id = None;
    tenant.enabled = false;
    tenant.updated_at = now;
    tenant
}

#[cfg(test)]
mod tests {
    use super::super::payload::parse;
    use super::*;
    use secrecy::ExposeSecret;

    fn parsed(secret: &str) -> ParsedPayload {
        parse(
            format!(
                r#"{{"key":"app","clientKey":"c1","sharedSecret":"{secret}","baseUrl":"https://a.atlassian.net","eventType":"installed"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn first_install_is_disabled_until_enabled() {
        let t = install(None, "app", parsed("s1"), SecretString::from("s1"), 10);
        assert!(!t.enabled && !t.uninstalled);
        assert_eq!((t.installed_at, t.updated_at), (10, 10));
        let t = set_enabled(t, true, 11);
        assert!(t.enabled);
    }

    #[test]
    fn reinstall_replaces_secret_and_keeps_history() {
        let first = set_enabled(
            install(None, "app", parsed("s1"), SecretString::from("s1"), 10),
            true,
            11,
        );
        let again = install(
            Some(&first),
            "app",
            parsed("s2"),
            SecretString::from("s2"),
            20,
        );
        assert_eq!(again.shared_secret.expose_secret(), "s2");
        assert_eq!(again.installed_at, 10);
        assert!(again.enabled, "an upgrade does not disable the app");
    }

    #[test]
    fn install_after_uninstall_revives_the_row_disabled() {
        let gone = uninstall(
            install(None, "app", parsed("s1"), SecretString::from("s1"), 10),
            30,
        );
        assert!(gone.uninstalled && !gone.enabled);
        let back = install(
            Some(&gone),
            "app",
            parsed("s3"),
            SecretString::from("s3"),
            40,
        );
        assert!(!back.uninstalled && !back.enabled);
        assert_eq!(back.updated_at, 40);
    }
}
