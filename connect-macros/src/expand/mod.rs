//! Code generation per attribute family, each parse → check → generate: [`module`] (the module
//! attributes), [`route`], [`lifecycle`] (hooks), [`list`] (`handlers![...]`), all built on
//! [`codegen`].

pub mod codegen;
pub mod lifecycle;
pub mod list;
pub mod module;
pub mod route;
