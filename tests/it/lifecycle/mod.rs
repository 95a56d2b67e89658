//! The lifecycle and the auth policies over real HTTP: a server on 127.0.0.1, a local key CDN
//! with a generated RSA key, and requests signed as Jira signs them, or forged as an attacker
//! would. Every refusal asserts the status AND that the tenant store did not change.
//!
//! The whole suite runs twice: against the app assembled by hand (raw modules, warp routes
//! behind the policy filters) and against the same app written with the attribute macros.
//! One file per concern: `happy_path`, `install_attacks`, `key_cdn`, `shared_secret_attacks`,
//! `scanner_and_http`.

use crate::common::{
    APP_BASE_URL, APP_KEY, Flavour, KEYS, TENANT_BASE_URL, TestApp, assert_security_headers,
};
use connect_runtime::TenantStore;
use connect_testing::{CdnBehaviour, KeyPair, TokenSpec, install_payload};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const CLIENT: &str = "client-acme";
const SECRET: &str = "first-shared-secret-0123456789";

fn payload(event: &str) -> Value {
    install_payload(APP_KEY, CLIENT, SECRET, TENANT_BASE_URL, event)
}

/// Sends a refused install and checks the status and that nothing was stored or changed.
async fn assert_install_refused(app: &TestApp, token: Option<&str>, body: &Value, status: u16) {
    let before = app.state();
    let response = app.post_event("installed", token, body).await;
    let got = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "body: {text}");
    assert!(
        text.contains("\"message\""),
        "error body is JSON with a message: {text}"
    );
    assert_eq!(
        app.state(),
        before,
        "a refused install must not change the store"
    );
}

async fn assert_page_refused(app: &TestApp, target: &str, token: Option<&str>) {
    let before = app.state();
    let mut request = app.http.get(app.url(target));
    if let Some(token) = token {
        request = request.header("authorization", format!("JWT {token}"));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 401, "{target}");
    assert_eq!(app.state(), before);
}

use connect_testing::unix_now as now;

macro_rules! suite {
    ($flavour:ident, $variant:expr) => {
        mod $flavour {
            use super::*;

            async fn start() -> TestApp {
                TestApp::start_flavour($variant, |_| {}).await
            }

            async fn start_with(
                adjust: impl FnOnce(&mut connect_runtime::ConnectConfig),
            ) -> TestApp {
                TestApp::start_flavour($variant, adjust).await
            }

            mod happy_path {
                use super::*;
                include!("happy_path.rs");
            }
            mod install_attacks {
                use super::*;
                include!("install_attacks.rs");
            }
            mod key_cdn {
                use super::*;
                include!("key_cdn.rs");
            }
            mod shared_secret_attacks {
                use super::*;
                include!("shared_secret_attacks.rs");
            }
            mod scanner_and_http {
                use super::*;
                include!("scanner_and_http.rs");
            }
        }
    };
}

suite!(hand_built, Flavour::HandBuilt);
suite!(macro_built, Flavour::Macros);
