//! The models installed in `models/`: list, import, verify, delete.
//!
//! `models/hearth-models.json` records the SHA-256 of every file Hearth put there (downloaded or
//! imported), so "verify" can tell a file that rotted on disk from a good one.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::{is_model_file_name, is_safe_file_name, Catalog};
use crate::{ModelFacts, ModelsError};

const MANIFEST: &str = "hearth-models.json";

/// The models directory.
#[derive(Debug, Clone)]
pub struct Library {
    dir: PathBuf,
}

/// What Hearth remembers about one installed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Its SHA-256 when it was installed.
    pub sha256: String,
    /// Where it came from (URL or the imported path).
    pub source: String,
}

/// An installed model file.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct InstalledModel {
    /// File name inside `models/`.
    pub file: String,
    /// Full path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// The catalog model it is, known by its recorded SHA-256 (never by its name).
    pub catalog_id: Option<String>,
    /// What its header says; `None` when the header could not be read.
    pub facts: Option<ModelFacts>,
    /// Why the header could not be read.
    pub problem: Option<String>,
    /// The SHA-256 recorded at install time.
    pub sha256: Option<String>,
}

/// How an imported file was brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportedAs {
    /// A hard link: no extra disk space; the original may be moved or deleted safely.
    HardLink,
    /// A copy.
    Copy,
}

/// The result of checking a file's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Verification {
    /// File name.
    pub file: String,
    /// The checksum computed now.
    pub sha256: String,
    /// What it should be (catalog, else install record), if known.
    pub expected: Option<String>,
    /// Bytes read.
    pub bytes: u64,
}

impl Verification {
    /// True when the file matches what it should be; `None` when nothing says what it should be.
    pub fn matches(&self) -> Option<bool> {
        self.expected.as_ref().map(|e| *e == self.sha256)
    }
}

impl Library {
    /// The library in `dir`.
    pub fn new(dir: &Path) -> Library {
        Library {
            dir: dir.to_path_buf(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Free bytes on the disk that holds the directory; `None` where the system does not say.
    pub fn free_space(&self) -> Option<u64> {
        fs4::available_space(&self.dir).ok()
    }

    /// Every `.gguf` file in the directory, with what its header says.
    pub fn list(&self, catalog: &Catalog) -> Result<Vec<InstalledModel>, ModelsError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(self.io(&self.dir, source)),
        };
        let manifest = self.manifest();
        let mut models = Vec::new();
        for entry in entries.flatten() {
            let Ok(file) = entry.file_name().into_string() else {
                continue;
            };
            if !is_model_file_name(&file) {
                continue;
            }
            models.push(self.describe(&file, catalog, &manifest));
        }
        models.sort_by_key(|m| m.file.to_lowercase());
        Ok(models)
    }

    /// One installed file, described.
    pub fn get(&self, file: &str, catalog: &Catalog) -> Result<InstalledModel, ModelsError> {
        if !is_model_file_name(file) || !self.dir.join(file).is_file() {
            return Err(ModelsError::NotInstalled(file.to_owned()));
        }
        Ok(self.describe(file, catalog, &self.manifest()))
    }

    fn describe(
        &self,
        file: &str,
        catalog: &Catalog,
        manifest: &BTreeMap<String, Recorded>,
    ) -> InstalledModel {
        let path = self.dir.join(file);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let (facts, problem) = match ModelFacts::inspect(&path) {
            Ok(facts) => (Some(facts), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let sha256 = manifest.get(file).map(|r| r.sha256.clone());
        InstalledModel {
            file: file.to_owned(),
            catalog_id: sha256
                .as_deref()
                .and_then(|sha| catalog.entry_for_sha256(sha))
                .map(|e| e.id.clone()),
            sha256,
            path,
            size,
            facts,
            problem,
        }
    }

    /// Finds an installed model by catalog id (the file whose recorded SHA-256 is the
    /// catalog's) or by file name (a `.gguf` in `models/`, never anything else there).
    pub fn resolve(&self, catalog: &Catalog, id_or_file: &str) -> Result<String, ModelsError> {
        if let Some(sha) = catalog.entry(id_or_file).and_then(|e| e.sha256.as_deref()) {
            let manifest = self.manifest();
            // The first in the order `list` shows them, when several files hold these bytes.
            let mut recorded: Vec<&String> = manifest
                .iter()
                .filter(|(file, r)| r.sha256.eq_ignore_ascii_case(sha) && is_model_file_name(file))
                .map(|(file, _)| file)
                .filter(|file| self.dir.join(file).is_file())
                .collect();
            recorded.sort_by_key(|file| file.to_lowercase());
            if let Some(file) = recorded.first() {
                return Ok((*file).clone());
            }
        }
        if is_model_file_name(id_or_file) && self.dir.join(id_or_file).is_file() {
            Ok(id_or_file.to_owned())
        } else {
            Err(ModelsError::NotInstalled(id_or_file.to_owned()))
        }
    }

    /// Checks a GGUF file anywhere on disk, then brings it into `models/`: a hard link where the
    /// file system allows one, else a copy. The file's SHA-256 is recorded; it is a catalog
    /// model only if that checksum is the catalog's. A file named like a catalog download but
    /// with other bytes is installed under another name (`…-local.gguf`), so it neither
    /// passes for that model nor blocks its download.
    pub fn import(
        &self,
        source: &Path,
        catalog: &Catalog,
    ) -> Result<(InstalledModel, ImportedAs), ModelsError> {
        hearth_gguf::GgufFile::open(source)?.check_runnable()?;
        let file = source
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| is_safe_file_name(n))
            .ok_or_else(|| ModelsError::UnsafeFileName(source.display().to_string()))?
            .to_owned();
        let file = if file.to_ascii_lowercase().ends_with(".gguf") {
            file
        } else {
            format!("{file}.gguf")
        };
        let (sha256, _) = sha256_file(source)?;
        let file = match catalog.entry_for_file(&file) {
            Some(entry)
                if !entry
                    .sha256
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&sha256)) =>
            {
                local_name(&file)
            }
            _ => file,
        };
        let target = self.dir.join(&file);
        if target.exists() {
            return Err(ModelsError::AlreadyInstalled(target));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(&self.dir, e))?;
        let how = if std::fs::hard_link(source, &target).is_ok() {
            ImportedAs::HardLink
        } else {
            // Copy under a temporary name so a half-copied file is never taken for a model.
            let tmp = self.dir.join(format!(".{file}.import"));
            if let Err(e) = std::fs::copy(source, &tmp) {
                let _ = std::fs::remove_file(&tmp);
                return Err(self.io(&tmp, e));
            }
            std::fs::rename(&tmp, &target).map_err(|e| self.io(&target, e))?;
            ImportedAs::Copy
        };
        self.record(&file, &sha256, &source.display().to_string())?;
        let model = self.get(&file, catalog)?;
        Ok((model, how))
    }

