//! Authentication of requests from the product.
//!
//! - [`qsh`]: the canonical request and its hash.
//! - [`token`]: where a request carries its token (header or `jwt` query parameter).
//! - [`jwt`]: decoding HS256/RS256 tokens and the Connect claim checks.
//! - [`keys`]: the install-key CDN client with its cache by `kid`.
//! - [`verifier`]: the three verification procedures (asymmetric, shared secret, context).
//! - [`jwks`]: the Forge JWKS client, refetched at most once per interval.
//! - [`invocation`]: verifying Forge Invocation Tokens (the `ForgeInvocation` policy).
//! - [`container`]: its container-mode counterpart: the invocation context from the proxy.

pub mod container;
pub mod crypto;
pub mod invocation;
pub mod jwks;
pub mod jwt;
pub mod keys;
pub mod qsh;
pub mod query;
pub mod token;
pub mod verifier;

pub use verifier::{Context, License, VerifiedInstall, Verifier};

use crate::store::StoreError;
use keys::KeyFetchError;

/// Why a token was refused. Every variant maps to `401 Unauthorized`.
///
/// The messages name the failed check only: never the token, a secret or a key.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: JWT ...` header and no `jwt` query parameter.
    #[error("no JWT in the Authorization header or the jwt query parameter")]
    MissingToken,
    /// The header and the query parameter carry different tokens.
    #[error("the request carries two different JWTs")]
    ConflictingTokens,
    /// The token is not a decodable JWT.
    #[error("the JWT is malformed")]
    Malformed,
    /// The token's `alg` is not the one this route accepts.
    #[error("this route only accepts {expected} tokens")]
    WrongAlgorithm {
        /// The algorithm the route requires.
        expected: &'static str,
    },
    /// The header has `crit`: extensions this server must understand, and understands none
    /// (RFC 7515 §4.1.11 says such a token must be refused).
    #[error("the JWT header lists critical extensions, which are not supported")]
    CriticalHeader,
    /// An RS256 token without a `kid` header.
    #[error("the JWT header has no kid")]
    MissingKeyId,
    /// The `kid` is malformed or unknown to every configured key CDN.
    #[error("install key not found: {0}")]
    UnknownKey(KeyFetchError),
    /// The signature does not verify with the tenant's secret or the install key.
    #[error("the JWT signature is invalid")]
    InvalidSignature,
    /// A required claim is missing or has the wrong type.
    #[error("the JWT claims are invalid: {0}")]
    InvalidClaims(&'static str),
    /// `exp` is in the past (beyond the leeway).
    #[error("the JWT has expired")]
    Expired,
    /// `iat` is in the future (beyond the leeway).
    #[error("the JWT was issued in the future")]
    IssuedInFuture,
    /// `aud` does not contain the app's baseUrl.
    #[error("the JWT audience is not this app's baseUrl")]
    WrongAudience,
    /// `iss` differs from the clientKey of the payload it came with.
    #[error("the JWT issuer does not match the payload's clientKey")]
    IssuerMismatch,
    /// `qsh` does not match this request.
    #[error("the JWT qsh does not match this request")]
    QshMismatch,
    /// A context token (`qsh: context-qsh`) on a route that requires a request-bound token.
    #[error("context tokens are not accepted on this route")]
    ContextTokenNotAllowed,
    /// No `Authorization: Bearer <FIT>` header on a Forge route.
    #[error("no Forge Invocation Token in the Authorization header (Bearer)")]
    MissingBearer,
    /// The FIT's `aud` (or `app.id`) is not this app's Forge app id.
    #[error("the token audience is not this app's Forge app id")]
    ForgeAudience,
    /// The FIT names a module (`app.module.key`) that does not route to this endpoint: a
    /// token minted for one module is not accepted at another's route.
    #[error("the token was issued for another module of the app")]
    ForgeModule,
    /// A FIT already used for an invocation (its `jti` seen): a replayed token.
    #[error("the token was used already")]
    ForgeReplay,
    /// Container mode: the request has no (well-formed) `x-forge-invocation-id`.
    #[error("no x-forge-invocation-id header: only the Forge sidecar calls this container")]
    MissingInvocationId,
    /// Container mode: the egress proxy knows no such invocation.
    #[error("the Forge proxy knows no such invocation")]
    UnknownInvocation,
    /// The FIT's `iss` is not `forge/invocation-token`.
    #[error("the token issuer is not forge/invocation-token")]
    WrongIssuer,
    /// `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The FIT's `kid` names no key of the Forge JWKS.
    #[error("the Forge JWKS has no key with this kid")]
    UnknownForgeKey,
    /// The FIT's `app.apiBaseUrl` is not on an allowed Atlassian API host.
    #[error("the token's apiBaseUrl is not on an allowed Atlassian API host")]
    ForeignApiBaseUrl,
    /// `iss` names no installed tenant of this app.
    #[error("unknown tenant")]
    UnknownTenant,
    /// The tenant uninstalled the app.
    #[error("the tenant has uninstalled this app")]
    TenantUninstalled,
}

/// Why a request could not be verified: refused (401), or a dependency failed (the key CDN or
/// the tenant store), in which case the product should try again later.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The token is refused.
    #[error(transparent)]
    Refused(#[from] AuthError),
    /// The install key could not be fetched.
    #[error("install key unavailable: {0}")]
    KeyUnavailable(KeyFetchError),
    /// The tenant store failed.
    #[error("tenant store failed: {0}")]
    Store(#[from] StoreError),
    /// Container mode: the egress proxy could not say what the invocation is.
    #[error("the Forge egress proxy is unavailable: {0}")]
    ProxyUnavailable(String),
}

impl From<KeyFetchError> for VerifyError {
    fn from(error: KeyFetchError) -> Self {
        match error {
            // The kid is malformed or no CDN knows it: the token cannot be authentic.
            KeyFetchError::InvalidKid | KeyFetchError::UnknownKid => {
                VerifyError::Refused(AuthError::UnknownKey(error))
            }
            unavailable => VerifyError::KeyUnavailable(unavailable),
        }
    }
}
