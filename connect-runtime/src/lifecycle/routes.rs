//! The lifecycle routes: `POST /installed` and `/uninstalled` behind the `Asymmetric` policy,
//! `POST /enabled` and `/disabled` behind `SharedSecret`.
//!
//! Order of checks on every route: token (before reading the body), body size, payload, the
//! token's `iss` against the payload's `clientKey`, then the transition and one store write.
//! Any failure answers before the write, so a refused request never changes a tenant.

use super::LifecycleHooks;
use super::payload::{self, LifecycleEvent, ParsedPayload};
use super::transitions;
use crate::auth::jwt::unix_now;
use crate::auth::{AuthError, Context, VerifiedInstall, Verifier, policy};
use crate::config::ConnectConfig;
use crate::error::ConnectError;
use crate::server::body::limited_body;
use bytes::Bytes;
use std::sync::Arc;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Reply;

/// Everything a lifecycle route needs.
#[derive(Clone)]
struct Lifecycle {
    verifier: Arc<Verifier>,
    config: Arc<ConnectConfig>,
    hooks: Arc<LifecycleHooks>,
}

/// The four lifecycle routes of one app.
pub fn routes(
    verifier: Arc<Verifier>,
    config: Arc<ConnectConfig>,
    hooks: Arc<LifecycleHooks>,
) -> BoxedFilter<(warp::reply::Response,)> {
    let limit = config.max_body_bytes;
    let lifecycle = Lifecycle {
        verifier,
        config,
        hooks,
    };
    let with_lifecycle = {
        let lifecycle = lifecycle.clone();
        warp::any().map(move || lifecycle.clone())
    };
    // Path before method: warp ranks 405 above 404, so a method filter first would turn every
    // unknown path into "method not allowed".
    let post = |event: LifecycleEvent| {
        warp::path(event.name())
            .and(warp::path::end())
            .and(warp::post())
    };

    let installed = post(LifecycleEvent::Installed)
        .and(policy::asymmetric(Arc::clone(&lifecycle.verifier)))
        .and(limited_body(limit))
        .and(with_lifecycle.clone())
        .and_then(|token, body, lifecycle: Lifecycle| async move {
            lifecycle
                .installed(token, body)
                .await
                .map_err(warp::reject::custom)
        });
    let uninstalled = post(LifecycleEvent::Uninstalled)
        .and(policy::asymmetric(Arc::clone(&lifecycle.verifier)))
        .and(limited_body(limit))
        .and(with_lifecycle.clone())
        .and_then(|token, body, lifecycle: Lifecycle| async move {
            lifecycle
                .uninstalled(token, body)
                .await
                .map_err(warp::reject::custom)
        });
    let toggle = |event: LifecycleEvent| {
        post(event)
            .and(policy::shared_secret(Arc::clone(&lifecycle.verifier)))
            .and(limited_body(limit))
            .and(with_lifecycle.clone())
            .and_then(move |context, body, lifecycle: Lifecycle| async move {
                lifecycle
                    .set_enabled(event, context, body)
                    .await
                    .map_err(warp::reject::custom)
            })
    };

    installed
        .or(uninstalled)
        .unify()
        .or(toggle(LifecycleEvent::Enabled))
        .unify()
        .or(toggle(LifecycleEvent::Disabled))
        .unify()
        .map(|status: StatusCode| warp::reply::with_status(warp::reply(), status).into_response())
        .boxed()
}

impl Lifecycle {
    /// Parses the body of `event`, requires its `clientKey` to be `issuer` (the verified token's
    /// tenant) and validates the rest. The issuer check comes first: a token for another
    /// tenant is an authentication failure (401), not a malformed payload.
    fn checked_payload(
        &self,
        event: LifecycleEvent,
        body: &Bytes,
        issuer: &str,
    ) -> Result<ParsedPayload, ConnectError> {
        let parsed = payload::parse(body)?;
        if parsed.payload.client_key != issuer {
            return Err(AuthError::IssuerMismatch.into());
        }
        parsed
            .payload
            .validate(event, self.verifier.app_key(), &self.config)?;
        Ok(parsed)
    }

    async fn installed(
        &self,
        token: VerifiedInstall,
        body: Bytes,
    ) -> Result<StatusCode, ConnectError> {
        let mut parsed =
            self.checked_payload(LifecycleEvent::Installed, &body, token.client_key())?;
        let secret = parsed
            .payload
            .shared_secret
            .take()
            .ok_or_else(|| payload::PayloadError::MissingField("sharedSecret".to_owned()))?;
        let store = self.verifier.store();
        let app_key = self.verifier.app_key();
        let existing = store.get(app_key, token.client_key()).await?;
        let reinstall = existing.is_some();
        let tenant = transitions::install(existing, app_key, parsed, secret, unix_now());
        store.save(&tenant).await?;
        tracing::info!(
            app_key,
            client_key = %tenant.client_key,
            base_url = %tenant.base_url,
            reinstall,
            "verified signed install stored"
        );
        self.hooks.run(LifecycleEvent::Installed, &tenant).await?;
        Ok(StatusCode::NO_CONTENT)
    }

    async fn uninstalled(
        &self,
        token: VerifiedInstall,
        body: Bytes,
    ) -> Result<StatusCode, ConnectError> {
        self.checked_payload(LifecycleEvent::Uninstalled, &body, token.client_key())?;
        let store = self.verifier.store();
        let app_key = self.verifier.app_key();
        let Some(tenant) = store.get(app_key, token.client_key()).await? else {
            tracing::info!(
                app_key,
                client_key = token.client_key(),
                "verified uninstall of an unknown tenant: nothing to do"
            );
            return Ok(StatusCode::NO_CONTENT);
        };
        let tenant = transitions::uninstall(tenant, unix_now());
        store.save(&tenant).await?;
        tracing::info!(app_key, client_key = %tenant.client_key, "verified uninstall: tenant marked uninstalled");
        self.hooks.run(LifecycleEvent::Uninstalled, &tenant).await?;
        Ok(StatusCode::NO_CONTENT)
    }

    async fn set_enabled(
        &self,
        event: LifecycleEvent,
        context: Context,
        body: Bytes,
    ) -> Result<StatusCode, ConnectError> {
        self.checked_payload(event, &body, &context.tenant().client_key)?;
        let enabled = event == LifecycleEvent::Enabled;
        let tenant = transitions::set_enabled(context.tenant().clone(), enabled, unix_now());
        self.verifier.store().save(&tenant).await?;
        tracing::info!(
            app_key = self.verifier.app_key(),
            client_key = %tenant.client_key,
            enabled,
            "verified lifecycle event"
        );
        self.hooks.run(event, &tenant).await?;
        Ok(StatusCode::NO_CONTENT)
    }
}
