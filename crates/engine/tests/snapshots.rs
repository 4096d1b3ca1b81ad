//! A conversation's cache saved to disk and continued from in another worker: after a restart
//! of the app (a new worker) and of the worker (killed), only the new tokens are read, and the
//! greedy reply is the one a full read gives. Damaged and foreign files are ignored, with a line
//! in the log. The real worker, llama.cpp and the test model.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hearth_engine::{Completion, EngineClient, Input, LoadOptions, Role, SnapshotFiles};
use hearth_testkit::{ScratchDir, CAPITAL_QUESTION};

mod common;

use common::{chat, greedy, loaded, reply};

const MODEL: &str = "sha256-of-the-test-model";

/// The log lines of the whole test binary (the worker's stderr goes to the log).
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("hearth_engine=info")
            .with_writer(move || LogWriter(sink.clone()))
            .try_init();
        log
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged(needle: &str) -> bool {
    String::from_utf8_lossy(&log().lock().unwrap()).contains(needle)
}

fn files(restore: Option<&Path>, save: Option<&Path>) -> SnapshotFiles {
    SnapshotFiles {
        model: MODEL.into(),
        also: Vec::new(),
        restore: restore.map(|p| p.display().to_string()),
        save: save.map(|p| p.display().to_string()),
    }
}

