//! The model catalog: what can be downloaded, and the guide to the 2023 open-ChatGPT families.
//!
//! Schema of `assets/catalog.json` (version 1):
//! - `models`: [`CatalogEntry`] — one downloadable GGUF file each.
//! - `guide`: [`GuideEntry`] — one row per historical family: whether it runs, why, and what to
//!   choose instead.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ModelsError;

/// The catalog that ships with Hearth.
pub const BUILT_IN: &str = include_str!("../../../assets/catalog.json");

/// The schema version this build reads.
pub const SCHEMA: u32 = 1;

/// The whole catalog file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    /// Schema version; see [`SCHEMA`].
    pub schema: u32,
    /// Downloadable models.
    pub models: Vec<CatalogEntry>,
    /// The model guide: historical families and their status.
    pub guide: Vec<GuideEntry>,
}

/// One downloadable model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CatalogEntry {
    /// Stable id used on the command line and in settings (`qwen3-1.7b`).
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Model family (`Qwen3`, `Dolly 2`).
    pub family: String,
    /// llama.cpp architecture name (`general.architecture`).
    pub architecture: String,
    /// Parameter count as people say it (`1.7B`).
    pub parameters: String,
    /// Quantisation (`Q4_K_M`).
    pub quant: String,
    /// File name inside `models/`.
    pub file: String,
    /// Where to download it (https).
    pub url: String,
    /// Exact size in bytes, where known.
    #[serde(default)]
    pub size: Option<u64>,
    /// Approximate size for display when the exact size is not known.
    #[serde(default)]
    pub size_label: Option<String>,
    /// SHA-256 of the file, lowercase hex; every entry has one (the file is checked against it).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Memory needed to chat with a 2048-token context, in bytes.
    pub ram: u64,
    /// Longest context the model was trained for.
    pub context_length: u64,
    /// Licence name.
    pub license: String,
    /// Whether the licence allows commercial use.
    pub commercial_use: bool,
    /// Prompt format to use instead of the model's own; `None` uses the template in the GGUF.
    #[serde(default)]
    pub template: Option<CatalogTemplate>,
    /// Default system message.
    #[serde(default)]
    pub system_message: Option<String>,
    /// One or two sentences for the model list.
    pub description: String,
    /// The description in the UI's other languages, by language code (`zh`).
    #[serde(default)]
    pub description_in: BTreeMap<String, String>,
    /// Free-form tags (`small`, `reasoning`, `legacy`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the model is for: chatting, or sentence vectors for LocalDocs.
    #[serde(default)]
    pub kind: ModelKind,
    /// For embedding models: what goes before a question (`search_query: `, `query: `).
    #[serde(default)]
    pub query_prefix: String,
    /// For embedding models: what goes before a passage of a document (`search_document: `).
    #[serde(default)]
    pub document_prefix: String,
    /// The catalog id of a smaller model of the same family and vocabulary that drafts for
    /// this one (speculative decoding) once it is downloaded too.
    #[serde(default)]
    pub draft: Option<String>,
}

/// What a model is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// It writes replies.
    #[default]
    Chat,
    /// It turns text into sentence vectors (LocalDocs); never offered for chatting.
    Embedding,
}

/// A prompt format given by the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum CatalogTemplate {
    /// A format the engine knows by name (`alpaca`, `dolly`, `completion`).
    Name(String),
    /// A Jinja chat template.
    Jinja(String),
}

/// Whether a historical family runs in Hearth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Runs {
    /// Runs as it is.
    Yes,
    /// Runs with limits, or only after a conversion, or only its successor runs.
    Partly,
    /// Cannot run in llama.cpp.
    No,
}

/// One row of the model guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GuideEntry {
    /// Family name (`GPT4All-J`).
    pub family: String,
    /// Whether it runs.
    pub runs: Runs,
    /// Why, in a sentence a person understands.
    pub why: String,
    /// `why` in the UI's other languages, by language code (`zh`).
    #[serde(default)]
    pub why_in: BTreeMap<String, String>,
    /// Licence name.
    pub license: String,
    /// Whether commercial use is allowed.
    pub commercial_use: bool,
    /// Memory it needs, in bytes.
    pub ram: u64,
    /// Catalog id of the GGUF to download, where one exists.
    pub model: Option<String>,
    /// Catalog id of the modern model to choose instead.
    pub instead: String,
}

impl Catalog {
    /// The catalog built into this program.
    pub fn built_in() -> Result<Catalog, ModelsError> {
        Catalog::parse(BUILT_IN, "the built-in catalog")
    }

