//! Who may talk to the API: the bearer token, the `Host` allow-list (against DNS rebinding) and
//! CORS with an explicit origin list (closed by default, never a wildcard).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::openai::ApiError;
use super::Shared;

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
        return ApiError::status(
            StatusCode::FORBIDDEN,
            "permission_error",
            "this server answers only requests addressed to its own host name (Host header refused)",
        )
        .into_response();
    }
    // The web UI's files load without the token (the page brings it in its URL fragment);
    // every route that does something needs it.
    let path = request.uri().path();
    if !(path.starts_with("/v1/") || path.starts_with("/api/") || path == "/v1" || path == "/api") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    if !token.is_some_and(|t| constant_time_eq(t.as_bytes(), shared.token.as_bytes())) {
        let mut response = ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: "missing or wrong API token; send `Authorization: Bearer <token>` with the token `hearth-cli serve` printed".into(),
            kind: "invalid_request_error",
            param: None,
            code: Some("invalid_api_key"),
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
