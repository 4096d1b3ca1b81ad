//! Opening the database: refuse files that are not SQLite or are damaged (never overwrite them),
//! back up before any migration, and mark replies a crash left half-written as interrupted.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another process's write to finish before giving up. The app and
/// the CLI share one file; WAL lets readers through, and writes are short.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open Hearth database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the database at `path`, migrating it to the current schema.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        // Opening (creating, switching to WAL, migrating) is one process at a time: the app and
        // the CLI starting together on a fresh file would otherwise both run the first
        // migration. The lock is released when `_opening` drops, at the end of this function.
        let _opening = lock_for_opening(path).await?;
        let existed = path.exists();
        if existed {
            check_header(path)?;
        } else {
            create_private(path)?;
        }
        // Only this user may read the chats, also in a database an older Hearth made 0644.
        for file in with_sidecars(path) {
            keep_private(&file);
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(StoreError::Database)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| classify(path, e))?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
        };
        store.check_integrity().await?;
        store.migrate(existed).await?;
        store.mark_interrupted().await?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection (waits for running queries).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// SQLite's own check of the whole file: `"ok"` when sound.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        let row: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }

    async fn check_integrity(&self) -> Result<(), StoreError> {
        // quick_check reads every page but skips index cross-checks: fast enough at start.
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check(1)")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify(&self.path, e))?;
        match rows.first() {
            Some((ok,)) if ok == "ok" => Ok(()),
            other => Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: other
                    .map(|r| r.0.clone())
                    .unwrap_or_else(|| "no answer to quick_check".into()),
            }),
        }
    }

    async fn migrate(&self, existed: bool) -> Result<(), StoreError> {
        // A fresh database has no migrations table yet: nothing applied.
        let applied: Vec<(i64,)> =
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        let pending = MIGRATOR
            .iter()
            .any(|m| !applied.iter().any(|(v,)| *v == m.version));
        if !pending {
            return Ok(());
        }
        let backup = backup_path(&self.path, applied.iter().map(|(v,)| *v).max().unwrap_or(0));
        if existed {
            let _ = std::fs::remove_file(&backup);
            sqlx::query("VACUUM INTO ?")
                .bind(backup.to_string_lossy().into_owned())
                .execute(&self.pool)
                .await?;
            keep_private(&backup);
            tracing::info!(backup = %backup.display(), "database backed up before upgrading");
        }
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration {
                path: self.path.clone(),
                backup: backup.clone(),
                detail: e.to_string(),
            })
    }

    /// Replies that were streaming when the last process died are interrupted, not streaming.
    async fn mark_interrupted(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming' AND updated_at < ?")
            .bind(crate::now_ms() - STREAMING_GRACE_MS)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A reply updated within this window may belong to another live process (the app while the
/// CLI starts): leave it alone.
const STREAMING_GRACE_MS: i64 = 3_000;

/// Takes the exclusive lock on `<db>.lock` (waiting for another process to finish opening).
async fn lock_for_opening(db: &Path) -> Result<std::fs::File, StoreError> {
    let mut name = db.as_os_str().to_os_string();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let for_task = lock_path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&for_task)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| StoreError::Io {
        path: lock_path.clone(),
        source: std::io::Error::other(e),
    })?;
    locked.map_err(|source| StoreError::Io {
        path: lock_path,
        source,
    })
}

/// The database and the files SQLite and Hearth keep beside it.
fn with_sidecars(db: &Path) -> Vec<PathBuf> {
    let mut files = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", ".lock"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    files
}

/// Creates an empty database file readable by this user only (SQLite gives its WAL and shared
/// memory files the same permissions).
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Takes group and other permissions away from a file, where the OS has them.
pub(crate) fn keep_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                let private = std::fs::Permissions::from_mode(mode & 0o700);
                if let Err(e) = std::fs::set_permissions(path, private) {
                    tracing::warn!(path = %path.display(), "could not make the file private: {e}");
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `hearth.db` → `hearth.db.backup-v<version>`.
fn backup_path(db: &Path, version: i64) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".backup-v{version}"));
    db.with_file_name(name)
}

/// Refuses a file that is not SQLite before SQLite is asked to open it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let n = file.read(&mut header).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // An empty file is what SQLite itself creates before the first write: fine.
    if n == 0 || (n == 16 && header == *b"SQLite format 3\0") {
        return Ok(());
    }
    Err(StoreError::NotADatabase {
        path: path.to_path_buf(),
    })
}

fn classify(path: &Path, e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    if text.contains("malformed") || text.contains("corrupt") {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: text,
        }
    } else if text.contains("not a database") {
        StoreError::NotADatabase {
            path: path.to_path_buf(),
        }
    } else {
        StoreError::Database(e)
    }
}
