//! The route table: the descriptor route, the four lifecycle routes and every handler's route,
//! each with the one policy its target implies.
//!
//! A [`Target`] carries its policy, so the set is closed: the install policy exists only on
//! the framework's `/installed` and `/uninstalled` entries, and a handler's
//! [`RoutePolicy`] cannot name it.

use super::build::BuildError;
use crate::auth::{Policy, RoutePolicy};
use crate::handler::RouteCall;
use crate::lifecycle::LifecycleEvent;
use connect_descriptor::PathPattern;
use warp::http::Method;

/// What a route runs.
#[derive(Clone)]
pub(crate) enum Target {
    /// `GET /atlassian-connect.json`, public.
    Descriptor,
    /// `POST /installed`, `/uninstalled`: the `Asymmetric` policy.
    Install(LifecycleEvent),
    /// `POST /enabled`, `/disabled`: the `SharedSecret` policy.
    Toggle(LifecycleEvent),
    /// A handler, with its policy.
    Handler(RoutePolicy, RouteCall),
    /// A Forge handler: the `ForgeInvocation` policy.
    Forge(ForgeTarget),
}

/// How a Forge route is run.
#[derive(Clone)]
pub(crate) struct ForgeTarget {
    /// A trigger (event deliveries, deduplicated by `jti`) rather than an endpoint.
    pub(crate) event: bool,
    /// Whether its events announce installations, which are linked to Connect tenants.
    pub(crate) links_installations: bool,
    /// The manifest's modules that route to this endpoint (the endpoint's own key; for a
    /// trigger, the trigger and its `<key>-ep` endpoint): a token naming any other module is
    /// refused here.
    pub(crate) module_keys: Vec<String>,
    /// The handler.
    pub(crate) call: RouteCall,
}

impl ForgeTarget {
    /// Whether a token naming `module` (its `app.module.key`, when it names one) may invoke
    /// this route.
    pub(crate) fn accepts_module(&self, module: Option<&str>) -> bool {
        module.is_none_or(|key| self.module_keys.iter().any(|own| own == key))
    }
}

impl Target {
    pub(crate) fn policy(&self) -> Policy {
        match self {
            Target::Descriptor => Policy::None,
            Target::Install(_) => Policy::Asymmetric,
            Target::Toggle(_) => Policy::SharedSecret,
            Target::Handler(policy, _) => (*policy).into(),
            Target::Forge(_) => Policy::ForgeInvocation,
        }
    }
}

/// One entry.
#[derive(Clone)]
pub(crate) struct Route {
    pub(crate) method: Method,
    pub(crate) path: PathPattern,
    pub(crate) target: Target,
}

/// What a request found.
pub(crate) enum Found {
    /// The route's index ([`RouteTable::route`]) and the values of its path variables.
    Route(usize, Vec<(String, String)>),
    /// The path exists for other methods.
    WrongMethod,
    /// No route has this path.
    Nothing,
}

/// Every route of one app.
#[derive(Clone, Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|route| {
                format!(
                    "{} {} ({:?})",
                    route.method,
                    route.path.as_str(),
                    route.target.policy()
                )
            }))
            .finish()
    }
}

impl RouteTable {
    /// The framework's own routes.
    pub(crate) fn framework() -> Self {
        let mut table = Self::default();
        let mut add = |method: Method, path: &str, target: Target| {
            if let Ok(path) = PathPattern::parse(path) {
                table.routes.push(Route {
                    method,
                    path,
                    target,
                });
            }
        };
        add(Method::GET, "/atlassian-connect.json", Target::Descriptor);
        for event in [LifecycleEvent::Installed, LifecycleEvent::Uninstalled] {
            add(
                Method::POST,
                &format!("/{}", event.name()),
                Target::Install(event),
            );
        }
        for event in [LifecycleEvent::Enabled, LifecycleEvent::Disabled] {
            add(
                Method::POST,
                &format!("/{}", event.name()),
                Target::Toggle(event),
            );
        }
        table
    }

    /// The route [`RouteTable::find`] found at `index`.
    pub(crate) fn route(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    /// Adds a handler's route; the same method and path twice is refused.
    pub(crate) fn add(&mut self, route: Route) -> Result<(), BuildError> {
        if self
            .routes
            .iter()
            .any(|r| r.method == route.method && r.path == route.path)
        {
            return Err(BuildError::DuplicateRoute {
                method: route.method,
                path: route.path.as_str().to_owned(),
            });
        }
        self.routes.push(route);
        Ok(())
    }

    /// The route for `method` and `path` (below the app's mount path).
    pub(crate) fn find(&self, method: &Method, path: &str) -> Found {
        let mut path_exists = false;
        for (index, route) in self.routes.iter().enumerate() {
            if let Some(params) = route.path.matches(path) {
                if route.method == method {
                    return Found::Route(index, params);
                }
                path_exists = true;
            }
        }
        if path_exists {
            Found::WrongMethod
        } else {
            Found::Nothing
        }
    }
}
