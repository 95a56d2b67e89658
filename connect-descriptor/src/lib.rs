//! The typed Atlassian Connect descriptor of `atlassian-connect`, and the rules its macros
//! (at compile time) and its runtime (when an app is built) share, each implemented once:
//!
//! - [`key`]: [`AppKey`] and [`ModuleKey`], validated newtypes.
//! - [`url`]: module URLs and route paths with context variables (`/issue/{issue.key}`).
//! - [`kind`]: the module-kind table behind every module attribute, and
//!   [`ModuleType::build`], which turns attribute arguments into a typed [`Module`].
//! - [`known`]: the webhook events and locations the attributes check against.
//! - [`module`], [`descriptor`], [`scope`]: the serde + JSON Schema model of the descriptor.
//! - [`forge`]: the Forge app id, keys, trigger events and the Forge modules of handlers.
//! - [`manifest`]: the Forge manifest derived from the descriptor (Connect on Forge).
#![warn(missing_docs)]

pub mod descriptor;
pub mod forge;
pub mod key;
pub mod kind;
pub mod known;
pub mod manifest;
pub mod module;
pub mod scope;
mod table;
pub mod url;

pub use descriptor::{ApiMigrations, Authentication, Descriptor, Lifecycle, Vendor};
pub use forge::{ForgeAppId, ForgeError, ForgeModule, Interval};
pub use key::{AppKey, KeyError, ModuleKey};
pub use kind::{AppliesTo, Product};
pub use kind::{ArgError, ArgValue, ErrorAt, ModuleType};
pub use manifest::{Manifest, ManifestError, ManifestSettings, Operation, RemoteSettings};
pub use module::{Module, Modules, ModulesError};
pub use scope::Scope;
pub use url::{ContextParam, PathPattern, UrlError, UrlPattern};
