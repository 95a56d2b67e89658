//! How a route is authenticated. A policy is a type: the attribute's `auth = ...` word names
//! one, and the extractors a handler may take are checked against it at compile time.
//!
//! | attribute | policy | verification |
//! |---|---|---|
//! | `auth = jwt` (module pages, webhooks: the default) | [`Jwt`] | HS256 with the tenant's shared secret and the `qsh` of this request |
//! | `auth = context` | [`ContextJwt`] | as [`Jwt`], and `qsh` may be `context-qsh` (`AP.context.getToken()`) |
//! | `auth = none` | [`Public`] | none |
//! | `#[forge::...]` | [`ForgeInvocation`] | an RS256 Forge Invocation Token, key from the Forge JWKS, `aud` = `FORGE_APP_ID` |
//!
//! The RS256 install policy of `/installed` and `/uninstalled` is not a type: only the
//! framework's own lifecycle routes have it, so no handler can ask for it.
//!
//! The types are uninhabited: they exist only as the `P` of
//! [`FromRequest<P>`](crate::extract::FromRequest).

/// A route's policy. Sealed: the four types of this module are all there is.
pub trait Policy: sealed::Sealed + Send + Sync + 'static {}

/// A policy that verifies a Connect tenant, so its handlers may take `Context`, `Tenant`,
/// `HostClient` and guards.
#[diagnostic::on_unimplemented(
    message = "this route verifies no Connect tenant, so its handler cannot take `Context`, `Tenant`, `HostClient` or a guard",
    label = "needs a route verified with a Connect JWT",
    note = "use `auth = jwt` (request-bound tokens) or `auth = context` (`AP.context.getToken()` tokens), or drop this argument",
    note = "on a `#[forge::...]` route, take `ForgeContext` (its `tenant()` resolves the Connect tenant) and `ForgeClient` instead"
)]
pub trait VerifiesTenant: Policy {}

/// `auth = jwt`: HS256 with the tenant's shared secret and the `qsh` of this request (module
/// pages, webhooks, API routes called with a request-bound token).
#[derive(Debug)]
pub enum Jwt {}

/// `auth = context`: HS256 with the tenant's shared secret; the `qsh` is this request's or
/// `context-qsh` (tokens from `AP.context.getToken()`).
#[derive(Debug)]
pub enum ContextJwt {}

/// `auth = none`: no verification (static files, health checks, public API).
#[derive(Debug)]
pub enum Public {}

/// `#[forge::remote]`, `#[forge::trigger]`, `#[forge::scheduled_trigger]`: a Forge Invocation
/// Token, verified with the Forge JWKS. Handlers take
/// [`ForgeContext`](crate::forge::ForgeContext) and [`ForgeClient`](crate::forge::ForgeClient);
/// no Connect tenant is verified, so `Context`, `Tenant` and `HostClient` are not available
/// (`ForgeContext::tenant` resolves the Connect tenant of the same site).
#[derive(Debug)]
pub enum ForgeInvocation {}

impl Policy for Jwt {}
impl Policy for ContextJwt {}
impl Policy for Public {}
impl Policy for ForgeInvocation {}
impl VerifiesTenant for Jwt {}
impl VerifiesTenant for ContextJwt {}

impl sealed::Sealed for Jwt {}
impl sealed::Sealed for ContextJwt {}
impl sealed::Sealed for Public {}
impl sealed::Sealed for ForgeInvocation {}

impl sealed::ConnectRoute for Jwt {
    const AUTH: ConnectAuth = ConnectAuth::SharedSecret;
}
impl sealed::ConnectRoute for ContextJwt {
    const AUTH: ConnectAuth = ConnectAuth::Context;
}
impl sealed::ConnectRoute for Public {
    const AUTH: ConnectAuth = ConnectAuth::None;
}

pub(crate) use sealed::{ConnectAuth, ConnectRoute};

mod sealed {
    /// Implemented by the four policies only.
    pub trait Sealed {}

    /// The policies a `#[connect::...]` handler route can have, and how the dispatch runs
    /// each. [`ForgeInvocation`](super::ForgeInvocation) is not one: Forge routes are a target
    /// of their own, so a Connect route with a Forge policy cannot be built.
    pub trait ConnectRoute {
        /// How the dispatch verifies the route.
        const AUTH: ConnectAuth;
    }

    /// How the dispatch verifies a Connect handler route.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ConnectAuth {
        /// [`Jwt`](super::Jwt).
        SharedSecret,
        /// [`ContextJwt`](super::ContextJwt).
        Context,
        /// [`Public`](super::Public).
        None,
    }
}
