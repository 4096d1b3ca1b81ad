//! [`App`]: every operation the UI offers, free of any transport. The HTTP routes under `/api/`
//! and the desktop window's Tauri commands are one-line adapters onto these methods.

use hearth_models::{DownloadRequest, Machine, ModelsError};
use hearth_store::{Chat, Id, Message, SearchHit};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{ChatModel, CoreError, Hearth, ModelManager, SamplingParams, DEFAULT_SYSTEM_PROMPT};

/// Settings key of the model new chats use.
pub const DEFAULT_MODEL_SETTING: &str = "default_model";
/// Settings key of the generation settings replies use (GPT4All's defaults when unset).
pub const GENERATION_SETTING: &str = "generation";
/// Settings key of the system prompt new chats start with.
pub const SYSTEM_PROMPT_SETTING: &str = "system_prompt";
/// The settings key of the desktop app's start-up update check (a bool, off by default).
pub const CHECK_UPDATES_SETTING: &str = "update.check";
/// GPT4All Chat's default context length.
pub const DEFAULT_CONTEXT: u32 = 2048;

/// How replies are generated: sampling, and how the model is loaded. Kept for all models, and
/// optionally overridden as a whole for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationSettings {
    /// Sampling.
    #[serde(flatten)]
    pub sampling: SamplingParams,
    /// Context length in tokens.
    #[serde(default = "default_context")]
    pub context: u32,
    /// Threads; `None` means one per physical core.
    #[serde(default)]
    pub threads: Option<u32>,
    /// True when these are one model's own settings rather than everyone's.
    #[serde(default, skip_deserializing)]
    pub overridden: bool,
}

fn default_context() -> u32 {
    DEFAULT_CONTEXT
}

impl Default for GenerationSettings {
    fn default() -> Self {
        GenerationSettings {
            sampling: SamplingParams::default(),
            context: DEFAULT_CONTEXT,
            threads: None,
            overridden: false,
        }
    }
}

/// The settings key of one model's own generation settings.
fn model_key(model: &str) -> String {
    format!("{GENERATION_SETTING}:{model}")
}

/// The application as the UI sees it: chats, models, downloads, settings.
#[derive(Clone)]
pub struct App {
    /// Chats, replies, the engine.
    pub hearth: Hearth,
    /// Catalog, installed models, downloads.
    pub models: ModelManager,
}

/// One installed model as the model picker shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelChoice {
    /// Catalog id, else file name.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Quantisation.
    pub quant: Option<String>,
    /// Bytes.
    pub size: u64,
}

/// The installed models and the one new chats use.
#[derive(Debug, Clone, Serialize)]
pub struct ModelChoices {
    /// Installed, runnable models.
    pub models: Vec<ModelChoice>,
    /// The default: the chosen one, else the only one installed.
    pub default: Option<String>,
}

/// A message of the shown branch with the versions beside it.
#[derive(Debug, Clone, Serialize)]
pub struct ShownMessage {
    /// The message.
    #[serde(flatten)]
    pub message: Message,
    /// Ids of this message and its siblings, oldest first.
    pub versions: Vec<Id>,
}

/// A chat and its shown branch.
#[derive(Debug, Clone, Serialize)]
pub struct ChatView {
    /// The chat.
    pub chat: Chat,
    /// The shown branch, oldest first.
    pub messages: Vec<ShownMessage>,
}

/// A reply that has started; its text arrives as events.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Started {
    /// The chat.
    pub chat_id: Id,
    /// The reply.
    pub message_id: Id,
}

/// A change to a chat from the sidebar.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatPatch {
    /// New title.
    pub title: Option<String>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
}

impl App {
    /// The installed runnable models and the default one.
    pub async fn models(&self) -> Result<ModelChoices, CoreError> {
        let catalog = self.models.catalog();
        let list = self.models.library().list(catalog)?;
        let models: Vec<ModelChoice> = list
            .into_iter()
            .filter(|m| m.facts.as_ref().is_some_and(|f| f.runnable))
            .map(|m| {
                let entry = m.catalog_id.as_deref().and_then(|id| catalog.entry(id));
                ModelChoice {
                    name: entry.map_or_else(|| m.file.clone(), |e| e.name.clone()),
                    quant: m.facts.as_ref().and_then(|f| f.quant.clone()),
                    size: m.size,
                    id: m.catalog_id.unwrap_or(m.file),
                }
            })
            .collect();
        let set: Option<String> = self.hearth.store().setting(DEFAULT_MODEL_SETTING).await?;
        let default = match set {
            Some(id) if models.iter().any(|c| c.id == id) => Some(id),
            _ if models.len() == 1 => Some(models[0].id.clone()),
            _ => None,
        };
        Ok(ModelChoices { models, default })
    }

