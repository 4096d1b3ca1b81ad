//! hearth-engine: llama.cpp behind a process boundary.
//!
//! llama.cpp reports many bad states with `abort()`, which no Rust code can catch. So the model
//! runs in a separate `hearth-engine` worker process, and the app talks to it through
//! [`EngineClient`]: it starts the worker, streams tokens from it, cancels, and when the worker
//! dies turns the death into [`EngineError::EngineCrashed`] on that one request and starts a
//! fresh worker for the next.
//!
//! Main types: [`EngineClient`] and [`Generation`] (the app side), the wire [`protocol`],
//! [`SamplingParams`] and [`LoadOptions`], and [`ChatTemplate`] (prompt formats).
//!
//! ```no_run
//! # async fn demo() -> Result<(), hearth_engine::EngineError> {
//! use hearth_engine::{ChatMessage, EngineClient, Input, LoadOptions, Role, SamplingParams};
//! let engine = EngineClient::from_environment()?;
//! engine.load("model.gguf".as_ref(), LoadOptions::default()).await?;
//! let messages = vec![ChatMessage::new(Role::User, "What is the capital of France?")];
//! let (reply, _) = engine.generate(Input::Chat { messages }, SamplingParams::greedy()).await?.text().await?;
//! # Ok(()) }
//! ```
//!
//! Only the `worker` feature links llama.cpp (`llama-cpp-2`), and only the worker binary turns
//! it on: the app never links llama.cpp and must never load a model in its own process.
//!
//! # Layout
//! - `protocol`: requests and events, one JSON line each, versioned.
//! - `client`, `supervisor`: the app side; the supervisor task owns the worker process.
//! - `params`, `template`, `reply`: settings, chat templates, stop strings and UTF-8 assembly.
//! - `worker` (feature `worker`): the worker process itself.
#![deny(missing_docs)]

mod client;
pub mod params;
pub mod protocol;
pub mod reply;
mod supervisor;
pub mod template;
#[cfg(feature = "worker")]
#[doc(hidden)]
pub mod worker;

pub use client::{
    locate_worker, Completion, EngineClient, EngineError, Generation, GenerationEvent,
};
pub use params::{InvalidParams, LoadOptions, SamplingParams};

/// The llama.cpp the worker is built from: the version of the `llama-cpp-2` bindings that
/// vendor it (pinned in the workspace).
pub const LLAMA_CPP_VERSION: &str = "llama.cpp vendored by llama-cpp-2 0.1.160";
pub use protocol::{ErrorKind, FinishReason, Input, ModelInfo, SnapshotFiles, Timings};
pub use template::{ChatMessage, ChatTemplate, NamedTemplate, Role, TemplateChoice};
