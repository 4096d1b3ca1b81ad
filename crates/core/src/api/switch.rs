//! The desktop app's "local API server" switch: starts and stops the API inside the app,
//! remembering the choice (off by default) in settings.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{oneshot, Mutex};

use super::{
    serve, ApiConfig, ApiKey, ALLOWED_ORIGINS_SETTING, DEFAULT_PORT, SAVE_HISTORY_SETTING,
};
use crate::{App, CoreError};

/// Settings key: whether the API server runs (false by default).
pub const ENABLED_SETTING: &str = "api.enabled";
/// Settings key: its port.
pub const PORT_SETTING: &str = "api.port";
/// Settings key: the address it listens on (loopback by default).
pub const HOST_SETTING: &str = "api.host";

/// What the Settings screen shows about the API server.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ApiStatus {
    /// The switch.
    pub enabled: bool,
    /// The address it listens on.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `http://host:port/v1` while it runs.
    pub url: Option<String>,
    /// The API key clients must send (while it runs).
    pub token: Option<String>,
    /// Set when the address lets other computers in.
    pub warning: Option<String>,
}

/// Starts and stops the app's API server. Cheap to clone.
#[derive(Clone, Default)]
pub struct ApiSwitch {
    running: Arc<Mutex<Option<Running>>>,
}

struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl ApiSwitch {
    /// Starts the server if the settings say it was on.
    pub async fn restore(&self, app: &App) -> Result<(), CoreError> {
        let store = app.hearth().store();
        if store
            .setting::<bool>(ENABLED_SETTING)
            .await?
            .unwrap_or(false)
        {
            let (host, port) = self.address(app).await?;
            self.start(app, &host, port).await?;
        }
        Ok(())
    }

    /// The switch, the address, and the URL and token while it runs.
    pub async fn status(&self, app: &App) -> Result<ApiStatus, CoreError> {
        let store = app.hearth().store();
        let enabled = store
            .setting::<bool>(ENABLED_SETTING)
            .await?
            .unwrap_or(false);
        let (host, port) = self.address(app).await?;
        let url = self.running.lock().await.as_ref().map(|r| r.url.clone());
        let token = match url {
            Some(_) => Some(app.api_key().await?),
            None => None,
        };
        let warning = (!is_loopback(&host)).then(|| {
            format!("{host} lets other computers on your network reach the API; anyone with the token can use your models")
        });
        Ok(ApiStatus {
            enabled,
            host,
            port,
            url,
            token,
            warning,
        })
    }

    /// Turns the server on or off at `host:port`, and remembers the choice.
    pub async fn set(
        &self,
        app: &App,
        enabled: bool,
        host: &str,
        port: u16,
    ) -> Result<ApiStatus, CoreError> {
        let host = host.trim();
        if host.is_empty() {
            return Err(CoreError::Invalid(
                "the API server needs an address to listen on".into(),
            ));
        }
        self.stop().await;
        let store = app.hearth().store();
        store.set_setting(HOST_SETTING, &host).await?;
        store.set_setting(PORT_SETTING, &port).await?;
        if enabled {
            self.start(app, host, port).await?;
        }
        store.set_setting(ENABLED_SETTING, &enabled).await?;
        self.status(app).await
    }

    /// Replaces the API key: programs using the old one are refused from the next request.
    pub async fn new_key(&self, app: &App) -> Result<ApiStatus, CoreError> {
        app.new_api_key().await?;
        self.status(app).await
    }

    async fn address(&self, app: &App) -> Result<(String, u16), CoreError> {
        let store = app.hearth().store();
        let host = store
            .setting::<String>(HOST_SETTING)
            .await?
            .unwrap_or_else(|| "127.0.0.1".into());
        let port = store
            .setting::<u16>(PORT_SETTING)
            .await?
            .unwrap_or(DEFAULT_PORT);
        Ok((host, port))
    }

    async fn start(&self, app: &App, host: &str, port: u16) -> Result<(), CoreError> {
        let store = app.hearth().store();
        // Made now, so the status shows it as soon as the server runs.
        app.api_key().await?;
        let base = ApiConfig::new(ApiKey::Saved)
            .map_err(|e| CoreError::Unavailable(format!("no random token could be made: {e}")))?;
        let config = ApiConfig {
            host: host.to_owned(),
            allowed_origins: store
                .setting(ALLOWED_ORIGINS_SETTING)
                .await?
                .unwrap_or_default(),
            save_history: store.setting(SAVE_HISTORY_SETTING).await?.unwrap_or(false),
            ..base
        };
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| {
                CoreError::Unavailable(format!(
                    "the API server cannot listen on {host}:{port} ({e}); choose another port"
                ))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| CoreError::Unavailable(e.to_string()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = app.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = serve(listener, app, config, shutdown).await {
                tracing::warn!("the API server stopped: {e}");
            }
        });
        *self.running.lock().await = Some(Running {
            url: format!("http://{addr}/v1"),
            stop,
            task,
        });
        Ok(())
    }

    /// Stops the server if it runs, waiting until its port is free again.
    pub async fn stop(&self) {
        if let Some(running) = self.running.lock().await.take() {
            let _ = running.stop.send(());
            // Graceful shutdown waits for open streams; a client that keeps one open is cut off.
            let abort = running.task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(5), running.task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]")
}
