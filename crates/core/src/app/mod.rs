//! [`App`]: the one front door of every client — the desktop window's commands, the web UI's
//! routes, the local API and the CLI. Each operation here is free of any transport, so saved
//! settings (system prompt, generation settings, default model) behave the same everywhere.
//!
//! - `views`: the typed shapes the UI receives (TypeScript is generated from them).
//! - `settings`: generation settings, the system prompt, the update check, the API key.
//! - `models`: catalog, installed models, downloads, import, verify.
//! - `events`: every core and download event as one stream.
//! - `attachments`: files attached to a question (whole, or indexed into the chat's collection).
//! - `collections`: the LocalDocs screen: make, change, rebuild, remove collections.
//! - `documents`: which collections a chat answers from, and retrieval for the API and CLI.

mod attachments;
mod collections;
mod documents;
mod events;
mod models;
mod providers;
mod settings;
mod views;

use std::path::Path;

use hearth_engine::{Generation, Input};
use hearth_models::DownloadSettings;
use hearth_store::{Chat, ExportFormat, Id, Message, SearchHit};

use crate::{ChatModel, CoreError, DataDir, EngineClient, Hearth, LocalDocs, ModelManager};

pub use attachments::attachment_collection;
pub use collections::{
    CollectionChange, CollectionView, EmbeddingOption, LocalDocsView, NewCollection,
};
pub use events::{AppEvent, DownloadNotice, DownloadTag, Events};
pub use settings::{
    GenerationSettings, CHECK_UPDATES_SETTING, DEFAULT_CONTEXT, DEFAULT_MODEL_SETTING,
    GENERATION_SETTING, SYSTEM_PROMPT_SETTING,
};
pub use views::{
    AppSettings, CatalogRow, CatalogView, ChatPatch, ChatView, ImportResult, InstalledRow,
    ModelChoice, ModelChoices, ModelsFolder, ShownMessage, Started, UpdateInfo, VerifyResult,
};

/// How to open the app besides its data folder.
#[derive(Default)]
pub struct AppOptions {
    /// A catalog file instead of the built-in one.
    pub catalog: Option<std::path::PathBuf>,
    /// The downloader's patience.
    pub downloads: DownloadSettings,
    /// An engine client instead of the worker found beside this program.
    pub engine: Option<EngineClient>,
    /// The document reader (`hearth-extract`) instead of the one found beside this program.
    pub reader: Option<std::path::PathBuf>,
}

/// The application as every client sees it: chats, models, downloads, settings. Cheap to
/// clone; clones share one store, one engine and one downloader.
#[derive(Clone)]
pub struct App {
    /// Chats, replies, the engine.
    hearth: Hearth,
    /// Catalog, installed models, downloads.
    models: ModelManager,
    /// Document collections and their index.
    docs: LocalDocs,
}

impl App {
    /// Opens the app on `data` with the built-in catalog and the worker beside this program.
    pub async fn open(data: DataDir) -> Result<App, CoreError> {
        App::open_with(data, AppOptions::default()).await
    }

    /// Opens the app on `data` with `options`.
    pub async fn open_with(data: DataDir, options: AppOptions) -> Result<App, CoreError> {
        let models =
            ModelManager::with_settings(&data, options.catalog.as_deref(), options.downloads)?;
        // The embedding model gets a worker of its own, so a chat and indexing never evict
        // each other's model; it starts on first use.
        let (engine, embeddings) = match options.engine {
            Some(engine) => (engine, EngineClient::from_environment()?),
            None => {
                let worker = hearth_engine::locate_worker()?;
                (EngineClient::new(worker.clone()), EngineClient::new(worker))
            }
        };
        // Without the reader the app still opens; indexing then says what is missing.
        let reader = match options.reader {
            Some(reader) => reader,
            None => hearth_docs::extract::locate_reader().unwrap_or_else(|e| {
                tracing::warn!("{e}");
                std::path::PathBuf::from("hearth-extract")
            }),
        };
        let chat_busy = engine.busy();
        let docs = LocalDocs::open(&data, models.clone(), embeddings, chat_busy, reader).await?;
        let hearth = Hearth::open(data, engine).await?;
        hearth.attach_docs(docs.clone());
        Ok(App {
            hearth,
            models,
            docs,
        })
    }

