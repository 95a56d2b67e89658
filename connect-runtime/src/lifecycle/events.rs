//! [`Lifecycle`]: what the framework does with a verified lifecycle event.
//!
//! Order of checks: the route's policy verified the token before the body was read; then the
//! payload, the token's `iss` against the payload's `clientKey`, the transition and one store
//! write. Any failure answers before the write, so a refused request never changes a tenant.
//! The app's hooks run after the write; a failing hook answers 500 so the product reports the
//! event as failed and may retry it.

use super::payload::{self, LifecycleEvent, ParsedPayload, PayloadError};
use super::transitions;
use crate::auth::jwt::unix_now;
use crate::auth::{AuthError, Context, VerifiedInstall};
use crate::config::ConnectConfig;
use crate::http::AppError;
use crate::store::{StoreError, Tenant, TenantRecord, TenantStore};
use futures_util::future::BoxFuture;
use std::sync::Arc;

/// The future a lifecycle hook returns.
pub type HookFuture = BoxFuture<'static, Result<(), AppError>>;
/// A lifecycle hook's call with the verified and stored tenant (bound to the app's services
/// when the app is built).
pub type HookCall = Arc<dyn Fn(Tenant) -> HookFuture + Send + Sync>;

/// Why a lifecycle event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The payload belongs to another tenant than the token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The payload is malformed.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The store failed; nothing was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The app's hook failed after the event was stored.
    #[error("the app's {event} hook failed: {error}")]
    Hook {
        /// The event.
        event: &'static str,
        /// The hook's error.
        error: AppError,
    },
}

/// The lifecycle of one app: its key, tenant rules, store and hooks.
#[derive(Clone)]
pub struct Lifecycle {
    app_key: Arc<str>,
    config: Arc<ConnectConfig>,
    store: Arc<dyn TenantStore>,
    hooks: Arc<[(LifecycleEvent, HookCall)]>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("app_key", &self.app_key)
            .field(
                "hooks",
                &self
                    .hooks
                    .iter()
                    .map(|(event, _)| event)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Lifecycle {
    /// The lifecycle of app `app_key`.
    pub(crate) fn new(
        app_key: &str,
        config: Arc<ConnectConfig>,
        store: Arc<dyn TenantStore>,
        hooks: Vec<(LifecycleEvent, HookCall)>,
    ) -> Self {
        Self {
            app_key: app_key.into(),
            config,
            store,
            hooks: hooks.into(),
        }
    }

    /// Parses the body of `event`, requires its `clientKey` to be `issuer` (the verified
    /// token's tenant) and validates the rest. The issuer check comes first: a token for
    /// another tenant is an authentication failure (401), not a malformed payload.
    fn checked_payload(
        &self,
        event: LifecycleEvent,
        body: &[u8],
        issuer: &str,
    ) -> Result<ParsedPayload, LifecycleError> {
        let parsed = payload::parse(body)?;
        if parsed.payload.client_key != issuer {
            return Err(AuthError::IssuerMismatch.into());
        }
        parsed
            .payload
            .validate(event, &self.app_key, &self.config)?;
        Ok(parsed)
    }

    /// `POST /installed` with a verified RS256 token: stores the tenant (new or updated).
    pub(crate) async fn installed(
        &self,
        token: &VerifiedInstall,
        body: &[u8],
    ) -> Result<(), LifecycleError> {
        let mut parsed =
            self.checked_payload(LifecycleEvent::Installed, body, token.client_key())?;
        let secret = parsed
            .payload
            .shared_secret
            .take()
            .ok_or_else(|| PayloadError::MissingField("sharedSecret".to_owned()))?;
        let app_key = &*self.app_key;
        let existing = self.store.get(app_key, token.client_key()).await?;
        let reinstall = existing.is_some();
        let tenant = Tenant::new(transitions::install(
            existing.as_deref(),
            app_key,
            parsed,
            secret,
            unix_now(),
        ));
        self.store.save(&tenant).await?;
        tracing::info!(
            app_key,
            client_key = ?tenant.client_key,
            base_url = ?tenant.base_url,
            reinstall,
            "verified signed install stored"
        );
        self.run_hooks(LifecycleEvent::Installed, &tenant).await
    }

    /// `POST /uninstalled` with a verified RS256 token: marks the tenant uninstalled.
    pub(crate) async fn uninstalled(
        &self,
        token: &VerifiedInstall,
        body: &[u8],
    ) -> Result<(), LifecycleError> {
        self.checked_payload(LifecycleEvent::Uninstalled, body, token.client_key())?;
        let app_key = &*self.app_key;
        let Some(tenant) = self.store.get(app_key, token.client_key()).await? else {
            tracing::info!(
                app_key,
                client_key = token.client_key(),
                "verified uninstall of an unknown tenant: nothing to do"
            );
            return Ok(());
        };
        let tenant = Tenant::new(transitions::uninstall(tenant.into_record(), unix_now()));
        self.store.save(&tenant).await?;
        tracing::info!(app_key, client_key = ?tenant.client_key, "verified uninstall: tenant marked uninstalled");
        self.run_hooks(LifecycleEvent::Uninstalled, &tenant).await
    }

    /// `POST /enabled` or `/disabled` with a verified HS256 token.
    pub(crate) async fn set_enabled(
        &self,
        event: LifecycleEvent,
        context: &Context,
        body: &[u8],
    ) -> Result<(), LifecycleError> {
        self.checked_payload(event, body, &context.tenant().client_key)?;
        let enabled = event == LifecycleEvent::Enabled;
        let tenant = Tenant::new(transitions::set_enabled(
            TenantRecord::clone(context.tenant()),
            enabled,
            unix_now(),
        ));
        self.store.save(&tenant).await?;
        tracing::info!(
            app_key = &*self.app_key,
            client_key = ?tenant.client_key,
            enabled,
            "verified lifecycle event"
        );
        self.run_hooks(event, &tenant).await
    }

    /// Runs the hooks of `event` in order; the first failure stops the rest.
    async fn run_hooks(
        &self,
        event: LifecycleEvent,
        tenant: &Tenant,
    ) -> Result<(), LifecycleError> {
        for (_, call) in self
            .hooks
            .iter()
            .filter(|(hook_event, _)| *hook_event == event)
        {
            call(tenant.clone())
                .await
                .map_err(|error| LifecycleError::Hook {
                    event: event.name(),
                    error,
                })?;
        }
        Ok(())
    }
}
