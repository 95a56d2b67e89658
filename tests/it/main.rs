//! Every integration test, in one binary (it links once, which matters on a 2-core machine).
//!
//! - `lifecycle/`: the lifecycle routes and every policy, over HTTP, from the attacker's side,
//!   against a hand-assembled app and a macro-built one.
//! - `connections`: header timeout, idle keep-alive, connection cap, slow bodies.
//! - `http_core`: the HTTP stack: panic boundary, request guard, lingering close, silent
//!   connections.
//! - `handlers`: annotated handlers over HTTP: extractors, return types, state, hooks.
//! - `examples`: every example as users run it (descriptors, schema, simulated product).
//! - `outbound`: calls back to the product (as the app, as a user, rate limits, guards).
//! - `faults`: the app killed with SIGKILL mid-install, on SQLite and PostgreSQL.
//! - `descriptor`: the descriptor's JSON Schema and Atlassian's Jira schema.
//! - `simulated_host`, `processes`: the simulated product and real example processes.
//! - `qsh`, `store`: qsh vectors and the differential test; the store conformance suite.
//! - `forge`: Forge manifests (Atlassian's validator), the Forge Invocation Token policy from the
//!   attacker's side, Connect-on-Forge flows against the simulated Forge platform.
//! - `compile_fail`: every compile-time check of the macros (trybuild).

mod common;

mod compile_fail;
mod connections;
mod descriptor;
mod examples;
mod faults;
mod forge;
mod handlers;
mod http_core;
mod lifecycle;
mod outbound;
mod personal_data_connect;
mod processes;
mod qsh;
mod responses;
mod simulated_host;
mod store;
