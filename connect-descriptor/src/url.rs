//! Module URLs and route paths, with Connect context variables.
//!
//! A module URL such as `/issue/{issue.key}/panel?projectKey={project.key}` is relative to the
//! app's baseUrl. Its path (`/issue/{issue.key}/panel`) is the route the product calls; the
//! product fills the variables in. Handlers bind them by argument name: `issue_key` (the path
//! variable) and `project_key` (the query parameter `projectKey`, or its variable
//! `project.key`). The macros parse URLs with this module at compile time, the runtime matches
//! requests with the same [`PathPattern`].

/// The HTTP methods a route can have (`#[connect::route(METHOD, ...)]`,
/// `#[forge::remote(method = ...)]`).
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH"];

/// A URL or path that cannot be a module URL or a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The URL does not start with `/`.
    #[error("URL `{0}` must be relative to the baseUrl and start with `/`, e.g. `/hello`")]
    NotAbsolute(String),
    /// The URL has a `#fragment`.
    #[error("URL `{0}` must not contain a fragment")]
    Fragment(String),
    /// A `{` without its `}`, or a variable inside a segment.
    #[error(
        "in URL `{0}`, a context variable must be a whole path segment, e.g. `/issue/{{issue.key}}`"
    )]
    BadVariable(String),
    /// A route path (not a module URL) with a query.
    #[error("a route path has no query; handlers read query parameters with `Query<T>`")]
    Query(String),
}

/// One segment of a [`PathPattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable(String),
}

/// A route path: literal segments and whole-segment `{variable}`s.
///
/// ```
/// use connect_descriptor::PathPattern;
/// let pattern = PathPattern::parse("/issue/{issue.key}").unwrap();
/// assert_eq!(
///     pattern.matches("/issue/TEST-1"),
///     Some(vec![("issue.key".to_owned(), "TEST-1".to_owned())])
/// );
/// assert_eq!(pattern.matches("/issue"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    text: String,
    segments: Vec<Segment>,
}

impl PathPattern {
    /// Parses a route path: absolute, no query, no fragment, variables as whole segments.
    pub fn parse(path: &str) -> Result<Self, UrlError> {
        if path.contains('?') {
            return Err(UrlError::Query(path.to_owned()));
        }
        Ok(UrlPattern::parse(path)?.path)
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The variables of the path, in order (`issue.key`).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Variable(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The path with its variables numbered instead of named (`/project/{0}/tab/{1}`), in the
    /// route syntax of tries such as matchit: two patterns of one shape match the same paths.
    pub fn shape(&self) -> String {
        let mut shape = String::with_capacity(self.text.len());
        let mut variables = 0;
        for segment in &self.segments {
            shape.push('/');
            match segment {
                Segment::Literal(literal) => shape.push_str(literal),
                Segment::Variable(_) => {
                    shape.push_str(&format!("{{{variables}}}"));
                    variables += 1;
                }
            }
        }
        if shape.is_empty() {
            shape.push('/');
        }
        shape
    }

    /// Whether some path matches both patterns while their shapes differ (a literal segment of
    /// one where the other has a variable): which one answers then depends on their order.
    pub fn overlaps(&self, other: &PathPattern) -> bool {
        self.segments.len() == other.segments.len()
            && self.shape() != other.shape()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|pair| match pair {
                    (Segment::Literal(a), Segment::Literal(b)) => a == b,
                    _ => true,
                })
    }

    /// The values of the variables when `path` (as received, below the app's mount path)
    /// matches, percent-decoded; `None` when it does not match. Empty segments are ignored, as
    /// the product's trailing slashes are.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let mut parts = path.split('/').filter(|part| !part.is_empty());
        let mut bound = Vec::new();
        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Variable(name) => bound.push((name.clone(), percent_decode(part))),
            }
        }
        parts.next().is_none().then_some(bound)
    }
}

fn percent_decode(part: &str) -> String {
    percent_encoding::percent_decode_str(part)
        .decode_utf8_lossy()
        .into_owned()
}

/// A module URL: a [`PathPattern`] plus query parameters whose values may be variables.
///
/// ```
/// use connect_descriptor::UrlPattern;
/// let url = UrlPattern::parse("/glance?issueKey={issue.key}").unwrap();
/// assert_eq!(url.path().as_str(), "/glance");
/// let params = url.context_params();
/// assert_eq!(params[0].arg, "issue_key");
/// assert_eq!(params[0].lookups, ["issueKey", "issue.key"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPattern {
    path: PathPattern,
    /// `(query parameter, variable)` for each `name={variable}` of the query.
    query_variables: Vec<(String, String)>,
}

/// A value a handler argument can bind to: a path variable or a query parameter of the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextParam {
    /// The argument name that binds it (`issue_key`).
    pub arg: String,
    /// Where the runtime looks for it, in order: a path variable (`issue.key`) or a query
    /// parameter name (`issueKey`) and its variable.
    pub lookups: Vec<String>,
}

