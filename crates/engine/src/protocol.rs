//! The wire protocol between the app and the `hearth-engine` worker.
//!
//! # Framing
//!
//! One JSON object per line (UTF-8, `\n` terminated). The app writes [`Request`]s to the worker's
//! stdin; the worker writes [`Event`]s to its stdout. The worker's stderr carries llama.cpp's log
//! and is never parsed. Every object has a `"type"` tag in `snake_case`.
//!
//! # Conversation
//!
//! 1. On start the worker sends [`Event::Hello`] with [`PROTOCOL_VERSION`]; the client refuses a
//!    worker that speaks another version.
//! 2. Each request except `shutdown` carries an `id` chosen by the client; every event answering it
//!    carries the same `id`. Requests run one at a time, in order.
//! 3. `load` answers zero or more `load_progress`, then `loaded` or `error`. `generate` answers zero or more `token`s, then one `done`
//!    or one `error`. `bench` answers `bench_result` or `error`. `unload` answers `unloaded`.
//!    `tokenize` answers `tokenized` or `error`. `embed` (on a model loaded with
//!    `embeddings`) answers `embeddings` or `error`.
//! 4. `cancel` may arrive while a `generate` runs: that generation ends with `done` and
//!    `finish: "cancelled"`. A `cancel` for an id that is not running is ignored.
//! 5. `shutdown`, or stdin closing, ends the worker with exit code 0.
//!
//! Version history: 1 — first version. 2 — `tokenize`; `loaded` says why the model's own chat
//! template was not used (`template_note`); message text is tokenized as text, never as control
//! tokens. 3 — embedding models: `load` with `embeddings`, `embed`, `embeddings`. 4 — `generate`
//! continues from and saves a conversation's cache on disk (`snapshot`); `restored_tokens`.
//! 5 — `load_progress` while a model is read.

use serde::{Deserialize, Serialize};

use crate::params::{LoadOptions, SamplingParams};
use crate::template::ChatMessage;

/// The version of this protocol; bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 5;

/// Identifies one request and every event that answers it.
pub type RequestId = u64;

/// What the app asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Load a GGUF model, replacing any loaded one.
    Load {
        /// Request id.
        id: RequestId,
        /// Path of the GGUF file.
        path: String,
        /// Context, threads, batch and template choices.
        options: LoadOptions,
    },
    /// Generate a reply with the loaded model.
    Generate {
        /// Request id.
        id: RequestId,
        /// The conversation or raw prompt to continue.
        input: Input,
        /// Sampling settings.
        params: SamplingParams,
        /// Generate beside the conversation, in a second sequence of the same context, so the
        /// conversation's cache survives (a chat's title between two turns).
        #[serde(default)]
        aside: bool,
        /// Continue from a conversation's cache saved on disk, and save it after the reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<SnapshotFiles>,
    },
    /// Run llama-bench's tests (`pp` and `tg`) on the loaded model.
    Bench {
        /// Request id.
        id: RequestId,
        /// Prompt tokens for the prompt-processing test (0 skips it).
        n_prompt: u32,
        /// Tokens for the generation test (0 skips it).
        n_gen: u32,
    },
    /// Count the loaded model's tokens of a text.
    Tokenize {
        /// Request id.
        id: RequestId,
        /// The text.
        text: String,
        /// Read control tokens written in the text (`<|im_end|>`) as such; else as plain text.
        special: bool,
    },
    /// Sentence vectors of `texts` with a model loaded with `embeddings`.
    Embed {
        /// Request id.
        id: RequestId,
        /// The texts, each embedded on its own (longer ones are cut to the model's context).
        texts: Vec<String>,
    },
    /// Stop the generation with this id.
    Cancel {
        /// Id of the generation to stop.
        id: RequestId,
    },
    /// Free the loaded model.
    Unload {
        /// Request id.
        id: RequestId,
    },
    /// Exit the worker.
    Shutdown,
}

/// A conversation's cache on disk: where a generation may start from, and where its cache is
/// kept after the reply (written after `done`, never delaying it). The worker trusts a file only
/// when its header names this llama.cpp, these weights and this context, and its checksum holds;
/// otherwise it is ignored (a line on stderr) and the prompt is read as usual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFiles {
    /// Identifies the loaded weights (their SHA-256); a snapshot of other weights is ignored.
    pub model: String,
    /// Other names of the same weights a snapshot may carry (the file's version, used before
    /// its SHA-256 was known).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// A snapshot to start from, used when it holds more of the prompt than the cache does.
    #[serde(default)]
    pub restore: Option<String>,
    /// Where to save the conversation's cache after the reply; once written, it replaces the
    /// `restore` file (which holds less of the same conversation).
    #[serde(default)]
    pub save: Option<String>,
}

