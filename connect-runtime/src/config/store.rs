//! The tenant store's settings: the PostgreSQL pool and the keys that seal shared secrets at
//! rest (`DATABASE_POOL_SIZE`, `DATABASE_TIMEOUT_MS`, `CONNECT_SECRET_KEY`,
//! `CONNECT_SECRET_KEY_PREVIOUS`).

use super::ConfigError;
use super::env::Env;
use std::time::Duration;

/// Pool settings (`DATABASE_POOL_SIZE`, `DATABASE_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections per instance.
    pub max_size: usize,
    /// How long a request waits for a connection, to connect, or for a statement.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            timeout: Duration::from_secs(5),
        }
    }
}

impl PoolSettings {
    /// Reads the pool's variables over the defaults.
    pub(crate) fn read(&mut self, env: &Env<'_>) -> Result<(), ConfigError> {
        if let Some(size) = env.number("DATABASE_POOL_SIZE", "a count, e.g. 16")? {
            self.max_size = usize::try_from(size).unwrap_or(usize::MAX);
        }
        if let Some(timeout) = env.millis("DATABASE_TIMEOUT_MS", "5000")? {
            self.timeout = timeout;
        }
        Ok(())
    }
}

/// The keys that seal shared secrets at rest (`CONNECT_SECRET_KEY`, and
/// `CONNECT_SECRET_KEY_PREVIOUS` while rotating). `Debug` shows no key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingKeys {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl std::fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKeys([REDACTED])")
    }
}

impl SealingKeys {
    /// Keys from raw bytes.
    pub fn from_bytes(current: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        Self { current, previous }
    }

    /// Parses a key: 64 hex digits, or base64 of 32 bytes (`openssl rand -hex 32`).
    pub fn parse_key(variable: &'static str, value: &str) -> Result<[u8; 32], ConfigError> {
        use base64::Engine as _;
        let value = value.trim();
        let bytes = if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(value).ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(value).ok()
        };
        bytes
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                ConfigError::new(
                    variable,
                    "expected 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)",
                )
            })
    }

    /// The key new writes are sealed with.
    pub fn current(&self) -> &[u8; 32] {
        &self.current
    }

    /// The key being rotated away from, if any.
    pub fn previous(&self) -> Option<&[u8; 32]> {
        self.previous.as_ref()
    }
}

impl SealingKeys {
    /// The keys of `CONNECT_SECRET_KEY` (and `CONNECT_SECRET_KEY_PREVIOUS`), if set. A key
    /// variable that is set must hold a key: a blank one would silently store secrets in
    /// plaintext.
    pub(crate) fn read(env: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        for variable in ["CONNECT_SECRET_KEY", "CONNECT_SECRET_KEY_PREVIOUS"] {
            if env.is_blank(variable) {
                return Err(ConfigError::new(
                    variable,
                    "is set but empty: give 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`), or unset it to store secrets unsealed",
                ));
            }
        }
        match env.get("CONNECT_SECRET_KEY") {
            Some(key) => Ok(Some(Self::from_bytes(
                Self::parse_key("CONNECT_SECRET_KEY", &key)?,
                env.get("CONNECT_SECRET_KEY_PREVIOUS")
                    .map(|key| Self::parse_key("CONNECT_SECRET_KEY_PREVIOUS", &key))
                    .transpose()?,
            ))),
            None if env.get("CONNECT_SECRET_KEY_PREVIOUS").is_some() => Err(ConfigError::new(
                "CONNECT_SECRET_KEY_PREVIOUS",
                "set only while rotating, together with the new CONNECT_SECRET_KEY",
            )),
            None => Ok(None),
        }
    }
}
