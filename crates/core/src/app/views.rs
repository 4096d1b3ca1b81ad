//! The shapes the UI receives and sends. Each derives `ts_rs::TS`: `ui/src/lib/api/generated.ts`
//! is written from them (see [`crate::contract`]), so a renamed field fails the UI's type check.

use hearth_models::{CatalogEntry, Fit, GuideEntry, ImportedAs, InstalledModel, Machine};
use hearth_store::{Chat, Id, Message};
use serde::{Deserialize, Serialize};

/// One installed model as the model picker shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ModelChoice {
    /// Catalog id, else file name.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Quantisation.
    pub quant: Option<String>,
    /// Bytes.
    pub size: u64,
    /// The remote provider that serves it; `None` for a model on this computer.
    pub remote: Option<String>,
    /// Whether the engine holds it in memory now: a reply starts without loading it.
    pub loaded: bool,
}

/// The installed models and the one new chats use.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ModelChoices {
    /// Installed, runnable models.
    pub models: Vec<ModelChoice>,
    /// The default: the chosen one, else the only one installed.
    pub default: Option<String>,
}

/// A message of the shown branch with the versions beside it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownMessage {
    /// The message.
    #[serde(flatten)]
    pub message: Message,
    /// Ids of this message and its siblings, oldest first.
    pub versions: Vec<Id>,
}

/// A chat and its shown branch.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ChatView {
    /// The chat.
    pub chat: Chat,
    /// The shown branch, oldest first.
    pub messages: Vec<ShownMessage>,
}

/// A reply that has started; its text arrives as events.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
pub struct Started {
    /// The chat.
    pub chat_id: Id,
    /// The reply.
    pub message_id: Id,
}

/// A change to a chat from the sidebar.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
pub struct ChatPatch {
    /// New title.
    #[ts(optional)]
    pub title: Option<String>,
    /// Pin or unpin.
    #[ts(optional)]
    pub pinned: Option<bool>,
    /// The LocalDocs collections its replies answer from (new chats start with them too).
    #[ts(optional)]
    pub collections: Option<Vec<String>>,
}

/// What the Settings screen shows besides generation.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppSettings {
    /// The system prompt new chats start with.
    pub system_prompt: String,
    /// Whether the desktop app looks for a newer version when it starts.
    pub check_updates: bool,
    /// The data folder.
    pub data_dir: String,
    /// Hearth's version.
    pub version: String,
    /// The llama.cpp the engine is built from.
    pub llama_cpp: String,
    /// This computer's memory.
    pub machine: Option<Machine>,
    /// Where models are kept and the room they take.
    pub models_folder: ModelsFolder,
}

/// The models folder as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ModelsFolder {
    /// The folder.
    pub path: String,
    /// How many model files it holds.
    pub models: u32,
    /// Bytes those files take.
    pub used: u64,
    /// Free bytes on its disk, where the system says.
    pub free: Option<u64>,
}

/// One catalog entry with how it would run here.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CatalogRow {
    /// The entry.
    #[serde(flatten)]
    pub entry: CatalogEntry,
    /// How it would run on this computer.
    pub fit: Option<Fit>,
    /// Whether it is installed (its recorded checksum is the catalog's).
    pub installed: bool,
    /// Bytes of a paused download, if any.
    pub partial: Option<u64>,
}

/// The catalog as the Models screen shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CatalogView {
    /// This computer's memory.
    pub machine: Option<Machine>,
    /// Downloadable models.
    pub models: Vec<CatalogRow>,
    /// The model guide.
    pub guide: Vec<GuideEntry>,
}

/// An installed file with what its header says, memory needed and licence.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct InstalledRow {
    /// The file.
    #[serde(flatten)]
    pub model: InstalledModel,
    /// The id to use: catalog id, else file name.
    pub id: String,
    /// Memory needed with a 2048-token context.
    pub ram: Option<u64>,
    /// Licence, when it is a catalog model.
    pub license: Option<String>,
}

/// The outcome of recomputing a model's SHA-256.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct VerifyResult {
    /// The checksum now.
    pub sha256: String,
    /// What it should be, when known.
    pub expected: Option<String>,
    /// Whether they match; `None` when nothing says what it should be.
    pub matches: Option<bool>,
}

/// A GGUF file added from elsewhere on this computer, with what its header says.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportResult {
    /// The installed file.
    pub model: InstalledModel,
    /// Linked or copied.
    pub imported_as: ImportedAs,
    /// Memory needed with a 2048-token context.
    pub ram: Option<u64>,
}

/// A newer release of the desktop app.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct UpdateInfo {
    /// The new version.
    pub version: String,
    /// This version.
    pub current: String,
    /// Release notes.
    pub notes: Option<String>,
}
