//! The downloader: verified, resumable downloads into `models/`, a few at a time.
//!
//! A download streams into `<file>.part` while its SHA-256 is computed; `<file>.part.json` keeps
//! what a resume needs. Only a file whose checksum matches is renamed into place, so `models/`
//! never holds a wrong file, whatever the network or the server does.

mod state;
mod transfer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, watch, Semaphore};

pub use state::{PartFiles, PartState};

use crate::catalog::{is_safe_file_name, CatalogEntry};
use crate::ModelsError;

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// Id for events and control (the catalog id).
    pub id: String,
    /// Where from.
    pub url: String,
    /// File name inside `models/`.
    pub file: String,
    /// Exact size, when known in advance.
    pub size: Option<u64>,
    /// Expected SHA-256; when absent it is read from Hugging Face or the download is refused.
    pub sha256: Option<String>,
}

impl From<&CatalogEntry> for DownloadRequest {
    fn from(entry: &CatalogEntry) -> Self {
        DownloadRequest {
            id: entry.id.clone(),
            url: entry.url.clone(),
            file: entry.file.clone(),
            size: entry.size,
            sha256: entry.sha256.clone(),
        }
    }
}

/// How patient the downloader is.
#[derive(Debug, Clone)]
pub struct DownloadSettings {
    /// With no byte arriving for this long, the connection is dropped and retried.
    pub stall_timeout: Duration,
    /// Failed attempts in a row (without progress between them) before giving up.
    pub retries: u32,
    /// Wait before the first retry; doubles with each further one.
    pub backoff: Duration,
    /// Downloads at once; more wait their turn.
    pub parallel: usize,
    /// How often progress events are sent.
    pub progress_interval: Duration,
}

impl Default for DownloadSettings {
    fn default() -> Self {
        DownloadSettings {
            stall_timeout: Duration::from_secs(30),
            retries: 6,
            backoff: Duration::from_secs(1),
            parallel: 2,
            progress_interval: Duration::from_millis(250),
        }
    }
}

/// What happens to a download, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DownloadEvent {
    /// Waiting for a free slot.
    Queued {
        /// Download id.
        id: String,
    },
    /// A connection delivers bytes (`resumed_from` > 0 when continuing a part).
    Started {
        /// Download id.
        id: String,
        /// Whole size, when known.
        total: Option<u64>,
        /// Bytes already on disk.
        resumed_from: u64,
    },
    /// Bytes arrived.
    Progress {
        /// Download id.
        id: String,
        /// Bytes on disk.
        bytes: u64,
        /// Whole size, when known.
        total: Option<u64>,
        /// Smoothed speed.
        bytes_per_sec: u64,
        /// Seconds to go, when the size and speed are known.
        eta_secs: Option<u64>,
    },
    /// An attempt failed; another follows after `wait_ms`.
    Retrying {
        /// Download id.
        id: String,
        /// Failures in a row.
        attempt: u32,
        /// What went wrong.
        reason: String,
        /// Delay before the next attempt.
        wait_ms: u64,
    },
    /// The bytes so far were thrown away and the download starts from zero.
    Restarted {
        /// Download id.
        id: String,
        /// Why.
        reason: String,
    },
    /// All bytes are here; checking the checksum and header.
    Verifying {
        /// Download id.
        id: String,
    },
    /// Verified and installed.
    Finished {
        /// Download id.
        id: String,
        /// The installed file.
        path: PathBuf,
    },
    /// Stopped; the part file stays for a later resume.
    Paused {
        /// Download id.
        id: String,
    },
    /// Stopped and its part file deleted.
    Cancelled {
        /// Download id.
        id: String,
    },
    /// Gave up; nothing was installed.
    Failed {
        /// Download id.
        id: String,
        /// What went wrong and what to do, in English.
        message: String,
        /// What kind of failure it is.
        problem: DownloadProblem,
    },
}

