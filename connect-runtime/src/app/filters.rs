//! The auth policies as warp filters, for routes built by hand with warp and served with
//! [`ConnectApp::filter_with`]. Annotated handlers do not need them: the route table applies
//! their policy.

use super::build::ConnectApp;
use crate::auth::Context;
use crate::auth::invocation::ForgeTokens;
use crate::auth::query::QueryParams;
use crate::auth::verifier::{QshRule, RequestTarget};
use crate::error::ConnectError;
use crate::http::trace::B3;
use std::convert::Infallible;
use std::sync::Arc;
use warp::filters::path::FullPath;
use warp::{Filter, Rejection};

/// The raw query string, empty when there is none.
pub(super) fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// The `Authorization` header. A header that is not visible text carries no usable token: it
/// is treated as absent, so the policy answers 401.
pub(super) fn authorization() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone
{
    warp::header::optional::<String>("authorization")
        .or(warp::any().map(|| None))
        .unify()
}

/// The product tokens of a Forge request (`x-forge-oauth-system`, `x-forge-oauth-user`), its
/// trace ids, and a container's invocation id and log attributes.
pub(super) fn forge_tokens() -> impl Filter<Extract = (ForgeTokens,), Error = Infallible> + Clone {
    let header = |name: &'static str| {
        warp::header::optional::<String>(name)
            .or(warp::any().map(|| None))
            .unify()
    };
    header("x-forge-oauth-system")
        .and(header("x-forge-oauth-user"))
        .and(header("x-b3-traceid"))
        .and(header("x-b3-spanid"))
        .and(header("x-forge-invocation-id"))
        .and(header("x-forge-invocation-log-attributes"))
        .map(
            |system,
             user,
             trace: Option<String>,
             span: Option<String>,
             invocation_id,
             log_attributes| ForgeTokens {
                system,
                user,
                trace: B3::parse(trace.as_deref(), span.as_deref()),
                invocation_id,
                log_attributes,
            },
        )
}

/// The method, raw path and raw query of the request.
fn request_target() -> impl Filter<Extract = (Arc<RequestTarget>,), Error = Infallible> + Clone {
    warp::method()
        .and(warp::path::full())
        .and(raw_query())
        .map(|method, path: FullPath, query| {
            Arc::new(RequestTarget {
                method,
                path: path.as_str().to_owned(),
                query: QueryParams::parse(query),
            })
        })
}

impl ConnectApp {
    /// The [`Jwt`](crate::policy::Jwt) policy for a hand-built route (page loads, webhooks): extracts the
    /// verified [`Context`] or rejects with 401.
    pub fn shared_secret(
        &self,
    ) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        self.tenant_filter(QshRule::ThisRequest)
    }

    /// The `Context` policy for a hand-built route (AJAX calls with `AP.context.getToken()`
    /// tokens): extracts the verified [`Context`] or rejects with 401.
    pub fn context(&self) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        self.tenant_filter(QshRule::ThisRequestOrContext)
    }

    fn tenant_filter(
        &self,
        rule: QshRule,
    ) -> impl Filter<Extract = (Context,), Error = Rejection> + Clone + use<> {
        let verifier = Arc::clone(&self.inner.verifier);
        request_target().and(authorization()).and_then(
            move |target: Arc<RequestTarget>, authorization: Option<String>| {
                let verifier = Arc::clone(&verifier);
                async move {
                    verifier
                        .verify_tenant(&target, authorization.as_deref(), rule)
                        .await
                        .map_err(|error| warp::reject::custom(ConnectError::from(error)))
                }
            },
        )
    }
}