impl UrlPattern {
    /// Parses a module URL.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        if !url.starts_with('/') {
            return Err(UrlError::NotAbsolute(url.to_owned()));
        }
        if url.contains('#') {
            return Err(UrlError::Fragment(url.to_owned()));
        }
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let segments = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|segment| match whole_variable(segment) {
                Some(name) => Ok(Segment::Variable(name.to_owned())),
                None if segment.contains(['{', '}']) => Err(UrlError::BadVariable(url.to_owned())),
                None => Ok(Segment::Literal(segment.to_owned())),
            })
            .collect::<Result<_, _>>()?;
        let query_variables = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter_map(|(name, value)| Some((name.to_owned(), whole_variable(value)?.to_owned())))
            .collect();
        Ok(Self {
            path: PathPattern {
                text: path.to_owned(),
                segments,
            },
            query_variables,
        })
    }

    /// The route path.
    pub fn path(&self) -> &PathPattern {
        &self.path
    }

    /// Every value a handler argument can bind to, by argument name.
    pub fn context_params(&self) -> Vec<ContextParam> {
        let mut params: Vec<ContextParam> = self
            .path
            .variables()
            .map(|variable| ContextParam {
                arg: arg_name(variable),
                lookups: vec![variable.to_owned()],
            })
            .collect();
        for (name, variable) in &self.query_variables {
            let lookups = vec![name.clone(), variable.clone()];
            params.push(ContextParam {
                arg: arg_name(name),
                lookups: lookups.clone(),
            });
            if arg_name(variable) != arg_name(name) {
                params.push(ContextParam {
                    arg: arg_name(variable),
                    lookups,
                });
            }
        }
        params
    }
}

/// `{name}` → `name`, when the whole text is one variable.
fn whole_variable(text: &str) -> Option<&str> {
    text.strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|name| !name.is_empty() && !name.contains(['{', '}']))
}

/// The argument name of a variable or parameter: `issueKey` and `issue.key` → `issue_key`.
pub fn arg_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_overlaps() {
        let p = |text: &str| PathPattern::parse(text).unwrap();
        assert_eq!(
            p("/project/{project.key}/tab/{tab}").shape(),
            "/project/{0}/tab/{1}"
        );
        assert_eq!(p("/").shape(), "/");
        assert_eq!(p("/a/{x}").shape(), p("/a/{y}").shape());
        assert!(p("/a/{x}").overlaps(&p("/a/b")));
        assert!(
            !p("/a/{x}").overlaps(&p("/a/{y}")),
            "same shape: not an overlap"
        );
        assert!(!p("/a/{x}").overlaps(&p("/b/c")));
        assert!(!p("/a/{x}").overlaps(&p("/a/b/c")));
    }

    #[test]
    fn literal_and_variable_segments() {
        let url = UrlPattern::parse("/issue/{issue.key}/panel?x={project.key}").unwrap();
        let pattern = url.path();
        assert_eq!(
            pattern.matches("/issue/TEST-1/panel"),
            Some(vec![("issue.key".into(), "TEST-1".into())])
        );
        assert_eq!(
            pattern.matches("issue/A%20B/panel/"),
            Some(vec![("issue.key".into(), "A B".into())])
        );
        assert_eq!(pattern.matches("/issue/TEST-1"), None);
        assert_eq!(pattern.matches("/issues/TEST-1/panel"), None);
        assert_eq!(pattern.matches("/issue/TEST-1/panel/x"), None);
        assert_eq!(PathPattern::parse("/").unwrap().matches(""), Some(vec![]));
    }

    #[test]
    fn context_params_by_argument_name() {
        let url = UrlPattern::parse("/i/{issue.key}?projectKey={project.key}&plain=1").unwrap();
        let params = url.context_params();
        let args: Vec<&str> = params.iter().map(|p| p.arg.as_str()).collect();
        assert_eq!(args, ["issue_key", "project_key"]);
        let url = UrlPattern::parse("/m?pageId={page.id}&space={space.key}").unwrap();
        let args: Vec<String> = url.context_params().into_iter().map(|p| p.arg).collect();
        assert_eq!(args, ["page_id", "space", "space_key"]);
    }

    #[test]
    fn bad_urls() {
        assert!(matches!(
            UrlPattern::parse("hello"),
            Err(UrlError::NotAbsolute(_))
        ));
        assert!(matches!(
            UrlPattern::parse("/a#b"),
            Err(UrlError::Fragment(_))
        ));
        assert!(matches!(
            UrlPattern::parse("/a{b}"),
            Err(UrlError::BadVariable(_))
        ));
        assert!(matches!(
            UrlPattern::parse("/a/{b"),
            Err(UrlError::BadVariable(_))
        ));
        assert!(matches!(
            PathPattern::parse("/a?b=1"),
            Err(UrlError::Query(_))
        ));
    }

    #[test]
    fn argument_names() {
        assert_eq!(arg_name("issueKey"), "issue_key");
        assert_eq!(arg_name("issue.key"), "issue_key");
        assert_eq!(arg_name("page.id"), "page_id");
    }
}
