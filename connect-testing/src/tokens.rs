//! Signing Connect JWTs the way the product does, with every claim overridable.

use connect_runtime::__private::qsh;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Map, Value, json};

/// An RSA key pair with a `kid`, like the install signer's.
pub struct KeyPair {
    kid: String,
    encoding_key: EncodingKey,
    private_pem: String,
    public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("kid", &self.kid)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

impl KeyPair {
    /// A fresh 2048-bit key pair named `kid`.
    pub fn generate(kid: impl Into<String>) -> Self {
        connect_runtime::__private::install_provider();
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .expect("RSA key generation failed");
        let private_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .expect("PKCS#8 encoding failed");
        Self::from_private_pem(kid, &private_pem).expect("jsonwebtoken rejected the generated key")
    }

    /// A key pair from a PKCS#8 private key PEM (as saved by [`KeyPair::private_pem`]).
    pub fn from_private_pem(kid: impl Into<String>, private_pem: &str) -> Result<Self, String> {
        use rsa::pkcs8::DecodePrivateKey;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|e| e.to_string())?;
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            kid: kid.into(),
            encoding_key: EncodingKey::from_rsa_pem(private_pem.as_bytes())
                .map_err(|e| e.to_string())?,
            private_pem: private_pem.to_owned(),
            public_pem,
        })
    }

    /// The private key as PKCS#8 PEM, to persist a simulated site between runs.
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as the key CDN serves it.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }
}

/// The claims of a token to sign. Start from [`TokenSpec::for_request`] or
/// [`TokenSpec::context`] and override what a test needs broken.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    /// All claims, as JSON.
    pub claims: Map<String, Value>,
    /// Extra header fields (`kid` is set by [`TokenSpec::sign_rs256`]).
    pub kid_override: Option<String>,
}

/// Seconds since the Unix epoch, as tokens count time (`iat`, `exp`): for claims a test sets
/// itself.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl TokenSpec {
    /// A token for one request: `iss`, `iat` now, `exp` in 180 s, `qsh` of `method` and
    /// `target` (`/path?query`) relative to `base_path`.
    pub fn for_request(iss: &str, method: &str, target: &str, base_path: &str) -> Self {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(iss));
        claims.insert("iat".into(), json!(unix_now()));
        claims.insert("exp".into(), json!(unix_now() + 180));
        claims.insert(
            "qsh".into(),
            json!(qsh::query_string_hash_of_target(method, target, base_path)),
        );
        Self {
            claims,
            kid_override: None,
        }
    }

    /// A context token as `AP.context.getToken()` returns: `qsh = "context-qsh"`, `sub` the user.
    pub fn context(iss: &str, account_id: &str) -> Self {
        let mut spec = Self::for_request(iss, "GET", "/", "");
        spec.claims.insert("qsh".into(), json!(qsh::CONTEXT_QSH));
        spec.claims.insert("sub".into(), json!(account_id));
        spec.claims
            .insert("context".into(), json!({"user": {"accountId": account_id}}));
        spec
    }

    /// A token with exactly `claims` (a JSON object; anything else gives no claims).
    pub fn from_claims(claims: Value) -> Self {
        Self {
            claims: match claims {
                Value::Object(claims) => claims,
                _ => Map::new(),
            },
            kid_override: None,
        }
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Uses `kid` in the header instead of the key pair's own.
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid_override = Some(kid.to_owned());
        self
    }

    /// Signs HS256 with `secret`, as the product signs page loads, webhooks and enable events.
    pub fn sign_hs256(&self, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &self.claims,
            &EncodingKey::from_secret(secret),
        )
        .expect("HS256 signing failed")
    }

    /// Signs RS256 with `keys`, `kid` in the header, as the product signs install events.
    pub fn sign_rs256(&self, keys: &KeyPair) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(
            self.kid_override
                .clone()
                .unwrap_or_else(|| keys.kid.clone()),
        );
        jsonwebtoken::encode(&header, &self.claims, &keys.encoding_key)
            .expect("RS256 signing failed")
    }

    /// An unsigned `alg: none` token with these claims (what an attacker sends).
    pub fn unsigned(&self) -> String {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = engine.encode(serde_json::to_vec(&self.claims).unwrap_or_default());
        format!("{header}.{body}.")
    }
}
