//! [`Hearth`]: chats and replies over the store and the engine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hearth_engine::{ChatMessage, EngineClient, LoadOptions, ModelInfo, SamplingParams};
use hearth_store::{
    Attachment, Chat, Id, Message, MessageStatus, NewMessage, Role, Source, Store, StoreError,
};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::model_hash;
use crate::reply::{self, ReplyHandle};
use crate::snapshots::{self, SnapshotUsage, Snapshots};
use crate::{CoreError, DataDir, ErrorReport, LocalDocs, NoticeAbout};

/// Title of a chat until its first reply names it.
pub const NEW_CHAT_TITLE: &str = "New chat";
/// The system prompt new chats get unless the user sets another.
pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a helpful assistant.";

/// Which model answers, loaded how, sampled how.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatModel {
    /// The GGUF file.
    pub path: PathBuf,
    /// How to load it.
    pub load: LoadOptions,
    /// How to sample.
    pub sampling: SamplingParams,
    /// A model on a remote provider instead of the file (`path` is then unused).
    pub remote: Option<crate::RemoteTarget>,
}

/// What happened, for whoever shows it (the window, the terminal).
///
/// Every reply that was announced with `message_added` ends with exactly one `reply_finished`,
/// whatever happens to it (finished, stopped, failed to load, engine died).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CoreEvent {
    /// A message was written (a question, or a reply that starts streaming).
    MessageAdded {
        /// Chat.
        chat_id: Id,
        /// Message.
        message_id: Id,
    },
    /// The reply waits while its model is loaded into the engine.
    ModelLoading {
        /// Chat.
        chat_id: Id,
        /// Reply.
        message_id: Id,
        /// The model file.
        model: String,
    },
    /// How much of a model is read into the engine (any load: a reply's, the local API's).
    ModelLoadProgress {
        /// The model file.
        model: String,
        /// Done so far, from 0.0 to 1.0.
        progress: f32,
    },
    /// More text of a streaming reply.
    Token {
        /// Chat.
        chat_id: Id,
        /// Reply.
        message_id: Id,
        /// The new text.
        text: String,
    },
    /// The passages of the person's documents a reply is given (already in the store with
    /// it), before its first token.
    SourcesFound {
        /// Chat.
        chat_id: Id,
        /// Reply.
        message_id: Id,
        /// The passages, best first.
        sources: Vec<Source>,
    },
    /// A reply ended and its final state is in the store.
    ReplyFinished {
        /// Chat.
        chat_id: Id,
        /// Reply.
        message_id: Id,
        /// How it ended.
        status: MessageStatus,
        /// Why it failed, for `error` (and for an engine that stopped under it).
        error: Option<ErrorReport>,
    },
    /// A chat's title, model or settings changed.
    ChatChanged {
        /// Chat.
        chat_id: Id,
    },
    /// Something a person should know that is not a failure (a model's own prompt format
    /// could not be used and another was chosen).
    Notice {
        /// What happened and what to do, in English.
        message: String,
        /// What it is about, for a window that says it in the reader's language.
        about: NoticeAbout,
    },
}

impl CoreEvent {
    /// The notice about `about`, with its English sentence.
    pub fn notice(about: NoticeAbout) -> CoreEvent {
        CoreEvent::Notice {
            message: about.english(),
            about,
        }
    }
}

/// A reply being written: its chat and the switch that stops it.
pub(crate) struct RunningReply {
    pub(crate) chat_id: Id,
    pub(crate) stop: watch::Sender<bool>,
}

