//! [`ClientError`]: why a call to the product failed, and the status the app's own caller sees.
//!
//! It lives with [`AppError`](crate::AppError) (not with the client) so that `?` on it picks its gateway status
//! in `AppError`'s one conversion.

#[cfg(test)]
use super::AppError;
use std::time::Duration;
use warp::http::StatusCode;

/// Why a call to the product failed.
///
/// Messages never carry a token, a shared secret or an assertion. The product's own error
/// message is kept (shortened) for the app's log; converted into an [`AppError`](crate::AppError) with `?`, a
/// failed call answers the app's caller with a generic gateway status, not the product's text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The product answered with a non-success status.
    #[error("the product answered {status}: {message}")]
    Status {
        /// The product's status.
        status: StatusCode,
        /// The product's error message (`errorMessages`, `message`...), shortened.
        message: String,
    },
    /// Still rate-limited (429, or 503 with `Retry-After`) after the attempts the retry policy
    /// allows, or the request was not safe to repeat.
    #[error(
        "rate limited by the product after {attempts} attempt(s){}",
        reason.as_deref().map(|r| format!(" (RateLimit-Reason: {r})")).unwrap_or_default()
    )]
    RateLimited {
        /// Attempts made.
        attempts: u32,
        /// The product's `RateLimit-Reason` header, e.g. `jira-burst-based`.
        reason: Option<String>,
        /// When the product said to retry, if it did.
        retry_after: Option<Duration>,
    },
    /// The request did not complete within the configured timeout.
    #[error("the request to the product timed out")]
    Timeout,
    /// The connection failed (DNS, TLS, reset).
    #[error("could not reach the product: {0}")]
    Transport(String),
    /// An absolute URL that is not on the tenant's site: refused before anything was sent, so a
    /// signed token never leaves for another host.
    #[error("refused to send a request for the tenant to another host (`{host}`)")]
    ForeignHost {
        /// The host the URL named.
        host: String,
    },
    /// The path or URL cannot be used.
    #[error("invalid request URL: {0}")]
    InvalidUrl(String),
    /// A header the caller set cannot be sent (`Authorization` is the client's own).
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// The request body could not be serialised.
    #[error("could not serialise the request body: {0}")]
    Body(String),
    /// The answer's body is not the JSON the caller expected.
    #[error("unexpected answer from the product: {0}")]
    Decode(String),
    /// Acting as a user needs the tenant's `oauthClientId`, which its install did not carry.
    #[error(
        "the tenant has no oauthClientId: acting as a user needs the ACT_AS_USER scope in the descriptor and a reinstall"
    )]
    NoOAuthClient,
    /// The authorization server refused or failed the user token request.
    #[error("the authorization server refused the user token request: {0}")]
    Authorization(String),
    /// A user-scoped call (a permission check) without a user.
    #[error("this call needs a user: use `as_user(account_id)`")]
    NoUser,
    /// A [`ForgeClient`](crate::client::ForgeClient) call without the token it needs: the
    /// route does not ask Forge for it, or (for the user token) no user is in session.
    #[error(
        "Forge sent no {0} token: add `{0}_token` to the `#[forge::...]` attribute (user tokens only come with UI invocations)"
    )]
    MissingForgeToken(&'static str),
}

impl ClientError {
    /// The status the app's caller sees when a handler returns this error with `?`.
    ///
    /// 503 for rate limits (the caller may retry later), 504 for timeouts, 502 for anything
    /// the product or the authorization server did wrong, 500 for the app's own mistakes.
    pub fn status(&self) -> StatusCode {
        match self {
            ClientError::RateLimited { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ClientError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ClientError::Status { .. }
            | ClientError::Transport(_)
            | ClientError::Decode(_)
            | ClientError::Authorization(_) => StatusCode::BAD_GATEWAY,
            ClientError::ForeignHost { .. }
            | ClientError::InvalidUrl(_)
            | ClientError::InvalidHeader(_)
            | ClientError::Body(_)
            | ClientError::NoOAuthClient
            | ClientError::NoUser
            | ClientError::MissingForgeToken(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the app's caller sees: what kind of failure, never the product's text.
    pub fn public_message(&self) -> &'static str {
        match self {
            ClientError::RateLimited { .. } => {
                "the product is rate limiting this app: try again later"
            }
            ClientError::Timeout => "the product did not answer in time",
            ClientError::Status { .. }
            | ClientError::Transport(_)
            | ClientError::Decode(_)
            | ClientError::Authorization(_) => "a call to the product failed",
            _ => "internal error",
        }
    }
}

/// The product's error message from a JSON error body (`errorMessages`, `errors`, `message`),
/// or the start of the body, at most 300 characters.
pub fn product_message(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => {
            let messages: Vec<String> = json["errorMessages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .chain(
                    json["errors"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(field, m)| format!("{field}: {}", m.as_str().unwrap_or("?"))),
                )
                .chain(json["message"].as_str().map(str::to_owned))
                .collect();
            if messages.is_empty() {
                String::from_utf8_lossy(body).into_owned()
            } else {
                messages.join("; ")
            }
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_messages_are_read_from_jira_and_confluence_bodies() {
        assert_eq!(
            product_message(br#"{"errorMessages":["Issue does not exist"],"errors":{}}"#),
            "Issue does not exist"
        );
        assert_eq!(
            product_message(br#"{"errorMessages":[],"errors":{"summary":"required"}}"#),
            "summary: required"
        );
        assert_eq!(
            product_message(br#"{"statusCode":404,"message":"No space"}"#),
            "No space"
        );
        assert_eq!(product_message(b"plain text"), "plain text");
        assert_eq!(product_message(&[b'x'; 400]).chars().count(), 301);
    }

    #[test]
    fn statuses_tell_the_caller_what_kind_of_failure() {
        let limited = ClientError::RateLimited {
            attempts: 4,
            reason: Some("jira-burst-based".into()),
            retry_after: None,
        };
        assert_eq!(limited.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(limited.to_string().contains("jira-burst-based"));
        let foreign = ClientError::ForeignHost {
            host: "evil.example".into(),
        };
        assert_eq!(foreign.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let error: AppError = ClientError::Status {
            status: StatusCode::NOT_FOUND,
            message: "secret detail".into(),
        }
        .into();
        assert_eq!(error.status_code(), StatusCode::BAD_GATEWAY);
        assert!(!error.message().contains("secret"));
    }
}
