//! The closed set of auth policies. A route's policy is chosen by its attribute (or, for the
//! framework's own routes, by the framework), never by the request.

/// How a route is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// RS256 install/uninstall tokens, key from the key CDN. Only the framework's `/installed`
    /// and `/uninstalled` routes have it: a handler's [`RoutePolicy`] cannot express it.
    Asymmetric,
    /// HS256 with the tenant's shared secret and the `qsh` of this request.
    SharedSecret,
    /// HS256 with the tenant's shared secret; `qsh` of this request or `context-qsh`.
    Context,
    /// An RS256 Forge Invocation Token, key from the Forge JWKS (`#[forge::...]` routes).
    ForgeInvocation,
    /// No authentication (descriptor, static files, public routes).
    None,
}

/// The policies a handler's route can have (`auth = jwt | context | none`, and
/// `ForgeInvocation` for `#[forge::...]` routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoutePolicy {
    /// `auth = jwt`: [`Policy::SharedSecret`].
    SharedSecret,
    /// `auth = context`: [`Policy::Context`].
    Context,
    /// `#[forge::remote]`, `#[forge::trigger]`, `#[forge::scheduled_trigger]`:
    /// [`Policy::ForgeInvocation`].
    ForgeInvocation,
    /// `auth = none`: [`Policy::None`].
    None,
}

impl From<RoutePolicy> for Policy {
    fn from(policy: RoutePolicy) -> Self {
        match policy {
            RoutePolicy::SharedSecret => Policy::SharedSecret,
            RoutePolicy::Context => Policy::Context,
            RoutePolicy::ForgeInvocation => Policy::ForgeInvocation,
            RoutePolicy::None => Policy::None,
        }
    }
}