    /// Makes `id` the model new chats use.
    pub async fn set_default_model(&self, id: &str) -> Result<(), CoreError> {
        if !self.models().await?.models.iter().any(|m| m.id == id) {
            return Err(ModelsError::NotInstalled(id.to_owned()).into());
        }
        Ok(self
            .hearth
            .store()
            .set_setting(DEFAULT_MODEL_SETTING, &id)
            .await?)
    }

    /// The chats, pinned first, then most recent.
    pub async fn chats(&self) -> Result<Vec<Chat>, CoreError> {
        Ok(self.hearth.store().list_chats(false).await?)
    }

    /// A new chat with the system prompt from Settings.
    pub async fn new_chat(&self) -> Result<Chat, CoreError> {
        let prompt: Option<String> = self.hearth.store().setting(SYSTEM_PROMPT_SETTING).await?;
        self.hearth.new_chat(prompt.as_deref()).await
    }

    /// A chat and its shown branch, each message with its versions.
    pub async fn chat(&self, id: Id) -> Result<ChatView, CoreError> {
        let store = self.hearth.store();
        let chat = store.chat(id).await?;
        let messages = store
            .branch_with_versions(id)
            .await?
            .into_iter()
            .map(|(message, versions)| ShownMessage { message, versions })
            .collect();
        Ok(ChatView { chat, messages })
    }

    /// Renames or pins a chat.
    pub async fn patch_chat(&self, id: Id, patch: ChatPatch) -> Result<(), CoreError> {
        if let Some(title) = patch.title {
            self.hearth.rename(id, &title).await?;
        }
        if let Some(pinned) = patch.pinned {
            self.hearth.store().set_pinned(id, pinned).await?;
        }
        Ok(())
    }

    /// Deletes a chat.
    pub async fn delete_chat(&self, id: Id) -> Result<(), CoreError> {
        self.hearth.delete(id).await
    }

    /// Asks a question in a chat with the installed model `model`.
    pub async fn send(&self, chat_id: Id, text: &str, model: &str) -> Result<Started, CoreError> {
        let model = self.chat_model(model).await?;
        Ok(started(&self.hearth.send(chat_id, text, &model).await?))
    }

    /// A new version of the chat's last reply.
    pub async fn regenerate(&self, chat_id: Id, model: &str) -> Result<Started, CoreError> {
        let model = self.chat_model(model).await?;
        Ok(started(&self.hearth.regenerate(chat_id, &model).await?))
    }

    /// A new version of a question, answered.
    pub async fn edit(
        &self,
        message_id: Id,
        text: &str,
        model: &str,
    ) -> Result<Started, CoreError> {
        let model = self.chat_model(model).await?;
        Ok(started(&self.hearth.edit(message_id, text, &model).await?))
    }

    /// Shows the branch through this version.
    pub async fn show_version(&self, message_id: Id) -> Result<(), CoreError> {
        self.hearth.switch_branch(message_id).await.map(|_| ())
    }

    /// Stops the chat's reply.
    pub fn cancel(&self, chat_id: Id) {
        self.hearth.cancel(chat_id);
    }

    /// Full-text search over titles and messages.
    pub async fn search(&self, query: &str) -> Result<Vec<SearchHit>, CoreError> {
        Ok(self.hearth.store().search(query, 30).await?)
    }

    /// The generation settings replies use: `model`'s own if it has them, else everyone's.
    pub async fn generation(&self, model: Option<&str>) -> Result<GenerationSettings, CoreError> {
        let store = self.hearth.store();
        if let Some(model) = model {
            if let Some(mut own) = store
                .setting::<GenerationSettings>(&model_key(model))
                .await?
            {
                own.overridden = true;
                return Ok(own);
            }
        }
        Ok(store.setting(GENERATION_SETTING).await?.unwrap_or_default())
    }

    /// Checks and keeps generation settings, for everyone or as `model`'s own.
    pub async fn set_generation(
        &self,
        model: Option<&str>,
        settings: &GenerationSettings,
    ) -> Result<(), CoreError> {
        settings
            .sampling
            .validate()
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let load = crate::LoadOptions {
            n_ctx: Some(settings.context),
            n_threads: settings.threads,
            ..Default::default()
        };
        load.validate()
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let key = model.map_or_else(|| GENERATION_SETTING.to_owned(), model_key);
        Ok(self.hearth.store().set_setting(&key, settings).await?)
    }

