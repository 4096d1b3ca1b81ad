//! Prompt-lookup decoding on the real worker and test model: where a reply repeats its context
//! the model accepts drafted tokens (fewer decodes), and the reply is token for token the one
//! plain decoding gives — greedy, and sampled with the same seed.

use hearth_engine::{Completion, EngineClient, Input, LoadOptions, Role, SamplingParams};

mod common;

use common::{chat, greedy, loaded, reply};

const PASSAGE: &str =
    "The lighthouse keeper climbed the hundred and twelve steps every evening at dusk, \
trimmed the wick, polished the great lens until it shone, and wrote the weather in his logbook: \
wind from the north-east, sea moderate, visibility good, two ships sighted before midnight.";

fn quoting() -> Input {
    chat(&[(
        Role::User,
        &format!("Copy this text exactly, word for word:\n\n{PASSAGE}"),
    )])
}

/// The reply to `input`, its prompt read afresh (after the shared start): a prompt read in one
/// batch and one whose last token is decoded alone can differ in the last bits of a logit,
/// which may reorder two near-equal candidates of a sampled first token.
async fn run(engine: &EngineClient, input: Input, params: SamplingParams) -> (String, Completion) {
    reply(engine, chat(&[(Role::User, "Hi")]), greedy(1)).await;
    reply(engine, input, params).await
}

/// One test at a time: three workers of two threads each on a two-core machine spend most of
/// their time waiting on each other's spinning threads (the file took 470 s instead of 15).
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A worker that drafts every match: whether drafting pays on this machine is the planner's
/// call (unit-tested in `worker/lookup.rs`), and its timings must not decide these tests.
async fn drafting() -> EngineClient {
    // The same value from every test, before any worker starts; the workers inherit it.
    std::env::set_var("HEARTH_LOOKUP", "always");
    loaded(LoadOptions::default()).await
}

fn with_lookup(params: &SamplingParams, on: bool) -> SamplingParams {
    SamplingParams {
        prompt_lookup: on,
        ..params.clone()
    }
}

#[tokio::test]
async fn a_quoting_reply_accepts_drafts_and_is_the_same_reply_as_plain_decoding() {
    let _turn = TURN.lock().await;
    let engine = drafting().await;
    let params = greedy(96);
    let (plain, plain_done) = run(&engine, quoting(), with_lookup(&params, false)).await;
    let (drafted, done) = run(&engine, quoting(), with_lookup(&params, true)).await;
    assert_eq!(drafted, plain, "greedy output is the same token for token");
    assert_eq!(
        done.timings.generated_tokens,
        plain_done.timings.generated_tokens
    );
    assert_eq!(plain_done.timings.drafted_tokens, 0, "off means off");
    let t = done.timings;
    assert!(
        t.accepted_tokens > 10 && t.accepted_tokens <= t.drafted_tokens,
        "a copied passage is mostly drafted and accepted: {t:?}"
    );
    assert!(
        plain.contains("lighthouse keeper"),
        "the model copies: {plain:?}"
    );
}

#[tokio::test]
async fn sampled_replies_with_a_seed_are_the_same_with_and_without_drafts() {
    let _turn = TURN.lock().await;
    let engine = drafting().await;
    for seed in [1, 2, 3] {
        let params = SamplingParams {
            temperature: 0.8,
            top_p: 0.95,
            top_k: 40,
            seed: Some(seed),
            max_tokens: 64,
            ..SamplingParams::default()
        };
        let (plain, _) = run(&engine, quoting(), with_lookup(&params, false)).await;
        let (drafted, done) = run(&engine, quoting(), with_lookup(&params, true)).await;
        // Every token is drawn from the model's own distribution at its place, in the same
        // order and with the same random numbers; drafts only decide what is decoded together.
        assert_eq!(drafted, plain, "seed {seed}");
        assert!(
            done.timings.drafted_tokens > 0,
            "seed {seed}: {:?}",
            done.timings
        );
    }
}

#[tokio::test]
async fn replies_that_repeat_nothing_are_unchanged() {
    let _turn = TURN.lock().await;
    let engine = drafting().await;
    for question in [
        "What is the capital of France?",
        "Write a short poem about autumn leaves.",
        "List three uses of copper.",
    ] {
        let input = chat(&[(Role::User, question)]);
        let (plain, _) = run(&engine, input.clone(), with_lookup(&greedy(64), false)).await;
        let (drafted, _) = run(&engine, input, with_lookup(&greedy(64), true)).await;
        assert_eq!(drafted, plain, "{question}");
    }
}
