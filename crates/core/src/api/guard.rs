//! Who may talk to the API: the bearer token (the API key for `/v1`, the UI's session token for
//! `/api/`), the `Host` allow-list (against DNS rebinding) and CORS with an explicit origin list
//! (closed by default, never a wildcard).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::openai::ApiError;
use super::Shared;
use crate::{App, ErrorKind};

/// Where the API key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKey {
    /// This key, for the server's life (`hearth-cli serve --token`).
    Fixed(String),
    /// The key kept in settings ([`App::api_key`]), read again at most once a second, so that
    /// a new key (Settings, `hearth-cli api-key --new`, another Hearth process) takes effect at
    /// once and the old one stops working.
    Saved,
}

/// How long a key read from settings is trusted before it is read again.
const KEY_FRESH: Duration = Duration::from_secs(1);

/// The API key, as the guard checks it.
pub(super) struct KeySource {
    key: ApiKey,
    /// The saved key and when it was read.
    cached: Mutex<Option<(String, Instant)>>,
}

impl KeySource {
    pub(super) fn new(key: ApiKey) -> KeySource {
        KeySource {
            key,
            cached: Mutex::new(None),
        }
    }

    async fn current(&self, app: &App) -> Option<String> {
        match &self.key {
            ApiKey::Fixed(key) => Some(key.clone()),
            ApiKey::Saved => {
                if let Ok(cached) = self.cached.lock() {
                    if let Some((key, read)) = cached.as_ref() {
                        if read.elapsed() < KEY_FRESH {
                            return Some(key.clone());
                        }
                    }
                }
                let key = app.api_key().await.ok()?;
                if let Ok(mut cached) = self.cached.lock() {
                    *cached = Some((key.clone(), Instant::now()));
                }
                Some(key)
            }
        }
    }
}

/// Refuses a request whose `Host` is not this server's own name, then one without the token.
pub(super) async fn check(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    // Preflights carry no credentials; the CORS layer outside this one answers them.
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !shared
        .allowed_hosts
        .iter()
        .any(|allowed| allowed == &host.to_ascii_lowercase())
    {
        return ApiError::new(
            ErrorKind::Forbidden,
            "this server answers only requests addressed to its own host name (Host header refused)",
        )
        .into_response();
    }
    // The web UI's files load without a token (the page brings its session token in its URL
    // fragment); every route that does something needs one: the API key for `/v1`, the UI's
    // session token for `/api/`, never one for the other.
    let path = request.uri().path();
    let is_ui = path.starts_with("/api/") || path == "/api";
    if !(is_ui || path.starts_with("/v1/") || path == "/v1") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    let wanted = if is_ui {
        Some(shared.ui_token.clone())
    } else {
        shared.key.current(&shared.app).await
    };
    let accepted = match (token, wanted) {
        (Some(token), Some(wanted)) => constant_time_eq(token.as_bytes(), wanted.as_bytes()),
        _ => false,
    };
    if !accepted {
        let message = if is_ui {
            "missing or wrong session token; open the address `hearth-cli serve` printed"
        } else {
            "missing or wrong API key; send `Authorization: Bearer <key>` with the key `hearth-cli serve` printed (or Settings → Local API server)"
        };
        let mut response = ApiError {
            code: Some("invalid_api_key"),
            ..ApiError::new(ErrorKind::Unauthorized, message)
        }
        .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}

/// Hosts a request may name: loopback names with the port, and the configured host.
pub(super) fn allowed_hosts(host: &str, port: u16) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "[::1]".to_owned(),
    ];
    let configured = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if !names.contains(&configured) && configured != "0.0.0.0" && configured != "[::]" {
        names.push(configured.to_ascii_lowercase());
    }
    names.into_iter().map(|n| format!("{n}:{port}")).collect()
}

/// CORS: only the listed origins get a grant; with none listed, no page gets one.
pub(super) fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| o.as_str() != "*")
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
