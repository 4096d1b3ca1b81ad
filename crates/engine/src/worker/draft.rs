//! Drafts from a small model of the same family: it reads the conversation beside the big one
//! in a context of its own, guesses the next few tokens greedily, and the big model checks the
//! guess in one decode (the same check as prompt lookup's drafts). Only tokens the big model
//! picks itself are kept, so the reply is the one it would have written alone.

use std::ffi::CStr;
use std::num::NonZeroU32;
use std::path::Path;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::session::Session;

/// How far the vocabularies' sizes may differ: bigger models of a family often carry a few
/// extra tokens (images, tools) after the shared ones.
const VOCAB_SLACK: i32 = 128;

/// Below this probability of its own best guess, the draft model stops guessing: a guess it
/// doubts is seldom the big model's pick, and checking it costs a decode position.
const CONFIDENT: f32 = 0.6;

/// The most tokens the draft model reads to catch up with the conversation in one go. It has
/// no saved caches, so after a reopened long chat it would first read the whole chat again,
/// holding up the reply for seconds; further behind than this, it sits the reply out.
pub(crate) const MAX_CATCH_UP: usize = 512;

/// A draft model loaded from a file, or why it cannot draft for the loaded model.
pub(crate) fn load(
    backend: &LlamaBackend,
    path: &Path,
    target: &LlamaModel,
) -> Result<LlamaModel, String> {
    let header = hearth_gguf::GgufFile::open(path).map_err(|e| e.to_string())?;
    header.check_runnable().map_err(|e| e.to_string())?;
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
        .map_err(|e| format!("llama.cpp could not load it ({e})"))?;
    compatible(target, &model)?;
    Ok(model)
}

/// Whether `draft` speaks `target`'s vocabulary: the same special tokens at the ends of text
/// and the same text for every token both have.
fn compatible(target: &LlamaModel, draft: &LlamaModel) -> Result<(), String> {
    if draft.is_recurrent()
        || draft.is_hybrid()
        || draft
            .meta_val_str("general.architecture")
            .is_ok_and(|a| a == "t5")
    {
        return Err("it cannot take back a guess (a recurrent or encoder-decoder model)".into());
    }
    let (t, d) = (target.vocab(), draft.vocab());
    let (nt, nd) = (target.n_vocab(), draft.n_vocab());
    if (nt - nd).abs() > VOCAB_SLACK || nd > nt {
        return Err(format!("its vocabulary has {nd} tokens, the model's {nt}"));
    }
    if t.bos() != d.bos() || t.eos() != d.eos() {
        return Err("its start and end tokens differ".into());
    }
    let same =
        |i| t.text(LlamaToken(i)).map(CStr::to_bytes) == d.text(LlamaToken(i)).map(CStr::to_bytes);
    if let Some(i) = (0..nd).find(|&i| !same(i)) {
        return Err(format!("its token {i} is another text"));
    }
    Ok(())
}

/// The draft model's context and the tokens its cache holds.
pub(crate) struct Drafter<'m> {
    ctx: LlamaContext<'m>,
    cached: Vec<LlamaToken>,
    n_batch: usize,
    n_ctx: usize,
    /// Its weights' size against the big model's: decoding on a CPU reads every weight, so
    /// this is what a guess costs against a decode of the big model, before one is timed.
    cost_ratio: f64,
    /// Decodes made by the last [`Drafter::draft`].
    pub(crate) decodes: usize,
    /// Tokens the last [`Drafter::draft`] read to catch up with the conversation.
    pub(crate) caught_up: usize,
}

