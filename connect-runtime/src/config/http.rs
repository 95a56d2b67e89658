//! The server's settings: where it listens and the limits on the connections it holds
//! (`CONNECT_BIND_ADDR`, `PORT`, `CONNECT_HEADER_TIMEOUT_SECS`, `CONNECT_FIRST_BYTE_TIMEOUT_SECS`,
//! `CONNECT_MAX_CONNECTIONS`, `CONNECT_MAX_HEADER_BYTES`, `CONNECT_MAX_HEADERS`,
//! `CONNECT_LINGER_SECS`, `CONNECT_LINGER_MAX_BYTES`).

use super::ConfigError;
use super::env::Env;
use std::time::Duration;

/// Default listen port.
pub const DEFAULT_PORT: u16 = 3000;

/// Limits on the connections a server holds (`CONNECT_HEADER_TIMEOUT_SECS`,
/// `CONNECT_FIRST_BYTE_TIMEOUT_SECS`, `CONNECT_MAX_CONNECTIONS`, `CONNECT_MAX_HEADER_BYTES`,
/// `CONNECT_MAX_HEADERS`, `CONNECT_LINGER_SECS`, `CONNECT_LINGER_MAX_BYTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to receive a request's headers, counted from when the connection starts waiting
    /// for them: closes idle keep-alive connections and clients that dribble their headers.
    pub header_read_timeout: Duration,
    /// Time a new connection has to send its first byte; a silent one is closed after it.
    pub first_byte_timeout: Duration,
    /// Connections open at once (kept below the open-file limit at start). At the cap, the
    /// oldest connection that has sent nothing yet gives way to a new one; when all are
    /// talking, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Limits on a request's header lines and fields (431 above them).
    pub headers: HeaderLimits,
    /// How long and how much a closing connection reads what its client still sends.
    pub linger: Linger,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(20),
            first_byte_timeout: Duration::from_secs(5),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(25),
            headers: HeaderLimits::default(),
            linger: Linger::default(),
        }
    }
}

/// Limits on a request's head, checked before any route runs (`CONNECT_MAX_HEADER_BYTES`,
/// `CONNECT_MAX_HEADERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// The longest header line (`name: value`) accepted; longer: 431.
    pub max_line_bytes: usize,
    /// The most header fields accepted; more: 431.
    pub max_fields: usize,
}

impl Default for HeaderLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 * 1024,
            max_fields: 100,
        }
    }
}

/// How long and how much a closing connection keeps reading (`CONNECT_LINGER_SECS`,
/// `CONNECT_LINGER_MAX_BYTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linger {
    /// The longest a closing connection keeps reading what its client still sends.
    pub timeout: Duration,
    /// The most bytes read and discarded that way.
    pub max_bytes: usize,
}

impl Default for Linger {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

impl ConnectionLimits {
    /// Reads the connection limits over the defaults.
    pub(crate) fn read(&mut self, env: &Env<'_>) -> Result<(), ConfigError> {
        if let Some(timeout) = env.secs("CONNECT_HEADER_TIMEOUT_SECS", "20")? {
            self.header_read_timeout = timeout;
        }
        if let Some(timeout) = env.secs("CONNECT_FIRST_BYTE_TIMEOUT_SECS", "5")? {
            self.first_byte_timeout = timeout;
        }
        if let Some(max) = env.count("CONNECT_MAX_CONNECTIONS", "a count, e.g. 1024")? {
            self.max_connections = max;
        }
        if let Some(max) = env.count("CONNECT_MAX_HEADER_BYTES", "bytes, e.g. 16384")? {
            self.headers.max_line_bytes = max;
        }
        if let Some(max) = env.count("CONNECT_MAX_HEADERS", "a count, e.g. 100")? {
            self.headers.max_fields = max;
        }
        if let Some(timeout) = env.secs("CONNECT_LINGER_SECS", "5")? {
            self.linger.timeout = timeout;
        }
        if let Some(max) = env.count("CONNECT_LINGER_MAX_BYTES", "bytes, e.g. 16777216")? {
            self.linger.max_bytes = max;
        }
        Ok(())
    }
}

/// `CONNECT_BIND_ADDR`, default `0.0.0.0`.
pub(crate) fn bind_addr(env: &Env<'_>) -> Result<std::net::IpAddr, ConfigError> {
    match env.get("CONNECT_BIND_ADDR") {
        Some(addr) => addr.trim().parse().map_err(|_| {
            ConfigError::new(
                "CONNECT_BIND_ADDR",
                "expected an IP address, e.g. 0.0.0.0, 127.0.0.1 or ::",
            )
        }),
        None => Ok(std::net::IpAddr::from([0, 0, 0, 0])),
    }
}

/// `PORT`, default [`DEFAULT_PORT`].
pub(crate) fn port(env: &Env<'_>) -> Result<u16, ConfigError> {
    env.get("PORT").map_or(Ok(DEFAULT_PORT), |port| {
        port.trim()
            .parse()
            .map_err(|_| ConfigError::new("PORT", "expected a port number, e.g. 3000"))
    })
}