    /// Recomputes a file's SHA-256 and compares it with the one recorded when it was
    /// installed (which is the catalog's, for a catalog model).
    pub fn verify(&self, file: &str, _catalog: &Catalog) -> Result<Verification, ModelsError> {
        let path = self.dir.join(file);
        if !is_model_file_name(file) || !path.is_file() {
            return Err(ModelsError::NotInstalled(file.to_owned()));
        }
        let (sha256, bytes) = sha256_file(&path)?;
        let expected = self.manifest().get(file).map(|r| r.sha256.clone());
        Ok(Verification {
            file: file.to_owned(),
            sha256,
            expected,
            bytes,
        })
    }

    /// Deletes an installed model file and its record (never a part file or the manifest).
    pub fn delete(&self, file: &str) -> Result<(), ModelsError> {
        let path = self.dir.join(file);
        if !is_model_file_name(file) || !path.is_file() {
            return Err(ModelsError::NotInstalled(file.to_owned()));
        }
        std::fs::remove_file(&path).map_err(|e| self.io(&path, e))?;
        let mut manifest = self.manifest();
        if manifest.remove(file).is_some() {
            self.save_manifest(&manifest)?;
        }
        Ok(())
    }

    /// Remembers the checksum and origin of an installed file.
    pub fn record(&self, file: &str, sha256: &str, source: &str) -> Result<(), ModelsError> {
        let mut manifest = self.manifest();
        manifest.insert(
            file.to_owned(),
            Recorded {
                sha256: sha256.to_owned(),
                source: source.to_owned(),
            },
        );
        self.save_manifest(&manifest)
    }

    fn manifest(&self) -> BTreeMap<String, Recorded> {
        std::fs::read(self.dir.join(MANIFEST))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save_manifest(&self, manifest: &BTreeMap<String, Recorded>) -> Result<(), ModelsError> {
        let path = self.dir.join(MANIFEST);
        let tmp = self.dir.join(format!(".{MANIFEST}.tmp"));
        let json = serde_json::to_vec_pretty(manifest)
            .map_err(|e| self.io(&path, std::io::Error::other(e)))?;
        std::fs::write(&tmp, json).map_err(|e| self.io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.io(&path, e))
    }

    fn io(&self, path: &Path, source: std::io::Error) -> ModelsError {
        ModelsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `name.gguf` → `name-local.gguf`.
fn local_name(file: &str) -> String {
    let stem = file
        .strip_suffix(".gguf")
        .or_else(|| file.strip_suffix(".GGUF"))
        .unwrap_or(file);
    format!("{stem}-local.gguf")
}

/// SHA-256 of a file and its length, read in 4 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<(String, u64), ModelsError> {
    let io = |source| ModelsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 4 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((format!("{:x}", hasher.finalize()), bytes))
}
