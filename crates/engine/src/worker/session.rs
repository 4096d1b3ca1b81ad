//! One loaded model with its context: prompt rendering, fitting the context, and evaluating
//! only the tokens the KV cache does not already hold.

use std::num::NonZeroU32;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use super::special::{content_spans, defuse, Piece, SpecialTokens};
use crate::params::{LoadOptions, DEFAULT_CONTEXT_CAP};
use crate::protocol::{ErrorKind, Input, ModelInfo};
use crate::template::{ChatMessage, ChatTemplate, NamedTemplate, Role, TemplateChoice};

/// Failure with its protocol kind and a message for a person.
pub(crate) type Failure = (ErrorKind, String);

const DEFAULT_BATCH: u32 = 512;

/// How the conversation becomes prompt text.
enum PromptFormat {
    /// A Jinja template (the model's own, a named one, or the user's).
    Jinja(Box<ChatTemplate>),
    /// llama.cpp's built-in formats, matched against the model's template text.
    Builtin(LlamaChatTemplate),
}

/// The sequence a generation beside the conversation uses (the conversation is sequence 0).
pub(crate) const ASIDE_SEQUENCE: i32 = 1;

/// A model ready to generate, with the tokens its KV cache holds.
pub(crate) struct Session<'m> {
    pub(crate) model: &'m LlamaModel,
    pub(crate) ctx: LlamaContext<'m>,
    format: PromptFormat,
    info: ModelInfo,
    /// Tokens whose keys and values are in sequence 0 of the cache, in order.
    pub(crate) cached: Vec<LlamaToken>,
    /// Tokens in the second sequence (a generation beside the conversation), 0 between them.
    pub(crate) aside_len: usize,
    pub(crate) n_batch: usize,
    /// An encoder-decoder model (T5): each prompt is encoded whole, then decoded from the
    /// decoder's start token; it sees one turn at a time.
    pub(crate) encoder_decoder: bool,
    /// Every end-of-generation token of the vocabulary.
    pub(crate) eog_tokens: Vec<LlamaToken>,
    /// The vocabulary's special tokens, so only the template's own become control tokens.
    specials: SpecialTokens,
    /// What shapes the cache besides the weights: a saved cache is used only in the same.
    cache_shape: String,
}

/// A prompt ready to evaluate.
pub(crate) struct Prompt {
    pub(crate) tokens: Vec<LlamaToken>,
    /// Oldest messages left out to fit the context.
    pub(crate) dropped_messages: u32,
}

