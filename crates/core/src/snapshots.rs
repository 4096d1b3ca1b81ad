//! Each chat's conversation cache saved on disk (`snapshots/chat-N/<reply>.kv`), so a chat
//! continued after a restart or another chat is not read again: which file a reply continues
//! from and which it saves, the disk limit (least recently used first), and removal with the
//! chat. The engine writes and checks the files; this module never reads what is in them.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hearth_engine::SnapshotFiles;
use hearth_store::{Id, Message, Role, Store};
use serde::{Deserialize, Serialize};

/// The settings key of the most disk the saved caches may use, in bytes (0 turns them off).
pub const SNAPSHOT_LIMIT_SETTING: &str = "snapshots.max_bytes";
/// Four GB: about sixty 4,000-token chats of a 7B model, a few hundred of a small one.
pub const DEFAULT_SNAPSHOT_LIMIT: u64 = 4_000_000_000;

/// The space the saved caches use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SnapshotUsage {
    /// Bytes on disk.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Files (one per chat branch continued, at most).
    pub files: u32,
    /// The most they may use (0: not saved).
    #[ts(type = "number")]
    pub limit: u64,
}

/// The saved caches of every chat.
pub(crate) struct Snapshots {
    dir: PathBuf,
}

/// One saved cache with what the limit needs.
struct Saved {
    path: PathBuf,
    bytes: u64,
    used: SystemTime,
}

impl Snapshots {
    pub(crate) fn new(dir: PathBuf) -> Snapshots {
        Snapshots { dir }
    }

    fn chat_dir(&self, chat_id: Id) -> PathBuf {
        self.dir.join(format!("chat-{chat_id}"))
    }

    fn file(&self, chat_id: Id, reply: Id) -> PathBuf {
        self.chat_dir(chat_id).join(format!("{reply}.kv"))
    }

    /// The files for reply `reply` of `chat_id`, answering `history` (the branch up to its
    /// question): it continues from the newest reply of the branch that has a saved cache and
    /// saves its own. Older caches of the branch hold less of the same conversation and go;
    /// the limit is kept. `None` when the caches are off or the folder cannot be made.
    pub(crate) fn plan(
        &self,
        chat_id: Id,
        reply: Id,
        history: &[Message],
        model: String,
        limit: u64,
    ) -> Option<SnapshotFiles> {
        if limit == 0 {
            return None;
        }
        let mut on_branch: Vec<PathBuf> = history
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .map(|m| self.file(chat_id, m.id))
            .filter(|p| p.is_file())
            .collect();
        let restore = on_branch.pop();
        for older in on_branch {
            let _ = std::fs::remove_file(older);
        }
        if let Some(path) = &restore {
            // Used now: the limit removes it last.
            let _ = std::fs::File::options()
                .append(true)
                .open(path)
                .and_then(|f| f.set_modified(SystemTime::now()));
        }
        self.keep_within(limit, restore.as_deref());
        let dir = self.chat_dir(chat_id);
        if let Err(e) = crate::data_dir::make_private_dir(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot make the folder of a chat's saved cache");
            return None;
        }
        Some(SnapshotFiles {
            model,
            also: Vec::new(),
            restore: restore.map(|p| p.display().to_string()),
            save: Some(self.file(chat_id, reply).display().to_string()),
        })
    }

    /// Every saved cache, least recently used first.
    fn saved(&self) -> Vec<Saved> {
        let mut saved = Vec::new();
        let Ok(chats) = std::fs::read_dir(&self.dir) else {
            return saved;
        };
        for chat in chats.flatten() {
            let Ok(files) = std::fs::read_dir(chat.path()) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                let Ok(meta) = file.metadata() else { continue };
                if meta.is_file() && path.extension().is_some_and(|e| e == "kv") {
                    saved.push(Saved {
                        path,
                        bytes: meta.len(),
                        used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    });
                }
            }
        }
        saved.sort_by_key(|s| s.used);
        saved
    }

    /// Removes the least recently used caches until the rest fit in `limit` (`keep` stays).
    /// A cache being written is counted once it is written: the limit may be passed by one.
    pub(crate) fn keep_within(&self, limit: u64, keep: Option<&Path>) {
        let saved = self.saved();
        let mut total: u64 = saved.iter().map(|s| s.bytes).sum();
        for s in saved {
            if total <= limit {
                break;
            }
            if Some(s.path.as_path()) == keep {
                continue;
            }
            if std::fs::remove_file(&s.path).is_ok() {
                total -= s.bytes;
            }
        }
    }

    /// Removes a deleted chat's caches.
    pub(crate) fn drop_chat(&self, chat_id: Id) {
        let dir = self.chat_dir(chat_id);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), error = %e, "a deleted chat's saved cache could not be removed");
            }
        }
    }

    /// The space used, with `limit`.
    pub(crate) fn usage(&self, limit: u64) -> SnapshotUsage {
        let saved = self.saved();
        SnapshotUsage {
            bytes: saved.iter().map(|s| s.bytes).sum(),
            files: u32::try_from(saved.len()).unwrap_or(u32::MAX),
            limit,
        }
    }

    /// Removes every saved cache (chats are read again on their next turn).
    pub(crate) fn clear(&self) {
        for s in self.saved() {
            let _ = std::fs::remove_file(&s.path);
        }
    }
}

/// The limit set in Settings, or the default.
pub(crate) async fn limit(store: &Store) -> u64 {
    store
        .setting::<u64>(SNAPSHOT_LIMIT_SETTING)
        .await
        .ok()
        .flatten()
        .unwrap_or(DEFAULT_SNAPSHOT_LIMIT)
}
