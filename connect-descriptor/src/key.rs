//! Validated keys: [`AppKey`] (the app's Marketplace key) and [`ModuleKey`] (one module's key).
//!
//! Each rule exists once, here: the attribute macros call [`ModuleKey::parse`] at compile time
//! and the runtime calls the same functions when an app is built, and serde runs them when a
//! descriptor is read back.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// Longest app key Atlassian accepts.
pub const MAX_APP_KEY_LEN: usize = 64;

/// A key that breaks its rule. The message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The app key is empty, too long or has characters outside `[a-zA-Z0-9-._]`.
    #[error("app key `{0}` is invalid: use 1 to 64 of a-z A-Z 0-9 - . _")]
    App(String),
    /// The module key is empty or has characters outside `[a-zA-Z0-9-]`.
    #[error("module key `{0}` may only contain a-z, A-Z, 0-9 and `-`, e.g. `my-page`")]
    Module(String),
}

/// The app's key: `^[a-zA-Z0-9-._]+$`, 1 to 64 characters, unique on the Marketplace.
///
/// ```
/// use connect_descriptor::AppKey;
/// assert!(AppKey::parse("com.example.hello").is_ok());
/// assert!(AppKey::parse("com example").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppKey(String);

impl AppKey {
    /// Checks `key` against the app-key rule.
    pub fn parse(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        let valid = !key.is_empty()
            && key.len() <= MAX_APP_KEY_LEN
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if valid {
            Ok(Self(key))
        } else {
            Err(KeyError::App(key))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A module's key: `^[a-zA-Z0-9-]+$`, unique within the app.
///
/// ```
/// use connect_descriptor::ModuleKey;
/// assert!(ModuleKey::parse("hello-page").is_ok());
/// assert!(ModuleKey::parse("hello.page").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ModuleKey(String);

impl ModuleKey {
    /// Checks `key` against the module-key rule.
    pub fn parse(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            Ok(Self(key))
        } else {
            Err(KeyError::Module(key))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! key_impls {
    ($key:ident, $pattern:literal, $max:expr) => {
        impl TryFrom<String> for $key {
            type Error = KeyError;
            fn try_from(key: String) -> Result<Self, KeyError> {
                Self::parse(key)
            }
        }

        impl From<$key> for String {
            fn from(key: $key) -> String {
                key.0
            }
        }

        impl fmt::Display for $key {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $key {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl JsonSchema for $key {
            fn schema_name() -> Cow<'static, str> {
                stringify!($key).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let max: Option<usize> = $max;
                match max {
                    Some(max) => json_schema!({
                        "type": "string", "pattern": $pattern, "minLength": 1, "maxLength": max
                    }),
                    None => json_schema!({"type": "string", "pattern": $pattern, "minLength": 1}),
                }
            }
        }
    };
}

key_impls!(AppKey, "^[a-zA-Z0-9-._]+$", Some(MAX_APP_KEY_LEN));
key_impls!(ModuleKey, "^[a-zA-Z0-9-]+$", None);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_keys() {
        assert!(AppKey::parse("a").is_ok());
        assert!(AppKey::parse("a".repeat(64)).is_ok());
        assert!(AppKey::parse("a".repeat(65)).is_err());
        assert!(AppKey::parse("").is_err());
        assert!(AppKey::parse("bad key").is_err());
        assert!(serde_json::from_str::<AppKey>("\"x/y\"").is_err());
    }

    #[test]
    fn module_keys() {
        assert!(ModuleKey::parse("my-page-2").is_ok());
        for bad in ["", "a.b", "a_b", "a b", "é"] {
            assert_eq!(ModuleKey::parse(bad), Err(KeyError::Module(bad.to_owned())));
        }
        assert!(serde_json::from_str::<ModuleKey>("\"a.b\"").is_err());
    }
}
