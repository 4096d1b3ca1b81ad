//! The one error type every command returns: what went wrong, in words for the window.

use hearth_core::CoreError;
use serde::Serialize;

/// A failed command, as the UI receives it.
#[derive(Debug, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// A stable kind the UI can branch on: `invalid`, `not_found`, `engine`, `storage`, `models`.
    pub kind: &'static str,
    /// The message for people.
    pub message: String,
}

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        let kind = match &e {
            CoreError::Invalid(_) => "invalid",
            CoreError::Store(hearth_core::StoreError::NotFound { .. }) => "not_found",
            CoreError::Store(_) | CoreError::DataDir { .. } => "storage",
            CoreError::Engine(_) => "engine",
            CoreError::Models(_) => "models",
        };
        Error {
            kind,
            message: e.to_string(),
        }
    }
}
