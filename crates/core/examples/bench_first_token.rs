//! How long a chat reply's first token takes while LocalDocs indexes, against idle: the same
//! app, the same model, questions of the same length, measured in turns (idle, then while a
//! 1,000-file folder is being indexed). Run by `scripts/bench-docs`.
//!
//! Usage: bench_first_token CHAT_MODEL.gguf EMBEDDER.gguf BOOK.txt WORK_DIR

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use hearth_core::docs::DocsEvent;
use hearth_core::{App, DataDir};
use hearth_engine::{ChatMessage, GenerationEvent, Input, Role};

const ROUNDS: usize = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [chat, embedder, book, work] = args.as_slice() else {
        anyhow::bail!("usage: bench_first_token CHAT_MODEL EMBEDDER BOOK.txt WORK_DIR");
    };
    let work = PathBuf::from(work);
    let folder = work.join("folder");
    std::fs::create_dir_all(&folder)?;
    let text = std::fs::read_to_string(book).context("the book")?;
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .collect();
    let per = paragraphs.len().div_ceil(1000);
    for (i, part) in paragraphs.chunks(per.max(1)).enumerate() {
        std::fs::write(folder.join(format!("part-{i:04}.txt")), part.join("\n\n"))?;
    }
    let app = App::open(DataDir::resolve(Some(&work.join("data")))?).await?;
    let chat_model = app.import_model(chat).await?.model.file;
    let embedding_model = app.import_model(embedder).await?.model.file;
    app.docs()
        .add("Bench", &[folder], Some(&embedding_model))
        .await?;
    let model = app.installed_model(&chat_model)?;
    // Warm: the chat model loaded, the page cache filled.
    first_token(&app, &model, 0).await?;

    let mut idle = Vec::new();
    for i in 0..ROUNDS {
        tokio::time::sleep(Duration::from_millis(500)).await;
        idle.push(first_token(&app, &model, i + 1).await?);
    }
    let mut events = app.docs().subscribe();
    let indexing = {
        let app = app.clone();
        tokio::spawn(async move { app.docs().index("Bench").await })
    };
    // Indexing is under way: passages are being embedded.
    loop {
        match tokio::time::timeout(Duration::from_secs(120), events.recv()).await {
            Ok(Ok(DocsEvent::Indexing { progress, .. })) if progress.chunks_done > 0 => break,
            Ok(Ok(_)) => continue,
            other => anyhow::bail!("indexing did not start: {other:?}"),
        }
    }
    let mut busy = Vec::new();
    for i in 0..ROUNDS {
        // Let indexing take the CPU again between replies.
        tokio::time::sleep(Duration::from_millis(500)).await;
        busy.push(first_token(&app, &model, ROUNDS + i + 1).await?);
    }
    let still_indexing = !indexing.is_finished();
    app.docs()
        .control()
        .set(hearth_core::docs::IndexState::Stop);
    let _ = indexing.await;
    anyhow::ensure!(still_indexing, "indexing ended before the measurements did");
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (idle_ms, busy_ms) = (median(&mut idle), median(&mut busy));
    println!(
        "first token of a reply: idle {idle_ms:.0} ms, while indexing {busy_ms:.0} ms (medians of {ROUNDS}): {:.2}x (target <= 1.5x)",
        busy_ms / idle_ms
    );
    app.shutdown().await;
    Ok(())
}

/// Milliseconds from asking to the first token of the reply to question `n`.
async fn first_token(app: &App, model: &hearth_core::ChatModel, n: usize) -> anyhow::Result<f64> {
    let input = Input::Chat {
        messages: vec![
            ChatMessage::new(Role::System, "You are a helpful assistant."),
            ChatMessage::new(
                Role::User,
                format!("Question {n:03}: what is the capital of France? Answer in one word."),
            ),
        ],
    };
    let started = Instant::now();
    let mut generation = app.generate(model, input).await?;
    let elapsed = match generation.next().await {
        Some(Ok(GenerationEvent::Token(_) | GenerationEvent::Done(_))) => started.elapsed(),
        Some(Err(e)) => return Err(e.into()),
        None => anyhow::bail!("the reply ended with nothing"),
    };
    drop(generation);
    Ok(elapsed.as_secs_f64() * 1000.0)
}
