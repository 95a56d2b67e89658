//! Code generation per attribute family, each parse → check → generate: [`module`] (the module
//! attributes), [`route`], [`lifecycle`] (hooks), [`forge`] (Forge routes and their modules),
//! [`forge_ui`] (Forge UI modules, stacked on resolvers), [`list`] (`handlers![...]`), all
//! built on [`codegen`].

pub mod codegen;
pub mod forge;
pub mod forge_kinds;
pub mod forge_ui;
pub mod lifecycle;
pub mod list;
pub mod module;
pub mod route;
