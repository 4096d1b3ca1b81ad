//! hearth-providers: models on other machines — any server that speaks OpenAI's chat
//! completions protocol (vLLM, llama.cpp's `llama-server`, Ollama, LM Studio, another Hearth) or a
//! hosted API (OpenAI, Groq, Mistral, OpenRouter, DeepSeek).
//!
//! It owns the address policy ([`Endpoint`]: https anywhere, plain http only on this computer or
//! its private network), the [`Preset`]s, the client ([`Provider`]: the model list, streamed and
//! whole replies, errors a person understands) and where API keys are kept ([`KeyStore`]: the OS
//! keychain, else only for the session, or a file readable only by its owner when the person
//! agreed).
//!
//! ```no_run
//! # async fn example() -> Result<(), hearth_providers::ProviderError> {
//! use hearth_providers::{ApiKey, Endpoint, Provider, Request, Message, Role};
//! let endpoint = Endpoint::parse("http://127.0.0.1:8080/v1")?;
//! let provider = Provider::new("gpu-box", endpoint, Some(ApiKey::new("secret")), true)?;
//! let models = provider.models().await?;
//! let request = Request::new(&models[0].id, vec![Message::new(Role::User, "Hello")]);
//! let mut reply = provider.stream(&request).await?;
//! while let Some(event) = reply.next().await { let _ = event?; }
//! # Ok(()) }
//! ```
//!
//! It must never follow a redirect (a key would travel with it), never skip TLS verification,
//! never write a key anywhere but the keychain (or the file the person agreed to), and never
//! repeat a key in an error, a log line or a `Debug` output.
#![deny(missing_docs)]

mod client;
mod endpoint;
mod error;
mod keys;
mod presets;
mod sse;
mod wire;

pub use client::{Provider, RemoteModel, ReplyStream, Timeouts};
pub use endpoint::Endpoint;
pub use error::ProviderError;
pub use keys::{ApiKey, Keeping, KeyError, KeyStore};
pub use presets::{Preset, PRESETS};
pub use wire::{Finished, Message, Reply, Request, Role, Settings, StreamEvent, Usage};