/// The application service. Cheap to clone; all clones share one store and one engine.
#[derive(Clone)]
pub struct Hearth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The open database; lives as long as the service.
    pub(crate) store: Store,
    /// The engine; its worker lives as long as the service.
    pub(crate) engine: EngineClient,
    /// Where files live.
    data: DataDir,
    /// Fan-out of events; receivers come and go.
    pub(crate) events: broadcast::Sender<CoreEvent>,
    /// The model the engine holds, so a chat on the same model does not reload it.
    loaded: tokio::sync::Mutex<Option<(PathBuf, LoadOptions, ModelInfo)>>,
    /// Replies being written, by message id; entries leave when replies end.
    pub(crate) running: Mutex<HashMap<Id, RunningReply>>,
    /// Said once at start, when the database had to be set aside.
    notice: Option<String>,
    /// The person's document collections, for replies in chats that use them.
    pub(crate) docs: std::sync::OnceLock<LocalDocs>,
    /// Each chat's conversation cache on disk.
    pub(crate) snapshots: Snapshots,
    /// The remote providers the person added, and their keys.
    pub(crate) remote: crate::remote::Providers,
}

impl Hearth {
    /// Opens the service on `data`. A database that is not SQLite or is damaged is moved aside
    /// (never overwritten) and a fresh one started; [`Hearth::startup_notice`] says so.
    pub async fn open(data: DataDir, engine: EngineClient) -> Result<Hearth, CoreError> {
        let path = data.database();
        let (store, notice) = match Store::open(&path).await {
            Ok(store) => (store, None),
            Err(e @ (StoreError::NotADatabase { .. } | StoreError::Corrupt { .. })) => {
                let aside = set_aside(&path)?;
                let notice = format!(
                    "{e}. It was moved to {} and Hearth started a fresh database; nothing was deleted.",
                    aside.display()
                );
                tracing::warn!("{notice}");
                (Store::open(&path).await?, Some(notice))
            }
            Err(e) => return Err(e.into()),
        };
        let (events, _) = broadcast::channel(1024);
        let snapshots = Snapshots::new(data.snapshots());
        let remote = crate::remote::Providers::new(store.clone(), &data);
        let inner = Inner {
            remote,
            store,
            engine,
            data,
            events,
            loaded: tokio::sync::Mutex::new(None),
            running: Mutex::new(HashMap::new()),
            notice,
            docs: std::sync::OnceLock::new(),
            snapshots,
        };
        Ok(Hearth {
            inner: Arc::new(inner),
        })
    }

    /// Lets replies in chats with collections answer from them (once; later calls are ignored).
    pub fn attach_docs(&self, docs: LocalDocs) {
        let _ = self.inner.docs.set(docs);
    }

    /// The store, for reads the service does not wrap (listing, search, export).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The data directory.
    pub fn data_dir(&self) -> &DataDir {
        &self.inner.data
    }

    /// A message to show once, if opening had to set the database aside.
    pub fn startup_notice(&self) -> Option<&str> {
        self.inner.notice.as_deref()
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.events.subscribe()
    }

    /// The model at `path` with default loading and sampling.
    pub fn chat_model(&self, path: &Path) -> ChatModel {
        ChatModel {
            path: path.to_path_buf(),
            load: LoadOptions::default(),
            sampling: SamplingParams::default(),
            remote: None,
        }
    }

    /// Starts a chat with `system_prompt`, or the default one. Its first reply names it.
    pub async fn new_chat(&self, system_prompt: Option<&str>) -> Result<Chat, CoreError> {
        let prompt = system_prompt.unwrap_or(DEFAULT_SYSTEM_PROMPT);
        let prompt = (!prompt.trim().is_empty()).then_some(prompt);
        Ok(self
            .inner
            .store
            .create_untitled_chat(NEW_CHAT_TITLE, prompt)
            .await?)
    }

    /// Writes the person's message at the end of the shown branch and starts the reply.
    ///
    /// Nothing is written when the message is empty, the chat is gone or the model file is
    /// missing: the caller keeps the draft. Once this returns, the reply ends with exactly one
    /// [`CoreEvent::ReplyFinished`], failed or not.
    pub async fn send(
        &self,
        chat_id: Id,
        text: &str,
        model: &ChatModel,
    ) -> Result<ReplyHandle, CoreError> {
        self.send_attached(chat_id, text, Vec::new(), model).await
    }

