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

impl Error {
    /// An update check, download or install that did not happen.
    pub fn update(message: impl Into<String>) -> Self {
        Error {
            kind: "update",
            message: message.into(),
        }
    }
}

impl From<tauri_plugin_updater::Error> for Error {
    fn from(e: tauri_plugin_updater::Error) -> Self {
        use tauri_plugin_updater::Error as E;
        Error::update(match e {
            E::Minisign(_) | E::SignatureUtf8(_) | E::Base64(_) => {
                "the update's signature does not match Hearth's release key, so it was not installed. Download Hearth from its website instead".to_owned()
            }
            E::Reqwest(_) | E::Network(_) => {
                format!("the update server could not be reached ({e}); check your connection and try again later")
            }
            E::ReleaseNotFound | E::Serialization(_) | E::TargetNotFound(_) | E::TargetsNotFound(_) => {
                format!("the update server's answer could not be read ({e}); try again later")
            }
            other => format!("the update failed: {other}"),
        })
    }
}
