//! The HTTP side every app shares, independent of Connect: reading bodies, the response trait
//! and the values handlers return, the security headers, and serving.
//!
//! - [`response`]: [`IntoResponse`] and [`Json`], [`Html`], [`WarpReply`].
//! - [`error`]: [`AppError`], the error a handler returns (any error converts with `?`).
//! - [`client_error`]: [`ClientError`], why a call to the product failed (it converts into an
//!   [`AppError`] with a gateway status).
//! - [`body`]: bodies read up to a limit.
//! - [`headers`]: the security headers on every response.
//! - [`stack`]: the tower layers around warp (headers, panic boundary, request guard).
//! - [`conn`]: one connection's socket (first byte, lingering close).
//! - [`serve`](mod@serve): binding, serving until Ctrl-C, serving in the background for tests.

pub mod body;
pub mod client_error;
pub mod conn;
pub mod error;
pub mod headers;
pub mod response;
pub(crate) mod secure_io;
pub mod serve;
pub mod stack;
pub mod storage_error;
pub mod trace;

pub use client_error::ClientError;
pub use error::AppError;
pub use response::{Html, IntoResponse, Json, Response, WarpReply, error_response};
pub use serve::{
    ConnectionLimits, RunningServer, init_json_logging, init_logging, serve, serve_with, spawn,
    spawn_with,
};
pub use storage_error::StorageError;
