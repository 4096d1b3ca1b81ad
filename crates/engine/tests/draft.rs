//! Speculative decoding with a draft model on the real worker: the test model checks the
//! guesses of a smaller model of its vocabulary (its own first 24 blocks, which guess badly, and
//! itself, which guesses perfectly). The reply is token for token the one plain decoding gives;
//! a file that cannot draft is left out with a note, and the model still answers.

use hearth_engine::{EngineClient, LoadOptions, ModelInfo, Role, SamplingParams};
use hearth_testkit::{
    test_draft_model, test_embedder, test_model, CAPITAL_ANSWER, CAPITAL_QUESTION,
};

mod common;

use common::{chat, client, greedy, reply};

/// One worker at a time (see `lookup.rs`): two-core machines.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A worker drafting whenever it can (whether drafting pays is the planner's call, unit-tested
/// in `worker/lookup.rs`), with `draft` beside the test model.
async fn with_draft(draft: &std::path::Path) -> (EngineClient, ModelInfo) {
    std::env::set_var("HEARTH_LOOKUP", "always");
    let engine = client();
    let info = engine
        .load(
            &test_model(),
            LoadOptions {
                draft_model: Some(draft.display().to_string()),
                ..LoadOptions::default()
            },
        )
        .await
        .expect("the test model loads with a draft model");
    (engine, info)
}

fn drafting(params: &SamplingParams, on: bool) -> SamplingParams {
    SamplingParams {
        draft_model: on,
        // Only the draft model guesses here.
        prompt_lookup: false,
        ..params.clone()
    }
}

const QUESTIONS: [&str; 3] = [
    "Write a short story about a fox who learns to sail.",
    "Explain how a bicycle's gears work, for a child.",
    CAPITAL_QUESTION,
];

#[tokio::test]
async fn greedy_replies_are_the_same_with_a_draft_model_that_guesses_badly() {
    let _turn = TURN.lock().await;
    let (engine, info) = with_draft(&test_draft_model()).await;
    assert!(
        info.draft_model
            .as_deref()
            .is_some_and(|n| n.contains("first 24")),
        "{info:?}"
    );
    assert_eq!(info.draft_note, None);
    let (mut drafted, mut accepted) = (0, 0);
    for question in QUESTIONS {
        let input = chat(&[(Role::User, question)]);
        let (plain, plain_done) = reply(&engine, input.clone(), drafting(&greedy(80), false)).await;
        let (with, done) = reply(&engine, input, drafting(&greedy(80), true)).await;
        assert_eq!(with, plain, "{question}: the same reply token for token");
        assert_eq!(plain_done.timings.drafted_tokens, 0, "off means off");
        assert_eq!(
            done.timings.generated_tokens,
            plain_done.timings.generated_tokens
        );
        drafted += done.timings.drafted_tokens;
        accepted += done.timings.accepted_tokens;
    }
    assert!(
        accepted > 0 && accepted < drafted,
        "some guesses kept, some rejected: {accepted} of {drafted}"
    );
}

#[tokio::test]
async fn a_draft_model_that_is_the_model_itself_is_always_right() {
    let _turn = TURN.lock().await;
    let (engine, _) = with_draft(&test_model()).await;
    let input = chat(&[(Role::User, QUESTIONS[0])]);
    let (plain, _) = reply(&engine, input.clone(), drafting(&greedy(64), false)).await;
    let (with, done) = reply(&engine, input, drafting(&greedy(64), true)).await;
    assert_eq!(with, plain);
    let t = done.timings;
    assert!(
        t.drafted_tokens > 30 && t.accepted_tokens == t.drafted_tokens,
        "every guess is the model's own pick: {t:?}"
    );

    // A conversation far longer than it has read (a reopened chat, a long document): reading
    // it all first would hold the reply up, so the draft model sits this reply out.
    let long = format!(
        "{} {}",
        "The river runs past the old mill.".repeat(90),
        QUESTIONS[1]
    );
    let input = chat(&[(Role::User, long.as_str())]);
    let (plain, plain_done) = reply(&engine, input.clone(), drafting(&greedy(24), false)).await;
    assert!(
        plain_done.timings.prompt_tokens > 600,
        "{:?}",
        plain_done.timings
    );
    let (with, done) = reply(&engine, input, drafting(&greedy(24), true)).await;
    assert_eq!(with, plain);
    assert_eq!(done.timings.drafted_tokens, 0, "{:?}", done.timings);
}

#[tokio::test]
async fn sampled_replies_with_a_seed_are_the_same_with_and_without_the_draft_model() {
    let _turn = TURN.lock().await;
    let (engine, _) = with_draft(&test_draft_model()).await;
    // A turn first, so both replies below read their prompt the same way (see `lookup.rs`).
    reply(&engine, chat(&[(Role::User, "Hi")]), greedy(1)).await;
    for seed in [1, 2] {
        let params = SamplingParams {
            temperature: 0.8,
            top_p: 0.95,
            seed: Some(seed),
            max_tokens: 48,
            ..SamplingParams::default()
        };
        let input = chat(&[(Role::User, QUESTIONS[0])]);
        reply(&engine, chat(&[(Role::User, "Hi")]), greedy(1)).await;
        let (plain, _) = reply(&engine, input.clone(), drafting(&params, false)).await;
        reply(&engine, chat(&[(Role::User, "Hi")]), greedy(1)).await;
        let (with, done) = reply(&engine, input, drafting(&params, true)).await;
        // Each token is still drawn from the model's own distribution at its place with the
        // same random numbers: the draft only decides what is decoded together.
        assert_eq!(with, plain, "seed {seed}");
        assert!(done.timings.drafted_tokens > 0, "{:?}", done.timings);
    }
}

#[tokio::test]
async fn a_file_that_cannot_draft_is_left_out_with_a_note() {
    let _turn = TURN.lock().await;
    let missing = std::env::temp_dir().join("hearth-no-such-draft.gguf");
    for (draft, why) in [
        (test_embedder(), "vocabulary"),
        (missing, "hearth-no-such-draft.gguf"),
    ] {
        let (engine, info) = with_draft(&draft).await;
        assert_eq!(info.draft_model, None);
        let note = info.draft_note.unwrap_or_default();
        assert!(
            note.contains("is not used") && note.contains(why),
            "{}: {note}",
            draft.display()
        );
        let (text, _) = reply(&engine, chat(&[(Role::User, CAPITAL_QUESTION)]), greedy(24)).await;
        assert!(text.contains(CAPITAL_ANSWER), "{text}");
    }
}
