//! hearth-core: the application that the desktop shell and the CLI share.
//!
//! Owns the data directory ([`DataDir`]), the conversation store and the engine, and turns
//! "send this message in that chat" into a user message written at once, a reply streamed into
//! the store as it grows (at most every 250 ms, and at the end), and [`CoreEvent`]s for whoever
//! listens.
//!
//! Main types: [`App`] (the front door every client uses), [`Hearth`] (the chat service under
//! it), [`ReplyHandle`] (a reply being written), [`DataDir`], [`CoreError`] and its
//! [`ErrorKind`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), hearth_core::CoreError> {
//! use hearth_core::{DataDir, Hearth};
//! let hearth = Hearth::open(DataDir::resolve(None)?, hearth_engine::EngineClient::from_environment()?).await?;
//! let chat = hearth.new_chat(None).await?;
//! let reply = hearth.send(chat.id, "What is the capital of France?", &hearth.chat_model("model.gguf".as_ref())).await?;
//! let message = reply.wait().await?;
//! # Ok(()) }
//! ```
//!
//! It must never keep a conversation only in memory: every message is in the store before
//! anyone is told about it.
//!
//! # Layout
//! - `app`: [`App`]: every operation of every client, free of transport (HTTP routes, Tauri
//!   commands and the CLI adapt onto it).
//! - `contract`: the TypeScript form of the types the UI receives (generated).
//! - `error`: [`CoreError`] and the one [`ErrorKind`] taxonomy.
//! - `data_dir`: where Hearth keeps its files, per OS.
//! - `service`: [`Hearth`]: chats, send, regenerate, edit, cancel.
//! - `reply`: the task that streams one reply into the store.
//! - `models`: [`ModelManager`]: catalog, downloads and installed models of the data folder.
//! - `oneshot`: generations outside a saved chat (the API), and saving one when asked.
//! - `localdocs`: [`LocalDocs`]: document collections, indexed with an embedding model in a
//!   worker of its own that yields to replies.
//! - `snapshots`: each chat's conversation cache saved on disk by the engine, so a chat is not
//!   read again after a restart; its disk limit.
//! - `retrieval`: a reply's passages from the chat's collections, fitted to the context and
//!   recorded with it as its sources.
//! - `api`: the local OpenAI-compatible HTTP server.
#![deny(missing_docs)]

pub mod api;
mod app;
mod collection_status;
pub mod contract;
mod data_dir;
mod error;
mod localdocs;
mod model_hash;
mod models;
mod notice;
mod oneshot;
mod remote;
mod reply;
mod retrieval;
mod service;
mod snapshots;

pub use app::{
    attachment_collection, App, AppEvent, AppOptions, AppSettings, CatalogRow, CatalogView,
    ChatPatch, ChatView, CollectionChange, CollectionView, EmbeddingOption, Events,
    GenerationSettings, ImportResult, InstalledRow, LocalDocsView, ModelChoice, ModelChoices,
    NewCollection, ShownMessage, Started, UpdateInfo, VerifyResult, CHECK_UPDATES_SETTING,
    DEFAULT_CONTEXT, DEFAULT_MODEL_SETTING, GENERATION_SETTING, SYSTEM_PROMPT_SETTING,
};
pub use collection_status::{CollectionNotice, CollectionStatus, CollectionTag};
pub use data_dir::DataDir;
pub use error::{CoreError, ErrorKind, ErrorReport};
pub use hearth_docs as docs;
pub use hearth_engine::{EngineClient, EngineError, LoadOptions, ModelInfo, SamplingParams};
pub use hearth_models as model_manager;
pub use hearth_providers as providers;
pub use hearth_store::{
    Attachment, Chat, ExportFormat, Id, Message, MessageStatus, NewMessage, Role, SearchHit,
    Source, Store, StoreError,
};
pub use localdocs::{EmbeddingChoice, LocalDocs, RESCAN_EVERY};
pub use models::{catalog_template, ModelManager};
pub use notice::NoticeAbout;
pub use remote::{
    NewProvider, ProviderAdded, ProviderRecord, ProvidersView, RemoteTarget, KEYS_IN_FILE_SETTING,
    PROVIDERS_SETTING,
};
pub use reply::ReplyHandle;
pub use retrieval::{RetrievalSettings, RETRIEVAL_SETTING};
pub use service::{ChatModel, CoreEvent, Hearth, DEFAULT_SYSTEM_PROMPT, NEW_CHAT_TITLE};
pub use snapshots::{SnapshotUsage, DEFAULT_SNAPSHOT_LIMIT, SNAPSHOT_LIMIT_SETTING};
