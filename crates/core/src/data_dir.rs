//! Where Hearth keeps its files: `models/`, `hearth.db`, `logs/`. The folders are this user's
//! alone (0700 on Unix), also when an older Hearth made them readable to everyone.

use std::path::{Path, PathBuf};

use crate::CoreError;

/// The data directory and the places inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The folder to use: `explicit` (a `--data-dir`), else `HEARTH_DATA_DIR`, else the OS's
    /// place for application data (`~/.local/share/hearth` on Linux, `~/Library/Application
    /// Support/org.hearth.Hearth` on macOS, `%APPDATA%\Hearth\data` on Windows). Made if missing.
    pub fn resolve(explicit: Option<&Path>) -> Result<DataDir, CoreError> {
        let root = match explicit {
            Some(p) => p.to_path_buf(),
            None => match std::env::var_os("HEARTH_DATA_DIR") {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => directories::ProjectDirs::from("org", "hearth", "Hearth")
                    .map(|d| d.data_dir().to_path_buf())
                    .ok_or_else(|| CoreError::DataDir {
                        path: PathBuf::from("~"),
                        detail: "no home folder was found; set HEARTH_DATA_DIR".into(),
                    })?,
            },
        };
        let dir = DataDir { root };
        for sub in [dir.root.clone(), dir.models(), dir.logs()] {
            make_private_dir(&sub).map_err(|e| CoreError::DataDir {
                path: sub.clone(),
                detail: e.to_string(),
            })?;
        }
        Ok(dir)
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where model files live.
    pub fn models(&self) -> PathBuf {
        self.root.join("models")
    }

    /// The conversation database.
    pub fn database(&self) -> PathBuf {
        self.root.join("hearth.db")
    }

    /// The LocalDocs index (it can always be rebuilt from the documents).
    pub fn docs_database(&self) -> PathBuf {
        self.root.join("docs.db")
    }

    /// Files attached to chats that were too long to go into a question whole.
    pub fn attachments(&self) -> PathBuf {
        self.root.join("attachments")
    }

    /// Each chat's conversation cache saved by the engine (can always be rebuilt by reading
    /// the chat again).
    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// Log files.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
}

/// Creates `dir` (and its parents) readable by this user only, and takes group and other
/// permissions away from it if it already exists.
pub(crate) fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}
