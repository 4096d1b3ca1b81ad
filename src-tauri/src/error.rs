//! The one error type every command returns: core's [`ErrorReport`] (a kind from the one
//! taxonomy, and the message), which the UI translates by its kind.

use hearth_core::{CoreError, ErrorKind, ErrorReport};
use serde::Serialize;

/// A failed command, as the UI receives it: `{"kind": …, "message": …}`.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(transparent)]
#[error("{}", .0.message)]
pub struct Error(pub ErrorReport);

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        Error(ErrorReport::from(&e))
    }
}

impl Error {
    /// An update check, download or install that did not happen.
    pub fn update(message: impl Into<String>) -> Self {
        Error(ErrorReport {
            kind: ErrorKind::Update,
            message: message.into(),
        })
    }

    /// A link the window may not open.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error(ErrorReport {
            kind: ErrorKind::Invalid,
            message: message.into(),
        })
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
