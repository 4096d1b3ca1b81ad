//! Chats reopened without being read again, on the real app: the real worker and test model,
//! real `hearth.db` files and the caches the worker saves in `snapshots/`. After the app
//! restarts, a chat's next reply reads only its new tokens and says the same as a full read;
//! deleting the chat removes its cache; the disk limit removes the least recently used first.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth_core::{App, Id, Message};
use hearth_testkit::ScratchDir;

mod common;

use common::{open, ready, reply};

const FIRST: &str = "What is the capital of France? Answer in one sentence.";
const SECOND: &str = "And what is the capital of Germany?";

async fn ask(app: &App, chat: Id, text: &str, model: &str) -> Message {
    reply(app, app.send(chat, text, model).await.unwrap()).await
}

fn cache_of(data: &Path, chat: Id, reply: Id) -> PathBuf {
    data.join("snapshots")
        .join(format!("chat-{chat}"))
        .join(format!("{reply}.kv"))
}

/// The worker writes the file after the reply ends, on a thread of its own.
async fn saved(path: &Path) {
    for _ in 0..200 {
        if path.is_file() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} was never written", path.display());
}

/// Copies the data folder (the database, not the caches) as it is now.
fn copy_without_caches(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(name)).unwrap();
        }
    }
}

#[tokio::test]
async fn a_chat_continued_after_a_restart_reads_only_its_new_turn() {
    let dir = ScratchDir::new("core-snapshots");
    let data = dir.path().join("data");
    let app = open(&data).await;
    let model = ready(&app).await;
    let chat = app.new_chat().await.unwrap().id;
    let first = ask(&app, chat, FIRST, &model).await;
    let first_cache = cache_of(&data, chat, first.id);
    saved(&first_cache).await;
    assert!(app.snapshots().await.bytes > 10_000);
    app.hearth().shutdown().await;
    drop(app);

    // The reference: the same database without caches, read in full.
    let plain_data = dir.path().join("plain");
    copy_without_caches(&data, &plain_data);
    let plain = open(&plain_data).await;
    let plain_model = ready(&plain).await;
    plain.set_snapshot_limit(0).await.unwrap();
    let full = ask(&plain, chat, SECOND, &plain_model).await;
    assert_eq!(full.cached_tokens, Some(0), "read in full");
    assert!(
        !plain_data
            .join("snapshots")
            .join(format!("chat-{chat}"))
            .exists(),
        "with the limit at 0 nothing is saved"
    );
    plain.hearth().shutdown().await;

    // The app restarted: a new worker continues from the cache.
    let app = open(&data).await;
    let second = ask(&app, chat, SECOND, &model).await;
    let (prompt, cached) = (second.prompt_tokens.unwrap(), second.cached_tokens.unwrap());
    assert!(
        cached >= first.prompt_tokens.unwrap() && prompt - cached < 30,
        "only the new turn is read: {cached} of {prompt} cached (first prompt {:?})",
        first.prompt_tokens
    );
    assert_eq!(second.content, full.content, "the same greedy reply");

    // Once the next reply's cache is written, the one it continued from is removed.
    let second_cache = cache_of(&data, chat, second.id);
    saved(&second_cache).await;
    let third = ask(&app, chat, "Thank you.", &model).await;
    saved(&cache_of(&data, chat, third.id)).await;
    for _ in 0..100 {
        if !second_cache.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!first_cache.exists() && !second_cache.exists());

    // Deleting the chat deletes its caches.
    app.delete_chat(chat).await.unwrap();
    assert!(!data.join("snapshots").join(format!("chat-{chat}")).exists());
    assert_eq!(app.snapshots().await.files, 0);
}

#[tokio::test]
async fn the_disk_limit_removes_the_least_recently_used_cache_and_clear_removes_all() {
    let dir = ScratchDir::new("core-snapshots-limit");
    let data = dir.path().join("data");
    let app = open(&data).await;
    let model = ready(&app).await;

    let older = app.new_chat().await.unwrap().id;
    let older_reply = ask(&app, older, FIRST, &model).await;
    let older_cache = cache_of(&data, older, older_reply.id);
    saved(&older_cache).await;
    let newer = app.new_chat().await.unwrap().id;
    let newer_reply = ask(&app, newer, SECOND, &model).await;
    let newer_cache = cache_of(&data, newer, newer_reply.id);
    saved(&newer_cache).await;
    let usage = app.snapshots().await;
    assert_eq!(usage.files, 2);

    // Room for one: the older goes.
    let one = std::fs::metadata(&newer_cache).unwrap().len();
    let usage = app.set_snapshot_limit(one + 1).await.unwrap();
    assert_eq!((usage.files, usage.limit), (1, one + 1));
    assert!(!older_cache.exists() && newer_cache.exists());

    // Continuing the newer chat uses its cache even at the limit, and keeps the limit after.
    let next = ask(&app, newer, "Thank you.", &model).await;
    assert!(next.cached_tokens.unwrap() > 0);
    saved(&cache_of(&data, newer, next.id)).await;

    let cleared = app.clear_snapshots().await;
    assert_eq!((cleared.bytes, cleared.files), (0, 0));
    // The chat still answers, reading itself again (the worker's own cache aside).
    app.hearth().shutdown().await;
    drop(app);
    let app = open(&data).await;
    let again = ask(&app, newer, "Goodbye.", &model).await;
    assert_eq!(again.cached_tokens, Some(0));
}
