//! Typed handler arguments, and which routes may have them.
//!
//! [`FromRequest`] is generic over the route's policy marker: `Context` and `Tenant` exist only
//! for verified policies ([`Jwt`], [`ContextToken`]), so a handler on an `auth = none` route that
//! asks for one does not compile. Body and query extractors work everywhere.

use super::ConnectRequest;
use crate::auth::{Context, Policy};
use crate::error::ConnectError;
use crate::store::Tenant;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A route's auth policy at the type level.
pub trait PolicyMarker: Send + Sync + 'static {
    /// The runtime policy.
    const POLICY: Policy;
}

/// A policy that verifies a tenant, so its handlers may extract one.
#[diagnostic::on_unimplemented(
    message = "this route verifies no tenant (`auth = none`), so its handler cannot take `Context` or `Tenant`",
    label = "needs a verified route",
    note = "use `auth = jwt` (request-bound tokens) or `auth = context` (`AP.context.getToken()` tokens), or drop this argument"
)]
pub trait VerifiedPolicy: PolicyMarker {}

/// `auth = jwt`: HS256 with the tenant's secret and the request's qsh (pages, webhooks).
#[derive(Debug)]
pub struct Jwt;
/// `auth = context`: HS256, qsh of the request or `context-qsh`.
#[derive(Debug)]
pub struct ContextToken;
/// `auth = none`.
#[derive(Debug)]
pub struct Public;

impl PolicyMarker for Jwt {
    const POLICY: Policy = Policy::SharedSecret;
}
impl PolicyMarker for ContextToken {
    const POLICY: Policy = Policy::Context;
}
impl PolicyMarker for Public {
    const POLICY: Policy = Policy::None;
}
impl VerifiedPolicy for Jwt {}
impl VerifiedPolicy for ContextToken {}

/// A value a handler can take as an argument on a route with policy `P`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler argument on this route",
    label = "not an extractor for this route's auth policy",
    note = "handler arguments are extractors (`Context`, `Tenant`, `Json<T>`, `Query<T>`) or context parameters named after a `{{variable}}` or query parameter of the URL",
    note = "`Context` and `Tenant` need a verified route: use `auth = jwt` or `auth = context`, not `auth = none`"
)]
pub trait FromRequest<P: PolicyMarker>: Sized {
    /// Extracts the value, or refuses the request.
    fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError>;
}

fn verified(request: &ConnectRequest) -> Result<&Context, ConnectError> {
    // Unreachable by construction (verified policies always set it); refuse rather than panic.
    request.context.as_ref().ok_or(ConnectError::BadRequest(
        "route has no verified context".to_owned(),
    ))
}

impl<P: VerifiedPolicy> FromRequest<P> for Context {
    fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        verified(request).cloned()
    }
}

impl<P: VerifiedPolicy> FromRequest<P> for Tenant {
    fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        verified(request).map(|context| context.tenant().clone())
    }
}

/// A JSON body (argument) or a JSON response (return value).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

impl<P: PolicyMarker, T: DeserializeOwned + Send> FromRequest<P> for Json<T> {
    fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        serde_json::from_slice(&request.body)
            .map(Json)
            .map_err(|error| {
                ConnectError::BadRequest(format!("invalid JSON body: {}", error_position(&error)))
            })
    }
}

impl<T: Serialize + Send> warp::Reply for Json<T> {
    fn into_response(self) -> warp::reply::Response {
        warp::reply::json(&self.0).into_response()
    }
}

/// The query string, deserialized (`jwt` included if the type asks for it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query<T>(pub T);

impl<P: PolicyMarker, T: DeserializeOwned + Send> FromRequest<P> for Query<T> {
    fn from_request(request: &ConnectRequest) -> Result<Self, ConnectError> {
        serde_urlencoded_from(&request.target.query).map(Query)
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(query: &str) -> Result<T, ConnectError> {
    serde_urlencoded::from_str(query)
        .map_err(|error| ConnectError::BadRequest(format!("invalid query parameters: {error}")))
}

/// serde's message may quote the offending value; keep its kind and position only.
fn error_position(error: &serde_json::Error) -> String {
    format!(
        "{:?} error at line {} column {}",
        error.classify(),
        error.line(),
        error.column()
    )
}

/// Parses a context parameter (`issue_key: String` for `{issue.key}`), used by generated code.
pub fn context_param<T: std::str::FromStr>(
    request: &ConnectRequest,
    names: &[&str],
) -> Result<T, ConnectError> {
    let value = names
        .iter()
        .find_map(|name| request.param(name))
        .ok_or_else(|| {
            ConnectError::BadRequest(format!("missing context parameter `{}`", names[0]))
        })?;
    value.parse().map_err(|_| {
        ConnectError::BadRequest(format!(
            "context parameter `{}` has the wrong format",
            names[0]
        ))
    })
}
