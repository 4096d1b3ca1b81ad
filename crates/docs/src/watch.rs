//! Following a collection's folders while the app runs: file system events (inotify, FSEvents,
//! ReadDirectoryChangesW through `notify`), debounced, become one "changed" signal. Where
//! events do not arrive (network mounts), the app's periodic rescan catches up.

use std::path::PathBuf;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use tokio::sync::mpsc;

use crate::DocsError;

/// Watches folders; [`FolderWatch::changed`] resolves after something in them changed.
pub struct FolderWatch {
    /// Stops watching when dropped.
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    changes: mpsc::UnboundedReceiver<()>,
}

impl FolderWatch {
    /// Watches `folders` (recursively); changes closer together than `quiet` count as one.
    pub fn new(folders: &[PathBuf], quiet: Duration) -> Result<FolderWatch, DocsError> {
        let (tx, changes) = mpsc::unbounded_channel();
        let mut debouncer = new_debouncer(quiet, None, move |result: DebounceEventResult| {
            if let Ok(events) = result {
                let relevant = events.iter().any(|e| !e.kind.is_access());
                if relevant {
                    let _ = tx.send(());
                }
            }
        })
        .map_err(|e| DocsError::Invalid(format!("folders cannot be watched: {e}")))?;
        for folder in folders {
            debouncer
                .watch(folder, RecursiveMode::Recursive)
                .map_err(|e| DocsError::Folder {
                    path: folder.clone(),
                    detail: format!("it cannot be watched: {e}"),
                })?;
        }
        Ok(FolderWatch {
            _debouncer: debouncer,
            changes,
        })
    }

    /// Waits for the next change (several at once count as one); `None` once watching ended.
    pub async fn changed(&mut self) -> Option<()> {
        self.changes.recv().await?;
        while self.changes.try_recv().is_ok() {}
        Some(())
    }
}
