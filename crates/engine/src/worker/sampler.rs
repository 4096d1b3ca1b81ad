//! Picking the next token. llama.cpp's sampler chain does the sampling, but only after a
//! top-k pre-selection done here in one pass over the logits: llama.cpp's own top-k copies the
//! whole vocabulary into a candidate array and partially sorts it, which for Gemma's 262k-token
//! vocabulary cost ~3.5 ms a token (15% of generation time on a 270M model). Penalties then see
//! only the k candidates; they only ever lower a logit, so the result differs from llama.cpp's
//! order only where a penalised token would have let one from outside the top k in.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use crate::params::SamplingParams;

pub(crate) struct Sampler {
    /// Everything after top-k: penalties, top-p, min-p, temperature, the final pick.
    chain: LlamaSampler,
    /// How many candidates survive the pre-selection; 0 keeps the whole vocabulary.
    top_k: usize,
    /// Tokens never picked (end-of-generation tokens when `ignore_eos`), sorted.
    banned: Vec<i32>,
}

impl Sampler {
    pub(crate) fn new(params: &SamplingParams, n_vocab: i32, eog: &[LlamaToken]) -> Self {
        let mut chain = Vec::new();
        let penalised = params.repeat_penalty != 1.0
            || params.frequency_penalty != 0.0
            || params.presence_penalty != 0.0;
        if penalised {
            chain.push(LlamaSampler::penalties(
                n_vocab,
                i32::try_from(params.repeat_last_n).unwrap_or(i32::MAX),
                params.repeat_penalty,
                params.frequency_penalty,
                params.presence_penalty,
            ));
        }
        if params.temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            if params.top_p < 1.0 {
                chain.push(LlamaSampler::top_p(params.top_p, 1));
            }
            if params.min_p > 0.0 {
                chain.push(LlamaSampler::min_p(params.min_p, 1));
            }
            chain.push(LlamaSampler::temp(params.temperature));
            chain.push(LlamaSampler::dist(params.seed.unwrap_or_else(random_seed)));
        }
        let mut banned: Vec<i32> = if params.ignore_eos {
            eog.iter().map(|t| t.0).collect()
        } else {
            Vec::new()
        };
        banned.sort_unstable();
        let top_k = if params.top_k as usize >= n_vocab.max(0) as usize {
            0
        } else {
            params.top_k as usize
        };
        Sampler {
            chain: LlamaSampler::chain_simple(chain),
            top_k,
            banned,
        }
    }

    /// Tells the penalties about tokens already in the context.
    pub(crate) fn accept_many(&mut self, tokens: &[LlamaToken]) {
        self.chain.accept_many(tokens);
    }

    /// Picks the next token from the last evaluated position's logits.
    pub(crate) fn sample(&mut self, ctx: &LlamaContext<'_>) -> LlamaToken {
        self.sample_at(ctx, -1)
    }

    /// Picks the next token from the logits of position `i` of the last batch (-1: its last).
    pub(crate) fn sample_at(&mut self, ctx: &LlamaContext<'_>, i: i32) -> LlamaToken {
        let logits = ctx.get_logits_ith(i);
        let candidates = candidates(logits, self.top_k, &self.banned);
        let fallback = candidates
            .first()
            .map(LlamaTokenData::id)
            .unwrap_or(LlamaToken(0));
        let mut array = LlamaTokenDataArray::new(candidates, false);
        array.apply_sampler(&mut self.chain);
        let token = array.selected_token().unwrap_or(fallback);
        self.chain.accept(token);
        token
    }
}

/// A logit with its token, ordered so the heap's top is the weakest kept candidate.
#[derive(PartialEq)]
struct Weakest(f32, i32);

impl Eq for Weakest {}

impl PartialOrd for Weakest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Weakest {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0)
    }
}

/// The `k` highest logits (all of them when `k` is 0), best first, leaving out `banned`.
pub(crate) fn candidates(logits: &[f32], k: usize, banned: &[i32]) -> Vec<LlamaTokenData> {
    let allowed = |id: i32| banned.binary_search(&id).is_err();
    if k == 0 {
        return logits
            .iter()
            .enumerate()
            .filter_map(|(i, &l)| {
                let id = i32::try_from(i).ok()?;
                allowed(id).then(|| LlamaTokenData::new(LlamaToken(id), l, 0.0))
            })
            .collect();
    }
    let mut heap: BinaryHeap<Weakest> = BinaryHeap::with_capacity(k + 1);
    for (i, &logit) in logits.iter().enumerate() {
        if heap.len() == k && heap.peek().is_some_and(|w| logit <= w.0) {
            continue;
        }
        let Ok(id) = i32::try_from(i) else { break };
        if !allowed(id) {
            continue;
        }
        heap.push(Weakest(logit, id));
        if heap.len() > k {
            heap.pop();
        }
    }
    // into_sorted_vec is ascending by `Ord`, i.e. strongest first.
    heap.into_sorted_vec()
        .into_iter()
        .map(|Weakest(l, id)| LlamaTokenData::new(LlamaToken(id), l, 0.0))
        .collect()
}

fn random_seed() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_picks_the_highest_best_first() {
        let logits = [0.5, 3.0, -1.0, 2.0, 3.5, 0.0];
        let ids: Vec<i32> = candidates(&logits, 3, &[])
            .iter()
            .map(|c| c.id().0)
            .collect();
        assert_eq!(ids, vec![4, 1, 3]);
    }

    #[test]
    fn banned_tokens_are_never_candidates() {
        let logits = [0.5, 3.0, -1.0, 2.0, 3.5, 0.0];
        let ids: Vec<i32> = candidates(&logits, 2, &[4])
            .iter()
            .map(|c| c.id().0)
            .collect();
        assert_eq!(ids, vec![1, 3]);
        assert_eq!(candidates(&logits, 0, &[1, 4]).len(), 4);
    }

    #[test]
    fn ascending_logits_still_select_correctly() {
        let logits: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        let ids: Vec<i32> = candidates(&logits, 5, &[])
            .iter()
            .map(|c| c.id().0)
            .collect();
        assert_eq!(ids, vec![9999, 9998, 9997, 9996, 9995]);
    }
}
