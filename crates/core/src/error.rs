//! [`CoreError`] and the one taxonomy every transport maps from: [`ErrorKind`].
//!
//! A transport (the HTTP routes, the Tauri commands, the CLI) decides how a kind looks on its
//! side (a status code, a translated sentence) in exactly one place; nothing downstream matches
//! on error messages.

use serde::Serialize;

use hearth_docs::DocsError;
use hearth_engine::EngineError;
use hearth_models::ModelsError;
use hearth_store::StoreError;

/// Why an application operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The data directory could not be found or made.
    #[error("the data folder {path} cannot be used: {detail}")]
    DataDir {
        /// The folder.
        path: std::path::PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The model manager failed (catalog, download, model files).
    #[error(transparent)]
    Models(#[from] ModelsError),
    /// LocalDocs failed (a collection, a folder, its index).
    #[error(transparent)]
    Docs(#[from] DocsError),
    /// A remote provider failed (wrong key, unreachable, rate-limited, a cut stream).
    #[error(transparent)]
    Provider(#[from] hearth_providers::ProviderError),
    /// The request's values make no sense (an empty message, a setting out of range).
    #[error("{0}")]
    Invalid(String),
    /// What was named does not exist (a remote provider).
    #[error("{0}")]
    NotFound(String),
    /// It exists already (a remote provider of that name).
    #[error("{0}")]
    Conflict(String),
    /// Hearth will not do this (open a file that is in none of the person's collections).
    #[error("{0}")]
    Refused(String),
    /// The operating system could not do what was asked (open a folder, listen on a port).
    #[error("{0}")]
    Unavailable(String),
    /// Something Hearth did not expect (a background task that died); a bug to report.
    #[error("{0}")]
    Internal(String),
}

/// What kind of failure an error is, for transports and translations. Serialised in
/// `snake_case`; the UI has a sentence for each in every language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request's values are wrong; fix the input.
    Invalid,
    /// The chat or message does not exist (any more).
    NotFound,
    /// The named model is not installed.
    ModelNotInstalled,
    /// No catalog entry has that id.
    UnknownModel,
    /// The model file is not a usable GGUF, or its family cannot run.
    BadModelFile,
    /// llama.cpp could not load the model (usually: not enough memory).
    ModelLoadFailed,
    /// The conversation does not fit the model's context.
    ContextFull,
    /// The model's prompt format could not be used.
    Template,
    /// The engine worker stopped while working; the next request starts a fresh one.
    EngineStopped,
    /// The engine program is missing or does not match this app.
    EngineMissing,
    /// A download failed (network, server, checksum).
    Download,
    /// Not enough disk space.
    DiskFull,
    /// The database could not be read or written.
    Storage,
    /// A file or folder could not be read or written.
    File,
    /// It already exists or is already under way.
    Conflict,
    /// Too many requests are waiting.
    Busy,
    /// The request carried no valid token.
    Unauthorized,
    /// The request may not be made from where it came (its Host or Origin).
    Forbidden,
    /// The operating system could not do it (open a folder, listen on a port).
    Unavailable,
    /// An update could not be checked, downloaded or installed (the desktop app).
    Update,
    /// A remote provider failed; the message says how and what to do.
    Remote,
    /// A bug in Hearth.
    Internal,
}

impl ErrorKind {
    /// The wire name (`snake_case`), as the UI's translations know it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::ModelNotInstalled => "model_not_installed",
            ErrorKind::UnknownModel => "unknown_model",
            ErrorKind::BadModelFile => "bad_model_file",
            ErrorKind::ModelLoadFailed => "model_load_failed",
            ErrorKind::ContextFull => "context_full",
            ErrorKind::Template => "template",
            ErrorKind::EngineStopped => "engine_stopped",
            ErrorKind::EngineMissing => "engine_missing",
            ErrorKind::Download => "download",
            ErrorKind::DiskFull => "disk_full",
            ErrorKind::Storage => "storage",
            ErrorKind::File => "file",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Busy => "busy",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Update => "update",
            ErrorKind::Remote => "remote",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind of an engine failure.
    pub fn of_engine(e: &EngineError) -> ErrorKind {
        use hearth_engine::ErrorKind as Worker;
        match e {
            EngineError::WorkerNotFound(_)
            | EngineError::Start(_)
            | EngineError::ProtocolMismatch { .. } => ErrorKind::EngineMissing,
            EngineError::EngineCrashed { .. } | EngineError::Closed => ErrorKind::EngineStopped,
            EngineError::Invalid(_) => ErrorKind::Invalid,
            EngineError::Worker { kind, .. } => match kind {
                Worker::InvalidModel | Worker::UnsupportedModel => ErrorKind::BadModelFile,
                Worker::LoadFailed => ErrorKind::ModelLoadFailed,
                Worker::InvalidRequest => ErrorKind::Invalid,
                Worker::ContextOverflow => ErrorKind::ContextFull,
                Worker::Template => ErrorKind::Template,
                Worker::NoModel | Worker::Inference => ErrorKind::Internal,
            },
        }
    }
}

impl CoreError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CoreError::Store(e) => match e {
                StoreError::NotFound { .. } => ErrorKind::NotFound,
                StoreError::Import(_) => ErrorKind::Invalid,
                StoreError::Io { .. } => ErrorKind::File,
                _ => ErrorKind::Storage,
            },
            CoreError::Engine(e) => ErrorKind::of_engine(e),
            CoreError::DataDir { .. } => ErrorKind::File,
            CoreError::Models(e) => match e {
                ModelsError::Io { .. } | ModelsError::Catalog(_) => ErrorKind::File,
                ModelsError::UnknownModel(_) => ErrorKind::UnknownModel,
                ModelsError::NotInstalled(_) => ErrorKind::ModelNotInstalled,
                ModelsError::Gguf(_) => ErrorKind::BadModelFile,
                ModelsError::UnsafeFileName(_)
                | ModelsError::NotAChatModel(_)
                | ModelsError::NotAnEmbeddingModel(_) => ErrorKind::Invalid,
                ModelsError::AlreadyInstalled(_) | ModelsError::AlreadyDownloading(_) => {
                    ErrorKind::Conflict
                }
                ModelsError::HttpStatus { .. }
                | ModelsError::Network { .. }
                | ModelsError::NoChecksum { .. }
                | ModelsError::ChecksumMismatch { .. }
                | ModelsError::TooLarge { .. }
                | ModelsError::InsecureRedirect { .. }
                | ModelsError::Paused
                | ModelsError::Cancelled => ErrorKind::Download,
                ModelsError::DiskFull { .. } => ErrorKind::DiskFull,
            },
            CoreError::Docs(e) => match e {
                DocsError::NoCollection(_) => ErrorKind::NotFound,
                DocsError::Exists(_) => ErrorKind::Conflict,
                DocsError::Invalid(_) => ErrorKind::Invalid,
                DocsError::Folder { .. } => ErrorKind::File,
                DocsError::Embedding(_) => ErrorKind::ModelLoadFailed,
                DocsError::Reader(_) => ErrorKind::EngineMissing,
                DocsError::Stopped => ErrorKind::Busy,
                DocsError::Database(_) | DocsError::Migration(_) => ErrorKind::Storage,
            },
            CoreError::Provider(e) => match e {
                hearth_providers::ProviderError::BadAddress(_) => ErrorKind::Invalid,
                _ => ErrorKind::Remote,
            },
            CoreError::Invalid(_) => ErrorKind::Invalid,
            CoreError::NotFound(_) => ErrorKind::NotFound,
            CoreError::Conflict(_) => ErrorKind::Conflict,
            CoreError::Unavailable(_) => ErrorKind::Unavailable,
            CoreError::Refused(_) => ErrorKind::Forbidden,
            CoreError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A background task that ended without an answer (panicked or was cancelled).
    pub(crate) fn stopped(what: &str, e: impl std::fmt::Display) -> CoreError {
        CoreError::Internal(format!("{what} stopped unexpectedly: {e}"))
    }
}

/// An error as every transport hands it to a person: its kind and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErrorReport {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened and what to do, in English.
    pub message: String,
}

