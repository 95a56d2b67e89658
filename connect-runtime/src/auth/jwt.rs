//! Decoding Connect JWTs and checking their claims.
//!
//! jsonwebtoken checks the signature, the algorithm and `exp`; the Connect-specific checks
//! (`iat` not in the future, `aud` compared without a trailing slash, `qsh`) live here because
//! jsonwebtoken has no notion of them.

use super::AuthError;
use super::query::QueryParams;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

/// The claims of a token the product sent, after verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The issuer: the tenant's clientKey.
    pub iss: String,
    /// The user's Atlassian account id, when a user is involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audience: the app's baseUrl on install tokens; optional elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// The query string hash, or `context-qsh` for context tokens.
    pub qsh: String,
    /// The `context` claim (user, issue, project...), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
}

/// The `aud` claim: a string or an array of strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `value` is one of the audiences.
    pub fn contains(&self, value: &str) -> bool {
        self.values().iter().any(|audience| audience == value)
    }

    fn values(&self) -> &[String] {
        match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Many(many) => many,
        }
    }
}

/// The header of a token, with `alg` required to be `expected`.
///
/// Runs before any key lookup, so an HS256 token never reaches the key CDN and an RS256 token
/// never reaches the tenant store. `alg: none` fails here: jsonwebtoken has no such algorithm.
pub fn header_with_algorithm(token: &str, expected: Algorithm) -> Result<Header, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
    if header.alg != expected {
        return Err(AuthError::WrongAlgorithm {
            expected: algorithm_name(expected),
        });
    }
    if header.crit.is_some() {
        return Err(AuthError::CriticalHeader);
    }
    Ok(header)
}

/// An HS256 token decoded once (header and claims), its signature not yet checked.
///
/// Only [`issuer`](Self::issuer) may be read before [`verify`](Self::verify): it names the
/// tenant whose secret must verify the token. This is the hot path of every page load and
/// webhook, so the token is split, base64-decoded and parsed exactly once (jsonwebtoken's
/// `decode` parses the header twice and the claims twice).
pub struct UnverifiedHs256<'a> {
    /// `header.payload`: what the signature covers.
    message: &'a str,
    signature: &'a str,
    claims: Claims,
}

/// The only header field the HS256 path reads.
#[derive(Deserialize)]
struct AlgorithmOnly<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
    /// Present at all: refused (no critical extension is understood here).
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// A compact JWT (`header.payload.signature`) split into its parts; nothing decoded or
/// verified yet. The one split of the HS256 and Forge Invocation Token paths.
pub(crate) struct Compact<'a> {
    /// `header.payload`: what the signature covers.
    pub(crate) message: &'a str,
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
}

impl<'a> Compact<'a> {
    /// Splits `token` at its two dots.
    pub(crate) fn split(token: &'a str) -> Result<Self, AuthError> {
        let (message, signature) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
        let (header, payload) = message.split_once('.').ok_or(AuthError::Malformed)?;
        Ok(Self {
            message,
            header,
            payload,
            signature,
        })
    }
}

/// A base64url (unpadded) segment of a token, decoded.
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, AuthError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::Malformed)
}

/// Runs `read` on a segment decoded into a stack buffer (a heap one above 1 KiB): the
/// header, claims and signature of a Connect token are read once and never kept, so the hot
/// path need not allocate for them.
fn with_decoded<T>(
    segment: &str,
    read: impl FnOnce(&[u8]) -> Result<T, AuthError>,
) -> Result<T, AuthError> {
    let mut buffer = [0u8; 1024];
    if base64::decoded_len_estimate(segment.len()) <= buffer.len() {
        let len = URL_SAFE_NO_PAD
            .decode_slice(segment, &mut buffer)
            .map_err(|_| AuthError::Malformed)?;
        read(&buffer[..len])
    } else {
        read(&decode_segment(segment)?)
    }
}

