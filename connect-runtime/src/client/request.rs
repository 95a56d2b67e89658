//! A request to the product being built and sent: as a Connect tenant's app or user, or with a
//! Forge invocation's token; rate-limited answers retried by the app's policy.

use super::retry::{self, RateLimited, Schedule};
use super::{ClientError, ClientResponse, ForgeClient, HostClient, Outbound, response};
use bytes::Bytes;
use serde::Serialize;
use std::time::SystemTime;
use url::Url;
use warp::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use warp::http::{HeaderMap, Method, StatusCode};

/// Who a request is sent as: a Connect tenant's app or user, or a Forge invocation's token.
#[derive(Clone)]
pub(super) enum Caller {
    Host(HostClient),
    Forge(ForgeClient),
}

impl Caller {
    fn outbound(&self) -> &Outbound {
        match self {
            Caller::Host(client) => &client.outbound,
            Caller::Forge(client) => client.outbound(),
        }
    }

    fn resolve(&self, path: &str, query: &[(String, String)]) -> Result<Url, ClientError> {
        match self {
            Caller::Host(client) => client.tenant.site.resolve(path, query),
            Caller::Forge(client) => client.site().resolve(path, query),
        }
    }

    /// The header authorising the call and its value (`Authorization`, or a container's
    /// `forge-proxy-authorization`).
    async fn authorization(
        &self,
        method: &Method,
        url: &Url,
    ) -> Result<(HeaderName, String), ClientError> {
        match self {
            Caller::Host(client) => Ok((AUTHORIZATION, client.authorization(method, url).await?)),
            Caller::Forge(client) => client.authorization(),
        }
    }

    /// Who is calling, for logs: the clientKey or the Forge installation.
    fn label(&self) -> &str {
        match self {
            Caller::Host(client) => &client.tenant.client_key,
            Caller::Forge(client) => client.installation_id(),
        }
    }

    /// The product answered 401: a cached user token is stale.
    async fn unauthorized(&self) {
        if let Caller::Host(client) = self
            && let Some(user) = &client.user
        {
            // A revoked or expired user token: the next call asks for a new one.
            client
                .outbound
                .user_tokens
                .forget(&client.token_key(user))
                .await;
        }
    }
}

/// A request being built: query, headers, body, then [`send`](RequestBuilder::send).
#[must_use = "a request does nothing until `.send().await`"]
pub struct RequestBuilder {
    caller: Caller,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
    any_status: bool,
    /// Sent without the client's authorization header (the proxy's own listings).
    unauthorized: bool,
    error: Option<ClientError>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(super) fn new(caller: Caller, method: Method, path: String) -> Self {
        RequestBuilder {
            caller,
            method,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotent: false,
            any_status: false,
            unauthorized: false,
            error: None,
        }
    }

    /// Appends query parameters (encoded here; pass them decoded).
    pub fn query<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.query
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets a header. `Authorization` (and a container's `forge-proxy-authorization`) is the
    /// client's own and is refused.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), _)
                if name == AUTHORIZATION
                    || name.as_str() == crate::auth::container::PROXY_AUTHORIZATION =>
            {
                self.error = Some(ClientError::InvalidHeader(format!(
                    "`{name}` is set by the client (as the app or as a user)"
                )));
            }
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => {
                self.error = Some(ClientError::InvalidHeader(format!(
                    "`{}` is not a valid header",
                    name.escape_debug()
                )));
            }
        }
        self
    }

    /// Sends `value` as the JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = Some(body.into());
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(error) => self.error = Some(ClientError::Body(error.to_string())),
        }
        self
    }

    /// Sends `body` with `content_type`.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &str) -> Self {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }

    /// Marks the request safe to repeat, so a rate-limited `POST` (a search, an idempotent
    /// create) is retried like a `GET`.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Answers with any status rather than turning non-2xx into [`ClientError::Status`]:
    /// for callers that read a typed error body (Forge storage's `{code, message}`).
    pub(crate) fn any_status(mut self) -> Self {
        self.any_status = true;
        self
    }

    /// Sends the request without an authorization header: for the egress proxy's
    /// `/v1/installations`, which names no invocation or installation.
    pub(crate) fn no_proxy_authorization(mut self) -> Self {
        self.unauthorized = true;
        self
    }

    /// Sends the request, retrying rate-limited answers as the app's policy allows.
    ///
    /// A 2xx answer is `Ok`; any other status is [`ClientError::Status`] with the product's
    /// message, and a rate limit that outlasts the policy is [`ClientError::RateLimited`].
    pub async fn send(mut self) -> Result<ClientResponse, ClientError> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let caller = &self.caller;
        let outbound = caller.outbound();
        let url = caller.resolve(&self.path, &self.query)?;
        if !self.headers.contains_key(ACCEPT) {
            self.headers
                .insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        let repeatable = retry::safe_to_repeat(&self.method, self.idempotent);
        let mut schedule = Schedule::new(&outbound.retry);
        loop {
            let mut request = outbound
                .http
                .request(self.method.clone(), url.clone())
                .headers(self.headers.clone());
            if !self.unauthorized {
                let (header, value) = caller.authorization(&self.method, &url).await?;
                let mut authorization = HeaderValue::try_from(value).map_err(|_| {
                    ClientError::InvalidHeader("the token is not a valid header".into())
                })?;
                // Kept out of any debug output of the HTTP stack.
                authorization.set_sensitive(true);
                request = request.header(header, authorization);
            }
            if let Some(body) = &self.body {
                request = request.body(body.clone());
            }
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status();
            if let Some(limited) = RateLimited::of(status, response.headers(), SystemTime::now()) {
                let wait = if repeatable {
                    schedule.next_wait(limited.retry_after)
                } else {
                    None
                };
                let Some(wait) = wait else {
                    return Err(ClientError::RateLimited {
                        attempts: schedule.attempts(),
                        reason: limited.reason,
                        retry_after: limited.retry_after,
                    });
                };
                tracing::warn!(
                    tenant = ?caller.label(),
                    reason = ?limited.reason.as_deref().unwrap_or("unspecified"),
                    attempt = schedule.attempts(),
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "rate limited by the product; retrying"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let headers = response.headers().clone();
            let body = response::read_capped(response, response::MAX_RESPONSE_BYTES).await?;
            if status.is_success() || self.any_status {
                return Ok(ClientResponse::new(status, headers, body));
            }
            if status == StatusCode::UNAUTHORIZED {
                caller.unauthorized().await;
            }
            return Err(ClientError::Status {
                status,
                message: crate::http::client_error::product_message(&body),
            });
        }
    }
}

/// A transport failure, without the URL (it may carry query data) in the message.
pub(crate) fn transport_error(error: reqwest::Error) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout
    } else {
        ClientError::Transport(error.without_url().to_string())
    }
}
