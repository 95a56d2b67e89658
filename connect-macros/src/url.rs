//! Module URLs: their route path and the context variables they carry.
//!
//! `/issue/{issue.key}/panel?projectKey={project.key}` routes `/issue/{issue.key}/panel` and
//! offers two context parameters: `issue_key` (path) and `project_key` (query `projectKey`).

/// A context parameter a handler argument can bind to.
pub struct ContextParam {
    /// The argument name that binds it (`issue_key`).
    pub ident: String,
    /// Where the runtime looks for it: query name and/or variable (`projectKey`, `project.key`).
    pub lookups: Vec<String>,
}

/// What is wrong with a URL.
pub fn check(url: &str) -> Result<(), String> {
    if !url.starts_with('/') {
        return Err(format!(
            "URL `{url}` must be relative to the baseUrl and start with `/`, e.g. `/hello`"
        ));
    }
    if url.contains('#') {
        return Err(format!("URL `{url}` must not contain a fragment"));
    }
    let path = url.split('?').next().unwrap_or(url);
    for segment in path.split('/') {
        let opens = segment.matches('{').count();
        let closes = segment.matches('}').count();
        let whole = segment.starts_with('{') && segment.ends_with('}') && opens == 1 && closes == 1;
        if (opens > 0 || closes > 0) && !whole {
            return Err(format!(
                "in URL `{url}`, a context variable must be a whole path segment, e.g. `/issue/{{issue.key}}`"
            ));
        }
    }
    Ok(())
}

/// The route path: the URL without its query.
pub fn route_path(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The context parameters of `url`.
pub fn context_params(url: &str) -> Vec<ContextParam> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params = Vec::new();
    for segment in path.split('/') {
        if let Some(variable) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            params.push(ContextParam {
                ident: snake(variable),
                lookups: vec![variable.to_owned()],
            });
        }
    }
    for pair in query.split('&') {
        if let Some((name, value)) = pair.split_once('=') {
            if let Some(variable) = value.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let lookups = vec![name.to_owned(), variable.to_owned()];
                params.push(ContextParam {
                    ident: snake(name),
                    lookups: lookups.clone(),
                });
                let by_variable = snake(variable);
                if by_variable != snake(name) {
                    params.push(ContextParam {
                        ident: by_variable,
                        lookups,
                    });
                }
            }
        }
    }
    params
}

/// `issueKey` and `issue.key` → `issue_key`.
pub fn snake(name: &str) -> String {
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
