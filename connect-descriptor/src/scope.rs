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

impl Scope {
    /// The scope as the descriptor and the OAuth `scope` parameter spell it (`READ`,
    /// `ACT_AS_USER`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::None => "NONE",
            Scope::Read => "READ",
            Scope::Write => "WRITE",
            Scope::Delete => "DELETE",
            Scope::ProjectAdmin => "PROJECT_ADMIN",
            Scope::SpaceAdmin => "SPACE_ADMIN",
            Scope::Admin => "ADMIN",
            Scope::ActAsUser => "ACT_AS_USER",
            Scope::AccessEmailAddresses => "ACCESS_EMAIL_ADDRESSES",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_is_the_serialised_name() {
        for scope in [
            Scope::None,
            Scope::Read,
            Scope::Write,
            Scope::Delete,
            Scope::ProjectAdmin,
            Scope::SpaceAdmin,
            Scope::Admin,
            Scope::ActAsUser,
            Scope::AccessEmailAddresses,
        ] {
            assert_eq!(
                serde_json::to_value(scope).unwrap(),
                serde_json::Value::from(scope.as_str())
            );
        }
    }
}