impl<'m> Drafter<'m> {
    /// A context for `model` as long as the session's (or as long as `model` reads), one
    /// sequence, the session's threads.
    pub(crate) fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        session: &Session<'_>,
    ) -> Result<Self, String> {
        let n_ctx = u32::try_from(session.n_ctx())
            .unwrap_or(u32::MAX)
            .min(model.n_ctx_train().max(512));
        let n_batch = u32::try_from(session.n_batch).unwrap_or(512).min(n_ctx);
        let threads = i32::try_from(session.info().n_threads).unwrap_or(1);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_batch)
            .with_n_ubatch(n_batch)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| format!("llama.cpp could not make its context ({e})"))?;
        let mut drafter = Drafter {
            ctx,
            cached: Vec::new(),
            n_batch: n_batch as usize,
            n_ctx: n_ctx as usize,
            cost_ratio: model.size() as f64 / session.model.size().max(1) as f64,
            decodes: 0,
            caught_up: 0,
        };
        drafter.warm_up(model);
        Ok(drafter)
    }

    /// Decodes one token and forgets it, as llama.cpp's own tools do after loading: the first
    /// decode reads every weight from disk, which belongs to loading, not to a reply's first
    /// guesses (where it would make the draft model look too slow to use).
    fn warm_up(&mut self, model: &LlamaModel) {
        let token = model.vocab().bos();
        if self.decode(&[token], false).is_err() {
            eprintln!("hearth-engine: the draft model's warm-up decode failed");
        }
        self.forget();
    }

    /// What a guess is expected to cost against a decode of the big model.
    pub(crate) fn cost_ratio(&self) -> f64 {
        self.cost_ratio
    }

    /// Up to `max` tokens the draft model expects after `held` and `newest`, its most likely
    /// pick each time, stopping early where it doubts (unless `always`) or the turn ends.
    pub(crate) fn draft(
        &mut self,
        held: &[LlamaToken],
        newest: LlamaToken,
        max: usize,
        always: bool,
        is_end: impl Fn(LlamaToken) -> bool,
    ) -> Result<Vec<LlamaToken>, String> {
        self.decodes = 0;
        self.caught_up = 0;
        if max == 0 || held.len() + 1 + max >= self.n_ctx {
            return Ok(Vec::new());
        }
        self.catch_up(held, newest)?;
        let mut drafts = Vec::with_capacity(max);
        loop {
            let (best, p) = best_of(self.ctx.get_logits_ith(-1));
            if !always && p < CONFIDENT {
                break;
            }
            drafts.push(best);
            if drafts.len() == max || is_end(best) {
                break;
            }
            // The last guess is never decoded here: only its successor would need it.
            self.decode(&[best], true)?;
        }
        Ok(drafts)
    }

    /// How many tokens it would read to catch up with `held` then `newest`.
    pub(crate) fn behind(&self, held: &[LlamaToken]) -> usize {
        let reuse = self
            .cached
            .iter()
            .zip(held)
            .take_while(|(a, b)| a == b)
            .count();
        held.len() + 1 - reuse
    }

    /// Makes the cache hold `held` then `newest`, with the logits after `newest`: keeps the
    /// longest common prefix and decodes the rest.
    fn catch_up(&mut self, held: &[LlamaToken], newest: LlamaToken) -> Result<(), String> {
        let at = |i: usize| if i < held.len() { held[i] } else { newest };
        let len = held.len() + 1;
        let reuse = (0..self.cached.len().min(len - 1))
            .take_while(|&i| self.cached[i] == at(i))
            .count();
        if reuse < self.cached.len() {
            let from = u32::try_from(reuse).unwrap_or(u32::MAX);
            if self.ctx.kv_cache_seq_rm(0, Some(from), None).is_err() {
                self.forget();
                return Err("its cache could not drop a rejected guess".into());
            }
            self.cached.truncate(reuse);
        }
        let rest: Vec<LlamaToken> = (reuse..len).map(at).collect();
        self.caught_up = rest.len();
        for (i, chunk) in rest.chunks(self.n_batch).enumerate() {
            let last = (i + 1) * self.n_batch >= rest.len();
            self.decode(chunk, last)?;
        }
        Ok(())
    }

    /// Decodes `tokens` after what the cache holds; logits for the last one when `logits`.
    fn decode(&mut self, tokens: &[LlamaToken], logits: bool) -> Result<(), String> {
        let mut batch = LlamaBatch::new(tokens.len(), 1);
        for (i, token) in tokens.iter().enumerate() {
            let pos = i32::try_from(self.cached.len() + i).unwrap_or(i32::MAX);
            let wanted = logits && i + 1 == tokens.len();
            batch
                .add(*token, pos, &[0], wanted)
                .map_err(|e| e.to_string())?;
        }
        self.decodes += 1;
        if let Err(e) = self.ctx.decode(&mut batch) {
            self.forget();
            return Err(e.to_string());
        }
        self.cached.extend_from_slice(tokens);
        Ok(())
    }

    fn forget(&mut self) {
        self.ctx.clear_kv_cache();
        self.cached.clear();
    }
}

/// The most likely token of `logits` and its probability.
fn best_of(logits: &[f32]) -> (LlamaToken, f32) {
    let (best, top) =
        logits
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                if v > bv {
                    (i, v)
                } else {
                    (bi, bv)
                }
            });
    let sum: f32 = logits.iter().map(|&v| (v - top).exp()).sum();
    let token = LlamaToken(i32::try_from(best).unwrap_or(0));
    (token, if sum > 0.0 { 1.0 / sum } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_token_and_its_probability() {
        let (token, p) = best_of(&[0.0, 2.0_f32.ln(), 0.0]);
        assert_eq!(token, LlamaToken(1));
        assert!((p - 0.5).abs() < 1e-6, "{p}");
        let (token, p) = best_of(&[5.0, -100.0]);
        assert_eq!(token, LlamaToken(0));
        assert!(p > 0.99);
    }
}
