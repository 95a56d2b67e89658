//! The Forge JWKS client: public keys for Forge Invocation Tokens, by `kid`.
//!
//! The key set is fetched from configuration (`FORGE_JWKS_URL`), never from the request, with
//! a timeout, a status check and a size bound, and parsed by `jsonwebtoken`'s JWK support.
//! It is kept whole and refetched only when a token names a kid the set lacks, or when the set
//! is older than [`MAX_KEY_SET_AGE`], and then **at most once per refresh interval**, one fetch
//! at a time: a stream of forged kids (or of requests during a JWKS outage) costs one fetch per
//! interval, not one per request. A failed fetch keeps the previous keys and is remembered for
//! the interval, so requests during an outage are answered as "unavailable" (503, retryable)
//! rather than "unknown key" (401).

use super::keys::{KeyFetchError, key_client, read_capped, validate_kid};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Largest JWKS document read. Atlassian's holds a few 2048-bit keys (about 2 KB).
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Most keys kept from one document.
const MAX_KEYS: usize = 100;
/// A key set older than this is refreshed at the next request (withdrawn keys stop working).
pub const MAX_KEY_SET_AGE: Duration = Duration::from_secs(60 * 60);

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<ParsedPublicKey>>,
    /// When the last fetch (successful or not) ended.
    fetched_at: Option<Instant>,
    /// When the keys were last replaced by a successful fetch.
    loaded_at: Option<Instant>,
    /// The last fetch's failure, answered until the next fetch is allowed.
    failure: Option<KeyFetchError>,
}

/// Fetches and caches the Forge JWKS.
#[derive(Clone)]
pub struct ForgeKeys {
    http: reqwest::Client,
    url: Arc<Url>,
    set: Arc<std::sync::RwLock<KeySet>>,
    /// One fetch at a time; waiters see its result.
    refresh: Arc<tokio::sync::Mutex<()>>,
    min_interval: Duration,
}

impl std::fmt::Debug for ForgeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgeKeys")
            .field("url", &self.url.as_str())
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

/// What the cached set says about a kid.
enum Lookup {
    Found(Arc<ParsedPublicKey>),
    /// In the set, but the set is due for a refresh: refresh it unless another request already
    /// is, in which case this key serves (no request waits for a routine refresh).
    Stale(Arc<ParsedPublicKey>),
    /// Not in the set and a fetch is allowed.
    Refresh,
    /// Not in the set and the last fetch was too recent: the answer stands.
    Settled(KeyFetchError),
}

impl ForgeKeys {
    /// A client of the JWKS at `url`, each fetch bounded by `timeout`, refetching at most once
    /// per `min_interval`.
    pub fn new(
        url: Url,
        timeout: Duration,
        min_interval: Duration,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: key_client(timeout)?,
            url: Arc::new(url),
            set: Arc::default(),
            refresh: Arc::default(),
            min_interval,
        })
    }

    /// The RS256 public key for `kid` (parsed once, when the set was fetched): from the cached set, or after one (rate-limited) refetch.
    pub async fn public_key(&self, kid: &str) -> Result<Arc<ParsedPublicKey>, KeyFetchError> {
        validate_kid(kid)?;
        let _one_at_a_time = match self.lookup(kid) {
            Lookup::Found(key) => return Ok(key),
            Lookup::Settled(error) => return Err(error),
            Lookup::Stale(key) => match self.refresh.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(key),
            },
            Lookup::Refresh => self.refresh.lock().await,
        };
        // Another request may have fetched while this one waited.
        match self.lookup(kid) {
            Lookup::Found(key) => return Ok(key),
            Lookup::Settled(error) => return Err(error),
            Lookup::Stale(_) | Lookup::Refresh => {}
        }
        let fetched = self.fetch().await;
        let mut set = self
            .set
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        set.fetched_at = Some(Instant::now());
        match fetched {
            Ok(keys) => {
                set.keys = keys;
                set.loaded_at = set.fetched_at;
                set.failure = None;
            }
            Err(error) => {
                tracing::warn!(jwks = %self.url, %error, "Forge JWKS fetch failed");
                set.failure = Some(error);
            }
        }
        match (set.keys.get(kid), &set.failure) {
            (Some(key), _) => Ok(Arc::clone(key)),
            (None, Some(failure)) => Err(failure.clone()),
            (None, None) => Err(KeyFetchError::UnknownKid),
        }
    }

    fn lookup(&self, kid: &str) -> Lookup {
        let set = self
            .set
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let stale = set
            .loaded_at
            .is_none_or(|loaded| now.duration_since(loaded) >= MAX_KEY_SET_AGE);
        let may_fetch = set
            .fetched_at
            .is_none_or(|fetched| now.duration_since(fetched) >= self.min_interval);
        match set.keys.get(kid) {
            Some(key) if stale && may_fetch => Lookup::Stale(Arc::clone(key)),
            Some(key) => Lookup::Found(Arc::clone(key)),
            None if may_fetch => Lookup::Refresh,
            None => Lookup::Settled(set.failure.clone().unwrap_or(KeyFetchError::UnknownKid)),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<ParsedPublicKey>>, KeyFetchError> {
        let source = self.url.as_str().to_owned();
        let unreachable = |error: reqwest::Error| KeyFetchError::Unreachable {
            cdn: source.clone(),
            reason: error.without_url().to_string(),
        };
        let mut response = self
            .http
            .get(self.url.as_str())
            .send()
            .await
            .map_err(unreachable)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(KeyFetchError::BadStatus {
                cdn: source,
                status: response.status().as_u16(),
            });
        }
        let invalid = || KeyFetchError::InvalidKeyDocument {
            cdn: source.clone(),
        };
        let document = read_capped(&mut response, MAX_JWKS_BYTES)
            .await
            .map_err(unreachable)?
            .ok_or_else(invalid)?;
        let set: JwkSet = serde_json::from_slice(&document).map_err(|_| invalid())?;
        let keys: HashMap<String, Arc<ParsedPublicKey>> = set
            .keys
            .iter()
            .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
            .filter(|jwk| {
                jwk.common
                    .key_algorithm
                    .is_none_or(|algorithm| algorithm == KeyAlgorithm::RS256)
            })
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                    return None;
                };
                // Parsed once here, not at every verification.
                let n = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
                let e = URL_SAFE_NO_PAD.decode(&rsa.e).ok()?;
                let key = RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                    .ok()?;
                Some((kid, Arc::new(key)))
            })
            .take(MAX_KEYS)
            .collect();
        if keys.is_empty() {
            return Err(invalid());
        }
        Ok(keys)
    }
}
