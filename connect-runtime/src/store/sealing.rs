//! Shared secrets sealed at rest with `CONNECT_SECRET_KEY` (XChaCha20-Poly1305, a random
//! 192-bit nonce per write), so a copied database file or dump holds no usable secret.
//!
//! A sealed value is `sealed:v1:` + base64(nonce ‖ ciphertext ‖ tag). Rows written before a
//! key was set stay plaintext and readable; each is sealed the next time it is saved (a
//! reinstall). Rotation: set the new key as `CONNECT_SECRET_KEY` and the old one as
//! `CONNECT_SECRET_KEY_PREVIOUS`; rows sealed with either open, and every save seals with the
//! new one. A key that opens no sealed row is refused when the store opens, so a wrong key is a
//! start-up error rather than a stream of 401s.

use super::StoreError;
use crate::config::SealingKeys;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;

/// Seals and opens shared secrets. `Debug` shows no key.
#[derive(Clone)]
pub struct SecretSealer {
    current: XChaCha20Poly1305,
    previous: Option<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer([REDACTED])")
    }
}

impl SecretSealer {
    /// A sealer with `keys`.
    pub fn new(keys: &SealingKeys) -> Self {
        Self {
            current: XChaCha20Poly1305::new(keys.current().into()),
            previous: keys
                .previous()
                .map(|key| XChaCha20Poly1305::new(key.into())),
        }
    }

    /// Whether a stored value is sealed (rather than a plaintext row from before the key).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// The stored form of `secret`, sealed with the current key.
    pub fn seal(&self, secret: &SecretString) -> Result<String, StoreError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .current
            .encrypt(&nonce, secret.expose_secret().as_bytes())
            .map_err(|_| StoreError::Corrupt("sealing a shared secret failed".into()))?;
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// The secret of a stored value: sealed values opened with the current or the previous
    /// key, plaintext ones (written before the key was set) as they are.
    pub fn open(&self, stored: &str) -> Result<SecretString, StoreError> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(SecretString::from(stored.to_owned()));
        };
        let wrong_key = || {
            StoreError::Corrupt(
                "a shared secret does not open with CONNECT_SECRET_KEY (or CONNECT_SECRET_KEY_PREVIOUS): wrong key?"
                    .into(),
            )
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| wrong_key())?;
        if bytes.len() <= NONCE_BYTES {
            return Err(wrong_key());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| wrong_key())?;
        let nonce = XNonce::from(nonce);
        let plain = self
            .current
            .decrypt(&nonce, sealed)
            .or_else(|_| match &self.previous {
                Some(previous) => previous.decrypt(&nonce, sealed),
                None => Err(chacha20poly1305::aead::Error),
            })
            .map_err(|_| wrong_key())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| wrong_key())
    }
}

/// The stored form of `secret`: sealed with `sealer`, or plaintext without one.
pub(crate) fn store_form(
    sealer: Option<&SecretSealer>,
    secret: &SecretString,
) -> Result<String, StoreError> {
    match sealer {
        Some(sealer) => sealer.seal(secret),
        None => Ok(secret.expose_secret().to_owned()),
    }
}

/// The secret of a stored value: opened with `sealer`; a sealed value without one is an error
/// saying what to set.
pub(crate) fn from_store_form(
    sealer: Option<&SecretSealer>,
    stored: String,
) -> Result<SecretString, StoreError> {
    match sealer {
        Some(sealer) => sealer.open(&stored),
        None if SecretSealer::is_sealed(&stored) => Err(StoreError::Corrupt(
            "the shared secrets are sealed: set CONNECT_SECRET_KEY to the key that sealed them"
                .into(),
        )),
        None => Ok(SecretString::from(stored)),
    }
}

/// The start-up check: `sample` is one stored secret value (if any row exists). A sealed one
/// must open with the configured keys, and must not be there without a key.
pub(crate) fn check_keys(
    sealer: Option<&SecretSealer>,
    sample: Option<String>,
) -> Result<(), StoreError> {
    match sample {
        Some(stored) if SecretSealer::is_sealed(&stored) => {
            from_store_form(sealer, stored).map(drop)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(current: u8, previous: Option<u8>) -> SealingKeys {
        SealingKeys::from_bytes([current; 32], previous.map(|byte| [byte; 32]))
    }

    #[test]
    fn sealed_secrets_open_and_never_show_the_plaintext() {
        let sealer = SecretSealer::new(&keys(1, None));
        let secret = SecretString::from("shared-secret-value".to_owned());
        let sealed = sealer.seal(&secret).unwrap();
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("shared-secret-value"));
        assert_ne!(
            sealed,
            sealer.seal(&secret).unwrap(),
            "a random nonce per write"
        );
        assert_eq!(
            sealer.open(&sealed).unwrap().expose_secret(),
            "shared-secret-value"
        );
        assert_eq!(format!("{sealer:?}"), "SecretSealer([REDACTED])");
    }

    #[test]
    fn plaintext_rows_stay_readable_and_wrong_keys_are_errors() {
        let sealer = SecretSealer::new(&keys(1, None));
        assert_eq!(
            sealer.open("legacy-plain").unwrap().expose_secret(),
            "legacy-plain"
        );
        let sealed = sealer.seal(&SecretString::from("s".to_owned())).unwrap();
        let other = SecretSealer::new(&keys(2, None));
        assert!(other.open(&sealed).is_err());
        assert!(check_keys(Some(&other), Some(sealed.clone())).is_err());
        assert!(
            check_keys(None, Some(sealed.clone())).is_err(),
            "sealed rows need a key"
        );
        assert!(check_keys(Some(&sealer), Some(sealed)).is_ok());
        assert!(sealer.open("sealed:v1:not base64!").is_err());
    }

    #[test]
    fn rotation_opens_rows_sealed_with_the_previous_key() {
        let old = SecretSealer::new(&keys(1, None));
        let sealed_before = old.seal(&SecretString::from("s".to_owned())).unwrap();
        let rotated = SecretSealer::new(&keys(2, Some(1)));
        assert_eq!(rotated.open(&sealed_before).unwrap().expose_secret(), "s");
        let sealed_after = rotated.seal(&SecretString::from("s".to_owned())).unwrap();
        assert!(
            old.open(&sealed_after).is_err(),
            "new writes use the new key"
        );
        let new_only = SecretSealer::new(&keys(2, None));
        assert!(new_only.open(&sealed_after).is_ok());
    }
}
