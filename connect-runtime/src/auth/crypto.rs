//! The one crypto backend of token signing and verification: aws-lc-rs (jsonwebtoken's
//! `aws_lc_rs` feature), about seven times faster at RS256 verification than the pure-Rust
//! backend (`bench/run.sh`, BENCHMARKS.md).
//!
//! jsonwebtoken picks its backend from its crate features, and panics at the first token when
//! both of its backends are enabled (as a dependency elsewhere in an app's tree can do) and no
//! provider was installed. The framework installs aws-lc-rs explicitly before it builds an
//! app; a provider the app installed itself is kept.

use std::sync::Once;

/// Installs the aws-lc-rs provider as jsonwebtoken's process default, once; keeps a provider
/// the process already installed.
pub fn install_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_provider_is_installed_explicitly() {
        super::install_provider();
        // Installed: a second install is refused, whatever the crate features are.
        assert!(
            jsonwebtoken::crypto::CryptoProvider::install_default(
                &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
            )
            .is_err()
        );
    }
}
