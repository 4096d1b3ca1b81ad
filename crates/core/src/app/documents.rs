//! Which LocalDocs collections a chat answers from, the retrieval settings, and retrieval for
//! conversations that are not saved chats (the local API, `hearth-cli chat --no-save`).

use std::path::PathBuf;

use hearth_engine::ChatMessage;
use hearth_store::{Id, Source};

use super::App;
use crate::retrieval::{self, RetrievalSettings, RETRIEVAL_SETTING};
use crate::{ChatModel, CoreError, CoreEvent};

/// Settings key of the collections the last chat was given; new chats start with them.
const LAST_COLLECTIONS_SETTING: &str = "localdocs.last_collections";

impl App {
    /// Makes `chat_id` answer from `names` (none: no LocalDocs), as a person chooses them in
    /// the window: new chats start with them too. Every name must be a collection, all
    /// embedded with one model (they are searched together).
    pub async fn choose_collections(&self, chat_id: Id, names: &[String]) -> Result<(), CoreError> {
        let names = self.set_chat_collections(chat_id, names).await?;
        self.hearth
            .store()
            .set_setting(LAST_COLLECTIONS_SETTING, &names)
            .await?;
        Ok(())
    }

    /// Makes `chat_id` answer from `names`, for this chat only (`hearth-cli chat --docs`);
    /// returns the names as kept.
    pub async fn set_chat_collections(
        &self,
        chat_id: Id,
        names: &[String],
    ) -> Result<Vec<String>, CoreError> {
        let names = self.check_collections(names).await?;
        self.hearth
            .store()
            .set_chat_collections(chat_id, &names)
            .await?;
        self.hearth.emit(CoreEvent::ChatChanged { chat_id });
        Ok(names)
    }

    /// The collections the last chat was given that still exist.
    pub(super) async fn last_collections(&self) -> Result<Vec<String>, CoreError> {
        let saved: Vec<String> = self
            .hearth
            .store()
            .setting(LAST_COLLECTIONS_SETTING)
            .await?
            .unwrap_or_default();
        if saved.is_empty() {
            return Ok(saved);
        }
        let existing = self.docs.list().await?;
        Ok(saved
            .into_iter()
            .filter(|name| existing.iter().any(|c| c.collection.name == *name))
            .collect())
    }

    /// `names` without repeats, each checked to be a collection, all on one embedding model.
    pub async fn check_collections(&self, names: &[String]) -> Result<Vec<String>, CoreError> {
        let mut checked: Vec<String> = Vec::with_capacity(names.len());
        let mut model: Option<String> = None;
        for name in names {
            if checked.contains(name) {
                continue;
            }
            let collection = self.docs.docs().collection(name).await?;
            match &model {
                Some(m) if *m != collection.embedding_model => {
                    return Err(CoreError::Invalid(format!(
                        "the collections {:?} and {name:?} are embedded with different models, so one reply cannot search both; give them the same embedding model",
                        checked[0]
                    )))
                }
                _ => model = Some(collection.embedding_model),
            }
            checked.push(name.clone());
        }
        Ok(checked)
    }

    /// The file of source `index` (from 0) of reply `message_id`, to open in the system's app.
    /// Only a file that a collection has indexed, and that still lies inside that collection's
    /// folders (links resolved), is given: never a path a page or an imported chat names.
    pub async fn source_file(&self, message_id: Id, index: usize) -> Result<PathBuf, CoreError> {
        let message = self.hearth.store().message(message_id).await?;
        let source = message.sources.get(index).ok_or_else(|| {
            CoreError::Invalid(format!("the reply has no source number {}", index + 1))
        })?;
        let refused = || {
            CoreError::Refused(format!(
                "{} is not in any of your document collections, so Hearth does not open it",
                source.path
            ))
        };
        let folders = self.docs.docs().folders_holding(&source.path).await?;
        if folders.is_empty() {
            return Err(refused());
        }
        let file = std::fs::canonicalize(&source.path).map_err(|e| {
            CoreError::Unavailable(format!("{} cannot be opened: {e}", source.path))
        })?;
        let inside = folders
            .iter()
            .filter_map(|f| std::fs::canonicalize(f).ok())
            .any(|folder| file.starts_with(folder));
        if !inside || !file.is_file() {
            return Err(refused());
        }
        Ok(file)
    }

    /// Opens source `index` of reply `message_id` in the system's app for its type (see
    /// [`App::source_file`] for which files may be opened).
    pub async fn open_source(&self, message_id: Id, index: usize) -> Result<(), CoreError> {
        let file = self.source_file(message_id, index).await?;
        opener::open(&file).map_err(|e| {
            CoreError::Unavailable(format!("{} could not be opened: {e}", file.display()))
        })
    }

    /// How many passages replies are given, and the relevance floor.
    pub async fn retrieval(&self) -> Result<RetrievalSettings, CoreError> {
        RetrievalSettings::read(self.hearth.store()).await
    }

    /// Checks and keeps the retrieval settings.
    pub async fn set_retrieval(&self, settings: &RetrievalSettings) -> Result<(), CoreError> {
        settings.validate()?;
        Ok(self
            .hearth
            .store()
            .set_setting(RETRIEVAL_SETTING, settings)
            .await?)
    }

    /// Puts the best passages of `collections` before the newest question of `messages`,
    /// fitted to `model`'s context (the model is loaded first, to count tokens); returns
    /// them, for a conversation that is not a saved chat.
    pub async fn with_documents(
        &self,
        model: &ChatModel,
        collections: &[String],
        messages: &mut [ChatMessage],
    ) -> Result<Vec<Source>, CoreError> {
        if collections.is_empty() {
            return Ok(Vec::new());
        }
        let settings = self.retrieval().await?;
        let (engine, n_ctx) = match model.remote {
            Some(_) => (None, crate::remote::REMOTE_CONTEXT),
            None => (
                Some(self.hearth.engine()),
                self.hearth.prepare(model).await?.n_ctx,
            ),
        };
        retrieval::give(
            &self.docs,
            engine,
            collections,
            messages,
            n_ctx,
            model.sampling.max_tokens,
            &settings,
        )
        .await
    }
}
