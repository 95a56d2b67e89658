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

/// The claims of a product token one of `keys` signed and that has not expired.
pub(super) fn product_token_claims(keys: &[Arc<KeyPair>], token: &str) -> Option<Value> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let keys = keys
        .iter()
        .find(|keys| Some(keys.kid()) == header.kid.as_deref())?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(keys.public_pem().as_bytes()).ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp"]);
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    matches!(claims.get("token")?.as_str()?, "system" | "user").then_some(claims)
}

/// `system` or `user` for a product token one of `keys` signed and that has not expired.
pub(super) fn product_token_kind(keys: &[Arc<KeyPair>], token: &str) -> Option<&'static str> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let keys = keys
        .iter()
        .find(|keys| Some(keys.kid()) == header.kid.as_deref())?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(keys.public_pem().as_bytes()).ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    match claims.get("token")?.as_str()? {
        "system" => Some("system"),
        "user" => Some("user"),
        _ => None,
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
    let token = authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "));
    let kind = match token {
        None => "none",
        Some(token) => product_token_kind(&state.keys, token).unwrap_or("invalid"),
    };
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
