//! The install-key CDN client: public keys for RS256 install/uninstall tokens, by `kid`.
//!
//! Which CDN to ask comes from configuration, never from the request. Each configured base URL
//! is tried in order (primary, then fallbacks), each request bounded by a timeout and its HTTP
//! status checked. Keys are cached by `kid` in a bounded cache; concurrent installs with the
//! same new `kid` share one fetch (moka's `try_get_with` coalesces them). Outages are not
//! cached, so a CDN that recovers is used at the next install.
//!
//! Forged kids cost little: a kid every CDN answered 404 for is remembered for a short while
//! (a stream of installs with one forged kid makes one fetch per CDN), and at most
//! [`MAX_CONCURRENT_FETCHES`] fetches run at once (a flood of distinct forged kids cannot open
//! hundreds of outbound requests; the excess waits, then is refused as unavailable).

use jsonwebtoken::DecodingKey;
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Longest `kid` accepted. Atlassian's kids are well under this; the bound keeps URLs sane.
const MAX_KID_LEN: usize = 256;
/// Largest key document read from a CDN. A 4096-bit SPKI PEM is about 800 bytes.
const MAX_KEY_DOCUMENT_BYTES: usize = 16 * 1024;
/// How many distinct kids are kept. Atlassian rotates rarely; this bounds memory under abuse.
const MAX_CACHED_KEYS: u64 = 1_000;
/// Fetches from the key CDNs in flight at once, per app.
pub const MAX_CONCURRENT_FETCHES: usize = 16;
/// How many unknown kids are remembered.
const MAX_UNKNOWN_KIDS: u64 = 10_000;

/// Keys for a kid never change (a rotated key gets a new kid); the TTL only lets a withdrawn
/// key age out of a long-running process.
const KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a public key could not be obtained.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyFetchError {
    /// The `kid` contains characters or segments that must not go into a URL.
    #[error("the kid is not in the allowed character set")]
    InvalidKid,
    /// Every CDN answered 404 for this kid.
    #[error("no key CDN knows this kid")]
    UnknownKid,
    /// A CDN could not be reached or did not answer within the timeout.
    #[error("key CDN {cdn} unreachable: {reason}")]
    Unreachable {
        /// The CDN base URL.
        cdn: String,
        /// The transport error, without the request URL.
        reason: String,
    },
    /// A CDN answered with an unexpected status.
    #[error("key CDN {cdn} answered HTTP {status}")]
    BadStatus {
        /// The CDN base URL.
        cdn: String,
        /// The HTTP status code.
        status: u16,
    },
    /// Every fetch slot stayed busy for the whole fetch timeout (a flood of unknown kids).
    #[error("too many key fetches in flight")]
    Busy,
    /// A CDN answered 200 with something that is not an RSA public key in PEM.
    #[error("key CDN {cdn} returned a document that is not an RSA public key")]
    InvalidKeyDocument {
        /// The CDN base URL.
        cdn: String,
    },
}

/// Checks a `kid` by a safe character set before it goes into a URL.
///
/// Letters, digits and `. _ - + /`; no leading `/`, no empty, `.` or `..` segment. Deliberately
/// not a fixed format (a UUID check broke every install of one framework the day Atlassian
/// changed its kid format).
pub fn validate_kid(kid: &str) -> Result<(), KeyFetchError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/');
    let segments_ok = kid
        .split('/')
        .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    if kid.is_empty() || kid.len() > MAX_KID_LEN || !kid.chars().all(allowed) || !segments_ok {
        return Err(KeyFetchError::InvalidKid);
    }
    Ok(())
}

/// The HTTP client of key fetches: every request bounded by `timeout`, redirects never
/// followed (a key comes from the configured URL or not at all).
pub(super) fn key_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The body of `response`, or `None` as soon as it exceeds `max` bytes.
pub(super) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut document = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if document.len() + chunk.len() > max {
            return Ok(None);
        }
        document.extend_from_slice(&chunk);
    }
    Ok(Some(document))
}

/// Fetches and caches install public keys from the configured CDNs.
#[derive(Clone)]
pub struct InstallKeys {
    http: reqwest::Client,
    cdn_urls: Arc<[Url]>,
    cache: Cache<String, Arc<DecodingKey>>,
    /// Kids every CDN answered 404 for, until their TTL passes.
    unknown: Cache<String, ()>,
    /// Bounds the fetches in flight.
    slots: Arc<tokio::sync::Semaphore>,
    timeout: Duration,
}

impl std::fmt::Debug for InstallKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallKeys")
            .field("cdn_urls", &self.cdn_urls)
            .field("cached_keys", &self.cache.entry_count())
            .finish()
    }
}