    /// Drops `model`'s own settings: it uses everyone's again.
    pub async fn clear_model_generation(&self, model: &str) -> Result<(), CoreError> {
        Ok(self.hearth.store().clear_setting(&model_key(model)).await?)
    }

    /// What the Settings screen shows besides generation.
    pub async fn settings(&self) -> Result<Value, CoreError> {
        let prompt: Option<String> = self.hearth.store().setting(SYSTEM_PROMPT_SETTING).await?;
        Ok(json!({
            "system_prompt": prompt.unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT.to_owned()),
            "check_updates": self.check_updates().await?,
            "data_dir": self.hearth.data_dir().root(),
            "version": env!("CARGO_PKG_VERSION"),
            "llama_cpp": hearth_engine::LLAMA_CPP_VERSION,
            "machine": Machine::detect(),
        }))
    }

    /// Whether the desktop app looks for a newer version when it starts: off unless the user
    /// turns it on, so by default Hearth contacts nothing but model downloads.
    pub async fn check_updates(&self) -> Result<bool, CoreError> {
        let on: Option<bool> = self.hearth.store().setting(CHECK_UPDATES_SETTING).await?;
        Ok(on.unwrap_or(false))
    }

    /// Turns the start-up update check on or off.
    pub async fn set_check_updates(&self, on: bool) -> Result<(), CoreError> {
        Ok(self
            .hearth
            .store()
            .set_setting(CHECK_UPDATES_SETTING, &on)
            .await?)
    }

    /// Keeps the system prompt new chats start with.
    pub async fn set_system_prompt(&self, text: &str) -> Result<(), CoreError> {
        Ok(self
            .hearth
            .store()
            .set_setting(SYSTEM_PROMPT_SETTING, &text)
            .await?)
    }

    /// The catalog, each entry with how it would run here and whether it is installed.
    pub fn catalog(&self) -> Result<Value, CoreError> {
        let machine = Machine::detect();
        let catalog = self.models.catalog();
        let installed = self.models.library().list(catalog)?;
        let entries: Vec<Value> = catalog
            .models
            .iter()
            .map(|e| {
                let mut row = serde_json::to_value(e).unwrap_or_default();
                row["fit"] = json!(machine.map(|m| m.fit(e.ram)));
                row["installed"] = json!(installed.iter().any(|m| m.file == e.file));
                row["partial"] = json!(self.models.downloader().partial_bytes(&e.file));
                row
            })
            .collect();
        Ok(json!({"machine": machine, "models": entries, "guide": catalog.guide}))
    }

    /// Installed files with what their headers say, memory needed and licence.
    pub fn installed(&self) -> Result<Vec<Value>, CoreError> {
        let catalog = self.models.catalog();
        let list = self.models.library().list(catalog)?;
        Ok(list
            .iter()
            .map(|m| {
                let mut row = serde_json::to_value(m).unwrap_or_default();
                row["id"] = json!(m.catalog_id.clone().unwrap_or_else(|| m.file.clone()));
                row["ram"] = json!(m.facts.as_ref().map(|f| f.estimated_ram(2048)));
                row["license"] = json!(m
                    .catalog_id
                    .as_deref()
                    .and_then(|id| catalog.entry(id))
                    .map(|e| e.license.clone()));
                row
            })
            .collect())
    }

    /// Starts (or resumes) a catalog download in the background; progress arrives as events.
    pub fn start_download(&self, id: &str) -> Result<(), CoreError> {
        let entry = self
            .models
            .catalog()
            .entry(id)
            .cloned()
            .ok_or_else(|| ModelsError::UnknownModel(id.to_owned()))?;
        let downloader = self.models.downloader().clone();
        // Its outcome reaches the UI as a `finished` or `failed` event.
        tokio::spawn(async move {
            if let Err(e) = downloader.download(DownloadRequest::from(&entry)).await {
                tracing::info!("download of {} ended: {e}", entry.id);
            }
        });
        Ok(())
    }

    /// Pauses a running download.
    pub fn pause_download(&self, id: &str) -> bool {
        self.models.downloader().pause(id)
    }

    /// Cancels a running download, or discards a paused one's part file.
    pub fn cancel_download(&self, id: &str) {
        let downloader = self.models.downloader();
        if !downloader.cancel(id) {
            if let Some(entry) = self.models.catalog().entry(id) {
                downloader.discard(&entry.file);
            }
        }
    }

    /// Recomputes an installed model's SHA-256 (blocking work, off the async threads).
    pub async fn verify_model(&self, id: &str) -> Result<Value, CoreError> {
        let library = self.models.library().clone();
        let catalog = self.models.catalog().clone();
        let id = id.to_owned();
        let check = tokio::task::spawn_blocking(move || {
            let file = library.resolve(&catalog, &id)?;
            library.verify(&file, &catalog)
        })
        .await
        .map_err(|e| CoreError::Invalid(format!("verification stopped: {e}")))??;
        Ok(json!({"sha256": check.sha256, "expected": check.expected, "matches": check.matches()}))
    }

    /// Checks a GGUF file anywhere on this computer and adds it to the installed models
    /// (linked where the file system allows, else copied); returns what its header says.
    pub async fn import_model(&self, path: &str) -> Result<Value, CoreError> {
        let library = self.models.library().clone();
        let source = std::path::PathBuf::from(path.trim());
        // Copying gigabytes is blocking work.
        let (model, how) = tokio::task::spawn_blocking(move || library.import(&source))
            .await
            .map_err(|e| CoreError::Invalid(format!("the import stopped: {e}")))??;
        let ram = model.facts.as_ref().map(|f| f.estimated_ram(2048));
        Ok(json!({"model": model, "imported_as": how, "ram": ram}))
    }

    /// Opens the data folder in the system's file manager.
    pub fn open_data_folder(&self) -> Result<(), CoreError> {
        let dir = self.hearth.data_dir().root().to_path_buf();
        opener::open(&dir)
            .map_err(|e| CoreError::Invalid(format!("cannot open {}: {e}", dir.display())))
    }

    /// Deletes an installed model.
    pub fn delete_model(&self, id: &str) -> Result<(), CoreError> {
        let library = self.models.library();
        let file = library.resolve(self.models.catalog(), id)?;
        Ok(library.delete(&file)?)
    }

    /// The installed model `id` (catalog id or file name, never a path) with the catalog's
    /// prompt format where it has one, and default loading and sampling.
    pub fn installed_model(&self, id: &str) -> Result<ChatModel, CoreError> {
        let file = self.models.library().resolve(self.models.catalog(), id)?;
        let path = self.models.library().dir().join(file);
        let mut model = self.hearth.chat_model(&path);
        model.load.template = self.models.template_for(&path)?;
        Ok(model)
    }

    /// The model, loading options and generation settings a reply uses.
    async fn chat_model(&self, id: &str) -> Result<ChatModel, CoreError> {
        let settings = self.generation(Some(id)).await?;
        let mut model = self.installed_model(id)?;
        model.load.n_ctx = Some(settings.context);
        model.load.n_threads = settings.threads;
        model.sampling = settings.sampling;
        Ok(model)
    }
}

