//! The LocalDocs screen's operations on the real app: the test embedder in its own worker (or
//! downloaded from a catalog served on 127.0.0.1), the real reader, a real `docs.db`, and the
//! statuses the screen shows arriving as events while the app keeps collections up to date.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth_core::docs::{SearchMode, Unreadable};
use hearth_core::{
    App, AppEvent, AppOptions, CollectionChange, CollectionStatus, DataDir, EngineClient, Events,
    NewCollection,
};
use hearth_testkit::{test_embedder, ScratchDir};
use hearth_testkit::{Faults, FileServer};
use sha2::{Digest, Sha256};

async fn open(data: &Path, catalog: Option<PathBuf>) -> App {
    let options = AppOptions {
        engine: Some(EngineClient::from_environment().unwrap()),
        catalog,
        ..AppOptions::default()
    };
    let app = App::open_with(DataDir::resolve(Some(data)).unwrap(), options)
        .await
        .unwrap();
    // As the desktop app and `hearth-cli serve` do.
    let docs = app.docs().clone();
    tokio::spawn(async move { docs.watch_all(std::future::pending()).await });
    app
}

fn write(folder: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join(name), text).unwrap();
}

/// Letters, one of them a "PDF" that is not one.
fn letters(dir: &Path) -> PathBuf {
    let folder = dir.join("letters");
    write(
        &folder,
        "aunt.txt",
        "Aunt Mira's parcel of saffron arrived on the ninth of May.",
    );
    write(
        &folder,
        "bank.md",
        "# Bank\n\nThe overdraft limit was raised to four hundred pounds.",
    );
    write(&folder, "broken.pdf", "this was never a PDF");
    folder
}

/// The states collection `name` goes through until it is `last` (two minutes at most).
async fn states_until(events: &mut Events, name: &str, last: &str) -> Vec<String> {
    states_between(events, name, None, last).await
}

