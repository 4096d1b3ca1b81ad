//! hearth-docs: LocalDocs — a person's own documents, found, read, chunked, embedded and
//! searched, so that a model can answer from them.
//!
//! It owns `docs.db` in the data folder (collections, their folders, the files read from them,
//! chunks with their sentence vectors, and a keyword index; all of it can be rebuilt from the
//! documents), the reading of files (in a separate `hearth-extract` process, so that a parser
//! that panics, loops or eats memory on a hostile file costs only that file), chunking that
//! respects sentences and words in every script, and hybrid retrieval (vectors and keywords,
//! fused by reciprocal rank).
//!
//! Main types: [`Docs`] (the database and the operations), [`Collection`], [`Embedder`] (how
//! vectors are made: by the engine worker, never here), [`Passage`] (a search result),
//! [`DocsEvent`] (indexing progress), [`Unreadable`] (why a file gave nothing).
//!
//! ```no_run
//! # async fn demo(embedder: impl hearth_docs::Embedder) -> Result<(), hearth_docs::DocsError> {
//! use hearth_docs::{Docs, SearchMode};
//! let docs = Docs::open("docs.db".as_ref(), "hearth-extract".into()).await?;
//! docs.add_collection("Notes", &["/home/me/notes".into()], "all-minilm-l6-v2").await?;
//! docs.index("Notes", &embedder, &Default::default()).await?;
//! let passages = docs.search(&["Notes"], "where did we park?", 5, SearchMode::Hybrid, &embedder).await?;
//! # Ok(()) }
//! ```
//!
//! It must never load a model (sentence vectors come from an [`Embedder`]), never read a file
//! outside a collection's folders (symbolic links out of them are not followed), and never lose
//! track of what is indexed: a file's chunks are committed with the file, in one transaction.
//!
//! # Layout
//! - `db`, `collections`: the database and the collections in it.
//! - `scan`: finding the files of a collection's folders.
//! - `extract`: reading each format (in the `hearth-extract` process) and the sandbox around it.
//! - `chunk`, `cjk`: cutting text into passages; keyword terms for scripts without spaces.
//! - `index`: the indexing pipeline, its progress and its resumption.
//! - `search`: vector, keyword and hybrid retrieval.
//! - `reading`: how far to trust an embedding model's vectors for a question in Chinese.
//! - `watch`: following the folders while the app runs.
#![deny(missing_docs)]

mod chunk;
mod cjk;
mod collections;
mod db;
mod embed;
pub mod extract;
mod index;
mod reading;
mod scan;
mod search;
mod watch;

use std::path::PathBuf;

pub use chunk::{chunk, Chunk, ChunkSize};
pub use cjk::{index_terms, is_cjk};
pub use collections::{Collection, CollectionSummary, UnreadableFile};
pub use db::Docs;
pub use embed::{Embedder, EmbeddingModel};
pub use extract::{Extracted, Format, Section, Unreadable};
pub use index::{DocsEvent, IndexControl, IndexProgress, IndexReport, IndexState};
pub use scan::{scan, FoundFile};
pub use search::{Passage, SearchMode};
pub use watch::FolderWatch;

/// Why a LocalDocs operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// No collection has that name.
    #[error("there is no document collection named {0:?}")]
    NoCollection(String),
    /// A collection with that name exists already.
    #[error("a document collection named {0:?} exists already")]
    Exists(String),
    /// The name or folders make no sense.
    #[error("{0}")]
    Invalid(String),
    /// A folder could not be used.
    #[error("the folder {path} cannot be used: {detail}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        detail: String,
    },
    /// Making sentence vectors failed.
    #[error("the embedding model failed: {0}")]
    Embedding(String),
    /// The reader process could not be started.
    #[error("the document reader (hearth-extract) could not start: {0}; reinstall Hearth")]
    Reader(String),
    /// Indexing was stopped before it finished (what was done is kept).
    #[error("indexing was stopped; what was read is kept and the next run continues")]
    Stopped,
    /// The database failed.
    #[error("the LocalDocs database failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The database could not be upgraded.
    #[error("the LocalDocs database could not be upgraded: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
