//! Update checks, off unless the user turns them on in Settings: Tauri's updater reads the
//! signed release manifest, downloads the newer package and verifies its minisign signature
//! against the release public key in tauri.conf.json before anything is installed. Only HTTPS
//! endpoints are accepted, with the system's certificate checks.
//!
//! `HEARTH_UPDATE_ENDPOINT` and `HEARTH_UPDATE_PUBKEY` point the check elsewhere (a mirror, the
//! installer test's local server). They widen nothing: whoever sets the app's environment can
//! already choose the engine it runs (`HEARTH_ENGINE`).

use hearth_core::UpdateInfo;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Url};
use tauri_plugin_updater::{Update, Updater, UpdaterExt};
use tokio::sync::Mutex;

use crate::error::Error;

/// Download progress, sent to the window as `hearth:update`.
#[derive(Clone, Serialize)]
struct Progress {
    downloaded: u64,
    total: Option<u64>,
}

/// The update the user was offered, and its verified bytes once downloaded.
#[derive(Default)]
pub struct Updates {
    pending: Mutex<Option<(Update, Option<Vec<u8>>)>>,
}

fn updater(app: &AppHandle) -> Result<Updater, Error> {
    let mut builder = app.updater_builder();
    if let Ok(endpoint) = std::env::var("HEARTH_UPDATE_ENDPOINT") {
        let url = Url::parse(&endpoint)
            .map_err(|e| Error::update(format!("HEARTH_UPDATE_ENDPOINT is not a URL: {e}")))?;
        builder = builder.endpoints(vec![url]).map_err(Error::from)?;
    }
    if let Ok(key) = std::env::var("HEARTH_UPDATE_PUBKEY") {
        builder = builder.pubkey(key);
    }
    Ok(builder.build()?)
}

impl Updates {
    /// Asks the release manifest for a newer version; `None` when this one is the newest.
    pub async fn check(&self, app: &AppHandle) -> Result<Option<UpdateInfo>, Error> {
        let found = updater(app)?.check().await?;
        let info = found.as_ref().map(|u| UpdateInfo {
            version: u.version.clone(),
            current: u.current_version.clone(),
            notes: u.body.clone(),
        });
        *self.pending.lock().await = found.map(|u| (u, None));
        Ok(info)
    }

    /// Downloads the offered update and verifies its signature; nothing is installed yet.
    pub async fn download(&self, app: &AppHandle) -> Result<(), Error> {
        let mut pending = self.pending.lock().await;
        let Some((update, bytes)) = pending.as_mut() else {
            return Err(Error::update(
                "there is no update to download; check for one first",
            ));
        };
        let mut downloaded = 0u64;
        let verified = update
            .download(
                |chunk, total| {
                    downloaded += chunk as u64;
                    let _ = app.emit("hearth:update", Progress { downloaded, total });
                },
                || {},
            )
            .await?;
        *bytes = Some(verified);
        Ok(())
    }

    /// Installs the downloaded update and restarts Hearth into it.
    pub async fn install(&self, app: &AppHandle) -> Result<(), Error> {
        let pending = self.pending.lock().await;
        let Some((update, Some(bytes))) = pending.as_ref() else {
            return Err(Error::update("download the update before installing it"));
        };
        update.install(bytes)?;
        app.restart()
    }
}
