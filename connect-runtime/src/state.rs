//! Shared app state: values given to `App::state`, handed to handlers and hooks as
//! [`State<T>`].
//!
//! Which types a handler needs is known when the app is built (each extractor declares it), so
//! asking for a `State<T>` the app was not given fails `App::build` with the type's name,
//! never a request.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

/// A value of the app's shared state, given to the app with `App::state(value)`.
///
/// ```
/// use connect_runtime::{App, State};
///
/// struct Greeting(String);
///
/// // A handler argument: `#[connect::route(GET, "/greeting", auth = none)]` on
/// async fn greeting(greeting: State<Greeting>) -> String {
///     greeting.0.clone()
/// }
///
/// let app = App::new("com.example.state", "State").state(Greeting("hello".into()));
/// ```
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value behind its `Arc`.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> std::fmt::Debug for State<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("State")
            .field(&std::any::type_name::<T>())
            .finish()
    }
}

/// The app's state values, one per type.
#[derive(Clone, Default)]
pub struct StateMap {
    values: HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>,
}

impl std::fmt::Debug for StateMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.values.values().map(|(_, name)| name))
            .finish()
    }
}

impl StateMap {
    /// Adds `value`; returns `false` (and keeps the first) when its type is already there.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> bool {
        let id = TypeId::of::<T>();
        if self.values.contains_key(&id) {
            return false;
        }
        self.values
            .insert(id, (Arc::new(value), std::any::type_name::<T>()));
        true
    }

    /// Whether a value of type `id` is there.
    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.values.contains_key(&id)
    }

    /// The value of type `T`.
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<State<T>> {
        let (value, _) = self.values.get(&TypeId::of::<T>())?;
        Arc::clone(value).downcast::<T>().ok().map(State)
    }
}

/// What a handler's extractors need from the app, declared when the app is built.
#[derive(Debug, Default)]
pub struct Requirements {
    pub(crate) states: Vec<(TypeId, &'static str)>,
    /// Forge manifest scopes the extractors need (`storage:app` for `ForgeStorage`).
    pub(crate) forge_scopes: Vec<&'static str>,
    /// An extractor needs the app's system token (`system_token` on the attribute).
    pub(crate) system_token: Option<&'static str>,
    /// An extractor needs a verified Forge invocation (a web trigger may come without one).
    pub(crate) forge_invocation: Option<&'static str>,
    /// An extractor exists only in a Forge Container (Forge SQL, async events).
    pub(crate) container_only: Option<&'static str>,
    /// An extractor uses Forge SQL: the manifest declares the `sql` module.
    pub(crate) forge_sql: bool,
}

impl Requirements {
    /// Declares that extractor `name` needs the Forge scope `scope` and the system token.
    pub(crate) fn forge_system_token(&mut self, name: &'static str, scope: &'static str) {
        self.forge_scopes.push(scope);
        self.system_token.get_or_insert(name);
    }

    /// Declares that extractor `name` needs a verified Forge invocation.
    pub(crate) fn forge_invocation(&mut self, name: &'static str) {
        self.forge_invocation.get_or_insert(name);
    }

    /// Declares that extractor `name` is served only in a Forge Container.
    pub(crate) fn container_only(&mut self, name: &'static str) {
        self.container_only.get_or_insert(name);
    }

    /// Declares that a value of type `T` must have been given to `App::state`.
    pub fn state<T: Send + Sync + 'static>(&mut self) {
        self.states
            .push((TypeId::of::<T>(), std::any::type_name::<T>()));
    }
}
