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
        if !path.exists() {
            create_private(path)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
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

    /// Closes the database and stops the reader.
    pub async fn close(&self) {
        self.inner.extractor.stop().await;
        self.inner.pool.close().await;
    }
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
