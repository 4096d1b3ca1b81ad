//! The generation loop: sample, stream, stop.

use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;

use llama_cpp_2::token::LlamaToken;

use super::draft::{Drafter, MAX_CATCH_UP};
use super::io::EventWriter;
use super::lookup::{self, DraftPlanner, MAX_DRAFT};
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
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    session: &mut Session<'_>,
    id: RequestId,
    input: &Input,
    params: &SamplingParams,
    place: Place<'_>,
    drafter: Option<&mut Drafter<'_>>,
    out: &mut EventWriter,
    cancel: &CancelFlag,
) -> Event {
    let place = match place {
        Place::Aside if session.encoder_decoder => Place::Conversation(None),
        place => place,
    };
    let aside = matches!(place, Place::Aside);
    let result = generate(session, id, input, params, place, drafter, out, cancel);
    if aside {
        session.drop_aside();
    }
    match result {
        Ok(done) => done,
        Err((kind, message)) => Event::Error { id, kind, message },
    }
}

#[allow(clippy::too_many_arguments)]
fn generate(
    session: &mut Session<'_>,
    id: RequestId,
    input: &Input,
    params: &SamplingParams,
    place: Place<'_>,
    drafter: Option<&mut Drafter<'_>>,
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
    let mut piece = Vec::with_capacity(32);
    let vocab = session.model.vocab();
    let generation_started = Instant::now();
    // Drafts need the cache to drop a rejected guess, which recurrent models cannot.
    let can_draft = !aside
        && !session.encoder_decoder
        && !session.model.is_recurrent()
        && !session.model.is_hybrid();
    let lookup = params.prompt_lookup && can_draft;
    let mut drafter = drafter.filter(|_| params.draft_model && can_draft);
    let mut planner = DraftPlanner::from_environment();

    // Each sampled token is taken (streamed, counted, checked for the end), then decoded with
    // any tokens drafted after it; each draft the model agrees with is taken in turn without a
    // decode of its own. With no drafts this is plain decoding, token by token.
    let mut take = |token: LlamaToken, timings: &mut Timings| -> Option<FinishReason> {
        if vocab.is_eog(token) {
            return Some(FinishReason::Stop);
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
        pushed.stopped.then_some(FinishReason::Stop)
    };
    let finish = 'generation: {
        if cancel.is_set(id) {
            break 'generation FinishReason::Cancelled;
        }
        if timings.generated_tokens >= params.max_tokens {
            break 'generation FinishReason::Length;
        }
        let mut pending = sampler.sample(&session.ctx);
        if let Some(finish) = take(pending, &mut timings) {
            break 'generation finish;
        }
        loop {
            if cancel.is_set(id) {
                break 'generation FinishReason::Cancelled;
            }
            if timings.generated_tokens >= params.max_tokens {
                break 'generation FinishReason::Length;
            }
            let held = session.cached.len() + session.aside_len;
            if held + 1 >= session.n_ctx() {
                break 'generation FinishReason::ContextFull;
            }
            let room = session
                .n_ctx()
                .saturating_sub(held + 2)
                .min((params.max_tokens - timings.generated_tokens) as usize);
            let found = if lookup && planner.would_draft() {
                lookup::draft(&session.cached, pending, MAX_DRAFT.min(room))
            } else {
                None
            };
            let (matched, mut drafts) = found.map_or((0, Vec::new()), |d| (d.matched, d.tokens));
            drafts.truncate(planner.length(matched));
            // The conversation's own repeats cost nothing to find; the draft model is asked
            // only when they offer nothing.
            let mut by_model = false;
            let mut stopped = false;
            if drafter
                .as_deref()
                .is_some_and(|model| model.behind(&session.cached) > MAX_CATCH_UP)
            {
                eprintln!("hearth-engine: the draft model is too far behind the conversation to catch up; it sits this reply out");
                drafter = None;
            }
            if let (true, Some(model)) = (drafts.is_empty(), drafter.as_deref_mut()) {
                let wanted = planner.model_length(model.cost_ratio()).min(room);
                if wanted > 0 {
                    let drafting = Instant::now();
                    let guessed =
                        model.draft(&session.cached, pending, wanted, planner.always(), |t| {
                            vocab.is_eog(t)
                        });
                    match guessed {
                        Ok(guessed) => {
                            // Reading the conversation the first time (the prompt) is no
                            // measure of what a guess costs.
                            if model.caught_up <= MAX_DRAFT + 1 {
                                planner.model_drafted(model.decodes, elapsed_ms(drafting));
                            }
                            stopped = guessed.len() < wanted
                                && !guessed.last().is_some_and(|&t| vocab.is_eog(t));
                            drafts = guessed;
                            by_model = true;
                        }
                        Err(why) => {
                            eprintln!("hearth-engine: the draft model stopped guessing for this reply: {why}");
                            drafter = None;
                        }
                    }
                }
            }
            let decoding = Instant::now();
            decode(session, pending, &drafts, aside)?;
            planner.decoded(1 + drafts.len(), elapsed_ms(decoding));
            timings.drafted_tokens += count(drafts.len());
            // Position i of the batch holds the logits after `pending` and drafts[..i].
            let mut accepted = 0;
            let next = loop {
                if accepted > 0 && timings.generated_tokens >= params.max_tokens {
                    break None;
                }
                let sampling = Instant::now();
                let token = sampler.sample_at(&session.ctx, count(accepted) as i32);
                planner.sampled(elapsed_ms(sampling));
                if drafts.get(accepted) != Some(&token) {
                    break Some(token);
                }
                accepted += 1;
                if let Some(finish) = take(token, &mut timings) {
                    forget_rejected(session, drafts.len() - accepted)?;
                    timings.accepted_tokens += count(accepted);
                    break 'generation finish;
                }
            };
            timings.accepted_tokens += count(accepted);
            if by_model {
                planner.model_checked(drafts.len(), accepted, stopped);
            } else {
                planner.checked(matched, drafts.len(), accepted);
            }
            forget_rejected(session, drafts.len() - accepted)?;
            let Some(token) = next else {
                break 'generation FinishReason::Length;
            };
            pending = token;
            if let Some(finish) = take(pending, &mut timings) {
                break 'generation finish;
            }
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

/// Decodes `token` and `drafts` after it, with logits for each, in the conversation's sequence
/// (or the one beside it), and counts them as held.
fn decode(
    session: &mut Session<'_>,
    token: LlamaToken,
    drafts: &[LlamaToken],
    aside: bool,
) -> Result<(), Failure> {
    let (seq, at) = if aside {
        (ASIDE_SEQUENCE, session.aside_len)
    } else {
        (0, session.cached.len())
    };
    let mut batch = LlamaBatch::new(1 + drafts.len(), 1);
    for (i, t) in std::iter::once(&token).chain(drafts).enumerate() {
        let pos = i32::try_from(at + i).unwrap_or(i32::MAX);
        batch
            .add(*t, pos, &[seq], true)
            .map_err(inference_failure)?;
    }
    if let Err(e) = session.ctx.decode(&mut batch) {
        if !aside {
            session.ctx.clear_kv_cache();
            session.cached.clear();
        }
        return Err(inference_failure(e));
    }
    if aside {
        session.aside_len += 1 + drafts.len();
    } else {
        session.cached.push(token);
        session.cached.extend_from_slice(drafts);
    }
    Ok(())
}

/// Drops the newest `n` tokens of the conversation's sequence (drafts the model did not pick).
fn forget_rejected(session: &mut Session<'_>, n: usize) -> Result<(), Failure> {
    if n == 0 {
        return Ok(());
    }
    let keep = session.cached.len() - n;
    let from = u32::try_from(keep).unwrap_or(u32::MAX);
    if session.ctx.kv_cache_seq_rm(0, Some(from), None).is_err() {
        session.ctx.clear_kv_cache();
        session.cached.clear();
        return Err(inference_failure(
            "the cache could not drop a rejected draft",
        ));
    }
    session.cached.truncate(keep);
    Ok(())
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
