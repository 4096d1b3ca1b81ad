//! The LocalDocs index file: opened by several processes at once, and damaged files.

use std::path::{Path, PathBuf};

use hearth_docs::Docs;
use hearth_testkit::ScratchDir;

async fn open(path: &Path) -> Docs {
    Docs::open(path, PathBuf::from("hearth-extract"))
        .await
        .expect("the index opens")
}

fn set_aside(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("docs.db.damaged-"))
        .filter(|p| {
            !p.to_string_lossy().ends_with("-wal") && !p.to_string_lossy().ends_with("-shm")
        })
        .collect()
}

/// Regression: the app and the CLI opening a fresh index together both ran its first
/// migration, and one failed with "table collections already exists".
#[tokio::test]
async fn many_opening_a_new_index_at_once_all_succeed() {
    let dir = ScratchDir::new("docs-open-race");
    let path = dir.path().join("docs.db");
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move { Docs::open(&path, PathBuf::from("hearth-extract")).await })
        })
        .collect();
    for open in opens {
        let docs = open.await.unwrap().expect("every open succeeds");
        assert!(docs.collections().await.unwrap().is_empty());
        docs.close().await;
    }
}

#[tokio::test]
async fn a_file_that_is_not_an_index_is_set_aside_and_a_new_one_started() {
    let dir = ScratchDir::new("docs-not-sqlite");
    let path = dir.path().join("docs.db");
    let bytes = b"these are somebody's notes, not a database".repeat(100);
    std::fs::write(&path, &bytes).unwrap();
    let docs = open(&path).await;
    docs.add_collection("Notes", &[dir.path().to_path_buf()], "all-minilm")
        .await
        .unwrap();
    assert_eq!(docs.collections().await.unwrap().len(), 1);
    docs.close().await;
    let aside = set_aside(dir.path());
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), bytes, "kept untouched");
}

#[tokio::test]
async fn a_damaged_index_is_set_aside_and_a_new_one_started() {
    let dir = ScratchDir::new("docs-damaged");
    let path = dir.path().join("docs.db");
    let docs = open(&path).await;
    for i in 0..50 {
        let folder = dir.path().join(format!("folder-{i}"));
        std::fs::create_dir_all(&folder).unwrap();
        docs.add_collection(&format!("Collection {i}"), &[folder], "all-minilm")
            .await
            .unwrap();
    }
    docs.close().await;
    // Everything after the header page overwritten: SQLite's header is intact, its pages not.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192, "{}", bytes.len());
    for b in &mut bytes[4096..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let docs = open(&path).await;
    assert!(
        docs.collections().await.unwrap().is_empty(),
        "a new, empty index"
    );
    docs.close().await;
    assert_eq!(set_aside(dir.path()).len(), 1);
}