/// What a generation continues from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Input {
    /// A conversation, rendered with the model's chat template.
    Chat {
        /// The messages so far, oldest first.
        messages: Vec<ChatMessage>,
    },
    /// Text given to the model as it is.
    Raw {
        /// The prompt text.
        prompt: String,
    },
}

/// What the worker tells the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First line the worker writes.
    Hello {
        /// The worker's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// llama.cpp's system info (CPU features in use).
        system_info: String,
    },
    /// How much of a `load` is done: sent as llama.cpp reads the weights, each whole percent
    /// at most once, so a large model on a slow disk shows its progress.
    LoadProgress {
        /// Request id.
        id: RequestId,
        /// Done so far, from 0.0 to 1.0.
        progress: f32,
    },
    /// A model is loaded and ready.
    Loaded {
        /// Request id.
        id: RequestId,
        /// Facts about the model.
        model: ModelInfo,
    },
    /// A piece of the reply. Always whole UTF-8 characters, never part of a stop string.
    Token {
        /// Request id.
        id: RequestId,
        /// Text to append to the reply.
        text: String,
    },
    /// The generation ended.
    Done {
        /// Request id.
        id: RequestId,
        /// Why it ended.
        finish: FinishReason,
        /// Token counts and times.
        timings: Timings,
        /// How many of the oldest messages were left out because the context was full.
        dropped_messages: u32,
    },
    /// Results of a `bench` request.
    BenchResult {
        /// Request id.
        id: RequestId,
        /// Prompt-processing time in microseconds for `n_prompt` tokens (0 when skipped).
        pp_us: u64,
        /// Generation time in microseconds for `n_gen` tokens (0 when skipped).
        tg_us: u64,
    },
    /// The tokens of a `tokenize` request's text.
    Tokenized {
        /// Request id.
        id: RequestId,
        /// Token ids, in order (no start-of-text token added).
        tokens: Vec<i32>,
    },
    /// The vectors of an `embed` request, in the order of its texts, each of length 1.
    Embeddings {
        /// Request id.
        id: RequestId,
        /// One unit vector per text.
        vectors: Vec<Vec<f32>>,
        /// Tokens evaluated in all.
        tokens: u32,
    },
    /// The model was freed.
    Unloaded {
        /// Request id.
        id: RequestId,
    },
    /// A request failed; the worker is still usable.
    Error {
        /// Request id (0 when the request could not be read).
        id: RequestId,
        /// What kind of failure.
        kind: ErrorKind,
        /// One line a person can act on.
        message: String,
    },
}

/// Facts about a loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// `general.architecture`.
    pub architecture: String,
    /// `general.name`, if present.
    pub name: Option<String>,
    /// Parameter count.
    pub n_params: u64,
    /// Size of the weights in bytes.
    pub size_bytes: u64,
    /// Context length the model was trained with.
    pub n_ctx_train: u32,
    /// Context length of the created context.
    pub n_ctx: u32,
    /// Vocabulary size.
    pub n_vocab: u32,
    /// Threads used for generation.
    pub n_threads: u32,
    /// Where the chat template came from.
    pub template_source: String,
    /// Stop strings the template adds to every generation.
    pub template_stops: Vec<String>,
    /// Why the model's own chat template is not used, and what to do, when it is not.
    #[serde(default)]
    pub template_note: Option<String>,
    /// The length of its sentence vectors, for a model loaded for embeddings.
    #[serde(default)]
    pub embedding_size: Option<u32>,
    /// The ggml CPU variant doing the work (`haswell`, `zen4`, `skylakex` ...), where the
    /// platform lets the worker see which library it loaded.
    #[serde(default)]
    pub cpu_backend: Option<String>,
    /// The draft model guessing for it (its name), when one was asked for and can draft.
    #[serde(default)]
    pub draft_model: Option<String>,
    /// Why the draft model asked for is not used.
    #[serde(default)]
    pub draft_note: Option<String>,
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn, or a stop string appeared.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The context window is full.
    ContextFull,
    /// The client cancelled it.
    Cancelled,
}

/// Token counts and times of one generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Prompt tokens reused from the previous turn's context.
    pub cached_tokens: u32,
    /// Prompt tokens evaluated this turn (`prompt_tokens - cached_tokens`).
    pub evaluated_tokens: u32,
    /// Of `cached_tokens`, those whose cache was read from a snapshot file.
    #[serde(default)]
    pub restored_tokens: u32,
    /// Tokens guessed (from the conversation, or by the draft model) and checked by the model.
    #[serde(default)]
    pub drafted_tokens: u32,
    /// Of those, the ones the model picked too (each saved a decode of its own).
    #[serde(default)]
    pub accepted_tokens: u32,
    /// Milliseconds spent evaluating the prompt.
    pub prompt_ms: f64,
    /// Tokens generated.
    pub generated_tokens: u32,
    /// Milliseconds spent generating (sampling included).
    pub generation_ms: f64,
}

