//! The macros' front end, as serde_derive's `internals`: the handler's own AST ([`ast`]),
//! attribute arguments with duplicate detection ([`attr`]), signature checks ([`check`]) and
//! the error collector ([`ctxt`]).

pub mod ast;
pub mod attr;
pub mod check;
pub mod ctxt;