fn started(reply: &crate::ReplyHandle) -> Started {
    Started {
        chat_id: reply.chat_id,
        message_id: reply.message_id,
    }
}

/// Every core event and download event, as JSON, for whoever shows them (the event stream of
/// the web UI, the desktop window's events). Download events get `"type": "download"`.
pub struct Events {
    core: tokio::sync::broadcast::Receiver<crate::CoreEvent>,
    downloads: tokio::sync::broadcast::Receiver<hearth_models::DownloadEvent>,
}

impl Events {
    /// Subscribes to both streams from now on.
    pub fn new(app: &App) -> Events {
        Events {
            core: app.hearth.subscribe(),
            downloads: app.models.downloader().subscribe(),
        }
    }

    /// The next event; `None` once the app is gone. Events missed by a slow reader are
    /// skipped: the UI reloads what it shows on the next one.
    pub async fn next(&mut self) -> Option<Value> {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let value = tokio::select! {
                event = self.core.recv() => match event {
                    Ok(event) => serde_json::to_value(&event).ok(),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
                event = self.downloads.recv() => match event {
                    Ok(event) => serde_json::to_value(&event).ok().map(|mut v| {
                        v["type"] = json!("download");
                        v
                    }),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
            };
            if value.is_some() {
                return value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_context_existed_read_with_gpt4all_defaults() {
        let old = serde_json::to_string(&SamplingParams {
            temperature: 0.0,
            ..SamplingParams::default()
        })
        .unwrap();
        let read: GenerationSettings = serde_json::from_str(&old).unwrap();
        assert_eq!(read.sampling.temperature, 0.0);
        assert_eq!(
            (read.context, read.threads, read.overridden),
            (2048, None, false)
        );
        let round: GenerationSettings =
            serde_json::from_value(serde_json::to_value(&read).unwrap()).unwrap();
        assert_eq!(round, read);
    }
}
