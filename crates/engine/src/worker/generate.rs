//! The generation loop: sample, stream, stop.

use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;

use super::io::EventWriter;
use super::sampler::Sampler;
use super::session::{inference_failure, Failure, Session, ASIDE_SEQUENCE};
use super::snapshot;
use super::CancelFlag;
use crate::params::SamplingParams;
use crate::protocol::{ErrorKind, Event, FinishReason, Input, RequestId, SnapshotFiles, Timings};

/// Where a generation runs.
#[derive(Clone, Copy)]
pub(crate) enum Place<'a> {
    /// In the conversation's sequence, maybe continuing from a snapshot on disk.
    Conversation(Option<&'a SnapshotFiles>),
    /// In the second sequence, keeping the conversation's cache (an encoder-decoder model,
    /// which has one decoder sequence, generates in the conversation's).
    Aside,
}
use crate::reply::ReplyText;

/// Runs one generation, streaming `token` events; returns the closing `done` or `error`.
pub(crate) fn run(
    session: &mut Session<'_>,
    id: RequestId,
    input: &Input,
    params: &SamplingParams,
    place: Place<'_>,
    out: &mut EventWriter,
    cancel: &CancelFlag,
) -> Event {
    let place = match place {
        Place::Aside if session.encoder_decoder => Place::Conversation(None),
        place => place,
    };
    let aside = matches!(place, Place::Aside);
    let result = generate(session, id, input, params, place, out, cancel);
    if aside {
        session.drop_aside();
    }
    match result {
        Ok(done) => done,
        Err((kind, message)) => Event::Error { id, kind, message },
    }
}

fn generate(
    session: &mut Session<'_>,
    id: RequestId,
    input: &Input,
    params: &SamplingParams,
    place: Place<'_>,
    out: &mut EventWriter,
    cancel: &CancelFlag,
) -> Result<Event, Failure> {
    let aside = matches!(place, Place::Aside);
    params
        .validate()
        .map_err(|e| (ErrorKind::InvalidRequest, e.to_string()))?;
    // Leave room for a reply: the asked length, but never more than a quarter of the context,
    // so a long conversation keeps most of its history.
    let reserve = (params.max_tokens as usize).min(session.n_ctx() / 4).max(1);
    let prompt = session.prompt(input, reserve)?;
    if prompt.tokens.is_empty() {
        return Err((ErrorKind::InvalidRequest, "the prompt is empty".into()));
    }

    let started = Instant::now();
    let restored = match place {
        Place::Conversation(Some(files)) if !session.encoder_decoder => {
            restore(session, files, &prompt.tokens)
        }
        _ => 0,
    };
    let reused = if aside {
        session.evaluate_aside(&prompt.tokens)?;
        0
    } else {
        session.evaluate(&prompt.tokens)?
    };
    let prompt_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut timings = Timings {
        prompt_tokens: count(prompt.tokens.len()),
        cached_tokens: count(reused),
        evaluated_tokens: count(prompt.tokens.len() - reused),
        restored_tokens: count(restored.min(reused)),
        prompt_ms,
        ..Timings::default()
    };

    let mut sampler = Sampler::new(params, session.model.n_vocab(), &session.eog_tokens);
    let window = prompt
        .tokens
        .len()
        .saturating_sub(params.repeat_last_n as usize);
    sampler.accept_many(&prompt.tokens[window..]);
    let stops = params
        .stop
        .iter()
        .chain(&session.info().template_stops)
        .cloned();
    let mut reply = ReplyText::new(stops);
    let mut batch = LlamaBatch::new(1, 1);
    let mut piece = Vec::with_capacity(32);
    let vocab = session.model.vocab();
    let generation_started = Instant::now();

    let finish = loop {
        if cancel.is_set(id) {
            break FinishReason::Cancelled;
        }
        if timings.generated_tokens >= params.max_tokens {
            break FinishReason::Length;
        }
        let token = sampler.sample(&session.ctx);
        if vocab.is_eog(token) {
            break FinishReason::Stop;
        }
        timings.generated_tokens += 1;
        piece.clear();
        vocab.token_to_piece_into(token, &mut piece, false, None);
        let pushed = reply.push(&piece);
        if !pushed.text.is_empty() {
            out.event(Event::Token {
                id,
                text: pushed.text,
            });
        }
        if pushed.stopped {
            break FinishReason::Stop;
        }
        if session.cached.len() + session.aside_len + 1 >= session.n_ctx() {
            break FinishReason::ContextFull;
        }
        batch.clear();
        let (seq, at) = if aside {
            (ASIDE_SEQUENCE, session.aside_len)
        } else {
            (0, session.cached.len())
        };
        let pos = i32::try_from(at).unwrap_or(i32::MAX);
        batch
            .add(token, pos, &[seq], true)
            .map_err(inference_failure)?;
        if let Err(e) = session.ctx.decode(&mut batch) {
            if !aside {
                session.ctx.clear_kv_cache();
                session.cached.clear();
            }
            return Err(inference_failure(e));
        }
        if aside {
            session.aside_len += 1;
        } else {
            session.cached.push(token);
        }
    };
    let rest = reply.finish();
    if !rest.is_empty() {
        out.event(Event::Token { id, text: rest });
    }
    timings.generation_ms = generation_started.elapsed().as_secs_f64() * 1000.0;
    Ok(Event::Done {
        id,
        finish,
        timings,
        dropped_messages: prompt.dropped_messages,
    })
}

/// Loads the snapshot named in `files` when it helps; a file that cannot be used is told on
/// stderr (the app's log) and the prompt is read as usual.
fn restore(
    session: &mut Session<'_>,
    files: &SnapshotFiles,
    prompt: &[llama_cpp_2::token::LlamaToken],
) -> usize {
    let Some(path) = &files.restore else { return 0 };
    let accepted: Vec<String> = std::iter::once(&files.model)
        .chain(&files.also)
        .map(|model| snapshot::fingerprint(session, model))
        .collect();
    let started = Instant::now();
    match snapshot::restore(session, std::path::Path::new(path), &accepted, prompt) {
        Ok(0) => 0,
        Ok(restored) => {
            eprintln!(
                "hearth-engine: continued from {path}: {restored} tokens in {:.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            restored
        }
        Err(why) => {
            eprintln!("hearth-engine: the saved conversation cache {path} was not used: {why}");
            0
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