impl<'m> Session<'m> {
    pub(crate) fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        options: &LoadOptions,
    ) -> Result<Self, Failure> {
        let n_ctx_train = model.n_ctx_train();
        let n_ctx = options
            .n_ctx
            .unwrap_or_else(|| n_ctx_train.clamp(512, DEFAULT_CONTEXT_CAP));
        let n_threads = options.n_threads.unwrap_or_else(default_threads);
        let n_batch = options.n_batch.unwrap_or(DEFAULT_BATCH).min(n_ctx);
        let threads = i32::try_from(n_threads).unwrap_or(i32::MAX);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch.min(DEFAULT_BATCH))
            .with_n_threads(threads)
            .with_n_threads_batch(threads)
            // Two sequences sharing the context's cells: the conversation, and a generation
            // beside it (a title) that must not evict it. Unified, each may use all of n_ctx.
            .with_n_seq_max(2)
            .with_kv_unified(true);
        let ctx = model.new_context(backend, params).map_err(|e| {
            (
                ErrorKind::LoadFailed,
                format!("llama.cpp could not create a context of {n_ctx} tokens ({e}); try a smaller context size"),
            )
        })?;
        let architecture = model
            .meta_val_str("general.architecture")
            .unwrap_or_default();
        let encoder_decoder = architecture == "t5";
        // Without a template of its own, a chat model gets ChatML; an encoder-decoder model,
        // which was trained on bare instructions, gets the instruction alone.
        let fallback = if encoder_decoder {
            NamedTemplate::Completion
        } else {
            NamedTemplate::Chatml
        };
        let chosen = choose_format(model, options.template.as_ref(), fallback)?;
        let info = ModelInfo {
            architecture,
            name: model.meta_val_str("general.name").ok(),
            n_params: model.n_params(),
            size_bytes: model.size(),
            n_ctx_train,
            n_ctx: ctx.n_ctx(),
            n_vocab: u32::try_from(model.n_vocab()).unwrap_or(0),
            n_threads,
            template_source: chosen.source,
            template_stops: chosen.stops,
            template_note: chosen.note,
            embedding_size: None,
            cpu_backend: super::cpu_backend(),
            draft_model: None,
            draft_note: None,
        };
        let vocab = model.vocab();
        let eog_tokens = vocab.tokens().filter(|t| vocab.is_eog(*t)).collect();
        let cache_shape = format!(
            "{} context {}, batch {n_batch}, ubatch {}, 2 unified sequences, f16 cache",
            info.architecture,
            info.n_ctx,
            n_batch.min(DEFAULT_BATCH)
        );
        Ok(Session {
            model,
            ctx,
            format: chosen.format,
            info,
            cached: Vec::new(),
            aside_len: 0,
            n_batch: n_batch as usize,
            encoder_decoder,
            eog_tokens,
            specials: SpecialTokens::new(model),
            cache_shape,
        })
    }

    /// The context settings that shape the cache (a saved cache needs the same).
    pub(crate) fn cache_shape(&self) -> &str {
        &self.cache_shape
    }

    pub(crate) fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Records which draft model guesses for this one, or why the one asked for does not.
    pub(crate) fn note_draft(&mut self, model: Option<String>, note: Option<String>) {
        self.info.draft_model = model;
        self.info.draft_note = note;
    }

    pub(crate) fn n_ctx(&self) -> usize {
        self.info.n_ctx as usize
    }

    /// Renders and tokenizes `input`, leaving out the oldest turns (never the system message or
    /// the newest message) until the prompt and `reserve` tokens of reply fit the context.
    pub(crate) fn prompt(&self, input: &Input, reserve: usize) -> Result<Prompt, Failure> {
        let messages = match input {
            Input::Raw { prompt } => {
                let tokens = self.tokenize(prompt);
                self.check_fits(tokens.len())?;
                return Ok(Prompt {
                    tokens,
                    dropped_messages: 0,
                });
            }
            Input::Chat { messages } => messages,
        };
        if self.encoder_decoder {
            return self.one_turn(messages);
        }
        if messages.is_empty() {
            return Err((
                ErrorKind::InvalidRequest,
                "the conversation is empty".into(),
            ));
        }
        let budget = self.n_ctx().saturating_sub(reserve);
        let has_system = messages[0].role == Role::System;
        let first_droppable = usize::from(has_system);
        let mut kept: Vec<ChatMessage> = messages.clone();
        let mut dropped = 0u32;
        loop {
            let tokens = self.chat_tokens(&kept)?;
            let droppable = kept.len() - first_droppable > 1;
            if tokens.len() <= budget || !droppable {
                self.check_fits(tokens.len())?;
                return Ok(Prompt {
                    tokens,
                    dropped_messages: dropped,
                });
            }
            // Drop the oldest turn; a reply left without its question goes with it, so the
            // conversation still starts with the user.
            kept.remove(first_droppable);
            dropped += 1;
            while kept.len() - first_droppable > 1 && kept[first_droppable].role != Role::User {
                kept.remove(first_droppable);
                dropped += 1;
            }
        }
    }

    /// An encoder-decoder model sees the system message and the newest question only.
    fn one_turn(&self, messages: &[ChatMessage]) -> Result<Prompt, Failure> {
        let system = messages.iter().find(|m| m.role == Role::System);
        let Some(question) = messages.iter().rev().find(|m| m.role == Role::User) else {
            return Err((
                ErrorKind::InvalidRequest,
                "there is no question to answer".into(),
            ));
        };
        let kept: Vec<ChatMessage> = system.into_iter().chain([question]).cloned().collect();
        let tokens = self.chat_tokens(&kept)?;
        // The encoder reads the whole prompt in one batch.
        let limit = self.n_batch.min(self.n_ctx());
        if tokens.len() > limit {
            return Err((
                ErrorKind::ContextOverflow,
                format!(
                    "the question is {} tokens; this model reads at most {limit} at once, so shorten it",
                    tokens.len()
                ),
            ));
        }
        let dropped = messages.len() - kept.len();
        Ok(Prompt {
            tokens,
            dropped_messages: u32::try_from(dropped).unwrap_or(u32::MAX),
        })
    }

    fn check_fits(&self, n_tokens: usize) -> Result<(), Failure> {
        if n_tokens >= self.n_ctx() {
            return Err((
                ErrorKind::ContextOverflow,
                format!(
                    "the prompt is {n_tokens} tokens, more than this model's context of {} tokens; shorten the message or load the model with a larger context",
                    self.n_ctx()
                ),
            ));
        }
        Ok(())
    }

    fn render(&self, messages: &[ChatMessage]) -> Result<String, Failure> {
        match &self.format {
            PromptFormat::Jinja(t) => t.render(messages, true).map_err(|e| {
                (
                    ErrorKind::Template,
                    format!("{e}; choose another prompt format in this model's settings"),
                )
            }),
            PromptFormat::Builtin(t) => {
                let chat = messages
                    .iter()
                    .map(|m| LlamaChatMessage::new(m.role.as_str().to_owned(), m.content.clone()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| {
                        (
                            ErrorKind::InvalidRequest,
                            "a message contains a NUL character".to_owned(),
                        )
                    })?;
                self.model.apply_chat_template(t, &chat, true).map_err(|_| {
                    (
                        ErrorKind::Template,
                        "this model's prompt format could not be applied to the conversation; choose another prompt format in this model's settings".to_owned(),
                    )
                })
            }
        }
    }

    /// Renders a conversation and tokenizes it so that only the template's own markers are
    /// control tokens: what the messages say is text, whatever it spells.
    fn chat_tokens(&self, messages: &[ChatMessage]) -> Result<Vec<LlamaToken>, Failure> {
        let rendered = self.render(messages)?;
        let spans = content_spans(&rendered, messages);
        let hidden = messages
            .iter()
            .zip(&spans)
            .any(|(m, span)| span.is_none() && self.specials.occur_in(&m.content));
        if !hidden {
            return Ok(self.tokenize_cut(&rendered, &spans));
        }
        // The template rewrote a message that spells a marker: break the markers instead.
        let defused: Vec<ChatMessage> = messages
            .iter()
            .map(|m| ChatMessage::new(m.role, defuse(&self.specials, &m.content)))
            .collect();
        let rendered = self.render(&defused)?;
        let spans = content_spans(&rendered, &defused);
        Ok(self.tokenize_cut(&rendered, &spans))
    }

    fn tokenize_cut(
        &self,
        rendered: &str,
        spans: &[Option<std::ops::Range<usize>>],
    ) -> Vec<LlamaToken> {
        let protected: Vec<std::ops::Range<usize>> = spans.iter().flatten().cloned().collect();
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        for piece in self.specials.cut(rendered, &protected) {
            match piece {
                Piece::Text(text) => tokens.extend(vocab.tokenize(text.as_bytes(), false, false)),
                Piece::Token(token) => tokens.push(token),
            }
        }
        self.frame(tokens)
    }

    /// The tokens of `text` alone (no start token); with `special`, markers spelled in it are
    /// control tokens.
    pub(crate) fn tokenize_text(&self, text: &str, special: bool) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), false, special)
    }

    /// Tokenizes prompt text written by the caller as a whole (a raw completion, a benchmark):
    /// special tokens written in it are parsed, and BOS is added when the model wants it.
    pub(crate) fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        let tokens = self.model.vocab().tokenize(text.as_bytes(), false, true);
        self.frame(tokens)
    }

    /// Adds BOS once when the model wants it (templates often write it themselves), and the
    /// end token an encoder's input needs.
    fn frame(&self, mut tokens: Vec<LlamaToken>) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        if vocab.should_add_bos() && tokens.first() != Some(&vocab.bos()) {
            tokens.insert(0, vocab.bos());
        }
        // T5's encoder input ends with </s>.
        if self.encoder_decoder && vocab.should_add_eos() && tokens.last() != Some(&vocab.eos()) {
            tokens.push(vocab.eos());
        }
        tokens
    }

    /// Makes the cache hold `tokens` minus the last one's successor: reuses the longest common
    /// prefix with what it holds and evaluates the rest. Returns how many tokens were reused.
    pub(crate) fn evaluate(&mut self, tokens: &[LlamaToken]) -> Result<usize, Failure> {
        if self.encoder_decoder {
            return self.encode(tokens);
        }
        let mut reuse = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();
        // The last prompt token must be evaluated to get the logits of the next one.
        reuse = reuse.min(tokens.len().saturating_sub(1));
        if reuse < self.cached.len() {
            let from = u32::try_from(reuse).unwrap_or(u32::MAX);
            if self.ctx.kv_cache_seq_rm(0, Some(from), None).is_err() {
                // Recurrent models cannot drop part of their state: start over.
                self.ctx.clear_kv_cache();
                reuse = 0;
            }
            self.cached.truncate(reuse);
        }
        let mut batch = LlamaBatch::new(self.n_batch, 1);
        let rest = &tokens[reuse..];
        for (chunk_index, chunk) in rest.chunks(self.n_batch).enumerate() {
            batch.clear();
            let last_chunk = (chunk_index + 1) * self.n_batch >= rest.len();
            for (i, token) in chunk.iter().enumerate() {
                let pos = i32::try_from(self.cached.len() + i).unwrap_or(i32::MAX);
                let logits = last_chunk && i + 1 == chunk.len();
                batch
                    .add(*token, pos, &[0], logits)
                    .map_err(inference_failure)?;
            }
            if let Err(e) = self.ctx.decode(&mut batch) {
                // The cache may hold part of this chunk now: forget it all rather than guess.
                self.ctx.clear_kv_cache();
                self.cached.clear();
                return Err(inference_failure(e));
            }
            self.cached.extend_from_slice(chunk);
        }
        Ok(reuse)
    }
}