impl InstallKeys {
    /// A client for `cdn_urls` (tried in order), each request bounded by `timeout`; kids no
    /// CDN knows are remembered for `unknown_kid_ttl`.
    pub fn new(
        cdn_urls: Vec<Url>,
        timeout: Duration,
        unknown_kid_ttl: Duration,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: key_client(timeout)?,
            cdn_urls: cdn_urls.into(),
            cache: Cache::builder()
                .max_capacity(MAX_CACHED_KEYS)
                .time_to_live(KEY_TTL)
                .build(),
            unknown: Cache::builder()
                .max_capacity(MAX_UNKNOWN_KIDS)
                // moka refuses a zero TTL; a nanosecond is "not remembered".
                .time_to_live(unknown_kid_ttl.max(Duration::from_nanos(1)))
                .build(),
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES)),
            timeout,
        })
    }

    /// The public key for `kid`, from the cache or fetched once.
    pub async fn decoding_key(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyFetchError> {
        validate_kid(kid)?;
        if self.unknown.contains_key(kid) {
            return Err(KeyFetchError::UnknownKid);
        }
        let found = self
            .cache
            .try_get_with_by_ref(kid, self.fetch(kid))
            .await
            .map_err(|shared| (*shared).clone());
        if let Err(KeyFetchError::UnknownKid) = found {
            self.unknown.insert(kid.to_owned(), ()).await;
        }
        found
    }

    async fn fetch(&self, kid: &str) -> Result<Arc<DecodingKey>, KeyFetchError> {
        // One slot for the whole fetch (all CDNs in turn); waiting is bounded like a fetch.
        let _slot = tokio::time::timeout(self.timeout, self.slots.acquire())
            .await
            .map_err(|_| KeyFetchError::Busy)?
            .map_err(|_| KeyFetchError::Busy)?;
        let mut first_failure = None;
        for cdn in self.cdn_urls.iter() {
            match self.fetch_from(cdn, kid).await {
                Ok(key) => return Ok(Arc::new(key)),
                Err(error) => {
                    tracing::warn!(cdn = %cdn, %error, kid = ?kid, "install key fetch failed");
                    // A 404 from one CDN and an outage of another is an outage: the key may exist.
                    if first_failure.is_none() || !matches!(error, KeyFetchError::UnknownKid) {
                        first_failure = Some(error);
                    }
                }
            }
        }
        Err(first_failure.unwrap_or(KeyFetchError::UnknownKid))
    }

    async fn fetch_from(&self, cdn: &Url, kid: &str) -> Result<DecodingKey, KeyFetchError> {
        let cdn_name = cdn.as_str().trim_end_matches('/').to_owned();
        let url = format!("{cdn_name}/{kid}");
        let unreachable = |error: reqwest::Error| KeyFetchError::Unreachable {
            cdn: cdn_name.clone(),
            reason: error.without_url().to_string(),
        };
        let mut response = self.http.get(&url).send().await.map_err(unreachable)?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(KeyFetchError::UnknownKid),
            status => {
                return Err(KeyFetchError::BadStatus {
                    cdn: cdn_name,
                    status,
                });
            }
        }
        let invalid = || KeyFetchError::InvalidKeyDocument {
            cdn: cdn_name.clone(),
        };
        let document = read_capped(&mut response, MAX_KEY_DOCUMENT_BYTES)
            .await
            .map_err(unreachable)?
            .ok_or_else(invalid)?;
        if !document.starts_with(b"-----BEGIN PUBLIC KEY-----")
            && !document.starts_with(b"-----BEGIN RSA PUBLIC KEY-----")
        {
            return Err(invalid());
        }
        DecodingKey::from_rsa_pem(&document).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_charset_allows_current_and_future_formats() {
        for kid in [
            "c5ba7b0f-6df0-4ad8-a4a5-5d3e5cc1a7b5",
            "jira/1a2b3c",
            "connect.install+keys_v2/abc-123",
            "a",
        ] {
            assert!(validate_kid(kid).is_ok(), "{kid}");
        }
    }

    #[test]
    fn kid_rejects_traversal_and_url_syntax() {
        for kid in [
            "",
            "/abs",
            "a//b",
            "a/",
            "../etc/passwd",
            "a/../b",
            ".",
            "a/./b",
            "a?b",
            "a#b",
            "a%2Fb",
            "a\\b",
            "a b",
            "ü",
        ] {
            assert!(validate_kid(kid).is_err(), "{kid:?}");
        }
        assert!(validate_kid(&"a".repeat(MAX_KID_LEN + 1)).is_err());
    }
}