/// The HS256 headers JWT libraries write, base64url: `{"alg":"HS256","typ":"JWT"}`,
/// `{"typ":"JWT","alg":"HS256"}` (atlassian-jwt, jsonwebtoken) and `{"alg":"HS256"}`. A token
/// with one of them needs no header decoding.
const STANDARD_HS256_HEADERS: [&str; 3] = [
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
    "eyJhbGciOiJIUzI1NiJ9",
];

/// Requires a (decoded) HS256 header with no critical extension.
fn check_hs256_header(header: &str) -> Result<(), AuthError> {
    with_decoded(header, |header| {
        let header: AlgorithmOnly<'_> =
            serde_json::from_slice(header).map_err(|_| AuthError::Malformed)?;
        // Before any tenant lookup: `none`, RS256 and the rest never reach the store.
        if header.alg != "HS256" {
            return Err(AuthError::WrongAlgorithm { expected: "HS256" });
        }
        if header.crit.is_some() {
            return Err(AuthError::CriticalHeader);
        }
        Ok(())
    })
}

impl<'a> UnverifiedHs256<'a> {
    /// Splits `token` into its three parts, requires `alg: HS256`, decodes the claims.
    pub fn parse(token: &'a str) -> Result<Self, AuthError> {
        let Compact {
            message,
            header,
            payload,
            signature,
        } = Compact::split(token)?;
        // The usual headers are known without decoding them; any other is decoded and checked.
        if !STANDARD_HS256_HEADERS.contains(&header) {
            check_hs256_header(header)?;
        }
        let claims = with_decoded(payload, |payload| {
            serde_json::from_slice(payload)
                .map_err(|_| AuthError::InvalidClaims("iss, iat, exp and qsh are required"))
        })?;
        Ok(Self {
            message,
            signature,
            claims,
        })
    }

    /// The unverified `iss`: only for finding the secret that must verify the token.
    pub fn issuer(&self) -> &str {
        &self.claims.iss
    }

    /// Checks the signature with `secret` (constant time), then `exp` and `iat` within
    /// `leeway_secs`; the claims are trustworthy only from here.
    pub fn verify(self, secret: &[u8], leeway_secs: u64) -> Result<Claims, AuthError> {
        let key = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| AuthError::Malformed)?;
        self.verify_with(&key, leeway_secs)
    }

    /// [`verify`](Self::verify) with the secret's HMAC key state already derived (a cached
    /// tenant keeps it).
    pub fn verify_with(self, key: &Hmac<Sha256>, leeway_secs: u64) -> Result<Claims, AuthError> {
        let mut mac = key.clone();
        mac.update(self.message.as_bytes());
        // `verify_slice` compares in constant time.
        with_decoded(self.signature, |signature| {
            mac.verify_slice(signature)
                .map_err(|_| AuthError::InvalidSignature)
        })?;
        let now = unix_now();
        let leeway = i64::try_from(leeway_secs).unwrap_or(i64::MAX);
        if self.claims.exp.saturating_add(leeway) < now {
            return Err(AuthError::Expired);
        }
        self.claims.check_issued_at(now, leeway_secs)?;
        Ok(self.claims)
    }
}

/// Verifies signature, algorithm and `exp` (with `leeway_secs`) and the `iat` bound.
pub fn verify(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    leeway_secs: u64,
) -> Result<Claims, AuthError> {
    let mut validation = Validation::new(algorithm);
    validation.leeway = leeway_secs;
    validation.validate_exp = true;
    // `aud` is compared by `Claims::check_audience`, which normalises trailing slashes.
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss"]);
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map_err(|error| map_error(error.kind()))?
        .claims;
    claims.check_issued_at(unix_now(), leeway_secs)?;
    Ok(claims)
}

impl Claims {
    /// `iat` must not be in the future beyond the leeway.
    pub fn check_issued_at(&self, now: i64, leeway_secs: u64) -> Result<(), AuthError> {
        let leeway = i64::try_from(leeway_secs).unwrap_or(i64::MAX);
        if self.iat > now.saturating_add(leeway) {
            return Err(AuthError::IssuedInFuture);
        }
        Ok(())
    }

