//! The environment as configuration reads it: a blank variable counts as unset, and every value
//! is parsed with an error that names its variable and says what is expected.

use super::{ConfigError, HostRule};
use std::time::Duration;
use url::Url;

/// A lookup of variables (the process environment, or a map in tests).
pub(crate) struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Env<'a> {
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self(lookup)
    }

    /// The value of `name`, unless unset or blank.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }

    /// Whether `name` is set but blank.
    pub(crate) fn is_blank(&self, name: &str) -> bool {
        (self.0)(name).is_some_and(|value| value.trim().is_empty())
    }

    /// A whole number; `expected` says what, e.g. "a count, e.g. 16".
    pub(crate) fn number(
        &self,
        name: &'static str,
        expected: &str,
    ) -> Result<Option<u64>, ConfigError> {
        self.get(name)
            .map(|value| number(name, &value, expected))
            .transpose()
    }

    /// A count of at least 1 (0 reads as 1).
    pub(crate) fn count(
        &self,
        name: &'static str,
        expected: &str,
    ) -> Result<Option<usize>, ConfigError> {
        Ok(self
            .number(name, expected)?
            .map(|count| usize::try_from(count).unwrap_or(usize::MAX).max(1)))
    }

    /// Whole seconds.
    pub(crate) fn secs(
        &self,
        name: &'static str,
        example: &str,
    ) -> Result<Option<Duration>, ConfigError> {
        Ok(self
            .number(name, &format!("whole seconds, e.g. {example}"))?
            .map(Duration::from_secs))
    }

    /// Milliseconds.
    pub(crate) fn millis(
        &self,
        name: &'static str,
        example: &str,
    ) -> Result<Option<Duration>, ConfigError> {
        Ok(self
            .number(name, &format!("milliseconds, e.g. {example}"))?
            .map(Duration::from_millis))
    }

    /// An absolute URL.
    pub(crate) fn url(&self, name: &'static str) -> Result<Option<Url>, ConfigError> {
        self.get(name)
            .map(|value| parse_url(name, &value))
            .transpose()
    }

    /// URLs, comma separated.
    pub(crate) fn urls(&self, name: &'static str) -> Result<Option<Vec<Url>>, ConfigError> {
        self.get(name)
            .map(|value| {
                value
                    .split(',')
                    .filter(|url| !url.trim().is_empty())
                    .map(|url| parse_url(name, url))
                    .collect()
            })
            .transpose()
    }

    /// Host rules (`.suffix` or an exact host), comma separated.
    pub(crate) fn host_rules(
        &self,
        name: &'static str,
    ) -> Result<Option<Vec<HostRule>>, ConfigError> {
        self.get(name)
            .map(|value| {
                value
                    .split(',')
                    .filter(|rule| !rule.trim().is_empty())
                    .map(|rule| HostRule::parse_for(name, rule))
                    .collect()
            })
            .transpose()
    }
}

pub(crate) fn number(
    variable: &'static str,
    value: &str,
    expected: &str,
) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(variable, format!("expected {expected}")))
}

pub(crate) fn parse_url(variable: &'static str, value: &str) -> Result<Url, ConfigError> {
    Url::parse(value.trim())
        .map_err(|error| ConfigError::new(variable, format!("`{}`: {error}", value.trim())))
}
