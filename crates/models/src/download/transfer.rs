//! One download: HTTP with resume, the checksum computed as bytes arrive, retries, stall
//! detection, and the verify-then-rename that is the only way a file enters `models/`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::sync::watch;

use super::state::{PartFiles, PartState};
use super::{Control, DownloadEvent, DownloadRequest, Inner};
use crate::ModelsError;

/// The most bytes a download of unknown size may bring: far beyond any single model file (the
/// Hub's own limit is 50 GB a file), well before a server streaming forever fills the disk.
pub(super) const MAX_UNKNOWN_SIZE: u64 = 64 << 30;

/// Why one attempt ended without the whole file.
enum Attempt {
    /// Worth another try (network error, 5xx, stall, short body).
    Retry(String),
    /// Not worth another try.
    Fatal(ModelsError),
}

impl From<ModelsError> for Attempt {
    fn from(e: ModelsError) -> Self {
        Attempt::Fatal(e)
    }
}

/// The part file being written, and the hash of everything in it.
struct Part {
    file: BufWriter<tokio::fs::File>,
    path: PathBuf,
    len: u64,
    hasher: Sha256,
}

pub(super) struct Transfer<'a> {
    pub(super) inner: &'a Inner,
    pub(super) request: &'a DownloadRequest,
    pub(super) control: watch::Receiver<Control>,
    pub(super) files: PartFiles,
}

