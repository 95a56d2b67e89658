//! The simulated site between invocations: `connect-sim.json` in the current directory.
//!
//! It holds the site's signing key (a throwaway test key, written with owner-only permissions),
//! the key CDN port, the app's URL and the tenant (clientKey, baseUrl, shared secret), so
//! `install`, `page` and `uninstall` run as one site across separate commands.

use anyhow::Context as _;
use connect_testing::{KeyPair, Site};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The state file name.
pub const FILE: &str = "connect-sim.json";

/// Writes `bytes` to `path`, readable by the owner only on Unix (created so, never briefly
/// world-readable): state files hold private keys and shared secrets.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        // A file created by an older version may be wider: narrow it.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

/// What `connect-sim` remembers.
#[derive(Serialize, Deserialize)]
pub struct State {
    /// The install signer's key id.
    pub kid: String,
    /// The install signer's private key (PKCS#8 PEM).
    pub private_key_pem: String,
    /// Where the key CDN listens while lifecycle events are sent.
    pub cdn_port: u16,
    /// Where the app listens (with its mount path, if any).
    pub app_url: String,
    /// The simulated tenant.
    pub site: Site,
    /// Where `serve` answers the site's REST API, when installed with `--rest-port`.
    #[serde(default)]
    pub rest_port: Option<u16>,
}

impl State {
    /// The state file in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Loads the state, or explains how to create it.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no simulated site here ({}): run `connect-sim install APP_URL` first",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a connect-sim state file", path.display()))
    }

    /// Writes the state (owner-only on Unix: it holds a private key and a shared secret).
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        write_private(&Self::path(dir), &serde_json::to_vec_pretty(self)?)
    }

    /// The site's name (`acme` of `https://acme.atlassian.net`, whose clientKey is
    /// `acme-client-key`), also for sites served on 127.0.0.1.
    pub fn site_name(&self) -> &str {
        self.site
            .client_key
            .strip_suffix("-client-key")
            .unwrap_or(&self.site.client_key)
    }

    /// The signing key pair.
    pub fn keys(&self) -> anyhow::Result<KeyPair> {
        KeyPair::from_private_pem(self.kid.clone(), &self.private_key_pem)
            .map_err(|error| anyhow::anyhow!("the key in {FILE} is unreadable: {error}"))
    }
}