    /// Document collections (LocalDocs): add, index, search.
    pub fn docs(&self) -> &LocalDocs {
        &self.docs
    }

    /// The chat service underneath (events, the store's reads).
    pub fn hearth(&self) -> &Hearth {
        &self.hearth
    }

    /// The catalog, the installed models and the downloader.
    pub fn model_manager(&self) -> &ModelManager {
        &self.models
    }

    /// A message to show once, if opening had to set the database aside.
    pub fn startup_notice(&self) -> Option<&str> {
        self.hearth.startup_notice()
    }

    /// The data folder.
    pub fn data_dir(&self) -> &DataDir {
        self.hearth.data_dir()
    }

    /// The chats, pinned first, then most recent.
    pub async fn chats(&self) -> Result<Vec<Chat>, CoreError> {
        Ok(self.hearth.store().list_chats(false).await?)
    }

    /// Every chat, archived ones too.
    pub async fn all_chats(&self) -> Result<Vec<Chat>, CoreError> {
        Ok(self.hearth.store().list_chats(true).await?)
    }

    /// A new chat with the system prompt from Settings, answering from the collections
    /// chosen last (those that still exist).
    pub async fn new_chat(&self) -> Result<Chat, CoreError> {
        let prompt = self.system_prompt().await?;
        let mut chat = self.hearth.new_chat(Some(&prompt)).await?;
        let collections = self.last_collections().await?;
        if !collections.is_empty() {
            self.hearth
                .store()
                .set_chat_collections(chat.id, &collections)
                .await?;
            chat.collections = collections;
        }
        Ok(chat)
    }

