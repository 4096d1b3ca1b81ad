//! hearth-store: every conversation in one SQLite database, written as it happens.
//!
//! Owns the database file: chats, the message tree (regenerate and edit make siblings; each chat
//! remembers the branch it shows), typed settings, full-text search, and export/import (Hearth's
//! JSON, Markdown, ChatGPT's `conversations.json`).
//!
//! Main types: [`Store`] (an open database), [`Chat`], [`Message`], [`SearchHit`],
//! [`StoreError`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), hearth_store::StoreError> {
//! use hearth_store::{NewMessage, Role, Store};
//! let store = Store::open("hearth.db".as_ref()).await?;
//! let chat = store.create_chat("Trip planning", None).await?;
//! store.add_message(chat.id, None, NewMessage::user("Where should I go in May?")).await?;
//! let hits = store.search("May", 20).await?;
//! # Ok(()) }
//! ```
//!
//! It must never lose a write it acknowledged, overwrite a database it cannot read, or build an
//! SQL or FTS query from text a person typed.
//!
//! # Layout
//! - `open`: opening, pragmas, migrations with a backup first, damaged-file detection.
//! - `chats`, `messages`: the rows and the tree.
//! - `search`: FTS5 queries made safe from any input.
//! - `exchange`: export and import.
//! - `settings`: typed key/value.
#![deny(missing_docs)]

mod chats;
mod exchange;
mod messages;
mod open;
mod search;
mod settings;

use std::path::PathBuf;

pub use chats::Chat;
pub use exchange::{ExportFormat, HEARTH_EXPORT_FORMAT};
pub use messages::{Attachment, Message, MessageStats, MessageStatus, NewMessage, Role, Source};
pub use open::Store;
pub use search::{SearchHit, SnippetPart};

/// Chat and message ids.
pub type Id = i64;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not an SQLite database.
    #[error("{path} is not a Hearth database (it is not an SQLite file); move it aside and Hearth will start a fresh one")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// SQLite reports the file damaged.
    #[error("the database {path} is damaged ({detail}); move it aside and Hearth will start a fresh one")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A schema migration failed; the database is as it was, and a backup sits beside it.
    #[error("upgrading the database {path} failed ({detail}); it was left unchanged, and a backup is at {backup}")]
    Migration {
        /// The database.
        path: PathBuf,
        /// The copy taken before migrating.
        backup: PathBuf,
        /// What failed.
        detail: String,
    },
    /// No chat or message with this id.
    #[error("no {what} with id {id}")]
    NotFound {
        /// "chat" or "message".
        what: &'static str,
        /// The id asked for.
        id: Id,
    },
    /// An import file is not in the expected shape.
    #[error("cannot import: {0}")]
    Import(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A stored value could not be read back.
    #[error("the database holds a value Hearth cannot read: {0}")]
    Unreadable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