impl Transfer<'_> {
    /// Runs the download to a verified file in `models/`; returns it and its SHA-256.
    pub(super) async fn run(mut self) -> Result<(PathBuf, String), ModelsError> {
        let sha256 = match &self.request.sha256 {
            Some(sha) => sha.to_ascii_lowercase(),
            None => self.checksum_from_hub().await?,
        };
        let mut state = match self.files.load() {
            Some(s) if s.url == self.request.url && s.sha256 == sha256 => s,
            _ => {
                // A part from another URL or checksum is not a prefix of this file.
                self.files.remove();
                PartState {
                    url: self.request.url.clone(),
                    sha256: sha256.clone(),
                    ..PartState::default()
                }
            }
        };
        state.total = state.total.or(self.request.size);
        let mut part = self.open_part().await?;
        if let Some(total) = state.total {
            self.check_space(total.saturating_sub(part.len))?;
        }
        let mut failures = 0u32;
        loop {
            let before = part.len;
            match self.attempt(&mut part, &mut state).await {
                Ok(()) => break,
                Err(Attempt::Fatal(e)) => {
                    part.file.flush().await.ok();
                    return Err(e);
                }
                Err(Attempt::Retry(reason)) => {
                    part.file.flush().await.map_err(|e| self.io_error(e))?;
                    failures = if part.len > before { 1 } else { failures + 1 };
                    if failures > self.inner.settings.retries {
                        return Err(ModelsError::Network {
                            url: self.request.url.clone(),
                            reason,
                        });
                    }
                    let wait = self.inner.settings.backoff * 2u32.saturating_pow(failures - 1);
                    self.inner.emit(DownloadEvent::Retrying {
                        id: self.request.id.clone(),
                        attempt: failures,
                        reason,
                        wait_ms: wait.as_millis() as u64,
                    });
                    self.wait(wait).await?;
                }
            }
        }
        self.finish(part, &state).await
    }

    /// Reads the expected SHA-256 from Hugging Face's LFS metadata: the `X-Linked-Etag` of the
    /// redirect that `resolve/` URLs answer a HEAD with.
    async fn checksum_from_hub(&self) -> Result<String, ModelsError> {
        let url = &self.request.url;
        let refused = |why: String| ModelsError::NoChecksum {
            url: url.clone(),
            why,
        };
        let reply = self
            .inner
            .head_client
            .head(url)
            .send()
            .await
            .map_err(|e| refused(format!("asking the server failed: {e}")))?;
        let etag = reply
            .headers()
            .get("x-linked-etag")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.trim()
                    .trim_start_matches("W/")
                    .trim_matches('"')
                    .to_ascii_lowercase()
            });
        match etag {
            Some(sha) if crate::catalog::is_sha256(&sha) => Ok(sha),
            Some(other) => Err(refused(format!("its LFS etag {other:?} is not a SHA-256"))),
            None => Err(refused(
                "the server publishes no LFS checksum for it".into(),
            )),
        }
    }

    async fn open_part(&self) -> Result<Part, ModelsError> {
        let path = self.files.part.clone();
        let mut options = tokio::fs::OpenOptions::new();
        options.create(true).read(true).append(true);
        // A download is this user's file alone, like everything in the data folder.
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&path).await.map_err(|e| self.io_error(e))?;
        // Resuming: the checksum covers the whole file, so the bytes already here are hashed first.
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).await.map_err(|e| self.io_error(e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok(Part {
            file: BufWriter::with_capacity(1 << 20, file),
            path,
            len,
            hasher,
        })
    }

    async fn attempt(&mut self, part: &mut Part, state: &mut PartState) -> Result<(), Attempt> {
        self.check_control()?;
        let mut request = self.inner.client.get(&self.request.url);
        if part.len > 0 {
            request = request.header(RANGE, format!("bytes={}-", part.len));
            // If the file changed on the server, If-Range makes it send the new one whole.
            if let Some(validator) = state.etag.as_ref().or(state.last_modified.as_ref()) {
                request = request.header(IF_RANGE, validator);
            }
        }
        let stall = self.inner.settings.stall_timeout;
        let mut reply = tokio::select! {
            reply = tokio::time::timeout(stall, request.send()) => match reply {
                Err(_) => return Err(Attempt::Retry(format!("no answer for {} s", stall.as_secs()))),
                Ok(Err(e)) if e.is_redirect() => {
                    let url = self.request.url.clone();
                    return Err(Attempt::Fatal(if describe(&e).contains(super::INSECURE_REDIRECT) {
                        ModelsError::InsecureRedirect { url }
                    } else {
                        ModelsError::Network { url, reason: describe(&e) }
                    }));
                }
                Ok(Err(e)) => return Err(Attempt::Retry(describe(&e))),
                Ok(Ok(reply)) => reply,
            },
            control = self.control.changed() => return Err(stop(control.ok().map(|_| *self.control.borrow()))),
        };
        let status = reply.status();
        match status {
            StatusCode::PARTIAL_CONTENT => {
                let start = content_range_start(reply.headers());
                if start != Some(part.len) {
                    self.start_over(part, state, "the server sent a different part of the file")
                        .await?;
                    return Err(Attempt::Retry("the server sent the wrong range".into()));
                }
                state.total = content_range_total(reply.headers()).or(state.total);
            }
            StatusCode::OK => {
                if part.len > 0 {
                    self.start_over(part, state, "the server cannot resume; starting over")
                        .await?;
                }
                state.total = reply.content_length().or(state.total);
            }
            StatusCode::RANGE_NOT_SATISFIABLE if Some(part.len) == state.total => return Ok(()),
            StatusCode::RANGE_NOT_SATISFIABLE => {
                self.start_over(
                    part,
                    state,
                    "the server's file is shorter than the part already here",
                )
                .await?;
                return Err(Attempt::Retry("range not satisfiable".into()));
            }
            s if s.is_server_error()
                || s == StatusCode::TOO_MANY_REQUESTS
                || s == StatusCode::REQUEST_TIMEOUT =>
            {
                return Err(Attempt::Retry(format!("the server answered {s}")));
            }
            s => {
                return Err(Attempt::Fatal(ModelsError::HttpStatus {
                    url: self.request.url.clone(),
                    status: s.as_u16(),
                }))
            }
        }
        state.etag = header(reply.headers(), ETAG);
        state.last_modified = header(reply.headers(), LAST_MODIFIED);
        self.files.save(state)?;
        if let Some(total) = state.total {
            self.check_space(total.saturating_sub(part.len))?;
        }
        self.inner.emit(DownloadEvent::Started {
            id: self.request.id.clone(),
            total: state.total,
            resumed_from: part.len,
        });
        let mut progress = Progress::new(part.len);
        // The catalog's size is the truth; a server's own claim or nothing at all gets a cap.
        let limit = self
            .request
            .size
            .or(state.total)
            .unwrap_or(MAX_UNKNOWN_SIZE);
        loop {
            let chunk = tokio::select! {
                chunk = tokio::time::timeout(stall, reply.chunk()) => chunk,
                control = self.control.changed() => return Err(stop(control.ok().map(|_| *self.control.borrow()))),
            };
            match chunk {
                Err(_) => return Err(Attempt::Retry(format!("no data for {} s", stall.as_secs()))),
                Ok(Err(e)) => return Err(Attempt::Retry(describe(&e))),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => {
                    if part.len + bytes.len() as u64 > limit {
                        return Err(Attempt::Fatal(self.too_large(limit).await));
                    }
                    if self.request.size.is_none()
                        && state.total.is_none()
                        && (part.len >> 30) != ((part.len + bytes.len() as u64) >> 30)
                    {
                        // No size known: keep checking that the disk is not filling up.
                        self.check_space(1 << 30)?;
                    }
                    part.hasher.update(&bytes);
                    part.file
                        .write_all(&bytes)
                        .await
                        .map_err(|e| self.io_error(e))?;
                    part.len += bytes.len() as u64;
                    if let Some(event) = progress.tick(
                        &self.request.id,
                        part.len,
                        state.total,
                        &self.inner.settings,
                    ) {
                        self.inner.emit(event);
                    }
                }
            }
        }
        match state.total {
            Some(total) if part.len < total => Err(Attempt::Retry(format!(
                "the connection closed after {} of {total} bytes",
                part.len
            ))),
            _ => Ok(()),
        }
    }

    /// The server sent more than the file has: the part is deleted, nothing is installed.
    async fn too_large(&self, limit: u64) -> ModelsError {
        self.files.remove();
        ModelsError::TooLarge {
            file: self.request.file.clone(),
            limit,
        }
    }

    /// Truncates the part file and its hash after the server refused to continue it.
    async fn start_over(
        &self,
        part: &mut Part,
        state: &mut PartState,
        reason: &str,
    ) -> Result<(), Attempt> {
        part.file.flush().await.map_err(|e| self.io_error(e))?;
        part.file
            .get_mut()
            .set_len(0)
            .await
            .map_err(|e| self.io_error(e))?;
        part.len = 0;
        part.hasher = Sha256::new();
        state.total = self.request.size;
        self.inner.emit(DownloadEvent::Restarted {
            id: self.request.id.clone(),
            reason: reason.to_owned(),
        });
        Ok(())
    }

    /// Verifies the finished part and renames it into `models/`; deletes it if it is wrong.
    async fn finish(
        &self,
        mut part: Part,
        state: &PartState,
    ) -> Result<(PathBuf, String), ModelsError> {
        part.file.flush().await.map_err(|e| self.io_error(e))?;
        part.file
            .get_ref()
            .sync_all()
            .await
            .map_err(|e| self.io_error(e))?;
        drop(part.file);
        self.inner.emit(DownloadEvent::Verifying {
            id: self.request.id.clone(),
        });
        let actual = format!("{:x}", part.hasher.finalize());
        if actual != state.sha256 {
            self.files.remove();
            return Err(ModelsError::ChecksumMismatch {
                file: self.request.file.clone(),
                expected: state.sha256.clone(),
                actual,
            });
        }
        // The checksum proves this is the catalog's file; the header check proves it is a model.
        if let Err(e) = crate::ModelFacts::inspect(&part.path) {
            self.files.remove();
            return Err(e);
        }
        let target = self.inner.dir.join(&self.request.file);
        std::fs::rename(&part.path, &target).map_err(|source| ModelsError::Io {
            path: target.clone(),
            source,
        })?;
        self.files.remove();
        Ok((target, actual))
    }

    fn check_control(&self) -> Result<(), Attempt> {
        match *self.control.borrow() {
            Control::Run => Ok(()),
            other => Err(stop(Some(other))),
        }
    }

    /// Sleeps before a retry, waking early for pause or cancel.
    async fn wait(&mut self, wait: Duration) -> Result<(), ModelsError> {
        tokio::select! {
            _ = tokio::time::sleep(wait) => Ok(()),
            control = self.control.changed() => match stop(control.ok().map(|_| *self.control.borrow())) {
                Attempt::Fatal(e) => Err(e),
                Attempt::Retry(_) => Ok(()),
            },
        }
    }

    fn check_space(&self, needed: u64) -> Result<(), ModelsError> {
        let Ok(free) = fs4::available_space(&self.inner.dir) else {
            return Ok(());
        };
        // Leave room for the database and the OS to keep working.
        let margin = 64 << 20;
        if free < needed.saturating_add(margin) {
            return Err(ModelsError::DiskFull {
                dir: self.inner.dir.clone(),
                needed,
                free,
            });
        }
        Ok(())
    }

    fn io_error(&self, source: std::io::Error) -> ModelsError {
        if source.raw_os_error() == Some(28) || source.kind() == std::io::ErrorKind::StorageFull {
            return ModelsError::DiskFull {
                dir: self.inner.dir.clone(),
                needed: 0,
                free: 0,
            };
        }
        ModelsError::Io {
            path: self.files.part.clone(),
            source,
        }
    }
}

