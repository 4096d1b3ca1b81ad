//! What LocalDocs adds to a reply's first token: the question embedded, 100,000 passages
//! searched, the best ones fitted to the context and put into a longer prompt — against the
//! same question without documents, in alternating turns in one app. Run by
//! `scripts/bench-docs` on the docs.db that bench_search writes (its vectors are random, which
//! costs a brute-force scan the same; the question's vector is made by the real embedder).
//!
//! Usage: bench_answer CHAT_MODEL.gguf EMBEDDER.gguf DOCS_DB QUESTIONS.json WORK_DIR

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use hearth_core::{App, ChatModel, DataDir};
use hearth_engine::{ChatMessage, GenerationEvent, Input, Role};

const ROUNDS: usize = 10;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [chat, embedder, docs_db, questions, work] = args.as_slice() else {
        anyhow::bail!("usage: bench_answer CHAT_MODEL EMBEDDER DOCS_DB QUESTIONS.json WORK_DIR");
    };
    let questions = read_questions(Path::new(questions))?;
    let data = PathBuf::from(work).join("data");
    std::fs::create_dir_all(&data)?;
    std::fs::copy(docs_db, data.join("docs.db")).context("the passages' docs.db")?;
    let app = App::open(DataDir::resolve(Some(&data))?).await?;
    let chat_model = app.import_model(chat).await?.model.file;
    app.import_model(embedder).await?;
    let model = app.installed_model(&chat_model)?;
    let collections = vec!["Bench".to_owned()];
    // Warm: both models loaded, the vectors read into memory.
    first_token(&app, &model, &questions[0], &[]).await?;
    first_token(&app, &model, &questions[0], &collections).await?;

    let (mut plain, mut with_docs, mut retrieval) = (Vec::new(), Vec::new(), Vec::new());
    let mut prompt = (0, 0);
    for i in 0..ROUNDS {
        let question = &questions[(i + 1) % questions.len()];
        let (ms, _, tokens) = first_token(&app, &model, question, &[]).await?;
        plain.push(ms);
        prompt.0 += tokens;
        let (ms, found_ms, tokens) = first_token(&app, &model, question, &collections).await?;
        with_docs.push(ms);
        retrieval.push(found_ms);
        prompt.1 += tokens;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (plain_ms, docs_ms) = (median(&mut plain), median(&mut with_docs));
    println!(
        "first token with LocalDocs on 100,000 passages (question embedded, searched, {} passages given): {docs_ms:.0} ms, without: {plain_ms:.0} ms (medians of {ROUNDS}): {:.2}x, +{:.0} ms",
        app.retrieval().await?.passages,
        docs_ms / plain_ms,
        docs_ms - plain_ms,
    );
    println!(
        "  of which finding and fitting the passages {:.0} ms; prompt {} vs {} tokens on average",
        median(&mut retrieval),
        prompt.1 / ROUNDS,
        prompt.0 / ROUNDS,
    );
    app.shutdown().await;
    Ok(())
}

fn read_questions(path: &Path) -> anyhow::Result<Vec<String>> {
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let list: Vec<String> = value["questions"]
        .as_array()
        .context("no questions")?
        .iter()
        .filter_map(|q| q["question"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!list.is_empty(), "no questions");
    Ok(list)
}

/// Milliseconds from asking to the first token (retrieval included), of them the retrieval's,
/// and the prompt's tokens.
async fn first_token(
    app: &App,
    model: &ChatModel,
    question: &str,
    collections: &[String],
) -> anyhow::Result<(f64, f64, usize)> {
    let mut messages = vec![
        ChatMessage::new(Role::System, "You are a helpful assistant."),
        ChatMessage::new(Role::User, question),
    ];
    let started = Instant::now();
    let sources = app
        .with_documents(model, collections, &mut messages)
        .await?;
    let found = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        collections.is_empty() || !sources.is_empty(),
        "no passage was found for {question:?}"
    );
    let mut generation = app.generate(model, Input::Chat { messages }).await?;
    let elapsed = match generation.next().await {
        Some(Ok(GenerationEvent::Token(_))) => started.elapsed(),
        Some(Ok(GenerationEvent::Done(done))) => {
            anyhow::bail!("the reply ended before a token: {:?}", done.finish)
        }
        Some(Err(e)) => return Err(e.into()),
        None => anyhow::bail!("the reply ended with nothing"),
    };
    app.cancel_generation(generation.id());
    let tokens = loop {
        match generation.next().await {
            Some(Ok(GenerationEvent::Done(done))) => break done.timings.prompt_tokens as usize,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("the reply ended without its figures"),
        }
    };
    Ok((elapsed.as_secs_f64() * 1000.0, found, tokens))
}