    /// Like [`Hearth::send`], with files attached to the question (already read).
    pub async fn send_attached(
        &self,
        chat_id: Id,
        text: &str,
        attachments: Vec<Attachment>,
        model: &ChatModel,
    ) -> Result<ReplyHandle, CoreError> {
        if text.trim().is_empty() {
            return Err(CoreError::Invalid("the message is empty".into()));
        }
        check_model_file(model)?;
        let chat = self.inner.store.chat(chat_id).await?;
        let question = NewMessage {
            attachments,
            ..NewMessage::user(text)
        };
        let question = self
            .inner
            .store
            .add_message(chat_id, chat.current_leaf, question)
            .await?;
        self.emit(CoreEvent::MessageAdded {
            chat_id,
            message_id: question.id,
        });
        self.reply_to(&chat, question.id, model).await
    }

    /// Answers the last question of the shown branch again, as a new version of the reply.
    pub async fn regenerate(
        &self,
        chat_id: Id,
        model: &ChatModel,
    ) -> Result<ReplyHandle, CoreError> {
        check_model_file(model)?;
        let chat = self.inner.store.chat(chat_id).await?;
        let branch = self.inner.store.branch(chat_id).await?;
        let question = branch
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .ok_or_else(|| CoreError::Invalid("there is no question to answer again".into()))?;
        let id = question.id;
        self.inner.store.switch_branch(id).await?;
        self.reply_to(&chat, id, model).await
    }

    /// Replaces a question with `text` (as a new version beside it) and answers that.
    pub async fn edit(
        &self,
        message_id: Id,
        text: &str,
        model: &ChatModel,
    ) -> Result<ReplyHandle, CoreError> {
        if text.trim().is_empty() {
            return Err(CoreError::Invalid("the message is empty".into()));
        }
        let original = self.inner.store.message(message_id).await?;
        if original.role != Role::User {
            return Err(CoreError::Invalid(
                "only your own messages can be edited".into(),
            ));
        }
        check_model_file(model)?;
        let chat = self.inner.store.chat(original.chat_id).await?;
        // The new version asks about the same files.
        let edited = NewMessage {
            attachments: original.attachments,
            ..NewMessage::user(text)
        };
        let edited = self
            .inner
            .store
            .add_message(chat.id, original.parent_id, edited)
            .await?;
        self.emit(CoreEvent::MessageAdded {
            chat_id: chat.id,
            message_id: edited.id,
        });
        self.reply_to(&chat, edited.id, model).await
    }

    /// Shows the branch through `message_id` (the `‹ 2/3 ›` control).
    pub async fn switch_branch(&self, message_id: Id) -> Result<Vec<Message>, CoreError> {
        let shown = self.inner.store.switch_branch(message_id).await?;
        if let Some(m) = shown.first() {
            self.emit(CoreEvent::ChatChanged { chat_id: m.chat_id });
        }
        Ok(shown)
    }

    /// Stops every reply being written in `chat_id`; each is kept, marked interrupted.
    pub fn cancel(&self, chat_id: Id) {
        if let Ok(running) = self.inner.running.lock() {
            for reply in running.values().filter(|r| r.chat_id == chat_id) {
                let _ = reply.stop.send(true);
            }
        }
    }

    /// Stops one reply, if it is still being written.
    pub fn cancel_reply(&self, message_id: Id) {
        if let Ok(running) = self.inner.running.lock() {
            if let Some(reply) = running.get(&message_id) {
                let _ = reply.stop.send(true);
            }
        }
    }

    /// Stops an engine generation started outside a chat ([`Hearth::generate`]).
    pub fn cancel_generation(&self, id: u64) {
        self.inner.engine.cancel(id);
    }

    /// Frees the loaded model, giving its memory back; the next reply loads it again. Waits
    /// for a reply being written to end first (the engine runs one request at a time).
    pub async fn unload(&self) -> Result<(), CoreError> {
        let mut loaded = self.inner.loaded.lock().await;
        if loaded.take().is_some() {
            self.inner.engine.unload().await?;
        }
        Ok(())
    }

    /// Stops the engine worker; later requests fail.
    pub async fn shutdown(&self) {
        self.inner.engine.shutdown().await;
    }