    /// A new chat with this system prompt (empty: the model's own default).
    pub async fn new_chat_with_prompt(&self, system_prompt: &str) -> Result<Chat, CoreError> {
        self.hearth.new_chat(Some(system_prompt)).await
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

    /// The shown branch of a chat, oldest first.
    pub async fn branch(&self, id: Id) -> Result<Vec<Message>, CoreError> {
        Ok(self.hearth.store().branch(id).await?)
    }

    /// Renames or pins a chat.
    pub async fn patch_chat(&self, id: Id, patch: ChatPatch) -> Result<(), CoreError> {
        if let Some(title) = patch.title {
            self.hearth.rename(id, &title).await?;
        }
        if let Some(pinned) = patch.pinned {
            self.hearth.store().set_pinned(id, pinned).await?;
        }
        if let Some(collections) = patch.collections {
            self.choose_collections(id, &collections).await?;
        }
        Ok(())
    }

    /// Deletes a chat (stopping its replies first).
    pub async fn delete_chat(&self, id: Id) -> Result<(), CoreError> {
        self.hearth.delete(id).await?;
        self.drop_attachments(id).await;
        Ok(())
    }

    /// Asks a question in a chat with the installed model `model`. Nothing is written when
    /// this fails; once it succeeds the reply ends with one `reply_finished` event.
    pub async fn send(&self, chat_id: Id, text: &str, model: &str) -> Result<Started, CoreError> {
        let model = self.reply_model(model).await?;
        Ok(started(&self.hearth.send(chat_id, text, &model).await?))
    }

    /// Like [`App::send`] with a model already chosen (the CLI's `--model` and its flags);
    /// returns the handle to wait on.
    pub async fn send_with(
        &self,
        chat_id: Id,
        text: &str,
        model: &ChatModel,
    ) -> Result<crate::ReplyHandle, CoreError> {
        self.hearth.send(chat_id, text, model).await
    }

    /// A new version of the chat's last reply.
    pub async fn regenerate(&self, chat_id: Id, model: &str) -> Result<Started, CoreError> {
        let model = self.reply_model(model).await?;
        Ok(started(&self.hearth.regenerate(chat_id, &model).await?))
    }

    /// A new version of a question, answered.
    pub async fn edit(
        &self,
        message_id: Id,
        text: &str,
        model: &str,
    ) -> Result<Started, CoreError> {
        let model = self.reply_model(model).await?;
        Ok(started(&self.hearth.edit(message_id, text, &model).await?))
    }

    /// Shows the branch through this version.
    pub async fn show_version(&self, message_id: Id) -> Result<(), CoreError> {
        self.hearth.switch_branch(message_id).await.map(|_| ())
    }

    /// Stops the chat's replies.
    pub fn cancel(&self, chat_id: Id) {
        self.hearth.cancel(chat_id);
    }

    /// Full-text search over titles and messages.
    pub async fn search(&self, query: &str) -> Result<Vec<SearchHit>, CoreError> {
        self.search_limit(query, 30).await
    }

    /// Full-text search with at most `limit` results.
    pub async fn search_limit(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, CoreError> {
        Ok(self.hearth.store().search(query, limit).await?)
    }

    /// One chat (or every chat) as Hearth JSON or Markdown.
    pub async fn export(&self, id: Option<Id>, format: ExportFormat) -> Result<String, CoreError> {
        Ok(self.hearth.store().export(id, format).await?)
    }

    /// Imports a Hearth export or a ChatGPT `conversations.json`; returns the new chats.
    pub async fn import_chats(&self, text: &str) -> Result<Vec<Id>, CoreError> {
        Ok(self.hearth.store().import(text).await?)
    }

    /// Starts generating from `input` with the installed model `id`, saving nothing (the
    /// local API). Dropping the generation cancels it.
    pub async fn generate(&self, model: &ChatModel, input: Input) -> Result<Generation, CoreError> {
        self.hearth.generate(model, input).await
    }

    /// Loads `model` into the engine unless it is there already; returns what it is.
    pub async fn load(&self, model: &ChatModel) -> Result<hearth_engine::ModelInfo, CoreError> {
        self.hearth.prepare(model).await
    }

    /// Stops a generation started with [`App::generate`] (it ends with `cancelled`).
    pub fn cancel_generation(&self, id: u64) {
        self.hearth.cancel_generation(id);
    }

    /// Stops the engine worker; later requests fail.
    pub async fn shutdown(&self) {
        self.docs.shutdown().await;
        self.hearth.shutdown().await;
    }

    /// Saves an exchange made through the local API as a new chat.
    pub async fn record_exchange(
        &self,
        input: &Input,
        reply: &str,
        model: &str,
    ) -> Result<(), CoreError> {
        self.hearth.record_exchange(input, reply, model).await
    }

    /// The model a reply in the app uses for the installed model `id`: its file, the catalog's
    /// prompt format where it has one, and the generation settings saved for it (or for all).
    /// A model on a remote provider is named `provider:model`.
    pub async fn reply_model(&self, id: &str) -> Result<ChatModel, CoreError> {
        if let Some(target) = self.hearth.inner.remote.target(id).await? {
            let model = ChatModel {
                remote: Some(target),
                ..self.hearth.chat_model(Path::new(""))
            };
            return self.with_saved_settings(model, id).await;
        }
        let model = self.installed_model(id)?;
        self.with_saved_settings(model, id).await
    }

    /// Like [`App::reply_model`] for a GGUF file anywhere on disk (the CLI's `--model PATH`):
    /// the settings saved for all models apply.
    pub async fn reply_model_at(&self, path: &Path) -> Result<ChatModel, CoreError> {
        if hearth_models::ModelFacts::inspect(path).is_ok_and(|f| f.for_embeddings) {
            let name = path.display().to_string();
            return Err(hearth_models::ModelsError::NotAChatModel(name).into());
        }
        let mut model = self.hearth.chat_model(path);
        model.load.template = self.models.template_for(path)?;
        model.load.draft_model = self.models.draft_for(path).map(|p| p.display().to_string());
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.with_saved_settings(model, &id).await
    }

    async fn with_saved_settings(
        &self,
        mut model: ChatModel,
        id: &str,
    ) -> Result<ChatModel, CoreError> {
        let settings = self.generation(Some(id)).await?;
        model.load.n_ctx = Some(settings.context);
        model.load.n_threads = settings.threads;
        if let Some(format) = settings.prompt_format {
            model.load.template = Some(hearth_engine::TemplateChoice::Named(format));
        }
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
