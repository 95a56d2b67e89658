//! The REST resources the simulated product answers, and the shapes of its answers.

use super::*;

impl ApiState {
    /// `POST /rest/atlassian-connect/latest/report-accounts` as the app: the personal data
    /// reporting API as community code calls it for Connect (the shape of Atlassian's
    /// `/app/report-accounts/`): 1 to 90 `{accountId, updatedAt}`, never `unknown`; 200 with
    /// the closed accounts, else 204.
    pub(super) fn report_accounts(
        &mut self,
        site: &Site,
        caller: &Caller,
        body: &[u8],
    ) -> Response {
        if !matches!(caller, Caller::App(_)) {
            return reply(
                StatusCode::UNAUTHORIZED,
                json!({"errorType": "UNAUTHORIZED", "errorMessage": "the app reports, with its JWT"}),
            );
        }
        let bad = |message: &str| {
            reply(
                StatusCode::BAD_REQUEST,
                json!({"errorType": "BAD_REQUEST", "errorMessage": message}),
            )
        };
        let Ok(request) = serde_json::from_slice::<Value>(body) else {
            return bad("not JSON");
        };
        let Some(accounts) = request["accounts"].as_array() else {
            return bad("accounts is required");
        };
        if accounts.is_empty() || accounts.len() > 90 {
            return bad("1 to 90 accounts");
        }
        let mut batch = Vec::new();
        for account in accounts {
            match (account["accountId"].as_str(), account["updatedAt"].as_str()) {
                (Some(id), Some(at)) if id != "unknown" => {
                    batch.push((id.to_owned(), at.to_owned()))
                }
                _ => return bad("invalid account"),
            }
        }
        let closed: Vec<Value> = batch
            .iter()
            .filter(|(id, _)| self.closed_accounts.contains(id))
            .map(|(id, _)| json!({"accountId": id, "status": "closed"}))
            .collect();
        self.reports.push((site.client_key.clone(), batch));
        let mut answer = if closed.is_empty() {
            let mut empty = Response::new(Vec::new().into());
            *empty.status_mut() = StatusCode::NO_CONTENT;
            empty
        } else {
            reply(StatusCode::OK, json!({"accounts": closed}))
        };
        if let Some(period) = self.cycle_period.as_deref()
            && let Ok(value) = HeaderValue::from_str(period)
        {
            answer.headers_mut().insert("cycle-period", value);
        }
        answer
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn resource(
        &self,
        site: &Site,
        caller: &Caller,
        method: &Method,
        path: &str,
        query: &[(String, String)],
        raw_query: &str,
        body: &[u8],
    ) -> Response {
        let param = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let (account, display_name, account_type) = match caller {
            Caller::App(app_key) => {
                let account = format!("app:{app_key}");
                let name = self
                    .display_names
                    .get(&account)
                    .cloned()
                    .or_else(|| {
                        self.installs
                            .get(&(site.client_key.clone(), app_key.clone()))
                            .map(|install| install.app_name.clone())
                    })
                    .unwrap_or_else(|| app_key.clone());
                (account, name, "app")
            }
            Caller::User(account) => (
                account.clone(),
                self.display_names
                    .get(account)
                    .cloned()
                    .unwrap_or_else(|| "Simulated User".to_owned()),
                "atlassian",
            ),
            Caller::Refused(reason) => {
                return reply(StatusCode::UNAUTHORIZED, json!({"message": reason}));
            }
        };
        let granted = |permission: &str| {
            self.grants
                .get(&account)
                .is_some_and(|grants| grants.contains(permission))
        };
        let jira = site.product_type != "confluence";
        if *method == Method::GET {
            if jira && path == "/rest/api/3/myself" {
                return reply(
                    StatusCode::OK,
                    json!({"accountId": account, "displayName": display_name, "accountType": account_type, "active": true}),
                );
            }
            if jira
                && let Some(key) = path
                    .strip_prefix("/rest/api/3/issue/")
                    .or_else(|| path.strip_prefix("/rest/api/2/issue/"))
                    .filter(|key| !key.contains('/'))
            {
                let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
                return match self
                    .issues
                    .get(&(site.client_key.clone(), key.into_owned()))
                {
                    Some(issue) => reply(StatusCode::OK, issue.clone()),
                    None => reply(
                        StatusCode::NOT_FOUND,
                        json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
                    ),
                };
            }
            if jira && path == "/rest/api/3/mypermissions" {
                let Some(permission) = param("permissions") else {
                    return reply(
                        StatusCode::BAD_REQUEST,
                        json!({"errorMessages": ["permissions is required"], "errors": {}}),
                    );
                };
                let have = match param("projectKey") {
                    Some(project) => granted(&format!("{permission}:{project}")),
                    None => granted(permission),
                };
                return reply(
                    StatusCode::OK,
                    json!({"permissions": {permission: {"key": permission, "havePermission": have}}}),
                );
            }
            if !jira && path == "/rest/api/user/current" {
                let operations = if granted("confluence-admin") {
                    json!([{"operation": "administer", "targetType": "application"}])
                } else {
                    json!([{"operation": "use", "targetType": "application"}])
                };
                return reply(
                    StatusCode::OK,
                    json!({"accountId": account, "displayName": display_name, "accountType": account_type, "operations": operations}),
                );
            }
            if !jira && let Some(space) = path.strip_prefix("/rest/api/space/") {
                let space = percent_encoding::percent_decode_str(space).decode_utf8_lossy();
                let operations = if granted(&format!("space-admin:{space}")) {
                    json!([{"operation": "administer", "targetType": "space"}])
                } else {
                    json!([{"operation": "read", "targetType": "space"}])
                };
                return reply(
                    StatusCode::OK,
                    json!({"key": space, "operations": operations}),
                );
            }
        }
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        reply(
            StatusCode::OK,
            json!({
                "method": method.as_str(),
                "path": path,
                "rawQuery": raw_query,
                "query": query,
                "body": body,
                "caller": account,
            }),
        )
    }
}

pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    let mut response = Response::new(body.to_string().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

pub(super) fn rate_limited(limit: &RateLimit) -> Response {
    let status = StatusCode::from_u16(limit.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let mut response = reply(status, json!({"message": "Rate limit exceeded."}));
    let headers = response.headers_mut();
    if let Some(seconds) = limit.retry_after {
        headers.insert("retry-after", HeaderValue::from(seconds));
    }
    if let Ok(reason) = HeaderValue::from_str(&limit.reason) {
        headers.insert("ratelimit-reason", reason);
    }
    response
}

pub(super) fn oauth_error(error: &str, description: &str) -> Response {
    reply(
        StatusCode::BAD_REQUEST,
        json!({"error": error, "error_description": description}),
    )
}

pub(super) fn random_hex() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}