    /// `aud` must be present and contain one of `accepted` (compared without a trailing slash).
    pub fn check_audience(&self, accepted: &[String]) -> Result<(), AuthError> {
        let audience = self.aud.as_ref().ok_or(AuthError::WrongAudience)?;
        let matches = audience.values().iter().any(|aud| {
            let aud = aud.trim_end_matches('/');
            accepted.iter().any(|ok| ok.trim_end_matches('/') == aud)
        });
        if matches {
            Ok(())
        } else {
            Err(AuthError::WrongAudience)
        }
    }

    /// `qsh` must be the hash of `method`, `path` and `query` relative to `base_path`. Checked
    /// after the signature, so `qsh` is authentic and not secret: a plain comparison is enough
    /// (made from a stack buffer: this runs on every verified request).
    pub(crate) fn check_qsh(
        &self,
        method: &str,
        path: &str,
        query: &QueryParams,
        base_path: &str,
    ) -> Result<(), AuthError> {
        if super::qsh::params_hash_matches(method, path, query, base_path, &self.qsh) {
            Ok(())
        } else {
            Err(AuthError::QshMismatch)
        }
    }

    /// Whether this is a context token from `AP.context.getToken()`.
    pub fn is_context_token(&self) -> bool {
        self.qsh == super::qsh::CONTEXT_QSH
    }
}

