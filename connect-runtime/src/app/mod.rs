//! Apps: the definition a user writes ([`App`]), what building it yields ([`ConnectApp`]: the
//! descriptor and one route table), the one dispatch that serves it, and [`App::run`].
//!
//! - `definition`: [`App`], the builder.
//! - `build`: [`ConnectApp`].
//! - `error`: [`Error`], why building or running failed.
//! - `table`: the route table (framework routes and handlers, each with its policy).
//! - `dispatch`: the warp filter that serves one or several apps.
//! - `filters`: the policies as warp filters for hand-built routes.
//! - `forge`: the Forge side of a built app (FIT verifier, trigger deliveries by `jti`).
//! - `run`: the command line of an app binary (`serve`, `descriptor`, `schema`).

mod build;
mod check;
mod definition;
mod dispatch;
mod error;
mod filters;
mod forge;
mod run;
mod table;

pub use build::ConnectApp;
pub use definition::{App, ForgeContainer};
pub use dispatch::apps_filter;
pub use error::Error;
pub use run::{Exit, serve};
