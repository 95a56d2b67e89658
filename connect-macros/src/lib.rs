//! Attribute macros of `atlassian-connect`.
//!
//! The handler attributes (`#[connect::general_page]`, `#[connect::webhook]`, ...) and the
//! `handlers![...]` list macro land here; until then applications assemble routes by hand with
//! the runtime's policy filters (see `examples/hello.rs`).
