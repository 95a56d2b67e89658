//! The rules of who may talk to the app: host rules for tenants' baseUrls and Forge API hosts,
//! and the one transport rule for URLs that carry or vouch for secrets.

use super::ConfigError;
use url::Url;

/// A rule for the host of a tenant's baseUrl: `.atlassian.net` matches any subdomain,
/// `127.0.0.1` matches exactly that host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRule {
    /// The host must end with this suffix (which starts with a dot).
    Suffix(String),
    /// The host must equal this.
    Exact(String),
}

impl HostRule {
    /// Parses `.suffix` or `host` (of `CONNECT_ALLOWED_TENANT_HOSTS`).
    pub fn parse(rule: &str) -> Result<Self, ConfigError> {
        Self::parse_for("CONNECT_ALLOWED_TENANT_HOSTS", rule)
    }

    /// Parses `.suffix` or `host` of `variable`, whose errors name it.
    pub fn parse_for(variable: &'static str, rule: &str) -> Result<Self, ConfigError> {
        let rule = rule.trim().to_ascii_lowercase();
        if rule.is_empty() || rule == "." || rule.contains(['/', ':', '*', ' ']) {
            return Err(ConfigError::new(
                variable,
                format!("`{rule}` is not a host or a `.suffix` (example: `.atlassian.net`)"),
            ));
        }
        Ok(if rule.starts_with('.') {
            HostRule::Suffix(rule)
        } else {
            HostRule::Exact(rule)
        })
    }

    /// Whether `host` (lower case) satisfies this rule.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostRule::Suffix(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
            HostRule::Exact(exact) => host == exact,
        }
    }
}

/// Whether `url` is `https` on some host, or plain `http` on a loopback host (`127.0.0.0/8`,
/// `::1`, `localhost`): the one transport rule for URLs that carry or vouch for secrets
/// (tenant baseUrls, key sets, Forge API bases), with `http` left for local tests.
pub fn https_or_loopback_http(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback,
        _ => false,
    }
}