/// Like [`states_until`], ignoring what comes before `first` (events of an earlier run).
async fn states_between(
    events: &mut Events,
    name: &str,
    first: Option<&str>,
    last: &str,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = events.next().await {
            if let AppEvent::Collection(notice) = event {
                if notice.collection != name {
                    continue;
                }
                let state = serde_json::to_value(&notice.status).unwrap()["state"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                if seen.is_empty() && first.is_some_and(|f| f != state) {
                    continue;
                }
                let done = state == last;
                if seen.last() != Some(&state) {
                    seen.push(state);
                }
                if done {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{name} never became {last}; it went through {seen:?}"));
    seen
}

async fn finds(app: &App, collection: &str, word: &str) -> bool {
    app.docs()
        .search(&[collection], word, 5, SearchMode::Keyword)
        .await
        .map(|found| found.iter().any(|p| p.text.contains(word)))
        .unwrap_or(false)
}

/// The built-in catalog plus the test embedder as a catalog embedding model served by `server`.
fn catalog_with_test_embedder(dir: &Path, server: &FileServer, bytes: &[u8]) -> PathBuf {
    let mut catalog: serde_json::Value =
        serde_json::from_str(hearth_core::model_manager::catalog::BUILT_IN).unwrap();
    let models = catalog["models"].as_array_mut().unwrap();
    let mut entry = models
        .iter()
        .find(|m| m["id"] == "nomic-embed-text-v1.5")
        .unwrap()
        .clone();
    entry["id"] = "minilm-test".into();
    entry["name"] = "MiniLM (test server)".into();
    entry["architecture"] = "bert".into();
    entry["file"] = "minilm-test.gguf".into();
    entry["url"] = server.url("minilm-test.gguf").into();
    entry["size"] = bytes.len().into();
    entry["sha256"] = format!("{:x}", Sha256::digest(bytes)).into();
    entry["query_prefix"] = "".into();
    entry["document_prefix"] = "".into();
    models.push(entry);
    let path = dir.join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path
}

#[tokio::test]
async fn a_collection_made_with_a_model_not_installed_waits_for_its_download_then_reaches_ready() {
    let dir = ScratchDir::new("core-localdocs-screen-download");
    let bytes = std::fs::read(test_embedder()).unwrap();
    let server = FileServer::start(bytes.clone().into(), Faults::default());
    let catalog = catalog_with_test_embedder(dir.path(), &server, &bytes);
    let app = open(&dir.path().join("data"), Some(catalog)).await;

    let screen = app.localdocs().await.unwrap();
    assert!(screen.collections.is_empty() && !screen.paused);
    let offered = screen
        .models
        .iter()
        .find(|m| m.id == "minilm-test")
        .expect("the catalog's embedding models are offered");
    assert!(!offered.installed);
    assert_eq!(offered.size, Some(bytes.len() as u64));
    assert!(
        screen.models.iter().all(|m| !m.id.contains("smollm")),
        "chat models are not offered for embedding: {:?}",
        screen.models
    );

    let mut events = Events::new(&app);
    let made = app
        .add_collection(NewCollection {
            name: " Letters ".into(),
            folders: vec![letters(dir.path()).display().to_string()],
            model: Some("minilm-test".into()),
        })
        .await
        .unwrap();
    assert_eq!(made.summary.collection.name, "Letters");
    assert_eq!(
        made.status,
        CollectionStatus::WaitingForModel {
            model: "minilm-test".into()
        }
    );
    let states = states_until(&mut events, "Letters", "ready").await;
    let waiting = states.iter().position(|s| s == "waiting_for_model");
    let indexing = states.iter().position(|s| s == "indexing");
    assert!(
        waiting.is_some() && indexing > waiting,
        "waits for the download, then reads: {states:?}"
    );
    assert!(
        !server.requests().is_empty(),
        "the model came from the catalog's server"
    );

    let screen = app.localdocs().await.unwrap();
    let letters = &screen.collections[0];
    assert_eq!(letters.status, CollectionStatus::Ready);
    assert_eq!((letters.summary.files, letters.summary.unreadable), (3, 1));
    assert!(letters.summary.chunks >= 2, "{letters:?}");
    assert!(screen
        .models
        .iter()
        .any(|m| m.id == "minilm-test" && m.installed));
    let unreadable = app.unreadable_files("Letters").await.unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(unreadable[0].path.ends_with("broken.pdf"));
    assert!(matches!(unreadable[0].reason, Unreadable::Damaged { .. }));
    assert!(finds(&app, "Letters", "saffron").await);
    app.shutdown().await;
}

#[tokio::test]
async fn collections_are_paused_changed_rebuilt_and_removed_from_the_screen() {
    let dir = ScratchDir::new("core-localdocs-screen-change");
    let app = open(&dir.path().join("data"), None).await;
    app.import_model(&test_embedder().display().to_string())
        .await
        .unwrap();
    let mut events = Events::new(&app);
    let folder = letters(dir.path());
    app.add_collection(NewCollection {
        name: "Letters".into(),
        folders: vec![folder.display().to_string()],
        model: None,
    })
    .await
    .unwrap();
    states_until(&mut events, "Letters", "ready").await;

    // Paused: a folder added waits, and its words are not found until indexing goes on.
    let postcards = dir.path().join("postcards");
    write(
        &postcards,
        "lisbon.txt",
        "Greetings from Lisbon, where the trams climb every hill.",
    );
    app.pause_indexing(true);
    assert!(app.localdocs().await.unwrap().paused);
    app.change_collection(
        "Letters",
        CollectionChange::AddFolder {
            path: postcards.display().to_string(),
        },
    )
    .await
    .unwrap();
    states_until(&mut events, "Letters", "paused").await;
    assert!(!finds(&app, "Letters", "trams").await);
    app.pause_indexing(false);
    states_until(&mut events, "Letters", "ready").await;
    assert!(finds(&app, "Letters", "trams").await);
    assert_eq!(
        app.collections().await.unwrap()[0]
            .summary
            .collection
            .folders
            .len(),
        2
    );

    // A folder taken out: its passages leave the index; its files stay on disk.
    app.change_collection(
        "Letters",
        CollectionChange::RemoveFolder {
            path: postcards.display().to_string(),
        },
    )
    .await
    .unwrap();
    states_between(&mut events, "Letters", Some("queued"), "ready").await;
    assert!(!finds(&app, "Letters", "trams").await);
    assert!(postcards.join("lisbon.txt").exists());

    // Rebuilt: read from the start again, to the same passages.
    let before = app.collections().await.unwrap()[0].summary.chunks;
    app.change_collection("Letters", CollectionChange::Rebuild)
        .await
        .unwrap();
    let states = states_between(&mut events, "Letters", Some("queued"), "ready").await;
    assert!(states.contains(&"indexing".to_owned()), "{states:?}");
    assert_eq!(app.collections().await.unwrap()[0].summary.chunks, before);

    // Mistakes are refused with what to fix, and change nothing.
    let unknown = app
        .change_collection(
            "Letters",
            CollectionChange::SetModel {
                model: "no-such-model".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("no-such-model"), "{unknown}");
    let chat_model = app
        .change_collection(
            "Letters",
            CollectionChange::SetModel {
                model: "smollm2-135m-instruct".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        chat_model.to_string().contains("smollm2-135m-instruct"),
        "{chat_model}"
    );
    let missing = dir.path().join("no-such-folder");
    let error = app
        .add_collection(NewCollection {
            name: "Ghost".into(),
            folders: vec![missing.display().to_string()],
            model: None,
        })
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no-such-folder"), "{error}");
    let last = app
        .change_collection(
            "Letters",
            CollectionChange::RemoveFolder {
                path: folder.display().to_string(),
            },
        )
        .await
        .unwrap_err();
    assert!(last.to_string().contains("at least one folder"), "{last}");
    assert_eq!(app.collections().await.unwrap().len(), 1);

    // Removed: the collection and its index go; the documents stay.
    app.change_collection("Letters", CollectionChange::Remove)
        .await
        .unwrap();
    assert!(app.collections().await.unwrap().is_empty());
    assert!(folder.join("aunt.txt").exists());
    app.shutdown().await;
}