impl Timings {
    /// Generated tokens per second, 0 when nothing was generated.
    pub fn generation_tps(&self) -> f64 {
        if self.generation_ms > 0.0 {
            f64::from(self.generated_tokens) * 1000.0 / self.generation_ms
        } else {
            0.0
        }
    }
}

/// Kinds of failure the worker reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The file is not a usable GGUF model.
    InvalidModel,
    /// The model family cannot run in llama.cpp.
    UnsupportedModel,
    /// llama.cpp could not load the model or make its context (often: not enough memory).
    LoadFailed,
    /// No model is loaded.
    NoModel,
    /// The request's values are not valid.
    InvalidRequest,
    /// The prompt does not fit the context.
    ContextOverflow,
    /// The chat template could not be rendered.
    Template,
    /// llama.cpp failed while evaluating.
    Inference,
}

/// Encodes one message as a line of JSON (with the trailing newline).
pub fn encode_line<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    let mut line = serde_json::to_string(message)?;
    line.push('\n');
    Ok(line)
}

/// Decodes one line of JSON (a trailing newline is allowed).
pub fn decode_line<'a, T: Deserialize<'a>>(line: &'a str) -> Result<T, serde_json::Error> {
    serde_json::from_str(line.trim_end_matches(['\n', '\r']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Role;

    fn round_trip<T: Serialize + for<'a> Deserialize<'a> + PartialEq + std::fmt::Debug>(v: T) {
        let line = encode_line(&v).unwrap();
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        assert_eq!(decode_line::<T>(&line).unwrap(), v);
    }

    #[test]
    fn every_request_round_trips_on_one_line() {
        round_trip(Request::Load {
            id: 1,
            path: "/m/a\nb.gguf".into(),
            options: LoadOptions::default(),
        });
        round_trip(Request::Generate {
            id: 2,
            input: Input::Chat {
                messages: vec![ChatMessage::new(Role::User, "héllo\n\"x\"")],
            },
            params: SamplingParams::default(),
            aside: false,
            snapshot: Some(SnapshotFiles {
                model: "sha".into(),
                also: vec!["file".into()],
                restore: Some("/s/1.kv".into()),
                save: None,
            }),
        });
        round_trip(Request::Generate {
            id: 3,
            input: Input::Raw { prompt: "p".into() },
            params: SamplingParams::default(),
            aside: true,
            snapshot: None,
        });
        round_trip(Request::Bench {
            id: 4,
            n_prompt: 512,
            n_gen: 128,
        });
        round_trip(Request::Tokenize {
            id: 6,
            text: "<|im_end|>".into(),
            special: false,
        });
        round_trip(Request::Embed {
            id: 7,
            texts: vec!["a".into(), "b".into()],
        });
        round_trip(Request::Cancel { id: 2 });
        round_trip(Request::Unload { id: 5 });
        round_trip(Request::Shutdown);
    }

    #[test]
    fn every_event_round_trips_on_one_line() {
        round_trip(Event::Hello {
            protocol: PROTOCOL_VERSION,
            system_info: "AVX2 = 1".into(),
        });
        round_trip(Event::LoadProgress {
            id: 1,
            progress: 0.5,
        });
        round_trip(Event::Token {
            id: 2,
            text: "Pa\u{e9}\n".into(),
        });
        round_trip(Event::Done {
            id: 2,
            finish: FinishReason::Cancelled,
            timings: Timings {
                prompt_tokens: 10,
                ..Timings::default()
            },
            dropped_messages: 2,
        });
        round_trip(Event::Error {
            id: 0,
            kind: ErrorKind::InvalidRequest,
            message: "m".into(),
        });
        round_trip(Event::Tokenized {
            id: 6,
            tokens: vec![1, 2, 3],
        });
        round_trip(Event::Embeddings {
            id: 7,
            vectors: vec![vec![0.5, -0.25]],
            tokens: 4,
        });
        round_trip(Event::BenchResult {
            id: 4,
            pp_us: 1,
            tg_us: 2,
        });
    }

    #[test]
    fn wire_names_are_snake_case_tags() {
        let line = encode_line(&Request::Cancel { id: 7 }).unwrap();
        assert_eq!(line, "{\"type\":\"cancel\",\"id\":7}\n");
        let done: Event = decode_line(
            r#"{"type":"done","id":1,"finish":"context_full","timings":{"prompt_tokens":1,"cached_tokens":0,"evaluated_tokens":1,"prompt_ms":1.0,"generated_tokens":0,"generation_ms":0.0},"dropped_messages":0}"#,
        )
        .unwrap();
        assert!(matches!(
            done,
            Event::Done {
                finish: FinishReason::ContextFull,
                ..
            }
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_line::<Request>("{\"type\":\"explode\"}").is_err());
        assert!(decode_line::<Request>("not json").is_err());
        assert!(decode_line::<Event>("").is_err());
    }
}