    /// Reads and validates a catalog file.
    pub fn load(path: &Path) -> Result<Catalog, ModelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Catalog::parse(&text, &path.display().to_string())
    }

    /// Parses and validates catalog JSON; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Catalog, ModelsError> {
        let catalog: Catalog = serde_json::from_str(text)
            .map_err(|e| ModelsError::Catalog(format!("{origin}: {e}")))?;
        catalog.validate().map_err(|problems| {
            ModelsError::Catalog(format!("{origin}: {}", problems.join("; ")))
        })?;
        Ok(catalog)
    }

    /// Every problem with this catalog; empty when it is sound.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.schema != SCHEMA {
            problems.push(format!("schema {} is not {SCHEMA}", self.schema));
        }
        let mut ids = std::collections::HashSet::new();
        let mut files = std::collections::HashSet::new();
        for entry in &self.models {
            let id = &entry.id;
            if !ids.insert(id.as_str()) {
                problems.push(format!("duplicate id {id}"));
            }
            if !files.insert(entry.file.as_str()) {
                problems.push(format!("{id}: file {} is used twice", entry.file));
            }
            if !is_safe_file_name(&entry.file) {
                problems.push(format!("{id}: unsafe file name {:?}", entry.file));
            }
            if !is_allowed_url(&entry.url) {
                problems.push(format!("{id}: URL is not https: {}", entry.url));
            }
            // A model whose checksum is not pinned here would follow whatever the server holds
            // today: it is not offered.
            match &entry.sha256 {
                Some(sha) if !is_sha256(sha) => {
                    problems.push(format!("{id}: sha256 is not 64 lowercase hex digits"))
                }
                None => problems.push(format!(
                    "{id}: no sha256, so the file could not be verified; a catalog model needs one"
                )),
                _ => {}
            }
            let prefixed = !entry.query_prefix.is_empty() || !entry.document_prefix.is_empty();
            if prefixed && entry.kind != ModelKind::Embedding {
                problems.push(format!("{id}: prefixes belong to embedding models only"));
            }
        }
        for entry in &self.models {
            let Some(draft) = &entry.draft else { continue };
            match self.entry(draft) {
                Some(d) if d.kind != ModelKind::Chat || entry.kind != ModelKind::Chat => problems
                    .push(format!(
                        "{}: draft {draft}: only chat models draft",
                        entry.id
                    )),
                Some(d) if d.ram >= entry.ram => problems.push(format!(
                    "{}: draft {draft} is not smaller than the model",
                    entry.id
                )),
                Some(_) => {}
                None => problems.push(format!("{}: no catalog entry {draft} to draft", entry.id)),
            }
        }
        for row in &self.guide {
            for wanted in row.model.iter().chain([&row.instead]) {
                if !ids.contains(wanted.as_str()) {
                    problems.push(format!("guide {}: no catalog entry {wanted}", row.family));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// A catalog with no entries.
    pub fn empty() -> Catalog {
        Catalog {
            schema: SCHEMA,
            models: Vec::new(),
            guide: Vec::new(),
        }
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&CatalogEntry> {
        self.models.iter().find(|e| e.id == id)
    }

    /// The entry that downloads to this file name.
    pub fn entry_for_file(&self, file: &str) -> Option<&CatalogEntry> {
        self.models.iter().find(|e| e.file == file)
    }

    /// The entry whose file has this SHA-256: how an installed file is known to be a catalog
    /// model, whatever it is called.
    pub fn entry_for_sha256(&self, sha256: &str) -> Option<&CatalogEntry> {
        self.models.iter().find(|e| {
            e.sha256
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(sha256))
        })
    }
}

/// Whether `name` is a model file Hearth lists, loads and deletes: a `.gguf` that is not
/// hidden. Part files, their state and the manifest never are.
pub fn is_model_file_name(name: &str) -> bool {
    is_safe_file_name(name) && name.to_ascii_lowercase().ends_with(".gguf")
}

/// Which catalog entries to show.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    /// Only models that run well or tight on this machine.
    pub fits: Option<crate::Machine>,
    /// Only models whose licence allows commercial use.
    pub commercial: bool,
    /// Only this family (case-insensitive).
    pub family: Option<String>,
}

impl Catalog {
    /// The entries that pass `filter`, in catalog order.
    pub fn matching(&self, filter: &CatalogFilter) -> Vec<&CatalogEntry> {
        self.models
            .iter()
            .filter(|e| {
                filter
                    .fits
                    .is_none_or(|m| m.fit(e.ram) != crate::Fit::TooBig)
            })
            .filter(|e| !filter.commercial || e.commercial_use)
            .filter(|e| {
                filter
                    .family
                    .as_ref()
                    .is_none_or(|f| e.family.eq_ignore_ascii_case(f.trim()))
            })
            .collect()
    }
}

/// A file name that stays inside `models/`: no separators, no `..`, nothing hidden or empty.
pub fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains(['/', '\\', ':', '\0'])
        && !name.chars().any(char::is_control)
}

/// https anywhere; plain http only to this computer (test and mirror servers on loopback).
pub fn is_allowed_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// 64 lowercase hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