/// What kind of failure ended a download: the window says it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DownloadProblem {
    /// The server could not be reached, or kept failing: offline, or the server is down.
    Unreachable,
    /// The server refused the file (404 gone, 403 not allowed…).
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// No checksum is known for the file, so it was not downloaded.
    NoChecksum,
    /// The bytes were not the file the catalog describes; they were deleted.
    Damaged,
    /// The server sent the download on to an insecure (http) address.
    Insecure,
    /// Not enough free disk space.
    DiskFull {
        /// Bytes still to download.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// Anything else (a file that could not be written…); the message says what.
    Other,
}

/// What a running download has been told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Pause,
    Cancel,
}

/// Downloads models into one directory.
#[derive(Clone)]
pub struct Downloader {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// For the checksum lookup, which reads a header of the redirect itself.
    head_client: reqwest::Client,
    dir: PathBuf,
    settings: DownloadSettings,
    slots: Semaphore,
    events: broadcast::Sender<DownloadEvent>,
    running: Mutex<HashMap<String, watch::Sender<Control>>>,
}

impl Inner {
    fn emit(&self, event: DownloadEvent) {
        // Nobody listening is fine: events are for whoever shows progress.
        let _ = self.events.send(event);
    }
}

impl Downloader {
    /// A downloader that installs into `dir` (created if missing).
    pub fn new(dir: &Path, settings: DownloadSettings) -> Result<Downloader, ModelsError> {
        std::fs::create_dir_all(dir).map_err(|source| ModelsError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        // One TLS implementation for the process (ring); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = |redirects| {
            // TLS is always verified (rustls with the OS's roots); the system proxy is honoured.
            reqwest::Client::builder()
                .user_agent(concat!("Hearth/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(30))
                .redirect(redirects)
                .https_only(false)
                .build()
                .map_err(|e| ModelsError::Network {
                    url: String::new(),
                    reason: format!("cannot set up HTTPS: {e}"),
                })
        };
        Ok(Downloader {
            inner: Arc::new(Inner {
                client: client(redirect_policy())?,
                head_client: client(reqwest::redirect::Policy::none())?,
                dir: dir.to_path_buf(),
                slots: Semaphore::new(settings.parallel.max(1)),
                settings,
                events: broadcast::channel(1024).0,
                running: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Events of every download from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DownloadEvent> {
        self.inner.events.subscribe()
    }

    /// Downloads, verifies and installs `request`; returns the installed file.
    ///
    /// Resumes a part file left by an earlier run. Ends with [`ModelsError::Paused`] or
    /// [`ModelsError::Cancelled`] when [`Downloader::pause`] or [`Downloader::cancel`] is called.
    pub async fn download(&self, request: DownloadRequest) -> Result<PathBuf, ModelsError> {
        let id = request.id.clone();
        let result = self.run(&request).await;
        if matches!(result, Err(ModelsError::AlreadyDownloading(_))) {
            return result; // the other call owns the control entry and the events
        }
        self.inner.running_remove(&id);
        self.inner.emit(match &result {
            Ok(path) => DownloadEvent::Finished {
                id,
                path: path.clone(),
            },
            Err(ModelsError::Paused) => DownloadEvent::Paused { id },
            Err(ModelsError::Cancelled) => DownloadEvent::Cancelled { id },
            Err(e) => DownloadEvent::Failed {
                id,
                message: e.to_string(),
                problem: e.download_problem(),
            },
        });
        result
    }

    async fn run(&self, request: &DownloadRequest) -> Result<PathBuf, ModelsError> {
        if !is_safe_file_name(&request.file) {
            return Err(ModelsError::UnsafeFileName(request.file.clone()));
        }
        let target = self.inner.dir.join(&request.file);
        if target.exists() {
            return Err(ModelsError::AlreadyInstalled(target));
        }
        let (tx, control) = watch::channel(Control::Run);
        {
            let mut running = self
                .inner
                .running
                .lock()
                .map_err(|_| ModelsError::Cancelled)?;
            if running.contains_key(&request.id) {
                return Err(ModelsError::AlreadyDownloading(request.id.clone()));
            }
            running.insert(request.id.clone(), tx);
        }
        let files = PartFiles::new(&self.inner.dir, &request.file);
        if self.inner.slots.available_permits() == 0 {
            self.inner.emit(DownloadEvent::Queued {
                id: request.id.clone(),
            });
        }
        let mut waiting = control.clone();
        let _slot = tokio::select! {
            slot = self.inner.slots.acquire() => slot.map_err(|_| ModelsError::Cancelled)?,
            told = waiting.wait_for(|c| *c != Control::Run) => {
                let told = told.map_or(Control::Cancel, |c| *c);
                return Err(stop_error(told, &files));
            }
        };
        let transfer = transfer::Transfer {
            inner: &self.inner,
            request,
            control,
            files: files.clone(),
        };
        match transfer.run().await {
            Ok((path, sha256)) => {
                crate::Library::new(&self.inner.dir).record(
                    &request.file,
                    &sha256,
                    &request.url,
                )?;
                Ok(path)
            }
            Err(ModelsError::Cancelled) => {
                files.remove();
                Err(ModelsError::Cancelled)
            }
            Err(e) => Err(e),
        }
    }

    /// Pauses the download `id`, keeping its part file; false if it is not running.
    pub fn pause(&self, id: &str) -> bool {
        self.inner.signal(id, Control::Pause)
    }

    /// Cancels the download `id` and deletes its part file; false if it is not running.
    pub fn cancel(&self, id: &str) -> bool {
        self.inner.signal(id, Control::Cancel)
    }

    /// Deletes the part files of a download that is not running (a paused one).
    pub fn discard(&self, file: &str) {
        PartFiles::new(&self.inner.dir, file).remove();
    }

    /// Bytes already downloaded of `file`, for showing a paused download.
    pub fn partial_bytes(&self, file: &str) -> Option<u64> {
        let files = PartFiles::new(&self.inner.dir, file);
        std::fs::metadata(files.part).ok().map(|m| m.len())
    }
}

/// Most redirects a download follows.
const MAX_REDIRECTS: usize = 10;

/// Whether a download may follow a redirect from the chain `previous` to `next`: at most
/// [`MAX_REDIRECTS`], and never from https back to plain http.
pub(crate) fn redirect_refused(
    previous: &[reqwest::Url],
    next: &reqwest::Url,
) -> Option<&'static str> {
    if previous.len() >= MAX_REDIRECTS {
        return Some("too many redirects");
    }
    if previous.iter().any(|u| u.scheme() == "https") && next.scheme() != "https" {
        return Some(INSECURE_REDIRECT);
    }
    None
}

/// The reason a redirect to http is refused; the transfer reports it as final.
pub(crate) const INSECURE_REDIRECT: &str = "redirected from https to http";

fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        match redirect_refused(attempt.previous(), attempt.url()) {
            Some(why) => attempt.error(why),
            None => attempt.follow(),
        }
    })
}

fn stop_error(control: Control, files: &PartFiles) -> ModelsError {
    if control == Control::Cancel {
        files.remove();
        ModelsError::Cancelled
    } else {
        ModelsError::Paused
    }
}

impl Inner {
    fn signal(&self, id: &str, control: Control) -> bool {
        match self.running.lock() {
            Ok(running) => running.get(id).is_some_and(|tx| tx.send(control).is_ok()),
            Err(_) => false,
        }
    }

    fn running_remove(&self, id: &str) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression guard: a download over https never continues over plain http.
    #[test]
    fn redirects_never_leave_https_and_are_bounded() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        let https = [url("https://huggingface.co/m.gguf")];
        assert_eq!(
            redirect_refused(&https, &url("http://cdn.example/m.gguf")),
            Some(INSECURE_REDIRECT)
        );
        assert_eq!(
            redirect_refused(&https, &url("https://cdn.example/m.gguf")),
            None
        );
        let plain = [url("http://127.0.0.1:8000/m.gguf")];
        assert_eq!(
            redirect_refused(&plain, &url("http://127.0.0.1:8000/n.gguf")),
            None
        );
        let long: Vec<reqwest::Url> = (0..MAX_REDIRECTS)
            .map(|i| url(&format!("https://a.example/{i}")))
            .collect();
        assert!(redirect_refused(&long, &url("https://a.example/x")).is_some());
    }
}
