//! Forge Containers: the rules of a manifest's `services` (service and container keys, image
//! tags, the CPU/memory pairs Forge allows, health routes, scaling), from the `@forge/manifest`
//! 13.7.0 schema and Atlassian's containers reference.

use super::ForgeError;

/// The CPU/memory pairs a container may reserve (Atlassian's containers reference).
pub const RESOURCE_PAIRS: [(&str, &str); 9] = [
    ("4000m", "16Gi"),
    ("4000m", "8Gi"),
    ("2000m", "4Gi"),
    ("1000m", "2Gi"),
    ("500m", "1Gi"),
    ("250m", "512Mi"),
    ("125m", "256Mi"),
    ("60m", "128Mi"),
    ("30m", "64Mi"),
];

/// What a container reserves: one of [`RESOURCE_PAIRS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerResources {
    cpu: &'static str,
    memory: &'static str,
}

impl Default for ContainerResources {
    /// 250m CPU and 512Mi memory.
    fn default() -> Self {
        Self {
            cpu: "250m",
            memory: "512Mi",
        }
    }
}

impl ContainerResources {
    /// The pair `cpu`/`memory` (`"500m"`, `"1Gi"`), if Forge allows it.
    ///
    /// ```
    /// use connect_descriptor::forge::container::ContainerResources;
    /// assert!(ContainerResources::new("500m", "1Gi").is_ok());
    /// assert!(ContainerResources::new("500m", "2Gi").is_err());
    /// ```
    pub fn new(cpu: &str, memory: &str) -> Result<Self, ForgeError> {
        RESOURCE_PAIRS
            .iter()
            .find(|(c, m)| *c == cpu && *m == memory)
            .map(|(cpu, memory)| Self { cpu, memory })
            .ok_or_else(|| ForgeError::ContainerResources(format!("{cpu}/{memory}")))
    }

    /// The CPU reservation.
    pub fn cpu(&self) -> &'static str {
        self.cpu
    }

    /// The memory reservation.
    pub fn memory(&self) -> &'static str {
        self.memory
    }
}

/// Checks a service or container key: `^[a-z]([a-z0-9-]{0,23}[a-z0-9])?$`.
///
/// ```
/// use connect_descriptor::forge::container::check_service_key;
/// assert!(check_service_key("notes").is_ok());
/// assert!(check_service_key("Notes").is_err());
/// assert!(check_service_key("notes-").is_err());
/// ```
pub fn check_service_key(key: &str) -> Result<(), ForgeError> {
    let bytes = key.as_bytes();
    let valid = (1..=25).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.last().is_some_and(|b| *b != b'-');
    if valid {
        Ok(())
    } else {
        Err(ForgeError::ServiceKey(key.to_owned()))
    }
}

/// Checks an image tag: `^[a-zA-Z0-9]([a-zA-Z0-9-_.]{0,125}[a-zA-Z0-9])?$`, and not `latest`
/// (Forge's tags are immutable, and it refuses `latest`).
///
/// ```
/// use connect_descriptor::forge::container::check_image_tag;
/// assert!(check_image_tag("1.4.0").is_ok());
/// assert!(check_image_tag("latest").is_err());
/// assert!(check_image_tag("-dev").is_err());
/// ```
pub fn check_image_tag(tag: &str) -> Result<(), ForgeError> {
    let bytes = tag.as_bytes();
    let edge = |b: &u8| b.is_ascii_alphanumeric();
    let valid = (1..=127).contains(&bytes.len())
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && tag != "latest";
    if valid {
        Ok(())
    } else {
        Err(ForgeError::ImageTag(tag.to_owned()))
    }
}

/// Checks a health route: `/` or `/segment/...` of `a-z A-Z 0-9 - _`.
pub fn check_health_path(path: &str) -> Result<(), ForgeError> {
    let valid = path == "/"
        || (path.starts_with('/')
            && path[1..]
                .split('/')
                .all(|segment| super::is_word(segment, usize::MAX)));
    if valid {
        Ok(())
    } else {
        Err(ForgeError::HealthPath(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tags_and_paths() {
        assert!(check_service_key(&"a".repeat(25)).is_ok());
        assert!(check_service_key(&"a".repeat(26)).is_err());
        assert!(check_service_key("1notes").is_err());
        assert!(check_image_tag(&"a".repeat(127)).is_ok());
        assert!(check_image_tag(&"a".repeat(128)).is_err());
        assert!(check_image_tag("v1+build").is_err());
        assert!(check_health_path("/healthz").is_ok());
        assert!(check_health_path("/").is_ok());
        assert!(check_health_path("/health/").is_err());
        assert!(check_health_path("healthz").is_err());
        assert_eq!(ContainerResources::default().cpu(), "250m");
    }
}
