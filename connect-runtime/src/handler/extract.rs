//! Typed handler arguments, and which routes may have them.
//!
//! [`FromRequest`] is generic over the route's [`Policy`]: `Context` and `Tenant` exist only
//! for policies that verify a tenant ([`Jwt`](crate::policy::Jwt),
//! [`ContextJwt`](crate::policy::ContextJwt)), so a handler on an `auth = none` route that
//! asks for one does not compile. Body, query and state extractors work everywhere.
//! [`FromHook`] is the same for lifecycle hooks, which take the stored `Tenant`, a `HostClient`
//! for it and `State<T>` values.

use super::{ConnectRequest, Core, HookRequest};
use crate::auth::Context;
use crate::client::HostClient;
use crate::error::ConnectError;
use crate::http::{AppError, Json};
use crate::policy::{Policy, VerifiesTenant};
use crate::state::{Requirements, State};
use crate::store::Tenant;
use serde::de::DeserializeOwned;

/// A value a handler can take as an argument on a route with policy `P`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler argument on this route",
    label = "not an extractor for this route's auth policy",
    note = "handler arguments are extractors (`Context`, `Tenant`, `HostClient`, `Json<T>`, `Query<T>`, `State<T>`, guards such as `Licensed` and `Require<SiteAdmin>`) or context parameters named after a `{{variable}}` or query parameter of the URL",
    note = "`Context`, `Tenant`, `HostClient` and guards need a verified route: use `auth = jwt` or `auth = context`, not `auth = none`",
    note = "`ForgeContext`, `ForgeClient`, `ForgeStorage`, `AsyncEvent`, `ForgeSql` and `ForgeEvents` exist only on `#[forge::...]` routes"
)]
pub trait FromRequest<P: Policy>: Sized {
    /// Extracts the value, or refuses the request with the error's answer. Async, so that a
    /// guard can ask the product (a permission check) before the handler runs.
    fn from_request(
        request: &ConnectRequest,
    ) -> impl Future<Output = Result<Self, AppError>> + Send;

    /// Declares what the extractor needs from the app, checked when the app is built.
    fn declare(_requirements: &mut Requirements) {}
}

/// A value a lifecycle hook can take as an argument: `Tenant`, `HostClient` or `State<T>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a lifecycle hook argument",
    label = "not available to lifecycle hooks",
    note = "lifecycle hooks take the verified and stored `Tenant`, a `HostClient` for it, and `State<T>` values"
)]
pub trait FromHook: Sized {
    /// Extracts the value.
    fn from_hook(hook: &HookRequest) -> Result<Self, AppError>;

    /// Declares what the extractor needs from the app, checked when the app is built.
    fn declare(_requirements: &mut Requirements) {}
}

impl FromHook for Tenant {
    fn from_hook(hook: &HookRequest) -> Result<Self, AppError> {
        Ok(hook.tenant.clone())
    }
}

fn state<T: Send + Sync + 'static>(core: &Core) -> Result<State<T>, AppError> {
    // Unreachable once built: `App::build` refused an app missing a declared state type.
    core.state.get::<T>().ok_or_else(|| {
        tracing::error!(
            state = std::any::type_name::<T>(),
            "a handler's `State` is missing from its app"
        );
        ConnectError::Internal("a declared `State` missing from a built app").into()
    })
}

impl<T: Send + Sync + 'static> FromHook for State<T> {
    fn from_hook(hook: &HookRequest) -> Result<Self, AppError> {
        state(&hook.core)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.state::<T>();
    }
}

impl<P: Policy, T: Send + Sync + 'static> FromRequest<P> for State<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        state(&request.core)
    }

    fn declare(requirements: &mut Requirements) {
        requirements.state::<T>();
    }
}

impl<P: VerifiesTenant> FromRequest<P> for Context {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        Ok(request.verified_context()?.clone())
    }
}

impl<P: VerifiesTenant> FromRequest<P> for Tenant {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        Ok(request.verified_context()?.tenant().clone())
    }
}

impl<P: VerifiesTenant> FromRequest<P> for HostClient {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let tenant = request.verified_context()?.tenant();
        Ok(request
            .core
            .host_client(tenant)
            .map_err(ConnectError::from)?)
    }
}

impl FromHook for HostClient {
    fn from_hook(hook: &HookRequest) -> Result<Self, AppError> {
        Ok(hook
            .core
            .host_client(&hook.tenant)
            .map_err(ConnectError::from)?)
    }
}

impl<P: Policy, T: DeserializeOwned + Send> FromRequest<P> for Json<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        let invalid =
            |problem: String| ConnectError::BadRequest(format!("invalid JSON body: {problem}"));
        let mut deserializer = serde_json::Deserializer::from_slice(&request.body);
        let value = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| invalid(json_problem(&error)))?;
        deserializer.end().map_err(|error| {
            invalid(format!(
                "trailing characters at line {} column {}",
                error.line(),
                error.column()
            ))
        })?;
        Ok(Json(value))
    }
}

/// The query string, deserialized (`jwt` included if the type asks for it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query<T>(pub T);

impl<P: Policy, T: DeserializeOwned + Send> FromRequest<P> for Query<T> {
    async fn from_request(request: &ConnectRequest) -> Result<Self, AppError> {
        Ok(serde_urlencoded_from(request.target.query.as_str()).map(Query)?)
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(query: &str) -> Result<T, ConnectError> {
    serde_urlencoded::from_str(query)
        .map_err(|error| ConnectError::BadRequest(format!("invalid query parameters: {error}")))
}

/// What is wrong with a JSON body, naming the field (from the handler's own type) but never
/// quoting a value: serde's messages may echo what the client sent.
fn json_problem(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = error.inner();
    let at = format!("line {} column {}", inner.line(), inner.column());
    let path = error.path().to_string();
    let message = inner.to_string();
    match inner.classify() {
        serde_json::error::Category::Data if message.starts_with("missing field") => {
            let field = message.split('`').nth(1).unwrap_or("?");
            if path == "." {
                format!("missing field `{field}` ({at})")
            } else {
                format!("missing field `{path}.{field}` ({at})")
            }
        }
        serde_json::error::Category::Data => {
            format!("field `{path}` has the wrong type or value ({at})")
        }
        category => format!("{category:?} error at {at}"),
    }
}

/// Parses a context parameter (`issue_key: String` for `{issue.key}`), used by generated code.
pub fn context_param<T: std::str::FromStr>(
    request: &ConnectRequest,
    names: &[&str],
) -> Result<T, AppError> {
    let value = names
        .iter()
        .find_map(|name| request.param(name))
        .ok_or_else(|| {
            ConnectError::BadRequest(format!("missing context parameter `{}`", names[0]))
        })?;
    Ok(value.parse().map_err(|_| {
        ConnectError::BadRequest(format!(
            "context parameter `{}` has the wrong format",
            names[0]
        ))
    })?)
}
