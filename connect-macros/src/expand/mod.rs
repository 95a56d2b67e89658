//! Code generation per attribute family, each parse → check → generate: [`module`] (the module
//! attributes), [`route`], [`lifecycle`] (hooks), [`forge`] (Forge Remote routes), [`list`] (`handlers![...]`), all built on
//! [`codegen`].

pub mod codegen;
pub mod forge;
pub mod lifecycle;
pub mod list;
pub mod module;
pub mod route;
