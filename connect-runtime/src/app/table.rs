//! The route table: the descriptor route, the four lifecycle routes and every handler's route,
//! each with the one policy its target implies.
//!
//! A [`Target`] carries its policy, so the set is closed: the install policy exists only on
//! the framework's `/installed` and `/uninstalled` entries, a handler's [`ConnectAuth`]
//! cannot name it, and the Forge policy is a target of its own.

use super::error::Error;
use crate::handler::RouteCall;
use crate::lifecycle::LifecycleEvent;
use crate::policy::ConnectAuth;
use connect_descriptor::PathPattern;
use warp::http::Method;

/// What a route runs.
#[derive(Clone)]
pub(crate) enum Target {
    /// `GET /atlassian-connect.json`, public.
    Descriptor,
    /// `POST /installed`, `/uninstalled`: the install policy (RS256).
    Install(LifecycleEvent),
    /// `POST /enabled`, `/disabled`: the [`Jwt`](crate::policy::Jwt) policy.
    Toggle(LifecycleEvent),
    /// A handler, with its policy.
    Handler(ConnectAuth, RouteCall),
    /// A Forge handler: the `ForgeInvocation` policy.
    Forge(ForgeTarget),
    /// `GET /healthz` of a Forge-native app: public, 200 when the app serves.
    Health,
}

/// The health route of a Forge-native app (and a container's health probe).
pub(crate) const HEALTH_PATH: &str = "/healthz";

/// How a Forge route is run.
#[derive(Clone)]
pub(crate) struct ForgeTarget {
    /// How repeated deliveries are recognised.
    pub(crate) delivery: Delivery,
    /// A web trigger: its caller may come without a token (then nothing is verified).
    pub(crate) token_optional: bool,
    /// Whether its events announce installations, which are linked to Connect tenants.
    pub(crate) links_installations: bool,
    /// The manifest's modules that route to this endpoint (the endpoint's own key; for a
    /// trigger, the trigger and its `<key>-ep` endpoint): a token naming any other module is
    /// refused here.
    pub(crate) module_keys: Vec<String>,
    /// The handler.
    pub(crate) call: RouteCall,
}

/// What identifies one delivery of a Forge route, so that a handled one does not run again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Delivery {
    /// An invocation (endpoint, action, resolver...): every request runs.
    Invocation,
    /// A trigger delivery: its token's `jti`.
    Token,
    /// An async event: its `jobId` within the installation (the token's `jti` when absent).
    Job,
}

impl ForgeTarget {
    /// Whether a token naming `module` (its `app.module.key`, when it names one) may invoke
    /// this route.
    pub(crate) fn accepts_module(&self, module: Option<&str>) -> bool {
        module.is_none_or(|key| self.module_keys.iter().any(|own| own == key))
    }
}

