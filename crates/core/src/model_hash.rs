//! The SHA-256 of each model file, so every reply records exactly which weights wrote it.
//! Hashing a 4 GB file takes seconds, so it runs once per file version (path, size, modified
//! time), in the background, and is remembered in the settings table.

use std::io::Read;
use std::path::{Path, PathBuf};

use hearth_store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the settings table remembers about one model file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Remembered {
    size: u64,
    modified_ms: i64,
    sha256: String,
}

fn key(path: &Path) -> String {
    format!("model_sha256:{}", path.display())
}

/// Size and modified time: a file whose either changed must be hashed again.
fn version(path: &Path) -> Option<(u64, i64)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((
        meta.len(),
        i64::try_from(modified.as_millis()).unwrap_or(i64::MAX),
    ))
}

/// The remembered hash of `path`, if it is still for the file as it is now.
pub(crate) async fn known(store: &Store, path: &Path) -> Option<String> {
    let (size, modified_ms) = version(path)?;
    let remembered: Remembered = store.setting(&key(path)).await.ok()??;
    (remembered.size == size && remembered.modified_ms == modified_ms).then_some(remembered.sha256)
}

/// The names of the weights in `path` for a saved conversation cache: their SHA-256 once known
/// (first), and the file's path, size and modified time, which the first replies of a new
/// model are saved under while it is being hashed (a changed file is other weights).
pub(crate) async fn identities(store: &Store, path: &Path) -> (String, Vec<String>) {
    let (size, modified_ms) = version(path).unwrap_or_default();
    let file = format!("file {} {size} {modified_ms}", path.display());
    match known(store, path).await {
        Some(sha256) => (format!("sha256 {sha256}"), vec![file]),
        None => (file, Vec::new()),
    }
}

/// Hashes `path` in the background unless its hash is already known.
pub(crate) fn ensure(store: Store, path: PathBuf) {
    tokio::spawn(async move {
        if known(&store, &path).await.is_some() {
            return;
        }
        let Some((size, modified_ms)) = version(&path) else {
            return;
        };
        let hashing = path.clone();
        let hashed = tokio::task::spawn_blocking(move || sha256_file(&hashing)).await;
        match hashed {
            Ok(Ok(sha256)) => {
                let value = Remembered {
                    size,
                    modified_ms,
                    sha256,
                };
                if let Err(e) = store.set_setting(&key(&path), &value).await {
                    tracing::warn!(error = %e, "could not remember a model's SHA-256");
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(path = %path.display(), error = %e, "could not hash a model file")
            }
            Err(e) => tracing::warn!(error = %e, "model hashing task failed"),
        }
    });
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