impl From<&CoreError> for ErrorReport {
    fn from(e: &CoreError) -> Self {
        ErrorReport {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for kind in [
            ErrorKind::Invalid,
            ErrorKind::NotFound,
            ErrorKind::ModelNotInstalled,
            ErrorKind::UnknownModel,
            ErrorKind::BadModelFile,
            ErrorKind::ModelLoadFailed,
            ErrorKind::ContextFull,
            ErrorKind::Template,
            ErrorKind::EngineStopped,
            ErrorKind::EngineMissing,
            ErrorKind::Download,
            ErrorKind::DiskFull,
            ErrorKind::Storage,
            ErrorKind::File,
            ErrorKind::Conflict,
            ErrorKind::Busy,
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::Unavailable,
            ErrorKind::Update,
            ErrorKind::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
    }

    #[test]
    fn one_kind_per_failure_whatever_the_transport() {
        let not_installed = CoreError::Models(ModelsError::NotInstalled("x".into()));
        assert_eq!(not_installed.kind(), ErrorKind::ModelNotInstalled);
        let engine_invalid = CoreError::Engine(EngineError::Worker {
            kind: hearth_engine::ErrorKind::InvalidRequest,
            message: "m".into(),
        });
        assert_eq!(engine_invalid.kind(), ErrorKind::Invalid);
        let crashed = CoreError::Engine(EngineError::EngineCrashed { reason: "r".into() });
        assert_eq!(crashed.kind(), ErrorKind::EngineStopped);
    }
}