async fn reply_with(
    engine: &EngineClient,
    input: Input,
    snapshot: SnapshotFiles,
) -> (String, Completion) {
    engine
        .generate_with_snapshot(input, greedy(40), snapshot)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The file appears after `done`, written by the worker's own thread.
async fn written(path: &Path) -> u64 {
    for _ in 0..200 {
        if let Ok(meta) = std::fs::metadata(path) {
            return meta.len();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} was never written", path.display());
}

fn second_turn(answer: &str) -> Input {
    chat(&[
        (Role::User, CAPITAL_QUESTION),
        (Role::Assistant, answer),
        (Role::User, "And what is the capital of Germany?"),
    ])
}

/// One first turn saved to `first.kv`; returns its answer, its completion and the file.
async fn first_turn(dir: &Path) -> (String, Completion, PathBuf) {
    let engine = loaded(LoadOptions::default()).await;
    let path = dir.join("first.kv");
    let (answer, done) = reply_with(
        &engine,
        chat(&[(Role::User, CAPITAL_QUESTION)]),
        files(None, Some(&path)),
    )
    .await;
    assert!(written(&path).await > 10_000, "a real cache was saved");
    engine.shutdown().await;
    (answer, done, path)
}

#[tokio::test]
async fn a_chat_continues_from_its_saved_cache_after_the_app_and_the_worker_restart() {
    log();
    let dir = ScratchDir::new("snapshots-continue");
    let (answer, first, saved) = first_turn(dir.path()).await;

    // The full read, the reference: a fresh worker without the file.
    let plain = loaded(LoadOptions::default()).await;
    let (expected, full) = reply(&plain, second_turn(&answer), greedy(40)).await;
    assert_eq!(full.timings.cached_tokens, 0);
    plain.shutdown().await;

    // After an app restart: a new worker continues from the file.
    // The new file replaces the one continued from once written: continue from a copy.
    let engine = loaded(LoadOptions::default()).await;
    let copy = dir.path().join("copy.kv");
    std::fs::copy(&saved, &copy).unwrap();
    let next = dir.path().join("second.kv");
    let (text, done) = reply_with(
        &engine,
        second_turn(&answer),
        files(Some(&copy), Some(&next)),
    )
    .await;
    let t = done.timings;
    assert!(
        t.restored_tokens >= first.timings.prompt_tokens && t.evaluated_tokens < 24,
        "only the new turn is read: {t:?} (first turn {:?})",
        first.timings
    );
    assert_eq!(t.cached_tokens + t.evaluated_tokens, t.prompt_tokens);
    assert_eq!(text, expected, "the same greedy reply as a full read");
    written(&next).await;
    gone(&copy).await;

    // After the worker is killed: the fresh worker continues from the file too.
    let pid = engine.worker_pid().await.expect("a worker runs");
    hearth_testkit::kill(pid, "KILL");
    let mut after_crash = None;
    for _ in 0..3 {
        // The first request after the kill may be the one that finds the worker dead.
        if let Ok(generation) = engine
            .generate_with_snapshot(second_turn(&answer), greedy(40), files(Some(&saved), None))
            .await
        {
            if let Ok(done) = generation.text().await {
                after_crash = Some(done);
                break;
            }
        }
    }
    let (text, done) = after_crash.expect("the restarted worker answers");
    assert_ne!(engine.worker_pid().await, Some(pid));
    assert!(
        done.timings.restored_tokens >= first.timings.prompt_tokens,
        "{:?}",
        done.timings
    );
    assert_eq!(text, expected);

    // In the same worker, the cache it holds wins: the file is not read again.
    let (_, again) = reply_with(&engine, second_turn(&answer), files(Some(&saved), None)).await;
    assert_eq!(again.timings.restored_tokens, 0, "{:?}", again.timings);
    assert!(again.timings.cached_tokens > 0);
}

#[tokio::test]
async fn damaged_and_foreign_saved_caches_are_ignored_with_a_log_line() {
    log();
    let dir = ScratchDir::new("snapshots-damaged");
    let (answer, _, saved) = first_turn(dir.path()).await;
    let bytes = std::fs::read(&saved).unwrap();

    let truncated = dir.path().join("truncated.kv");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let flipped = dir.path().join("flipped.kv");
    let mut damaged = bytes.clone();
    let last = damaged.len() - 100;
    damaged[last] ^= 0x55;
    std::fs::write(&flipped, &damaged).unwrap();
    let garbage = dir.path().join("garbage.kv");
    std::fs::write(&garbage, b"not a cache at all, just text").unwrap();

    let engine = loaded(LoadOptions::default()).await;
    let (expected, _) = reply(&engine, second_turn(&answer), greedy(40)).await;
    for (path, why) in [
        (&truncated, "damaged"),
        (&flipped, "checksum does not match"),
        (&garbage, "not a Hearth snapshot"),
    ] {
        // Another chat in between, so the worker's own cache does not hold this one.
        reply(&engine, chat(&[(Role::User, "Say hello.")]), greedy(4)).await;
        let (text, done) = reply_with(&engine, second_turn(&answer), files(Some(path), None)).await;
        assert_eq!(
            done.timings.restored_tokens,
            0,
            "{}: {:?}",
            path.display(),
            done.timings
        );
        assert_eq!(text, expected, "{} is read as usual", path.display());
        wait_logged(&format!("{} was not used: it is", path.display())).await;
        wait_logged(why).await;
    }

    // A cache made for other weights (another fingerprint) is never loaded.
    reply(&engine, chat(&[(Role::User, "Say hello.")]), greedy(4)).await;
    let foreign = SnapshotFiles {
        model: "sha256-of-other-weights".into(),
        ..files(Some(&saved), None)
    };
    let (text, done) = reply_with(&engine, second_turn(&answer), foreign).await;
    assert_eq!(done.timings.restored_tokens, 0);
    assert_eq!(text, expected);
    wait_logged("made with other weights, llama.cpp or context").await;

    // The same file with the right weights is used: the refusals above were the files' fault.
    reply(&engine, chat(&[(Role::User, "Say hello.")]), greedy(4)).await;
    let (_, done) = reply_with(&engine, second_turn(&answer), files(Some(&saved), None)).await;
    assert!(done.timings.restored_tokens > 0, "{:?}", done.timings);

    // A context of another size cannot use it either.
    let other = loaded(LoadOptions {
        n_ctx: Some(1024),
        ..Default::default()
    })
    .await;
    let (_, done) = reply_with(&other, second_turn(&answer), files(Some(&saved), None)).await;
    assert_eq!(done.timings.restored_tokens, 0);
}

async fn gone(path: &Path) {
    for _ in 0..100 {
        if !path.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} was not removed", path.display());
}

async fn wait_logged(needle: &str) {
    for _ in 0..100 {
        if logged(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the log never said {needle:?}:\n{}",
        String::from_utf8_lossy(&log().lock().unwrap())
    );
}
