//! The local OpenAI-compatible API: `/v1/models`, `/v1/chat/completions`, `/v1/completions`,
//! for programs on this computer (the `openai` client, LangChain, editors).
//!
//! Safe by default: it binds loopback unless told otherwise; `/v1` needs the API key and the web
//! UI's `/api/` routes need the UI's own session token (the key alone cannot read a chat); the
//! `Host` header must name this server (no DNS rebinding), CORS grants only listed origins,
//! bodies are size-limited, a client has 10 s to send its headers and connections are capped.
//! Requests queue fairly behind the one engine; past the queue's bound they get 429. A client
//! that goes away cancels its generation.

mod guard;
mod listen;
mod openai;
mod origin;
mod routes;
mod switch;
mod ui;

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, delete, get, post, put};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::services::{ServeDir, ServeFile};

pub use guard::ApiKey;
pub use openai::{status_for, ApiError};
pub use switch::{ApiStatus, ApiSwitch, ENABLED_SETTING, HOST_SETTING, PORT_SETTING};

use crate::App;

/// Settings key of the API key, generated on first start (see [`App::api_key`]).
pub const TOKEN_SETTING: &str = "api.token";
/// Settings key: write API conversations into the chat history (default false).
pub const SAVE_HISTORY_SETTING: &str = "api.save_history";
/// Settings key: origins granted CORS (default none).
pub const ALLOWED_ORIGINS_SETTING: &str = "api.allowed_origins";
/// GPT4All's port, so tools written for it find Hearth.
pub const DEFAULT_PORT: u16 = 4891;

/// How the API server behaves.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The key `/v1` requests must carry.
    pub key: ApiKey,
    /// The web UI's own session token: `/api/` routes take this one and never the API key,
    /// so a key pasted into an editor cannot read or delete chats. New for every server.
    pub ui_token: String,
    /// The host name requests must address besides the loopback names.
    pub host: String,
    /// Origins whose pages may call the API from a browser.
    pub allowed_origins: Vec<String>,
    /// Requests that may wait for the engine; more get 429.
    pub queue_limit: usize,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Longest a non-streamed request may take.
    pub timeout: Duration,
    /// Longest a client may take to send a request's headers (also an idle connection's limit).
    pub header_timeout: Duration,
    /// Connections served at once; more are closed as they arrive.
    pub max_connections: usize,
    /// Write API conversations into the chat history.
    pub save_history: bool,
    /// The built web UI to serve at `/` (with its routes under `/api/`), if any.
    pub ui_dir: Option<std::path::PathBuf>,
}

impl ApiConfig {
    /// Safe defaults around `key`: loopback, no CORS, 16 waiting, 1 MiB, 10 minutes per reply,
    /// 10 s to send headers, 128 connections, a fresh UI session token.
    pub fn new(key: ApiKey) -> std::io::Result<ApiConfig> {
        Ok(ApiConfig {
            key,
            ui_token: new_token()?,
            host: "127.0.0.1".into(),
            allowed_origins: Vec::new(),
            queue_limit: 16,
            body_limit: 1 << 20,
            timeout: Duration::from_secs(600),
            header_timeout: Duration::from_secs(10),
            max_connections: 128,
            save_history: false,
            ui_dir: None,
        })
    }
}

/// What every request handler shares.
pub(crate) struct Shared {
    /// The app: engine, store, installed models, and the UI's operations.
    app: App,
    /// The key `/v1` takes, compared in constant time.
    key: guard::KeySource,
    /// The token `/api/` takes.
    ui_token: String,
    /// `Host` values accepted (with the port).
    allowed_hosts: Vec<String>,
    /// One generation at a time; waiting requests queue here in arrival order.
    engine_slot: Arc<Semaphore>,
    /// Requests waiting for the slot now.
    waiting: AtomicUsize,
    /// Bound on `waiting`.
    queue_limit: usize,
    /// Write conversations into the history.
    save_history: bool,
    /// Longest a non-streamed request may take.
    timeout: Duration,
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: App,
    config: ApiConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let shared = Arc::new(Shared {
        key: guard::KeySource::new(config.key.clone()),
        ui_token: config.ui_token.clone(),
        app,
        allowed_hosts: guard::allowed_hosts(&config.host, port),
        engine_slot: Arc::new(Semaphore::new(1)),
        waiting: AtomicUsize::new(0),
        queue_limit: config.queue_limit,
        save_history: config.save_history,
        timeout: config.timeout,
    });
    let router = router(shared, &config);
    let limits = listen::Limits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
    };
    listen::run(listener, router, limits, shutdown).await
}

