//! A key CDN on 127.0.0.1: serves public keys by kid like `connect-install-keys.atlassian.com`.

use super::KeyPair;
use connect_runtime::__private::RunningServer;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// How the CDN answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdnBehaviour {
    /// Known kids get their PEM, unknown kids 404.
    Serve,
    /// Every kid is 404.
    NotFound,
    /// 200 with a body that is not a key.
    Garbage,
    /// This status for every request.
    Status(u16),
    /// Never answers (until the connection is dropped).
    Hang,
    /// Answers 404 after this many milliseconds (a slow CDN under a flood of unknown kids).
    SlowNotFound(u64),
}

#[derive(Debug)]
struct CdnState {
    keys: HashMap<String, String>,
    behaviour: CdnBehaviour,
    hits: HashMap<String, usize>,
    in_flight: usize,
    max_in_flight: usize,
}

/// A running local key CDN. Point `CONNECT_KEYS_CDN_URL` (or
/// [`ConnectConfig::key_cdn_urls`](connect_runtime::config::ConnectConfig)) at [`KeyCdn::url`].
#[derive(Debug)]
pub struct KeyCdn {
    state: Arc<Mutex<CdnState>>,
    server: RunningServer,
}

impl KeyCdn {
    /// Starts a CDN on an ephemeral port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a CDN on `addr`.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(CdnState {
            keys: HashMap::new(),
            behaviour: CdnBehaviour::Serve,
            hits: HashMap::new(),
            in_flight: 0,
            max_in_flight: 0,
        }));
        let shared = Arc::clone(&state);
        let route = warp::get()
            .and(warp::path::tail())
            .then(move |tail: warp::path::Tail| {
                let state = Arc::clone(&shared);
                async move { answer(&state, tail.as_str()).await }
            })
            .boxed();
        let server = connect_runtime::__private::spawn(route, addr).await?;
        Ok(Self { state, server })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Publishes the public key of `keys` under its kid.
    pub fn publish(&self, keys: &KeyPair) {
        self.lock()
            .keys
            .insert(keys.kid().to_owned(), keys.public_pem().to_owned());
    }

    /// Changes how the CDN answers from now on.
    pub fn set_behaviour(&self, behaviour: CdnBehaviour) {
        self.lock().behaviour = behaviour;
    }

    /// How many requests asked for `kid`.
    pub fn hits(&self, kid: &str) -> usize {
        self.lock().hits.get(kid).copied().unwrap_or(0)
    }

    /// How many requests the CDN received in all.
    pub fn total_hits(&self) -> usize {
        self.lock().hits.values().sum()
    }

    /// The most requests this CDN was answering at one time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// Stops the CDN (later fetches fail to connect).
    pub async fn stop(self) {
        self.server.shutdown().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CdnState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn locked(state: &Mutex<CdnState>) -> std::sync::MutexGuard<'_, CdnState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn answer(state: &Mutex<CdnState>, kid: &str) -> Response {
    let (behaviour, pem) = {
        let mut state = locked(state);
        *state.hits.entry(kid.to_owned()).or_default() += 1;
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        (state.behaviour, state.keys.get(kid).cloned())
    };
    let response = respond(behaviour, pem).await;
    locked(state).in_flight -= 1;
    response
}

async fn respond(behaviour: CdnBehaviour, pem: Option<String>) -> Response {
    match (behaviour, pem) {
        (CdnBehaviour::Serve, Some(pem)) => pem.into_response(),
        (CdnBehaviour::Serve | CdnBehaviour::NotFound, _) => StatusCode::NOT_FOUND.into_response(),
        (CdnBehaviour::Garbage, _) => "<html>definitely not a key</html>".into_response(),
        (CdnBehaviour::Status(code), _) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        (CdnBehaviour::Hang, _) => {
            std::future::pending::<()>().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        (CdnBehaviour::SlowNotFound(millis), _) => {
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            StatusCode::NOT_FOUND.into_response()
        }
    }
}