impl Target {
    /// How the route is verified, for `Debug`.
    fn verification(&self) -> &'static str {
        match self {
            Target::Descriptor | Target::Health | Target::Handler(ConnectAuth::None, _) => "public",
            Target::Install(_) => "RS256 install token",
            Target::Toggle(_) | Target::Handler(ConnectAuth::SharedSecret, _) => "JWT",
            Target::Handler(ConnectAuth::Context, _) => "JWT or context JWT",
            Target::Forge(_) => "Forge Invocation Token",
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

/// Every route of one app, found by a trie on the path's shape.
#[derive(Clone, Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
    /// Path shape (variables numbered: `/project/{0}`) → index into `by_shape`.
    trie: matchit::Router<usize>,
    /// The routes of each shape, in the order they were added.
    by_shape: Vec<Vec<usize>>,
    shapes: std::collections::HashMap<String, usize>,
    /// Two patterns overlap (a literal where the other has a variable), so the first added
    /// must win as before: such a table is scanned in order instead.
    overlapping: bool,
}

impl std::fmt::Debug for RouteTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|route| {
                format!(
                    "{} {} ({})",
                    route.method,
                    route.path.as_str(),
                    route.target.verification()
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
                table.push(Route {
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

    /// The framework's routes of a Forge-native app: the health route alone.
    pub(crate) fn forge_native() -> Self {
        let mut table = Self::default();
        if let Ok(path) = PathPattern::parse(HEALTH_PATH) {
            table.push(Route {
                method: Method::GET,
                path,
                target: Target::Health,
            });
        }
        table
    }

    /// The route [`RouteTable::find`] found at `index`.
    pub(crate) fn route(&self, index: usize) -> Option<&Route> {
        self.routes.get(index)
    }

    /// Adds a handler's route; the same method and path twice is refused.
    pub(crate) fn add(&mut self, route: Route) -> Result<(), Error> {
        if self
            .routes
            .iter()
            .any(|r| r.method == route.method && r.path == route.path)
        {
            return Err(Error::DuplicateRoute {
                method: route.method,
                path: route.path.as_str().to_owned(),
            });
        }
        self.push(route);
        Ok(())
    }

    fn push(&mut self, route: Route) {
        let index = self.routes.len();
        let shape = route.path.shape();
        self.overlapping |= self
            .routes
            .iter()
            .any(|other| other.path.overlaps(&route.path));
        match self.shapes.get(&shape) {
            Some(&slot) => self.by_shape[slot].push(index),
            None => {
                let slot = self.by_shape.len();
                if self.trie.insert(shape.clone(), slot).is_err() {
                    // A shape the trie cannot hold: keep every lookup exact by scanning.
                    self.overlapping = true;
                }
                self.by_shape.push(vec![index]);
                self.shapes.insert(shape, slot);
            }
        }
        self.routes.push(route);
    }

    /// The route for `method` and `path` (below the app's mount path).
    pub(crate) fn find(&self, method: &Method, path: &str) -> Found {
        if self.overlapping {
            return self.scan(method, path);
        }
        let normalized = without_empty_segments(path);
        let Ok(found) = self.trie.at(&normalized) else {
            return Found::Nothing;
        };
        let Some(candidates) = self.by_shape.get(*found.value) else {
            return Found::Nothing;
        };
        for &index in candidates {
            let route = &self.routes[index];
            if route.method == method
                && let Some(params) = route.path.matches(path)
            {
                return Found::Route(index, params);
            }
        }
        Found::WrongMethod
    }

    /// [`find`](Self::find) by trying every route in order.
    fn scan(&self, method: &Method, path: &str) -> Found {
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

/// `path` with its empty segments dropped (`//a/b/` → `/a/b`), as route patterns ignore them;
/// borrowed when there are none.
fn without_empty_segments(path: &str) -> std::borrow::Cow<'_, str> {
    let clean =
        path.starts_with('/') && !path.contains("//") && (path.len() == 1 || !path.ends_with('/'));
    if clean {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    std::borrow::Cow::Owned(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(Method, &str)]) -> RouteTable {
        let mut table = RouteTable::default();
        for (method, path) in routes {
            table
                .add(Route {
                    method: method.clone(),
                    path: PathPattern::parse(path).unwrap(),
                    target: Target::Descriptor,
                })
                .unwrap();
        }
        table
    }

    fn found(table: &RouteTable, method: Method, path: &str) -> String {
        match table.find(&method, path) {
            Found::Route(index, params) => format!("{index} {params:?}"),
            Found::WrongMethod => "405".to_owned(),
            Found::Nothing => "404".to_owned(),
        }
    }

    #[test]
    fn the_trie_finds_what_the_scan_finds() {
        let routes = [
            (Method::GET, "/atlassian-connect.json"),
            (Method::GET, "/items/{n}"),
            (Method::POST, "/items/{id}"),
            (Method::GET, "/project/{project.key}/tab/{tab}"),
            (Method::GET, "/"),
        ];
        let table = table(&routes);
        assert!(!table.overlapping);
        for (method, path) in [
            (Method::GET, "/atlassian-connect.json"),
            (Method::GET, "/items/7"),
            (Method::POST, "/items/a%20b"),
            (Method::PUT, "/items/7"),
            (Method::GET, "//project/TEST//tab/x/"),
            (Method::GET, "/project/TEST"),
            (Method::GET, "/"),
            (Method::GET, ""),
            (Method::GET, "/nothing/here"),
            (Method::DELETE, "/"),
        ] {
            assert_eq!(
                found(&table, method.clone(), path),
                match table.scan(&method, path) {
                    Found::Route(index, params) => format!("{index} {params:?}"),
                    Found::WrongMethod => "405".to_owned(),
                    Found::Nothing => "404".to_owned(),
                },
                "{method} {path}"
            );
        }
        assert_eq!(
            found(&table, Method::POST, "/items/a%20b"),
            r#"2 [("id", "a b")]"#
        );
    }

    #[test]
    fn overlapping_patterns_keep_their_order() {
        let table = table(&[(Method::GET, "/a/{x}"), (Method::GET, "/a/b")]);
        assert!(table.overlapping);
        assert_eq!(found(&table, Method::GET, "/a/b"), r#"0 [("x", "b")]"#);
    }
}