fn router(shared: Arc<Shared>, config: &ApiConfig) -> Router {
    let mut app = Router::new()
        .route("/v1/models", get(routes::list_models))
        .route("/v1/models/{*id}", get(routes::get_model))
        .route("/v1/chat/completions", post(routes::chat_completions))
        .route("/v1/completions", post(routes::completions));
    // A page (and the web UI's routes) only where a UI is served.
    if let Some(dir) = &config.ui_dir {
        let index = dir.join("index.html");
        app = app
            .route("/api/models", get(ui::models))
            .route("/api/models/default", put(ui::set_default))
            .route("/api/models/unload", post(ui::unload_model))
            .route("/api/chats", get(ui::list_chats).post(ui::create_chat))
            .route(
                "/api/chats/{id}",
                get(ui::get_chat)
                    .patch(ui::patch_chat)
                    .delete(ui::delete_chat),
            )
            .route("/api/chats/{id}/messages", post(ui::send))
            .route("/api/chats/{id}/regenerate", post(ui::regenerate))
            .route("/api/chats/{id}/cancel", post(ui::cancel))
            .route("/api/messages/{id}/edit", post(ui::edit))
            .route("/api/messages/{id}/show", post(ui::show_version))
            .route("/api/search", get(ui::search))
            .route(
                "/api/collections",
                get(ui::collections).post(ui::add_collection),
            )
            .route("/api/collections/change", post(ui::change_collection))
            .route("/api/collections/unreadable", get(ui::unreadable_files))
            .route("/api/localdocs", get(ui::localdocs))
            .route("/api/localdocs/paused", put(ui::pause_indexing))
            .route("/api/localdocs/retrieval", put(ui::set_retrieval))
            .route("/api/settings", get(ui::settings))
            .route(
                "/api/settings/generation",
                get(ui::generation)
                    .put(ui::set_generation)
                    .delete(ui::clear_generation),
            )
            .route("/api/settings/system_prompt", put(ui::set_system_prompt))
            .route(
                "/api/snapshots",
                get(ui::snapshots).delete(ui::clear_snapshots),
            )
            .route("/api/snapshots/limit", put(ui::set_snapshot_limit))
            .route("/api/providers", get(ui::providers).post(ui::add_provider))
            .route("/api/providers/keys_in_file", put(ui::set_keys_in_file))
            .route("/api/providers/{name}", delete(ui::remove_provider))
            .route("/api/providers/{name}/models", post(ui::provider_models))
            .route("/api/providers/{name}/model", post(ui::add_provider_model))
            .route("/api/catalog", get(ui::catalog))
            .route("/api/installed", get(ui::installed).post(ui::import_model))
            .route("/api/installed/{id}", delete(ui::delete_model))
            .route("/api/installed/{id}/verify", post(ui::verify_model))
            .route("/api/downloads", post(ui::start_download))
            .route("/api/downloads/{id}/pause", post(ui::pause_download))
            .route("/api/downloads/{id}/cancel", post(ui::cancel_download))
            .route("/api/events", get(ui::events))
            .route("/api/{*rest}", any(routes::not_found))
            .route("/v1/{*rest}", any(routes::not_found))
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    } else {
        app = app.fallback(routes::not_found);
    }
    app.layer(axum::middleware::from_fn_with_state(
        shared.clone(),
        guard::check,
    ))
    .layer(DefaultBodyLimit::max(config.body_limit))
    .layer(guard::cors(&config.allowed_origins))
    .with_state(shared)
}

/// A new random token: 32 bytes from the OS, hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
