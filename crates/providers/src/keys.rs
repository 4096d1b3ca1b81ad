//! Where API keys are kept: the OS keychain; where there is none, only in memory for the
//! session, or — when the person agreed — in a file readable only by its owner.
//!
//! All calls block (the keychain is another process); async callers use `spawn_blocking`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// An API key. Shown as `***` by `Debug`, never `Display`ed.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key (surrounding spaces removed: they come with copy and paste).
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_owned())
    }

    /// The key itself, for the `Authorization` header and the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "***")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Where keys are kept on this computer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Keeping {
    /// The OS keychain (Secret Service, Keychain, Credential Manager).
    Keychain,
    /// No keychain: only in memory, until the program ends.
    Session,
    /// No keychain, and the person agreed to a file only they can read.
    File,
}

/// Why a key could not be kept or read. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The keychain is there but refused (locked, denied).
    #[error("the system keychain refused: {0}; unlock it and try again")]
    Keychain(String),
    /// The key file could not be read or written.
    #[error("cannot use the key file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// The keys of every provider, by provider name.
#[derive(Debug)]
pub struct KeyStore {
    /// The keychain's service name (one per data folder, so two data folders do not share).
    service: String,
    /// The file used when there is no keychain and the person agreed.
    file: PathBuf,
    allow_file: bool,
    keychain: bool,
    /// Set when the keychain answered lookups but refused to keep a key (a locked keyring):
    /// keys then go where they go without a keychain, and `keeping` says so.
    refused: AtomicBool,
    /// Keys kept for this session only.
    session: Mutex<BTreeMap<String, String>>,
}

impl KeyStore {
    /// The keys for a data folder; `file` is where they go without a keychain if `allow_file`.
    /// Finds out (once, blocking) whether a keychain answers.
    pub fn open(service: &str, file: &Path, allow_file: bool) -> KeyStore {
        KeyStore {
            service: service.to_owned(),
            file: file.to_path_buf(),
            allow_file,
            keychain: keychain_answers(service),
            refused: AtomicBool::new(false),
            session: Mutex::new(BTreeMap::new()),
        }
    }

    /// Where a key saved now would be kept.
    pub fn keeping(&self) -> Keeping {
        if self.keychain && !self.refused.load(Ordering::Relaxed) {
            Keeping::Keychain
        } else if self.allow_file {
            Keeping::File
        } else {
            Keeping::Session
        }
    }

    /// The file used without a keychain.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Keeps `key` for `provider`; returns where.
    pub fn save(&self, provider: &str, key: &ApiKey) -> Result<Keeping, KeyError> {
        match self.keeping() {
            Keeping::Keychain => {
                if let Err(e) = entry(&self.service, provider)?.set_password(key.expose()) {
                    // Not an error for the person: the key is kept as without a keychain.
                    tracing::warn!("the system keychain refused to keep a key: {e}");
                    self.refused.store(true, Ordering::Relaxed);
                    return self.save(provider, key);
                }
            }
            Keeping::File => {
                let mut keys = self.read_file()?;
                keys.insert(provider.to_owned(), key.expose().to_owned());
                self.write_file(&keys)?;
            }
            Keeping::Session => {
                if let Ok(mut session) = self.session.lock() {
                    session.insert(provider.to_owned(), key.expose().to_owned());
                }
            }
        }
        Ok(self.keeping())
    }

    /// The key kept for `provider`, if any.
    pub fn load(&self, provider: &str) -> Result<Option<ApiKey>, KeyError> {
        if self.keychain {
            match entry(&self.service, provider)?.get_password() {
                Ok(key) => return Ok(Some(ApiKey(key))),
                Err(keyring::Error::NoEntry) => {}
                // A refusing keychain holds none of this session's keys.
                Err(_) if self.refused.load(Ordering::Relaxed) => {}
                Err(e) => return Err(keychain_error(e)),
            }
        }
        if let Some(key) = self
            .session
            .lock()
            .ok()
            .and_then(|s| s.get(provider).cloned())
        {
            return Ok(Some(ApiKey(key)));
        }
        if self.file.exists() {
            return Ok(self.read_file()?.remove(provider).map(ApiKey));
        }
        Ok(None)
    }

