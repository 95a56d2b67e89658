//! [`Error`]: why building or running an app failed, the one error of `App::build`,
//! `App::run` and the configuration.

use crate::config::ConfigError;
use crate::store::StoreError;
use connect_descriptor::{KeyError, ManifestError, ModulesError, UrlError};
use warp::http::Method;

/// Why an app could not be built or run. Non-exhaustive: new checks add variants.
///
/// [`Exit`](super::Exit) turns it into the process's status: 2 for [`Error::Usage`], 1
/// otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The app key breaks its rule.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Two modules collide, or a raw module does not fit its type.
    #[error(transparent)]
    Modules(#[from] ModulesError),
    /// A handler's module arguments are invalid (only possible for hand-built handlers: the
    /// attributes check the same rules at compile time).
    #[error("handler `{handler}`: {reason}")]
    Module {
        /// The handler.
        handler: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client for the key CDN or the product could not be built.
    #[error("HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    /// A handler's route path is not a valid pattern.
    #[error("handler `{handler}`: {error}")]
    Path {
        /// The handler.
        handler: &'static str,
        /// What is wrong with its path.
        error: UrlError,
    },
    /// Two routes serve the same method and path.
    #[error("two routes serve {method} {path}")]
    DuplicateRoute {
        /// The method.
        method: Method,
        /// The path.
        path: String,
    },
    /// A handler takes `State<T>` but the app was given no `T`.
    #[error(
        "handler `{handler}` takes `State<{type_name}>`, but the app has no such state: add `.state(...)` with a `{type_name}` to the App"
    )]
    MissingState {
        /// The handler.
        handler: &'static str,
        /// The missing type.
        type_name: &'static str,
    },
    /// Two values of one type were given to `App::state`.
    #[error("`App::state` was given two `{0}` values: an app holds one value per type")]
    DuplicateState(&'static str),
    /// The descriptor could not be serialised.
    #[error("descriptor JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The Forge manifest cannot be derived (checked when `FORGE_APP_ID` is set).
    #[error("Forge manifest: {0}")]
    Manifest(#[from] ManifestError),
    /// The tenant store could not be opened.
    #[error("tenant store: {0}")]
    Store(#[from] StoreError),
    /// The port could not be bound, or the output could not be written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A Forge-native app without `FORGE_APP_ID`, or with a Connect handler or hook.
    #[error("Forge-native app: {0}")]
    ForgeNative(String),
    /// A Forge handler's extractor needs the system token its attribute does not ask for.
    #[error(
        "handler `{handler}` takes `{extractor}`, which calls Atlassian with the app's system token: add `system_token` to its `#[forge::...]` attribute"
    )]
    SystemTokenRequired {
        /// The handler.
        handler: &'static str,
        /// The extractor.
        extractor: &'static str,
    },
    /// `manifest --check` could not run the validator, or the validator found errors.
    #[error("{0}")]
    Check(String),
    /// A web trigger handler takes an extractor that needs a verified invocation, which a web
    /// trigger call may not carry.
    #[error(
        "handler `{handler}` is a web trigger and takes `{extractor}`, which needs a Forge Invocation Token that a web trigger call may not carry: take `Option<ForgeContext>` (or `Option<ForgeStorage>`) instead"
    )]
    WebtriggerNeedsInvocation {
        /// The handler.
        handler: &'static str,
        /// The extractor.
        extractor: &'static str,
    },
    /// A handler takes an extractor that exists only in a Forge Container, and the app is
    /// served as a Forge Remote.
    #[error(
        "handler `{handler}` takes `{extractor}`, which Forge offers only to a Forge Container service: run the app with `serve --container` (a Forge Remote has no documented way to reach it)"
    )]
    ContainerOnly {
        /// The handler.
        handler: &'static str,
        /// The extractor.
        extractor: &'static str,
    },
    /// The manifest could not be rendered.
    #[error("YAML: {0}")]
    Yaml(String),
    /// The command cannot run as configured, or is unknown: [`Exit`](super::Exit) prints this
    /// and exits with status 2.
    #[error("{0}")]
    Usage(String),
}
