//! [`Docs`]: the open LocalDocs database, the document reader and the vectors kept in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use tokio::sync::broadcast;

use crate::extract::{Extractor, Limits};
use crate::index::DocsEvent;
use crate::search::VectorSet;
use crate::DocsError;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// LocalDocs: collections, their indexed files and the search over them. Cheap to clone; clones
/// share one database, one reader process and one vector cache.
#[derive(Clone)]
pub struct Docs {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The database; lives as long as the service.
    pub(crate) pool: SqlitePool,
    /// Its file.
    pub(crate) path: PathBuf,
    /// Reads documents in the `hearth-extract` process.
    pub(crate) extractor: Extractor,
    /// Progress for whoever shows it.
    pub(crate) events: broadcast::Sender<DocsEvent>,
    /// Each collection's vectors, loaded on first search, dropped when its index changes.
    pub(crate) vectors: Mutex<HashMap<i64, Arc<VectorSet>>>,
    /// How well each embedding model reads Chinese (see `reading`), measured once.
    pub(crate) reading: Mutex<HashMap<String, f32>>,
}

impl Docs {
    /// Opens (or creates) the database at `path`; `reader` is the `hearth-extract` program.
    pub async fn open(path: &Path, reader: PathBuf) -> Result<Docs, DocsError> {
        Docs::open_with(path, reader, Limits::default()).await
    }

    /// Like [`Docs::open`], with the reader's limits (file size, time, memory) set.
    pub async fn open_with(
        path: &Path,
        reader: PathBuf,
        limits: Limits,
    ) -> Result<Docs, DocsError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DocsError::Folder {
                path: dir.to_path_buf(),
                detail: e.to_string(),
            })?;
        }
        // Creating and migrating is one process at a time: the app and the CLI starting together
        // on a fresh file would otherwise both run the first migration.
        let _opening = lock_for_opening(path).await?;
        let pool = match open_sound(path).await? {
            Some(pool) => pool,
            None => {
                // The index can always be built again from the documents; a damaged file must
                // not keep the app from starting. It is kept beside, for whoever wants to look.
                let aside = set_aside(path)?;
                tracing::warn!(aside = %aside.display(), "the LocalDocs index was damaged; it was set aside and a new one started");
                open_sound(path).await?.ok_or_else(|| {
                    DocsError::Invalid(format!(
                        "a new LocalDocs index could not be made at {}",
                        path.display()
                    ))
                })?
            }
        };
        Ok(Docs {
            inner: Arc::new(Inner {
                pool,
                path: path.to_path_buf(),
                extractor: Extractor::new(reader, limits),
                events: broadcast::channel(1024).0,
                vectors: Mutex::new(HashMap::new()),
                reading: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Indexing progress from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DocsEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn emit(&self, event: DocsEvent) {
        // Nobody listening is fine.
        let _ = self.inner.events.send(event);
    }

    /// Forgets a collection's vectors after its index changed.
    pub(crate) fn forget_vectors(&self, collection: i64) {
        if let Ok(mut cache) = self.inner.vectors.lock() {
            cache.remove(&collection);
        }
    }

    /// Reads one document outside any collection (a file attached to a question), in the
    /// same reader process and under the same limits as indexing: its sections, or why it
    /// has none. `Err` only when the reader cannot run.
    pub async fn read_document(
        &self,
        path: &Path,
    ) -> Result<Result<crate::Extracted, crate::Unreadable>, DocsError> {
        self.inner.extractor.read(path).await
    }

    /// Closes the database and stops the reader.
    pub async fn close(&self) {
        self.inner.extractor.stop().await;
        self.inner.pool.close().await;
    }
}

/// Opens the database at `path` (made if missing) and brings it to the current schema; `None`
/// when the file is not SQLite or is damaged.
async fn open_sound(path: &Path) -> Result<Option<SqlitePool>, DocsError> {
    if !path.exists() {
        create_private(path)?;
    }
    if !has_sqlite_header(path) {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = match SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
    {
        Ok(pool) => pool,
        Err(e) if is_damage(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let check: Result<Vec<(String,)>, _> = sqlx::query_as("PRAGMA quick_check(1)")
        .fetch_all(&pool)
        .await;
    let damaged = match check {
        Ok(rows) => rows.first().is_none_or(|(r,)| r != "ok"),
        Err(e) if is_damage(&e) => true,
        Err(e) => return Err(e.into()),
    };
    if !damaged {
        match MIGRATOR.run(&pool).await {
            Ok(()) => return Ok(Some(pool)),
            Err(sqlx::migrate::MigrateError::Execute(e)) if is_damage(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    pool.close().await;
    Ok(None)
}

/// Whether SQLite said the file is damaged (`SQLITE_CORRUPT`) or no database (`SQLITE_NOTADB`).
fn is_damage(e: &sqlx::Error) -> bool {
    if let sqlx::Error::Database(db) = e {
        let primary = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        if matches!(primary, Some(11 | 26)) {
            return true;
        }
    }
    let text = e.to_string();
    text.contains("malformed") || text.contains("not a database")
}

/// Whether the file starts as SQLite files do (an empty file is a new database).
fn has_sqlite_header(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    match file.read(&mut header) {
        Ok(0) => true,
        Ok(16) => header == *b"SQLite format 3\0",
        _ => false,
    }
}

/// Moves a damaged index and its WAL files aside: `docs.db` → `docs.db.damaged-<ms>`.
fn set_aside(path: &Path) -> Result<PathBuf, DocsError> {
    let stamp = crate::now_ms();
    let mut aside = path.as_os_str().to_os_string();
    aside.push(format!(".damaged-{stamp}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside).map_err(|e| DocsError::Folder {
        path: path.to_path_buf(),
        detail: format!("the damaged LocalDocs index could not be moved aside: {e}"),
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_os_string();
        from.push(suffix);
        let mut to = aside.as_os_str().to_os_string();
        to.push(suffix);
        let _ = std::fs::rename(PathBuf::from(from), PathBuf::from(to));
    }
    Ok(aside)
}

/// Takes the exclusive lock on `<db>.lock`, waiting while another process opens the index.
async fn lock_for_opening(db: &Path) -> Result<std::fs::File, DocsError> {
    let mut name = db.as_os_str().to_os_string();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let for_task = lock_path.clone();
    let locked = tokio::task::spawn_blocking(move || {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&for_task)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|locked| locked);
    locked.map_err(|e| DocsError::Folder {
        path: lock_path,
        detail: e.to_string(),
    })
}

/// An empty database file readable by this user only (the documents' text is in it).
fn create_private(path: &Path) -> Result<(), DocsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(DocsError::Folder {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }),
    }
}