    /// Whether any reply of `chat_id` is being written.
    pub fn is_replying(&self, chat_id: Id) -> bool {
        self.inner
            .running
            .lock()
            .is_ok_and(|r| r.values().any(|reply| reply.chat_id == chat_id))
    }

    /// Renames a chat.
    pub async fn rename(&self, chat_id: Id, title: &str) -> Result<(), CoreError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(CoreError::Invalid("a chat needs a title".into()));
        }
        self.inner.store.rename_chat(chat_id, title).await?;
        self.emit(CoreEvent::ChatChanged { chat_id });
        Ok(())
    }

    /// Deletes a chat (stopping its reply first) and its saved conversation cache.
    pub async fn delete(&self, chat_id: Id) -> Result<(), CoreError> {
        self.cancel(chat_id);
        self.inner.store.delete_chat(chat_id).await?;
        self.inner.snapshots.drop_chat(chat_id);
        Ok(())
    }

    /// The space the saved conversation caches use, and their limit.
    pub async fn snapshot_usage(&self) -> SnapshotUsage {
        let limit = snapshots::limit(&self.inner.store).await;
        self.inner.snapshots.usage(limit)
    }

    /// Sets the most disk the saved conversation caches may use (0: none are kept), removing
    /// the least recently used ones beyond it.
    pub async fn set_snapshot_limit(&self, bytes: u64) -> Result<SnapshotUsage, CoreError> {
        self.inner
            .store
            .set_setting(snapshots::SNAPSHOT_LIMIT_SETTING, &bytes)
            .await?;
        self.inner.snapshots.keep_within(bytes, None);
        Ok(self.inner.snapshots.usage(bytes))
    }

    /// Removes every saved conversation cache; chats are read again on their next turn.
    pub async fn clear_snapshots(&self) -> SnapshotUsage {
        self.inner.snapshots.clear();
        self.snapshot_usage().await
    }

    /// The chat engine.
    pub(crate) fn engine(&self) -> &EngineClient {
        &self.inner.engine
    }

    pub(crate) fn emit(&self, event: CoreEvent) {
        // No receivers is fine: nobody is watching.
        let _ = self.inner.events.send(event);
    }

    /// Forgets the model the engine held (its worker died with it).
    pub(crate) async fn forget_loaded(&self) {
        *self.inner.loaded.lock().await = None;
    }

    /// The model file the engine holds, if any; none while one is being loaded (asking
    /// never waits for a load).
    pub fn loaded_path(&self) -> Option<PathBuf> {
        self.inner
            .loaded
            .try_lock()
            .ok()?
            .as_ref()
            .map(|(path, _, _)| path.clone())
    }

    /// Whether `model` is the one the engine holds, loaded this way.
    pub(crate) async fn is_loaded(&self, model: &ChatModel) -> bool {
        self.inner
            .loaded
            .lock()
            .await
            .as_ref()
            .is_some_and(|(path, load, _)| *path == model.path && *load == model.load)
    }

    /// Loads `model` into the engine unless it is already there; returns its facts. A note
    /// about the model's prompt format becomes a [`CoreEvent::Notice`].
    pub async fn prepare(&self, model: &ChatModel) -> Result<ModelInfo, CoreError> {
        let mut loaded = self.inner.loaded.lock().await;
        if let Some((path, load, info)) = loaded.as_ref() {
            if *path == model.path && *load == model.load {
                return Ok(info.clone());
            }
        }
        *loaded = None;
        check_model_file(model)?;
        let name = crate::reply::file_name(model);
        let events = self.clone();
        let info = self
            .inner
            .engine
            .load_with_progress(&model.path, model.load.clone(), move |progress| {
                events.emit(CoreEvent::ModelLoadProgress {
                    model: name.clone(),
                    progress,
                })
            })
            .await?;
        *loaded = Some((model.path.clone(), model.load.clone(), info.clone()));
        model_hash::ensure(self.inner.store.clone(), model.path.clone());
        if let Some(note) = &info.template_note {
            self.emit(CoreEvent::notice(NoticeAbout::PromptFormat {
                detail: note.clone(),
            }));
        }
        Ok(info)
    }

    /// Writes the reply row under `question` and starts the task that answers it.
    async fn reply_to(
        &self,
        chat: &Chat,
        question: Id,
        model: &ChatModel,
    ) -> Result<ReplyHandle, CoreError> {
        let file_name = match &model.remote {
            Some(target) => Some(target.id()),
            None => model
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
        };
        if chat.model != file_name {
            self.inner
                .store
                .set_chat_model(chat.id, file_name.as_deref())
                .await?;
        }
        let mut reply = NewMessage::streaming_reply();
        reply.model_file = file_name;
        if model.remote.is_none() {
            reply.model_sha256 = model_hash::known(&self.inner.store, &model.path).await;
        }
        reply.sampling = serde_json::to_string(&model.sampling).ok();
        reply.seed = model.sampling.seed.map(i64::from);
        let message = self
            .inner
            .store
            .add_message(chat.id, Some(question), reply)
            .await?;
        self.emit(CoreEvent::MessageAdded {
            chat_id: chat.id,
            message_id: message.id,
        });
        Ok(reply::spawn(
            self.clone(),
            reply::Job {
                chat_id: chat.id,
                question,
                message_id: message.id,
                model: model.clone(),
                system_prompt: chat.system_prompt.clone(),
                name_chat: chat.auto_title,
                collections: chat.collections.clone(),
            },
        ))
    }
}

