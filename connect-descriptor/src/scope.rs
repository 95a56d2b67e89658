//! The scopes an app requests.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scope the app requests. Each of `Read` … `Admin` implies the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scope {
    /// No product access.
    None,
    /// Read.
    Read,
    /// Write (implies read).
    Write,
    /// Delete (implies write).
    Delete,
    /// Jira project administration.
    ProjectAdmin,
    /// Confluence space administration.
    SpaceAdmin,
    /// Product administration.
    Admin,
    /// Act on behalf of users (OAuth 2.0 JWT bearer).
    ActAsUser,
    /// Read users' email addresses.
    AccessEmailAddresses,
}