    /// Forgets the key of `provider` wherever it was kept.
    pub fn delete(&self, provider: &str) -> Result<(), KeyError> {
        if self.keychain {
            match entry(&self.service, provider)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(_) if self.refused.load(Ordering::Relaxed) => {}
                Err(e) => return Err(keychain_error(e)),
            }
        }
        if let Ok(mut session) = self.session.lock() {
            session.remove(provider);
        }
        if self.file.exists() {
            let mut keys = self.read_file()?;
            if keys.remove(provider).is_some() {
                self.write_file(&keys)?;
            }
        }
        Ok(())
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, KeyError> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(self.file_error(e.to_string())),
        };
        // A damaged file's content is not repeated: it holds keys.
        serde_json::from_str(&text)
            .map_err(|_| self.file_error("it is not a key file written by Hearth".into()))
    }

    fn write_file(&self, keys: &BTreeMap<String, String>) -> Result<(), KeyError> {
        let text =
            serde_json::to_string_pretty(keys).map_err(|e| self.file_error(e.to_string()))?;
        let temporary = self.file.with_extension("tmp");
        write_private(&temporary, text.as_bytes()).map_err(|e| self.file_error(e.to_string()))?;
        std::fs::rename(&temporary, &self.file).map_err(|e| self.file_error(e.to_string()))
    }

    fn file_error(&self, reason: String) -> KeyError {
        KeyError::File {
            path: self.file.clone(),
            reason,
        }
    }
}

/// Writes a file only its owner can read, from its first byte.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

fn entry(service: &str, provider: &str) -> Result<keyring::Entry, KeyError> {
    keyring::Entry::new(service, provider).map_err(keychain_error)
}

fn keychain_error(e: keyring::Error) -> KeyError {
    KeyError::Keychain(e.to_string())
}

/// Whether a keychain is there and answers a lookup.
fn keychain_answers(service: &str) -> bool {
    if let Err(e) = keyring::Entry::store_status() {
        tracing::info!("no system keychain: {e}");
        return false;
    }
    match keyring::Entry::new(service, "hearth-keychain-check").map(|e| e.get_password()) {
        Ok(Ok(_)) | Ok(Err(keyring::Error::NoEntry)) => true,
        Ok(Err(e)) | Err(e) => {
            tracing::info!("the system keychain does not answer: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show_in_debug_and_are_redacted() {
        let key = ApiKey::new(" sk-abcdef123456 ");
        assert_eq!(key.expose(), "sk-abcdef123456");
        assert!(!format!("{key:?}").contains("abcdef"));
        assert_eq!(key.redact("bad key sk-abcdef123456!"), "bad key ***!");
    }

    #[test]
    fn without_a_keychain_the_file_is_private_and_removable() {
        let dir = std::env::temp_dir().join(format!("hearth-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("provider-keys.json");
        let store = KeyStore {
            service: "hearth-test".into(),
            file: file.clone(),
            allow_file: true,
            keychain: false,
            refused: AtomicBool::new(false),
            session: Mutex::new(BTreeMap::new()),
        };
        assert_eq!(
            store.save("a", &ApiKey::new("sk-one-1234")).unwrap(),
            Keeping::File
        );
        store.save("b", &ApiKey::new("sk-two-5678")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(store.load("a").unwrap().unwrap().expose(), "sk-one-1234");
        store.delete("a").unwrap();
        assert!(store.load("a").unwrap().is_none());
        assert!(!std::fs::read_to_string(&file).unwrap().contains("sk-one"));
        std::fs::remove_dir_all(&dir).unwrap();

        let session = KeyStore {
            allow_file: false,
            file: dir.join("never"),
            ..store
        };
        assert_eq!(
            session.save("c", &ApiKey::new("sk-three")).unwrap(),
            Keeping::Session
        );
        assert_eq!(session.load("c").unwrap().unwrap().expose(), "sk-three");
        assert!(!dir.join("never").exists());
    }
}