/// Refuses a model whose file is gone before anything is written.
fn check_model_file(model: &ChatModel) -> Result<(), CoreError> {
    if model.remote.is_some() || model.path.is_file() {
        return Ok(());
    }
    if model.path.is_dir() {
        return Err(
            hearth_models::ModelsError::Gguf(hearth_models::GgufError::IsDirectory(
                model.path.clone(),
            ))
            .into(),
        );
    }
    let name = model.path.file_name().map_or_else(
        || model.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Err(hearth_models::ModelsError::NotInstalled(name).into())
}

/// The engine's view of a branch: the chat's system prompt, then every message that has text
/// (failed replies are left out).
pub(crate) fn conversation(system: Option<&str>, history: &[Message]) -> Vec<ChatMessage> {
    let mut out = Vec::with_capacity(history.len() + 1);
    if let Some(system) = system.filter(|s| !s.trim().is_empty()) {
        out.push(ChatMessage::new(hearth_engine::Role::System, system));
    }
    for m in history {
        if m.status == MessageStatus::Error || m.content.is_empty() {
            continue;
        }
        let role = match m.role {
            Role::System => hearth_engine::Role::System,
            Role::User => hearth_engine::Role::User,
            Role::Assistant => hearth_engine::Role::Assistant,
        };
        out.push(ChatMessage::new(role, with_attachments(m)));
    }
    out
}

/// A question with the text of its files taken whole before it. Their text is message
/// content, tokenized as text, so a file cannot forge a turn.
fn with_attachments(m: &Message) -> String {
    let whole: Vec<_> = m
        .attachments
        .iter()
        .filter_map(|a| a.text.as_ref().map(|t| (&a.name, t)))
        .collect();
    if whole.is_empty() {
        return m.content.clone();
    }
    let mut text = String::from("I attached these files:\n\n");
    for (name, body) in whole {
        text.push_str(&format!(
            "--- {name} ---\n{}\n--- end of {name} ---\n\n",
            body.trim_end()
        ));
    }
    text.push_str(&m.content);
    text
}

/// Moves a bad database (and its WAL files) aside: `hearth.db` → `hearth.db.damaged-<ms>`.
fn set_aside(path: &Path) -> Result<PathBuf, CoreError> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut aside = path.as_os_str().to_os_string();
    aside.push(format!(".damaged-{stamp}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside).map_err(|e| CoreError::DataDir {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_os_string();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            let mut to = aside.as_os_str().to_os_string();
            to.push(suffix);
            let _ = std::fs::rename(&side, PathBuf::from(to));
        }
    }
    Ok(aside)
}
