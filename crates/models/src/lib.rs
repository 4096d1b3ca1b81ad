//! hearth-models: the model manager — the catalog, what a GGUF file is, verified downloads and
//! the models installed in `models/`.
//!
//! It owns `assets/catalog.json` (schema in [`catalog`]), the `models/` directory and its
//! `*.part` files. A file enters `models/` only after its SHA-256 matched and its header was
//! read: a wrong, truncated or hostile file is deleted, never installed. TLS is always verified.
//! It must never load a model (that is the engine's work), never trust a header before
//! hearth-gguf checked it, and never send anything anywhere but the model downloads themselves.
//!
//! Main types: [`Catalog`], [`Machine`] and [`Fit`], [`ModelFacts`], [`Downloader`], [`Library`].
#![deny(missing_docs)]

pub mod catalog;
pub mod download;
mod fit;
mod inspect;
mod library;

use std::path::PathBuf;

pub use catalog::{
    Catalog, CatalogEntry, CatalogFilter, CatalogTemplate, GuideEntry, ModelKind, Runs,
};
pub use download::{DownloadEvent, DownloadProblem, DownloadRequest, DownloadSettings, Downloader};
pub use fit::{Fit, Machine};
pub use hearth_gguf::GgufError;
pub use inspect::ModelFacts;
pub use library::{sha256_file, ImportedAs, InstalledModel, Library, Recorded, Verification};

/// Why a model operation failed, in words for the person at the screen.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// A file could not be read or written.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The catalog file is malformed.
    #[error("the model catalog is not valid: {0}")]
    Catalog(String),
    /// No catalog entry has this id.
    #[error("no model {0:?} in the catalog")]
    UnknownModel(String),
    /// No installed model has this id or file name.
    #[error("no installed model {0:?}")]
    NotInstalled(String),
    /// The model makes sentence vectors for LocalDocs and cannot write replies.
    #[error(
        "{0} is an embedding model for LocalDocs, not a chat model; choose a chat model to talk to"
    )]
    NotAChatModel(String),
    /// The model writes replies and cannot make sentence vectors.
    #[error("{0} is a chat model, not an embedding model; LocalDocs needs an embedding model such as nomic-embed-text-v1.5 or bge-m3")]
    NotAnEmbeddingModel(String),
    /// The model file is not a usable GGUF.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// A file name would leave `models/`.
    #[error("{0:?} is not a safe file name for a model")]
    UnsafeFileName(String),
    /// The file is already there.
    #[error("{} is already installed", .0.display())]
    AlreadyInstalled(PathBuf),
    /// The same model is already being downloaded.
    #[error("{0} is already downloading")]
    AlreadyDownloading(String),
    /// The server answered with an error status that a retry will not fix.
    #[error("the server answered HTTP {status} for {url}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The network kept failing.
    #[error("downloading {url} failed: {reason}; check your connection and run the download again to resume")]
    Network {
        /// The URL.
        url: String,
        /// The last failure.
        reason: String,
    },
    /// No SHA-256 is known for the file, so it cannot be verified and is not downloaded.
    #[error("will not download {url} without a checksum to verify it: {why}")]
    NoChecksum {
        /// The URL.
        url: String,
        /// Why none could be found.
        why: String,
    },
    /// The downloaded bytes are not the file the catalog describes; they were deleted.
    #[error("{file} failed verification (expected SHA-256 {expected}, got {actual}); the download was deleted, nothing was installed — try again, and if it repeats the file on the server has changed")]
    ChecksumMismatch {
        /// The file name.
        file: String,
        /// The catalog's checksum.
        expected: String,
        /// The downloaded bytes' checksum.
        actual: String,
    },
    /// The server sent more bytes than the file has.
    #[error("the server sent more than the {limit} bytes {file} should have; the download was deleted, nothing was installed")]
    TooLarge {
        /// The file name.
        file: String,
        /// The bytes expected at most.
        limit: u64,
    },
    /// A download was redirected from https to plain http.
    #[error("the server sent the secure download {url} on to an insecure (http) address; Hearth refused it")]
    InsecureRedirect {
        /// The URL asked for.
        url: String,
    },
    /// Not enough free disk space.
    #[error("not enough disk space in {}: {needed} bytes needed, {free} free; free some space and resume", dir.display())]
    DiskFull {
        /// The models directory.
        dir: PathBuf,
        /// Bytes still to download.
        needed: u64,
        /// Bytes free.
        free: u64,
    },
    /// The download was paused; its part file is kept.
    #[error("the download was paused; run it again to resume")]
    Paused,
    /// The download was cancelled; its part file is deleted.
    #[error("the download was cancelled")]
    Cancelled,
}

impl ModelsError {
    /// What kind of failure this is for a download, so a window can say it in the reader's
    /// language (the message itself stays English, for logs and the CLI).
    pub fn download_problem(&self) -> DownloadProblem {
        match self {
            ModelsError::Network { .. } => DownloadProblem::Unreachable,
            ModelsError::HttpStatus { status, .. } => DownloadProblem::Refused { status: *status },
            ModelsError::NoChecksum { .. } => DownloadProblem::NoChecksum,
            ModelsError::ChecksumMismatch { .. }
            | ModelsError::TooLarge { .. }
            | ModelsError::Gguf(_) => DownloadProblem::Damaged,
            ModelsError::InsecureRedirect { .. } => DownloadProblem::Insecure,
            ModelsError::DiskFull { needed, free, .. } => DownloadProblem::DiskFull {
                needed: *needed,
                free: *free,
            },
            _ => DownloadProblem::Other,
        }
    }
}