/// Pause and cancel end an attempt for good; anything else (a spurious wake) is a retry.
fn stop(control: Option<Control>) -> Attempt {
    match control {
        Some(Control::Pause) => Attempt::Fatal(ModelsError::Paused),
        Some(Control::Cancel) | None => Attempt::Fatal(ModelsError::Cancelled),
        Some(Control::Run) => Attempt::Retry("resumed".into()),
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// `Content-Range: bytes START-END/TOTAL`.
fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let range = value.strip_prefix("bytes ")?;
    let (span, total) = range.split_once('/')?;
    let start = span.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

fn content_range_start(headers: &HeaderMap) -> Option<u64> {
    content_range(headers).map(|(start, _)| start)
}

fn content_range_total(headers: &HeaderMap) -> Option<u64> {
    content_range(headers).and_then(|(_, total)| total)
}

/// Throttled progress with a smoothed speed.
struct Progress {
    last: Instant,
    last_bytes: u64,
    speed: f64,
}

impl Progress {
    fn new(bytes: u64) -> Progress {
        Progress {
            last: Instant::now(),
            last_bytes: bytes,
            speed: 0.0,
        }
    }

    fn tick(
        &mut self,
        id: &str,
        bytes: u64,
        total: Option<u64>,
        settings: &super::DownloadSettings,
    ) -> Option<DownloadEvent> {
        let elapsed = self.last.elapsed();
        let done = total == Some(bytes);
        if elapsed < settings.progress_interval && !done {
            return None;
        }
        let now_speed = (bytes - self.last_bytes) as f64 / elapsed.as_secs_f64().max(1e-3);
        self.speed = if self.speed == 0.0 {
            now_speed
        } else {
            0.7 * self.speed + 0.3 * now_speed
        };
        self.last = Instant::now();
        self.last_bytes = bytes;
        let eta_secs = total
            .filter(|_| self.speed > 0.0)
            .map(|t| (t.saturating_sub(bytes) as f64 / self.speed).ceil() as u64);
        Some(DownloadEvent::Progress {
            id: id.to_owned(),
            bytes,
            total,
            bytes_per_sec: self.speed as u64,
            eta_secs,
        })
    }
}
