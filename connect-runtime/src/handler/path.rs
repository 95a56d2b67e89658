//! Route path patterns: literal segments and `{variable}` segments (Connect context variables
//! such as `{issue.key}`), matched against the request path below the app's mount path.

use warp::filters::path::Tail;
use warp::{Filter, Rejection};

/// A parsed route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Variable(String),
}

/// A path that cannot be a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The path does not start with `/`.
    #[error("route path `{0}` must start with `/`")]
    NotAbsolute(String),
    /// A `{` without its `}` or a variable inside a segment.
    #[error("route path `{0}`: a variable must be a whole segment, like `/issue/{{issue.key}}`")]
    BadVariable(String),
}

impl PathPattern {
    /// Parses `/literal/{variable}`; the query part of a module URL is ignored.
    pub fn parse(path: &str) -> Result<Self, PatternError> {
        let path = path.split('?').next().unwrap_or(path);
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| PatternError::NotAbsolute(path.to_owned()))?;
        let segments = rest
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) if !name.contains(['{', '}']) => {
                        Ok(Segment::Variable(name.to_owned()))
                    }
                    _ if segment.contains(['{', '}']) => {
                        Err(PatternError::BadVariable(path.to_owned()))
                    }
                    _ => Ok(Segment::Literal(segment.to_owned())),
                },
            )
            .collect::<Result<_, _>>()?;
        Ok(Self { segments })
    }

    /// The variables bound by `path` (segments after the mount path, no leading `/`), or
    /// `None` when it does not match.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut bound = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Variable(name) => {
                    let value = percent_encoding::percent_decode_str(part)
                        .decode_utf8_lossy()
                        .into_owned();
                    bound.push((name.clone(), value));
                }
            }
        }
        Some(bound)
    }

    /// A warp filter matching the rest of the path, extracting the bound variables.
    pub fn filter(
        self,
    ) -> impl Filter<Extract = (Vec<(String, String)>,), Error = Rejection> + Clone {
        warp::path::tail().and_then(move |tail: Tail| {
            let bound = self.matches(tail.as_str());
            async move { bound.ok_or_else(warp::reject::not_found) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_variable_segments() {
        let pattern = PathPattern::parse("/issue/{issue.key}/panel?x={project.key}").unwrap();
        assert_eq!(
            pattern.matches("issue/TEST-1/panel"),
            Some(vec![("issue.key".into(), "TEST-1".into())])
        );
        assert_eq!(pattern.matches("issue/TEST-1"), None);
        assert_eq!(pattern.matches("issues/TEST-1/panel"), None);
        assert_eq!(PathPattern::parse("/").unwrap().matches(""), Some(vec![]));
    }

    #[test]
    fn bad_patterns() {
        assert!(PathPattern::parse("hello").is_err());
        assert!(PathPattern::parse("/a{b}").is_err());
    }
}