impl Session<'_> {
    /// Evaluates `tokens` in the second sequence, beside the conversation, whose cache stays.
    pub(crate) fn evaluate_aside(&mut self, tokens: &[LlamaToken]) -> Result<(), Failure> {
        self.drop_aside();
        if self.cached.len() + tokens.len() + 1 >= self.n_ctx() {
            return Err((
                ErrorKind::ContextOverflow,
                format!(
                    "{} tokens do not fit beside the conversation's {} in a context of {}",
                    tokens.len(),
                    self.cached.len(),
                    self.n_ctx()
                ),
            ));
        }
        let mut batch = LlamaBatch::new(self.n_batch, 1);
        for (chunk_index, chunk) in tokens.chunks(self.n_batch).enumerate() {
            batch.clear();
            let last_chunk = (chunk_index + 1) * self.n_batch >= tokens.len();
            for (i, token) in chunk.iter().enumerate() {
                let pos = i32::try_from(self.aside_len + i).unwrap_or(i32::MAX);
                let logits = last_chunk && i + 1 == chunk.len();
                batch
                    .add(*token, pos, &[ASIDE_SEQUENCE], logits)
                    .map_err(inference_failure)?;
            }
            // What part of the chunk went in is dropped with the rest by the caller.
            self.aside_len += chunk.len();
            self.ctx.decode(&mut batch).map_err(inference_failure)?;
        }
        Ok(())
    }

    /// Forgets the second sequence.
    pub(crate) fn drop_aside(&mut self) {
        if self.aside_len > 0 {
            if self
                .ctx
                .kv_cache_seq_rm(ASIDE_SEQUENCE, None, None)
                .is_err()
            {
                // Cannot happen for a whole sequence; if it did, nothing cached can be trusted.
                self.ctx.clear_kv_cache();
                self.cached.clear();
            }
            self.aside_len = 0;
        }
    }

    /// Encodes the whole prompt, then starts the decoder: its cache then holds the start token.
    fn encode(&mut self, tokens: &[LlamaToken]) -> Result<usize, Failure> {
        self.ctx.clear_kv_cache();
        self.cached.clear();
        let mut batch = LlamaBatch::new(tokens.len(), 1);
        for (i, token) in tokens.iter().enumerate() {
            let pos = i32::try_from(i).unwrap_or(i32::MAX);
            batch
                .add(*token, pos, &[0], false)
                .map_err(inference_failure)?;
        }
        self.ctx.encode(&mut batch).map_err(inference_failure)?;
        let mut start = self.model.decode_start_token();
        if start.0 < 0 {
            // Every T5 vocabulary has <pad> as token 0, which is what T5's decoder starts from.
            start = LlamaToken(0);
        }
        batch.clear();
        batch.add(start, 0, &[0], true).map_err(inference_failure)?;
        if let Err(e) = self.ctx.decode(&mut batch) {
            self.ctx.clear_kv_cache();
            return Err(inference_failure(e));
        }
        self.cached.push(start);
        Ok(0)
    }
}

