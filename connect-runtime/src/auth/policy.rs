//! The warp filters that enforce an auth [`Policy`] on a route.
//!
//! Each filter reads the request target and the token, runs the matching [`Verifier`]
//! procedure and either extracts the verified value or rejects with a [`ConnectError`], which
//! the app's recovery turns into a status (see `server::rejection`).

use super::verifier::{Context, QshRule, RequestTarget, VerifiedInstall, Verifier};
use crate::error::ConnectError;
use std::convert::Infallible;
use std::sync::Arc;
use warp::filters::path::FullPath;
use warp::{Filter, Rejection};

/// How a route is authenticated. Chosen by the route's attribute (or by hand), never by the
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// RS256 install/uninstall tokens, key from the key CDN.
    Asymmetric,
    /// HS256 with the tenant's shared secret and the `qsh` of this request.
    SharedSecret,
    /// HS256 with the tenant's shared secret; `qsh` of this request or `context-qsh`.
    Context,
    /// No authentication (descriptor, static files, public routes).
    None,
}

/// The method, raw path and raw query of the request.
pub fn request_target() -> impl Filter<Extract = (RequestTarget,), Error = Infallible> + Clone {
    let raw_query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::method()
        .and(warp::path::full())
        .and(raw_query)
        .map(|method, path: FullPath, query| RequestTarget {
            method,
            path: path.as_str().to_owned(),
            query,
        })
}

/// The `Authorization` header, if it is valid text. A header that is not (non-visible
/// bytes) carries no usable token: it is treated as absent, so the policy answers 401.
fn authorization() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::header::optional::<String>("authorization")
        .or(warp::any().map(|| None))
        .unify()
}

fn reject(error: ConnectError) -> Rejection {
    warp::reject::custom(error)
}

/// The `Asymmetric` policy: extracts a [`VerifiedInstall`].
pub fn asymmetric(
    verifier: Arc<Verifier>,
) -> impl Filter<Extract = (VerifiedInstall,), Error = Rejection> + Clone {
    request_target().and(authorization()).and_then(
        move |target: RequestTarget, authorization: Option<String>| {
            let verifier = Arc::clone(&verifier);
            async move {
                verifier
                    .verify_install(&target, authorization.as_deref())
                    .await
                    .map_err(reject)
            }
        },
    )
}

/// The `SharedSecret` policy: extracts the verified [`Context`].
pub fn shared_secret(
    verifier: Arc<Verifier>,
) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone {
    tenant_context(verifier, QshRule::ThisRequest)
}

/// The `Context` policy: like `SharedSecret`, and `context-qsh` tokens are accepted too.
pub fn context(
    verifier: Arc<Verifier>,
) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone {
    tenant_context(verifier, QshRule::ThisRequestOrContext)
}

fn tenant_context(
    verifier: Arc<Verifier>,
    rule: QshRule,
) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone {
    request_target().and(authorization()).and_then(
        move |target: RequestTarget, authorization: Option<String>| {
            let verifier = Arc::clone(&verifier);
            async move {
                verifier
                    .verify_tenant(&target, authorization.as_deref(), rule)
                    .await
                    .map_err(reject)
            }
        },
    )
}
