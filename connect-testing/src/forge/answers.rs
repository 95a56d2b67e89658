//! The simulated Forge platform's answers: its JWKS and its product API.

use super::*;

pub(super) fn jwks_answer(state: &Mutex<PlatformState>) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    state.jwks_fetches += 1;
    if let JwksBehaviour::Status(status) = state.behaviour {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response();
    }
    let keys: Vec<Value> = state.keys.iter().filter_map(|keys| jwk(keys)).collect();
    warp::reply::json(&json!({ "keys": keys })).into_response()
}

/// The public JWK of `keys`.
pub(super) fn jwk(keys: &KeyPair) -> Option<Value> {
    let public = rsa::RsaPublicKey::from_public_key_pem(keys.public_pem()).ok()?;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Some(json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": keys.kid(),
        "n": engine.encode(public.n().to_bytes_be()),
        "e": engine.encode(public.e().to_bytes_be()),
    }))
}

/// The leeway of the simulated product API on a token's `exp` (jsonwebtoken's default);
/// storage allows none.
pub(super) const PRODUCT_API_LEEWAY_SECS: u64 = 60;

/// Who a call to the platform's APIs comes as.
pub(super) struct TokenCaller {
    /// `system`, `user`, `invalid` or `none`: the kind of its bearer token.
    pub(super) kind: &'static str,
    /// The claims of a valid token.
    pub(super) claims: Option<Value>,
}

/// The caller of a request with `authorization`: a product token one of `keys` signed, not
/// expired beyond `leeway` seconds, naming its kind (`system` or `user`).
pub(super) fn token_caller(
    keys: &[Arc<KeyPair>],
    authorization: Option<&str>,
    leeway: u64,
) -> TokenCaller {
    let Some(token) = authorization.and_then(|value| value.strip_prefix("Bearer ")) else {
        return TokenCaller {
            kind: "none",
            claims: None,
        };
    };
    let claims = (|| {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let keys = keys
            .iter()
            .find(|keys| Some(keys.kid()) == header.kid.as_deref())?;
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(keys.public_pem().as_bytes()).ok()?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = leeway;
        jsonwebtoken::decode::<Value>(token, &key, &validation)
            .ok()
            .map(|data| data.claims)
    })();
    let kind = match claims
        .as_ref()
        .and_then(|claims| claims.get("token")?.as_str())
    {
        Some("system") => "system",
        Some("user") => "user",
        _ => "invalid",
    };
    TokenCaller {
        claims: claims.filter(|_| kind != "invalid"),
        kind,
    }
}

pub(super) fn api_answer(
    state: &Mutex<PlatformState>,
    product: &str,
    path: &str,
    method: &warp::http::Method,
    authorization: Option<String>,
    trace_id: Option<String>,
) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let kind = token_caller(
        &state.keys,
        authorization.as_deref(),
        PRODUCT_API_LEEWAY_SECS,
    )
    .kind;
    let path = format!("/{path}");
    state.calls.push(ForgeApiCall {
        method: method.to_string(),
        path: path.clone(),
        token: kind.to_owned(),
        trace_id,
    });
    if state.rate_limited > 0 {
        state.rate_limited -= 1;
        return warp::reply::with_header(
            warp::reply::with_status(
                warp::reply::json(&json!({"message": "Rate limited"})),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            "retry-after",
            "1",
        )
        .into_response();
    }
    if matches!(kind, "none" | "invalid") {
        return warp::reply::with_status(
            warp::reply::json(&json!({"message": "Unauthorized"})),
            StatusCode::UNAUTHORIZED,
        )
        .into_response();
    }
    if state
        .not_found
        .iter()
        .any(|hidden| path.starts_with(hidden.as_str()))
    {
        return warp::reply::with_status(
            warp::reply::json(&json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."]})),
            StatusCode::NOT_FOUND,
        )
        .into_response();
    }
    let myself = (product == "jira" && path == "/rest/api/3/myself")
        || (product == "confluence" && path == "/wiki/rest/api/user/current");
    if myself {
        let name = if kind == "system" {
            state.display_name.clone()
        } else {
            "Forge User".to_owned()
        };
        return warp::reply::json(&json!({
            "accountId": if kind == "system" { "557058:forge-bot" } else { "557058:forge-user" },
            "displayName": name,
        }))
        .into_response();
    }
    warp::reply::json(&json!({"method": method.as_str(), "path": path, "token": kind}))
        .into_response()
}