pub(crate) fn inference_failure(e: impl std::fmt::Display) -> Failure {
    (
        ErrorKind::Inference,
        format!("llama.cpp failed while evaluating: {e}"),
    )
}

/// One thread per physical core: hyper-threads slow llama.cpp down.
pub(crate) fn default_threads() -> u32 {
    u32::try_from(num_cpus::get_physical().max(1)).unwrap_or(1)
}

/// The prompt format a session uses, and what to tell about it.
struct Chosen {
    format: PromptFormat,
    source: String,
    stops: Vec<String>,
    /// Why the model's own template is not used, when it is not.
    note: Option<String>,
}

/// Picks the prompt format: the caller's choice, else the model's Jinja template, else
/// llama.cpp's built-in match for it, else the fallback — with a note saying why.
fn choose_format(
    model: &LlamaModel,
    choice: Option<&TemplateChoice>,
    fallback: NamedTemplate,
) -> Result<Chosen, Failure> {
    let vocab = model.vocab();
    // T5 and some others have no BOS: token -1, which llama.cpp answers with a C++ exception.
    let piece = |t: LlamaToken| {
        if t.0 < 0 || t.0 >= model.n_vocab() {
            return String::new();
        }
        String::from_utf8_lossy(&vocab.token_to_piece(t, true, None)).into_owned()
    };
    let (bos, eos) = (piece(vocab.bos()), piece(vocab.eos()));
    let stops = |t: NamedTemplate| t.stops().iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let named = |name: NamedTemplate, source: String, note: Option<String>| Chosen {
        format: PromptFormat::Jinja(Box::new(ChatTemplate::named(name, &bos, &eos))),
        source,
        stops: stops(name),
        note,
    };
    match choice {
        Some(TemplateChoice::Named(name)) => Ok(named(*name, format!("named: {name}"), None)),
        Some(TemplateChoice::Jinja(source)) => ChatTemplate::new(source, bos.clone(), eos.clone())
            .map(|t| Chosen {
                format: PromptFormat::Jinja(Box::new(t)),
                source: "custom Jinja".to_owned(),
                stops: Vec::new(),
                note: None,
            })
            .map_err(|e| (ErrorKind::Template, e.to_string())),
        None => {
            let Ok(builtin) = model.chat_template(None) else {
                return Ok(named(
                    fallback,
                    format!("{fallback} (the model has no template)"),
                    None,
                ));
            };
            let source = builtin.to_string().unwrap_or_default();
            let own = ChatTemplate::new(&source, bos.clone(), eos.clone())
                .and_then(|t| t.render(&probe_chat(), true).map(|_| t));
            let why = match own {
                Ok(t) => {
                    return Ok(Chosen {
                        format: PromptFormat::Jinja(Box::new(t)),
                        source: "model's own template".to_owned(),
                        stops: Vec::new(),
                        note: None,
                    })
                }
                Err(why) => why,
            };
            // A well-known format written in Jinja that minijinja cannot run: llama.cpp may
            // recognise it and apply its own implementation.
            let probe: Vec<LlamaChatMessage> = probe_chat()
                .iter()
                .filter_map(|m| {
                    LlamaChatMessage::new(m.role.as_str().to_owned(), m.content.clone()).ok()
                })
                .collect();
            if model.apply_chat_template(&builtin, &probe, true).is_ok() {
                return Ok(Chosen {
                    format: PromptFormat::Builtin(builtin),
                    source: "llama.cpp's built-in match for the model's template".to_owned(),
                    stops: Vec::new(),
                    note: None,
                });
            }
            let note = format!(
                "This model's own chat template could not be used: {why}. Hearth formats the conversation as {fallback} instead; if the replies look wrong, choose the model's prompt format in its settings (Settings, Generation, prompt format)."
            );
            Ok(named(
                fallback,
                format!("{fallback} (the model's template could not be used)"),
                Some(note),
            ))
        }
    }
}

/// A short conversation the model's template must render before we trust it.
fn probe_chat() -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(Role::System, "s"),
        ChatMessage::new(Role::User, "u"),
        ChatMessage::new(Role::Assistant, "a"),
        ChatMessage::new(Role::User, "u"),
    ]
}
