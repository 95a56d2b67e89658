//! Container mode: what Forge injects into a container service (`SERVER_PORT`,
//! `FORGE_EGRESS_PROXY_URL`, `FORGE_APP_ARI`), read only when the mode is asked for
//! (`serve --container` or `FORGE_CONTAINER=1`), and refused when incomplete.

use super::ConfigError;
use super::env::Env;
use connect_descriptor::ForgeAppId;
use url::Url;

/// What a Forge Container needs from its environment.
#[derive(Debug, Clone)]
pub struct ContainerEnv {
    /// `SERVER_PORT`: where the sidecar sends invocations (it wins over `PORT`).
    pub port: u16,
    /// `FORGE_EGRESS_PROXY_URL`: where every outbound call goes.
    pub egress_proxy: Url,
    /// `FORGE_APP_ID`, else the injected `FORGE_APP_ARI`.
    pub app_id: ForgeAppId,
}

impl ContainerEnv {
    /// Whether the environment asks for container mode: `FORGE_CONTAINER` is `1` or `true`
    /// (for images, whose command line is fixed).
    pub fn requested_by_env() -> bool {
        Self::requested_by(|name| std::env::var(name).ok())
    }

    /// [`requested_by_env`](Self::requested_by_env) through `lookup`.
    pub fn requested_by(lookup: impl Fn(&str) -> Option<String>) -> bool {
        lookup("FORGE_CONTAINER")
            .is_some_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "true"))
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`. Every missing variable is named in one error, so
    /// a misconfigured image fails its first start with the whole list.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let mut missing = Vec::new();
        if env.get("SERVER_PORT").is_none() {
            missing.push("SERVER_PORT");
        }
        if env.get("FORGE_EGRESS_PROXY_URL").is_none() {
            missing.push("FORGE_EGRESS_PROXY_URL");
        }
        if env.get("FORGE_APP_ID").is_none() && env.get("FORGE_APP_ARI").is_none() {
            missing.push("FORGE_APP_ARI");
        }
        if let Some(first) = missing.first() {
            return Err(ConfigError::new(
                first,
                format!(
                    "container mode needs {} (Forge sets them in a container service; set them yourself to run the image elsewhere)",
                    missing.join(", ")
                ),
            ));
        }
        let port = env
            .number("SERVER_PORT", "a port number, e.g. 8080")?
            .and_then(|port| u16::try_from(port).ok())
            .filter(|port| *port != 0)
            .ok_or_else(|| ConfigError::new("SERVER_PORT", "expected a port number, e.g. 8080"))?;
        let egress_proxy = env
            .url("FORGE_EGRESS_PROXY_URL")?
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| ConfigError::new("FORGE_EGRESS_PROXY_URL", "expected an http(s) URL"))?;
        let (variable, value) = match env.get("FORGE_APP_ID") {
            Some(id) => ("FORGE_APP_ID", id),
            None => (
                "FORGE_APP_ARI",
                env.get("FORGE_APP_ARI").unwrap_or_default(),
            ),
        };
        let app_id = ForgeAppId::parse(value.trim())
            .map_err(|error| ConfigError::new(variable, error.to_string()))?;
        Ok(Self {
            port,
            egress_proxy,
            app_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const APP: &str = "ari:cloud:ecosystem::app/0f6a3a3e-7d1b-4c55-9b1f-3f5f0c8e2a11";

    fn read(vars: &[(&str, &str)]) -> Result<ContainerEnv, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ContainerEnv::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn every_missing_variable_is_named() {
        let error = read(&[("PORT", "3000")]).unwrap_err();
        assert_eq!(error.variable, "SERVER_PORT");
        for name in ["SERVER_PORT", "FORGE_EGRESS_PROXY_URL", "FORGE_APP_ARI"] {
            assert!(error.reason.contains(name), "{error}");
        }
        let error = read(&[("SERVER_PORT", "8080"), ("FORGE_APP_ARI", APP)]).unwrap_err();
        assert_eq!(error.variable, "FORGE_EGRESS_PROXY_URL");
    }

    #[test]
    fn the_injected_ari_or_the_app_id() {
        let settings = read(&[
            ("SERVER_PORT", "8080"),
            ("PORT", "3000"),
            ("FORGE_EGRESS_PROXY_URL", "http://127.0.0.1:7072"),
            ("FORGE_APP_ARI", APP),
        ])
        .unwrap();
        assert_eq!(settings.port, 8080);
        assert_eq!(settings.app_id.as_str(), APP);
        assert!(
            read(&[
                ("SERVER_PORT", "8080"),
                ("FORGE_EGRESS_PROXY_URL", "http://127.0.0.1:7072"),
                ("FORGE_APP_ARI", "not-an-ari"),
            ])
            .is_err()
        );
        assert!(
            read(&[
                ("SERVER_PORT", "0"),
                ("FORGE_EGRESS_PROXY_URL", "http://127.0.0.1:7072"),
                ("FORGE_APP_ID", APP),
            ])
            .is_err()
        );
        assert!(
            read(&[
                ("SERVER_PORT", "8080"),
                ("FORGE_EGRESS_PROXY_URL", "ftp://proxy"),
                ("FORGE_APP_ID", APP),
            ])
            .is_err()
        );
    }

    #[test]
    fn the_mode_is_asked_for_explicitly() {
        for (value, on) in [("1", true), ("true", true), ("0", false), ("", false)] {
            assert_eq!(
                ContainerEnv::requested_by(|_| Some(value.to_owned())),
                on,
                "{value:?}"
            );
        }
        assert!(!ContainerEnv::requested_by(|_| None));
    }
}
