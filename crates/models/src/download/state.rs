//! What a partial download remembers beside its `.part` file, so that it resumes after the
//! program restarts: the URL and checksum it belongs to and the validators (ETag, Last-Modified)
//! that tell whether the server still has the same file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ModelsError;

/// The `<file>.part.json` beside `<file>.part`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartState {
    /// The URL the bytes came from.
    pub url: String,
    /// The checksum the finished file must have.
    pub sha256: String,
    /// The server's ETag for the file.
    pub etag: Option<String>,
    /// The server's Last-Modified for the file.
    pub last_modified: Option<String>,
    /// The whole file's size, once the server said it.
    pub total: Option<u64>,
}

/// Where a download's partial file and its state live.
#[derive(Debug, Clone)]
pub struct PartFiles {
    /// `<file>.part`: the bytes so far.
    pub part: PathBuf,
    /// `<file>.part.json`: [`PartState`].
    pub state: PathBuf,
}

impl PartFiles {
    /// The partial files for `file` in `dir`.
    pub fn new(dir: &Path, file: &str) -> PartFiles {
        PartFiles {
            part: dir.join(format!("{file}.part")),
            state: dir.join(format!("{file}.part.json")),
        }
    }

    /// The saved state, if there is a readable one.
    pub fn load(&self) -> Option<PartState> {
        let text = std::fs::read(&self.state).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Saves `state` atomically (write a temporary file, then rename).
    pub fn save(&self, state: &PartState) -> Result<(), ModelsError> {
        let tmp = self.state.with_extension("json.tmp");
        let io = |source| ModelsError::Io {
            path: self.state.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(state).map_err(|e| ModelsError::Io {
            path: self.state.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, &self.state).map_err(io)
    }

    /// Deletes both files; missing files are fine.
    pub fn remove(&self) {
        for path in [&self.part, &self.state] {
            if let Err(e) = std::fs::remove_file(path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!("cannot delete {}: {e}", path.display());
                }
            }
        }
    }
}
