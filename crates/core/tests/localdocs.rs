//! LocalDocs as the app runs it: the real reader, the test embedder in its own worker, a real
//! `docs.db`; the app keeps every collection up to date by itself.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use hearth_core::docs::SearchMode;
use hearth_core::{App, AppOptions, DataDir, EngineClient, LocalDocs};
use hearth_testkit::{test_embedder, ScratchDir};

/// Whether a keyword search of `collection` finds `word`.
async fn finds(docs: &LocalDocs, collection: &str, word: &str) -> bool {
    docs.search(&[collection], word, 5, SearchMode::Keyword)
        .await
        .map(|found| found.iter().any(|p| p.text.contains(word)))
        .unwrap_or(false)
}

/// Waits up to a minute for `check` to hold.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "after a minute: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn write(folder: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join(name), text).unwrap();
}

#[tokio::test]
async fn the_app_keeps_every_collection_up_to_date_by_itself() {
    let dir = ScratchDir::new("core-localdocs");
    let data = DataDir::resolve(Some(&dir.path().join("data"))).unwrap();
    let options = AppOptions {
        engine: Some(EngineClient::from_environment().unwrap()),
        ..AppOptions::default()
    };
    let app = App::open_with(data, options).await.unwrap();
    let embedder = app
        .import_model(&test_embedder().display().to_string())
        .await
        .unwrap();
    let docs = app.docs().clone();
    let choices = docs.embedding_models().unwrap();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(
        choices[0].id, embedder.model.file,
        "the embedder is offered for LocalDocs by its file name"
    );

    let notes = dir.path().join("notes");
    write(&notes, "garden.txt", "The quince tree flowers in April.");
    docs.add("Notes", std::slice::from_ref(&notes), None)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let watching = tokio::spawn({
        let docs = docs.clone();
        async move {
            docs.watch_all(async {
                let _ = stopped.await;
            })
            .await
        }
    });

    // Read at start, then a file added, a file deleted.
    eventually("the folder is read at start", || {
        finds(&docs, "Notes", "quince")
    })
    .await;
    write(
        &notes,
        "kitchen.txt",
        "Simmer the damson jam for forty minutes.",
    );
    eventually("an added file is read", || finds(&docs, "Notes", "damson")).await;
    std::fs::remove_file(notes.join("garden.txt")).unwrap();
    eventually("a deleted file is forgotten", || async {
        !finds(&docs, "Notes", "quince").await
    })
    .await;

    // A collection added while the app runs is followed too.
    let letters = dir.path().join("letters");
    write(
        &letters,
        "aunt.txt",
        "Aunt Mildred sends her regards from Galway.",
    );
    docs.add("Letters", std::slice::from_ref(&letters), None)
        .await
        .unwrap();
    eventually("a new collection is read", || {
        finds(&docs, "Letters", "Galway")
    })
    .await;
    write(&letters, "uncle.txt", "Uncle Fergus bought a red tractor.");
    eventually("a new collection's folder is followed", || {
        finds(&docs, "Letters", "tractor")
    })
    .await;

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), watching)
        .await
        .expect("watching ends when told")
        .unwrap();
    app.shutdown().await;
}
