//! A model loaded for embeddings: texts in, unit sentence vectors out, many texts per llama.cpp
//! batch (one sequence each), as llama.cpp's own `llama-embedding` does.

use std::num::NonZeroU32;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::session::{default_threads, inference_failure, Failure};
use crate::params::LoadOptions;
use crate::protocol::{ErrorKind, ModelInfo};

/// Tokens one batch holds unless told otherwise (llama-embedding's default).
const DEFAULT_BATCH: u32 = 2048;
/// Sequences one batch holds at most.
const MAX_SEQUENCES: u32 = 64;

/// A model with an embeddings context.
pub(crate) struct EmbedSession<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    info: ModelInfo,
    /// Tokens per batch; every text fits one (it is cut to the model's context).
    n_batch: usize,
    /// The longest text in tokens: the context the model was trained with, or `n_ctx`.
    max_tokens: usize,
}

impl<'m> EmbedSession<'m> {
    pub(crate) fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        options: &LoadOptions,
    ) -> Result<Self, Failure> {
        // The longest text: the model's own context, or less when asked (a long context in one
        // micro-batch makes every text pay for attention over all of it).
        let trained = model.n_ctx_train().clamp(16, 8192);
        let max_tokens = options.n_ctx.map_or(trained, |n| n.clamp(16, trained)) as usize;
        let n_batch = options
            .n_batch
            .unwrap_or(DEFAULT_BATCH)
            .max(max_tokens as u32);
        let n_threads = options.n_threads.unwrap_or_else(default_threads);
        let threads = i32::try_from(n_threads).unwrap_or(i32::MAX);
        // A non-causal model must see each text whole in one micro-batch: ubatch = batch.
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_batch))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch)
            .with_n_seq_max(MAX_SEQUENCES)
            .with_embeddings(true)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model.new_context(backend, params).map_err(|e| {
            (
                ErrorKind::LoadFailed,
                format!("llama.cpp could not create an embeddings context ({e})"),
            )
        })?;
        let info = ModelInfo {
            architecture: model
                .meta_val_str("general.architecture")
                .unwrap_or_default(),
            name: model.meta_val_str("general.name").ok(),
            n_params: model.n_params(),
            size_bytes: model.size(),
            n_ctx_train: model.n_ctx_train(),
            n_ctx: ctx.n_ctx(),
            n_vocab: u32::try_from(model.n_vocab()).unwrap_or(0),
            n_threads,
            template_source: String::new(),
            template_stops: Vec::new(),
            template_note: None,
            embedding_size: u32::try_from(model.n_embd()).ok(),
            cpu_backend: super::cpu_backend(),
            draft_model: None,
            draft_note: None,
        };
        Ok(EmbedSession {
            model,
            ctx,
            info,
            n_batch: n_batch as usize,
            max_tokens,
        })
    }

    pub(crate) fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model's tokens of `text` as it embeds them (with its start and end tokens).
    fn tokens(&self, text: &str) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let mut tokens = vocab.tokenize(text.as_bytes(), true, false);
        if tokens.len() > self.max_tokens {
            // Keep the end token the model was trained to see last.
            let last = tokens.last().copied();
            tokens.truncate(self.max_tokens);
            if let (Some(last), true) = (last, vocab.should_add_eos()) {
                if let Some(end) = tokens.last_mut() {
                    *end = last;
                }
            }
        }
        if tokens.is_empty() {
            tokens.push(vocab.bos());
        }
        tokens
    }

    /// The tokens of `text` alone, for counting (no start or end token).
    pub(crate) fn tokenize_text(&self, text: &str, special: bool) -> Vec<LlamaToken> {
        self.model.vocab().tokenize(text.as_bytes(), false, special)
    }

    /// Unit vectors of `texts`, in order; returns them and the tokens evaluated.
    pub(crate) fn embed(&mut self, texts: &[String]) -> Result<(Vec<Vec<f32>>, u32), Failure> {
        let tokenized: Vec<Vec<LlamaToken>> = texts.iter().map(|t| self.tokens(t)).collect();
        let total: usize = tokenized.iter().map(Vec::len).sum();
        let mut vectors = Vec::with_capacity(texts.len());
        let mut batch = LlamaBatch::new(self.n_batch, MAX_SEQUENCES as i32);
        let mut start = 0;
        while start < tokenized.len() {
            batch.clear();
            let mut used = 0;
            let mut end = start;
            while end < tokenized.len()
                && end - start < MAX_SEQUENCES as usize
                && used + tokenized[end].len() <= self.n_batch
            {
                let seq = i32::try_from(end - start).unwrap_or(0);
                for (pos, token) in tokenized[end].iter().enumerate() {
                    let pos = i32::try_from(pos).unwrap_or(i32::MAX);
                    batch
                        .add(*token, pos, &[seq], true)
                        .map_err(inference_failure)?;
                }
                used += tokenized[end].len();
                end += 1;
            }
            // A previous batch's state is irrelevant to sentence vectors.
            self.ctx.clear_kv_cache();
            self.ctx.decode(&mut batch).map_err(inference_failure)?;
            for seq in 0..(end - start) {
                let seq = i32::try_from(seq).unwrap_or(0);
                let vector = self.ctx.embeddings_seq_ith(seq).map_err(|_| {
                    (
                        ErrorKind::InvalidRequest,
                        "this model gives no sentence vectors (it has no pooling); choose an embedding model".to_owned(),
                    )
                })?;
                vectors.push(normalized(vector));
            }
            start = end;
        }
        Ok((vectors, u32::try_from(total).unwrap_or(u32::MAX)))
    }
}

/// `v` scaled to length 1 (a zero vector stays zero).
fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter().map(|x| x / norm).collect()
    } else {
        v.to_vec()
    }
}
