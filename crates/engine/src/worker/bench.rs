//! llama-bench's two tests, run the way llama-bench runs them, on the loaded model and context:
//! `pp` decodes `n_prompt` random tokens in batches; `tg` decodes `n_gen` tokens one at a time.
//! No sampling, as in llama-bench: this measures the engine, the app's loop is measured by
//! timing real generations.

use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::session::{inference_failure, Failure, Session};
use crate::protocol::{ErrorKind, Event, RequestId};

pub(crate) fn run(session: &mut Session<'_>, id: RequestId, n_prompt: u32, n_gen: u32) -> Event {
    let result = bench(session, n_prompt, n_gen);
    // The cache now holds random tokens: the next chat starts from scratch.
    session.ctx.clear_kv_cache();
    session.cached.clear();
    match result {
        Ok((pp_us, tg_us)) => Event::BenchResult { id, pp_us, tg_us },
        Err((kind, message)) => Event::Error { id, kind, message },
    }
}

fn bench(session: &mut Session<'_>, n_prompt: u32, n_gen: u32) -> Result<(u64, u64), Failure> {
    let n_ctx = session.n_ctx();
    if n_prompt as usize > n_ctx || n_gen as usize > n_ctx {
        return Err((
            ErrorKind::InvalidRequest,
            format!(
                "the benchmark needs a context of at least {} tokens; this one has {n_ctx}",
                n_prompt.max(n_gen)
            ),
        ));
    }
    let n_vocab = u32::try_from(session.model.n_vocab()).unwrap_or(1).max(1);
    let mut rng = 0x2545_f491_u32;
    let mut random_token = move || {
        // xorshift32: llama-bench also feeds random tokens; any spread over the vocabulary will do.
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        LlamaToken(i32::try_from(rng % n_vocab).unwrap_or(0))
    };

    let mut pp_us = 0;
    if n_prompt > 0 {
        session.ctx.clear_kv_cache();
        let tokens: Vec<LlamaToken> = (0..n_prompt).map(|_| random_token()).collect();
        let mut batch = LlamaBatch::new(session.n_batch, 1);
        let started = Instant::now();
        for (c, chunk) in tokens.chunks(session.n_batch).enumerate() {
            batch.clear();
            for (i, token) in chunk.iter().enumerate() {
                let pos = i32::try_from(c * session.n_batch + i).unwrap_or(i32::MAX);
                batch
                    .add(*token, pos, &[0], i + 1 == chunk.len())
                    .map_err(inference_failure)?;
            }
            session.ctx.decode(&mut batch).map_err(inference_failure)?;
        }
        session.ctx.synchronize();
        pp_us = micros(started);
    }

    let mut tg_us = 0;
    if n_gen > 0 {
        session.ctx.clear_kv_cache();
        let mut batch = LlamaBatch::new(1, 1);
        let started = Instant::now();
        for pos in 0..n_gen {
            batch.clear();
            let pos = i32::try_from(pos).unwrap_or(i32::MAX);
            batch
                .add(random_token(), pos, &[0], true)
                .map_err(inference_failure)?;
            session.ctx.decode(&mut batch).map_err(inference_failure)?;
            session.ctx.synchronize();
        }
        tg_us = micros(started);
    }
    Ok((pp_us, tg_us))
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}
