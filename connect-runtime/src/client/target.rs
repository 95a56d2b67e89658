//! Where a request for a tenant goes: a path relative to the tenant's baseUrl, never another
//! host.
//!
//! The URL is built and parsed once, and the `qsh` is computed from the parsed URL's own path
//! and query: what is hashed is exactly what is sent, whatever normalisation the URL parser
//! applied (percent-encoding of non-ASCII characters, dot segments).

use crate::auth::qsh;
use crate::http::ClientError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Query values are encoded as RFC 3986 unreserved-only, the form the product's `qsh`
/// canonicalisation produces, so no character means different things to the two sides.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A tenant site: its baseUrl, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct SiteUrl {
    base: Url,
    /// The baseUrl's path without a trailing slash (`/wiki`, or `""`).
    base_path: String,
}

impl SiteUrl {
    pub(crate) fn parse(base_url: &str) -> Result<Self, ClientError> {
        let base = Url::parse(base_url.trim_end_matches('/'))
            .map_err(|error| ClientError::InvalidUrl(format!("tenant baseUrl: {error}")))?;
        if !matches!(base.scheme(), "https" | "http") || base.host().is_none() {
            return Err(ClientError::InvalidUrl(
                "tenant baseUrl is not an http(s) URL".into(),
            ));
        }
        let base_path = base.path().trim_end_matches('/').to_owned();
        Ok(Self { base, base_path })
    }

    /// The baseUrl as stored.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The URL of `path_or_url` (a path relative to the baseUrl such as `/rest/api/3/myself`,
    /// optionally with a query, or an absolute URL on the site) with `query` pairs appended.
    pub(crate) fn resolve(
        &self,
        path_or_url: &str,
        query: &[(String, String)],
    ) -> Result<Url, ClientError> {
        let mut url = if path_or_url.starts_with('/') && !path_or_url.starts_with("//") {
            let joined = format!("{}{path_or_url}", self.base.as_str().trim_end_matches('/'));
            Url::parse(&joined).map_err(|error| ClientError::InvalidUrl(error.to_string()))?
        } else {
            let absolute = Url::parse(path_or_url).map_err(|_| {
                ClientError::InvalidUrl(
                    "expected a path starting with `/` (relative to the tenant's baseUrl) or a URL on the tenant's site"
                        .into(),
                )
            })?;
            if absolute.origin() != self.base.origin() {
                return Err(ClientError::ForeignHost {
                    host: absolute.host_str().unwrap_or_default().to_owned(),
                });
            }
            if !self.is_below_base(absolute.path()) {
                return Err(ClientError::InvalidUrl(format!(
                    "the URL is on the tenant's host but outside its baseUrl path `{}`",
                    self.base_path
                )));
            }
            absolute
        };
        url.set_fragment(None);
        if !query.is_empty() {
            let mut encoded = url.query().unwrap_or_default().to_owned();
            for (name, value) in query {
                if !encoded.is_empty() {
                    encoded.push('&');
                }
                encoded.extend(utf8_percent_encode(name, QUERY_COMPONENT));
                encoded.push('=');
                encoded.extend(utf8_percent_encode(value, QUERY_COMPONENT));
            }
            url.set_query(Some(&encoded));
        }
        // Dot segments may have climbed out of the base path: `/wiki/../admin`.
        if !self.is_below_base(url.path()) {
            return Err(ClientError::InvalidUrl(format!(
                "the path leaves the tenant's baseUrl path `{}`",
                self.base_path
            )));
        }
        Ok(url)
    }

    /// The `qsh` of `method` on `url`, relative to the baseUrl's path, as the product computes
    /// it.
    pub(crate) fn query_string_hash(&self, method: &str, url: &Url) -> String {
        qsh::query_string_hash(
            method,
            url.path(),
            url.query().unwrap_or_default(),
            &self.base_path,
        )
    }

    fn is_below_base(&self, path: &str) -> bool {
        self.base_path.is_empty()
            || path == self.base_path
            || path
                .strip_prefix(self.base_path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn paths_are_relative_to_the_base_url_and_its_path() {
        let jira = SiteUrl::parse("https://acme.atlassian.net").unwrap();
        let url = jira.resolve("/rest/api/3/myself", &[]).unwrap();
        assert_eq!(url.as_str(), "https://acme.atlassian.net/rest/api/3/myself");
        let wiki = SiteUrl::parse("https://acme.atlassian.net/wiki/").unwrap();
        let url = wiki.resolve("/rest/api/space?limit=2", &[]).unwrap();
        assert_eq!(
            url.as_str(),
            "https://acme.atlassian.net/wiki/rest/api/space?limit=2"
        );
        assert_eq!(
            wiki.query_string_hash("GET", &url),
            qsh::query_string_hash("GET", "/rest/api/space", "limit=2", "")
        );
    }

    #[test]
    fn query_pairs_are_encoded_as_the_qsh_canonical_form() {
        let jira = SiteUrl::parse("https://acme.atlassian.net").unwrap();
        let url = jira
            .resolve(
                "/rest/api/3/search",
                &pairs(&[("jql", "project = \"A&B\" order by key"), ("q", "café+☃")]),
            )
            .unwrap();
        assert_eq!(
            url.query().unwrap(),
            "jql=project%20%3D%20%22A%26B%22%20order%20by%20key&q=caf%C3%A9%2B%E2%98%83"
        );
        assert_eq!(
            qsh::canonical_request("GET", url.path(), url.query().unwrap(), ""),
            format!("GET&/rest/api/3/search&{}", url.query().unwrap())
        );
    }

    #[test]
    fn other_hosts_are_refused() {
        let jira = SiteUrl::parse("https://acme.atlassian.net").unwrap();
        for foreign in [
            "https://evil.example/rest/api/3/myself",
            "//evil.example/rest",
            "http://acme.atlassian.net/rest",       // another scheme
            "https://acme.atlassian.net:8443/rest", // another port
            "https://acme.atlassian.net.evil.example/rest",
            "https://acme.atlassian.net@evil.example/rest",
        ] {
            let error = jira.resolve(foreign, &[]).unwrap_err();
            assert!(
                matches!(
                    error,
                    ClientError::ForeignHost { .. } | ClientError::InvalidUrl(_)
                ),
                "{foreign}: {error:?}"
            );
        }
        let ok = jira
            .resolve("https://acme.atlassian.net/rest/api/3/myself", &[])
            .unwrap();
        assert_eq!(ok.path(), "/rest/api/3/myself");
    }

    #[test]
    fn paths_cannot_climb_out_of_the_base_path() {
        let wiki = SiteUrl::parse("https://acme.atlassian.net/wiki").unwrap();
        assert!(wiki.resolve("/../rest/api/3/myself", &[]).is_err());
        assert!(
            wiki.resolve("https://acme.atlassian.net/rest/api/3/myself", &[])
                .is_err()
        );
        assert!(
            wiki.resolve("https://acme.atlassian.net/wikipedia", &[])
                .is_err()
        );
        assert!(wiki.resolve("rest/api", &[]).is_err());
    }
}