fn map_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidAlgorithm => AuthError::WrongAlgorithm { expected: "signed" },
        ErrorKind::MissingRequiredClaim(_) => {
            AuthError::InvalidClaims("a required claim is missing")
        }
        ErrorKind::Json(_) => AuthError::InvalidClaims("iss, iat, exp and qsh are required"),
        _ => AuthError::Malformed,
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        _ => "other",
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(aud: Option<Audience>) -> Claims {
        Claims {
            iss: "tenant".into(),
            sub: None,
            aud,
            exp: 2,
            iat: 1,
            qsh: "abc".into(),
            context: None,
        }
    }

    #[test]
    fn audience_ignores_trailing_slash_and_accepts_arrays() {
        let accepted = vec!["https://app.example.com".to_owned()];
        assert!(
            claims(Some(Audience::One("https://app.example.com/".into())))
                .check_audience(&accepted)
                .is_ok()
        );
        assert!(
            claims(Some(Audience::Many(vec![
                "other".into(),
                "https://app.example.com".into()
            ])))
            .check_audience(&accepted)
            .is_ok()
        );
        assert!(
            claims(Some(Audience::One("https://evil.example.com".into())))
                .check_audience(&accepted)
                .is_err()
        );
        assert!(claims(None).check_audience(&accepted).is_err());
    }

    #[test]
    fn issued_at_allows_leeway_only() {
        let c = claims(None);
        assert!(c.check_issued_at(0, 1).is_ok());
        assert!(c.check_issued_at(0, 0).is_err());
    }

    fn hs256(claims: serde_json::Value, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn page_claims(exp_offset: i64) -> serde_json::Value {
        let now = unix_now();
        serde_json::json!({"iss": "tenant", "iat": now, "exp": now + exp_offset, "qsh": "abc"})
    }

    #[test]
    fn hs256_tokens_verify_once_decoded() {
        let token = hs256(page_claims(60), b"secret");
        let unverified = UnverifiedHs256::parse(&token).unwrap();
        assert_eq!(unverified.issuer(), "tenant");
        assert_eq!(unverified.verify(b"secret", 0).unwrap().qsh, "abc");
    }

    #[test]
    fn the_headers_taken_without_decoding_are_plain_hs256_headers() {
        for header in STANDARD_HS256_HEADERS {
            let decoded: serde_json::Value =
                serde_json::from_slice(&decode_segment(header).unwrap()).unwrap();
            assert_eq!(decoded["alg"], "HS256");
            assert!(decoded.get("crit").is_none());
            assert!(check_hs256_header(header).is_ok());
        }
        // jsonwebtoken's own HS256 header is one of them.
        let token = hs256(page_claims(60), b"secret");
        assert!(STANDARD_HS256_HEADERS.contains(&token.split('.').next().unwrap()));
    }

    #[test]
    fn claims_of_every_size_decode_on_the_stack_or_the_heap_alike() {
        // Around the 1 KiB stack buffer and well above it: the same answer either way.
        for filler in [0, 700, 740, 760, 780, 5000] {
            let mut claims = page_claims(60);
            claims["context"] = serde_json::json!({"filler": "x".repeat(filler)});
            let token = hs256(claims, b"secret");
            let verified = UnverifiedHs256::parse(&token)
                .and_then(|unverified| unverified.verify(b"secret", 0))
                .unwrap_or_else(|error| panic!("filler {filler}: {error}"));
            assert_eq!(
                verified.context.unwrap()["filler"].as_str().unwrap().len(),
                filler
            );
            let last = if token.ends_with('A') { 'B' } else { 'A' };
            let tampered = format!("{}{last}", &token[..token.len() - 1]);
            assert!(
                UnverifiedHs256::parse(&tampered)
                    .and_then(|unverified| unverified.verify(b"secret", 0))
                    .is_err()
            );
        }
    }

    #[test]
    fn hs256_refusals_from_the_attackers_side() {
        let token = hs256(page_claims(60), b"secret");
        let refused = |token: &str, secret: &[u8]| {
            UnverifiedHs256::parse(token).and_then(|unverified| unverified.verify(secret, 5))
        };
        assert!(matches!(
            refused(&token, b"guess"),
            Err(AuthError::InvalidSignature)
        ));
        // Claims swapped under a valid header and signature.
        let (header, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"iss": "other", "iat": 0, "exp": i64::MAX / 2, "qsh": "abc"})
                .to_string(),
        );
        assert!(matches!(
            refused(&format!("{header}.{forged_claims}.{signature}"), b"secret"),
            Err(AuthError::InvalidSignature)
        ));
        // `alg: none` and RS256 headers are refused before any secret is looked up.
        for alg in ["none", "RS256", "HS512"] {
            let header = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"));
            let forged = format!("{header}.{}.", token.split('.').nth(1).unwrap());
            assert!(
                matches!(
                    UnverifiedHs256::parse(&forged),
                    Err(AuthError::WrongAlgorithm { .. })
                ),
                "{alg}"
            );
        }
        assert!(matches!(
            refused(&hs256(page_claims(-60), b"secret"), b"secret"),
            Err(AuthError::Expired)
        ));
        // A `crit` header, even correctly signed, is refused (RFC 7515 §4.1.11).
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".into()]);
        let critical = jsonwebtoken::encode(
            &header,
            &page_claims(60),
            &jsonwebtoken::EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert!(matches!(
            refused(&critical, b"secret"),
            Err(AuthError::CriticalHeader)
        ));
        assert!(matches!(
            refused("not-a-token", b"secret"),
            Err(AuthError::Malformed)
        ));
        assert!(matches!(
            refused(
                &hs256(serde_json::json!({"iss": "tenant"}), b"secret"),
                b"secret"
            ),
            Err(AuthError::InvalidClaims(_))
        ));
    }

    #[test]
    fn qsh_comparison_is_exact() {
        let hash = super::super::qsh::query_string_hash("GET", "/p", "a=1", "");
        let with = |qsh: &str| Claims {
            qsh: qsh.to_owned(),
            ..claims(None)
        };
        let query = |raw: &str| QueryParams::parse(raw.to_owned());
        assert!(
            with(&hash)
                .check_qsh("GET", "/p", &query("a=1"), "")
                .is_ok()
        );
        assert!(
            with(&hash)
                .check_qsh("GET", "/p", &query("a=2"), "")
                .is_err()
        );
        assert!(
            with(&hash[..63])
                .check_qsh("GET", "/p", &query("a=1"), "")
                .is_err()
        );
    }
}
