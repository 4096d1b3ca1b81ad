//! LocalDocs end to end on real files: every format read by the real `hearth-extract` process,
//! embedded by the real test model in a real engine worker, stored in a real SQLite file and
//! found again by hybrid search; hostile files cost only themselves.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{
    docx, docx_bomb, encrypted_pdf, epub, odt, open_docs, pdf, pdf_bomb, pdf_without_text,
    TestEmbedder,
};
use hearth_docs::extract::Limits;
use hearth_docs::{DocsEvent, IndexControl, IndexState, Passage, SearchMode, Unreadable};
use hearth_testkit::ScratchDir;

const NOTES_MD: &str = "# Trip to Lisbon\n\nWe flew out on a Tuesday.\n\n## Parking\n\nWe parked the car on level 3 of the airport garage, row F.\n\n## Hotel\n\nThe hotel was near the river, with a view of the bridge.\n";

fn top<'a>(passages: &'a [Passage], query: &str) -> &'a Passage {
    passages
        .first()
        .unwrap_or_else(|| panic!("nothing found for {query:?}"))
}

fn file_name(p: &Passage) -> &str {
    p.path.rsplit('/').next().unwrap_or_default()
}

#[tokio::test]
async fn every_format_gives_its_passages_with_where_they_are() {
    let dir = ScratchDir::new("docs-formats");
    let folder = dir.path().join("documents");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(folder.join(name), bytes).unwrap();
    write("notes.md", NOTES_MD.as_bytes());
    write(
        "report.pdf",
        &pdf(&[
            "Quarterly report\nSales rose in the spring.",
            "The lighthouse keeper counts ships every night.\nHe wrote 412 ships in March.",
        ]),
    );
    write(
        "letter.docx",
        &docx(&[
            ("Heading1", "Budget"),
            ("", "The budget for the garden project is 40,000 euros."),
            ("Heading1", "Schedule"),
            ("", "Planting starts in April."),
        ]),
    );
    write(
        "essay.odt",
        &odt(&[
            (1, "Volcanoes"),
            (0, "Magma that reaches the surface is called lava."),
        ]),
    );
    write(
        "book.epub",
        &epub(&[
            ("Chapter One", &["The fox lived in a hollow oak tree."]),
            ("Chapter Two", &["Penguins cannot fly but they swim fast."]),
        ]),
    );
    write(
        "page.html",
        b"<html><head><title>Kitchen</title><script>var secret = 1;</script></head><body><h1>Bread</h1><p>Knead the dough for ten minutes.</p></body></html>",
    );
    write(
        "sub/main.rs",
        b"// Reads the sensor and prints the temperature in Celsius.\nfn main() {\n    println!(\"21 degrees\");\n}\n",
    );
    write(
        "sub/cities.csv",
        b"city,country\nKyoto,Japan\nPorto,Portugal\n",
    );
    write(
        "sub/config.json",
        br#"{"backup_hour": 3, "backup_target": "the blue external disk"}"#,
    );
    write(
        "sub/readme.rst",
        b"Installing\n==========\n\nRun the installer as an administrator.\n",
    );
    write("photo.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);

    let embedder = TestEmbedder::start().await;
    let docs = open_docs(dir.path(), Limits::default()).await;
    docs.add_collection("Everything", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let mut events = docs.subscribe();
    let report = docs
        .index("Everything", &embedder, &IndexControl::default())
        .await
        .unwrap();
    assert_eq!(report.files_read, 10, "{report:?}");
    assert_eq!(report.unreadable, 0, "{report:?}");
    assert!(report.chunks >= 10, "{report:?}");
    // Progress went up to every file, then the end.
    let mut last_done = 0;
    let mut ended = false;
    while let Ok(event) = events.try_recv() {
        match event {
            DocsEvent::Indexing { progress, .. } => {
                assert_eq!(progress.files_total, 10);
                assert!(progress.files_done >= last_done);
                last_done = progress.files_done;
            }
            DocsEvent::Indexed { .. } => ended = true,
            _ => {}
        }
    }
    assert_eq!(last_done, 10);
    assert!(ended);

    let find = |query: &'static str| {
        let docs = docs.clone();
        let embedder = &embedder;
        async move {
            docs.search(&["Everything"], query, 3, SearchMode::Hybrid, embedder)
                .await
                .unwrap()
        }
    };
    let found = find("How many ships did the lighthouse keeper count in March?").await;
    let p = top(&found, "ships");
    assert_eq!(file_name(p), "report.pdf");
    assert_eq!(p.page, Some(2));
    assert!(p.text.contains("412 ships"), "{:?}", p.text);

    let found = find("where did we park the car at the airport?").await;
    let p = top(&found, "park");
    assert_eq!(file_name(p), "notes.md");
    assert_eq!(p.heading.as_deref(), Some("Trip to Lisbon › Parking"));
    assert_eq!((p.line_start, p.line_end), (Some(5), Some(7)));

    let found = find("What is the garden project budget?").await;
    let p = top(&found, "budget");
    assert_eq!(file_name(p), "letter.docx");
    assert_eq!(p.heading.as_deref(), Some("Budget"));
    assert!(p.text.contains("40,000 euros"));

    let found = find("what is lava").await;
    assert_eq!(file_name(top(&found, "lava")), "essay.odt");
    let found = find("can penguins fly?").await;
    let p = top(&found, "penguins");
    assert_eq!(file_name(p), "book.epub");
    assert_eq!(p.heading.as_deref(), Some("Chapter Two"));
    let found = find("how long should I knead bread dough").await;
    let p = top(&found, "knead");
    assert_eq!(file_name(p), "page.html");
    assert!(
        !p.text.contains("secret"),
        "scripts are not text: {:?}",
        p.text
    );
    let found = find("which disk do backups go to?").await;
    assert_eq!(file_name(top(&found, "backup")), "config.json");
    let found = find("temperature sensor program").await;
    assert_eq!(file_name(top(&found, "sensor")), "main.rs");
    let found = find("Porto").await;
    assert_eq!(file_name(top(&found, "Porto")), "cities.csv");

    // Nothing changed: nothing is read again.
    let again = docs
        .index("Everything", &embedder, &IndexControl::default())
        .await
        .unwrap();
    assert_eq!((again.files_read, again.files_unchanged), (0, 10));

    // One file changed, one added, one deleted: only those.
    std::fs::write(
        folder.join("notes.md"),
        NOTES_MD.replace("level 3", "level 7"),
    )
    .unwrap();
    write(
        "new.txt",
        b"The spare key is under the flower pot by the door.",
    );
    std::fs::remove_file(folder.join("book.epub")).unwrap();
    let third = docs
        .index("Everything", &embedder, &IndexControl::default())
        .await
        .unwrap();
    assert_eq!(
        (third.files_read, third.files_removed, third.files_unchanged),
        (2, 1, 8),
        "{third:?}"
    );
    let found = find("where did we park the car at the airport?").await;
    assert!(top(&found, "park").text.contains("level 7"));
    let found = find("where is the spare key?").await;
    assert_eq!(file_name(top(&found, "key")), "new.txt");
    let found = docs
        .search(
            &["Everything"],
            "penguins swim",
            10,
            SearchMode::Hybrid,
            &embedder,
        )
        .await
        .unwrap();
    assert!(found.iter().all(|p| file_name(p) != "book.epub"));
    docs.close().await;
}

#[tokio::test]
async fn hostile_files_cost_only_themselves_and_say_why() {
    let dir = ScratchDir::new("docs-hostile");
    let folder = dir.path().join("documents");
    std::fs::create_dir_all(folder.join("deeper")).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(folder.join(name), bytes).unwrap();
    write("good.txt", b"The meeting moved to Thursday at nine.");
    let real_pdf = pdf(&["A perfectly fine page about tides and the moon."]);
    write("truncated.pdf", &real_pdf[..real_pdf.len() / 2]);
    write("encrypted.pdf", &encrypted_pdf(dir.path(), &real_pdf));
    write("bomb.pdf", &pdf_bomb(256 << 20));
    write("scanned.pdf", &pdf_without_text());
    write("bomb.docx", &docx_bomb(150 << 20));
    write(
        "binary.md",
        &(0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    write("empty.txt", b"");
    // A 1 GB file named .txt (sparse: it takes no disk).
    std::fs::File::create(folder.join("huge.txt"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    // A loop, and a link out of the folder to a file that must never be read.
    std::os::unix::fs::symlink(&folder, folder.join("deeper/loop")).unwrap();
    let outside = dir.file("outside.txt", b"PRIVATE outside the collection");
    std::os::unix::fs::symlink(&outside, folder.join("link-out.txt")).unwrap();

    let embedder = TestEmbedder::start().await;
    let limits = Limits {
        max_bytes: 100_000_000,
        time: Duration::from_secs(20),
        memory: 1 << 30,
    };
    let docs = open_docs(dir.path(), limits).await;
    docs.add_collection("Hostile", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let report = docs
        .index("Hostile", &embedder, &IndexControl::default())
        .await
        .unwrap();
    assert_eq!(report.files_read, 1, "{report:?}");
    let reasons: HashMap<String, Unreadable> = docs
        .unreadable("Hostile")
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.path.rsplit('/').next().unwrap().to_owned(), f.reason))
        .collect();
    let reason = |name: &str| {
        reasons
            .get(name)
            .unwrap_or_else(|| panic!("{name} has no reason: {reasons:?}"))
            .clone()
    };
    assert!(matches!(
        reason("truncated.pdf"),
        Unreadable::Damaged { .. }
    ));
    assert_eq!(reason("encrypted.pdf"), Unreadable::EncryptedPdf);
    match reason("bomb.pdf") {
        Unreadable::Damaged { detail } => assert!(detail.contains("inflates"), "{detail}"),
        Unreadable::TooMuchMemory => {}
        other => panic!("bomb.pdf: {other:?}"),
    }
    assert_eq!(reason("scanned.pdf"), Unreadable::ScannedPdf);
    assert_eq!(
        reason("bomb.docx"),
        Unreadable::TooLarge { limit: 100_000_000 }
    );
    assert_eq!(reason("binary.md"), Unreadable::NotText);
    assert_eq!(reason("empty.txt"), Unreadable::Empty);
    assert_eq!(
        reason("huge.txt"),
        Unreadable::TooLarge { limit: 100_000_000 }
    );
    assert_eq!(reasons.len(), 8, "{reasons:?}");
    // The messages are sentences a person understands.
    let listed = docs.unreadable("Hostile").await.unwrap();
    let encrypted = listed
        .iter()
        .find(|f| f.path.ends_with("encrypted.pdf"))
        .unwrap();
    assert!(
        encrypted.message.starts_with("encrypted PDF"),
        "{}",
        encrypted.message
    );
    // The good file is found; nothing from outside the folder is.
    let found = docs
        .search(
            &["Hostile"],
            "when is the meeting?",
            5,
            SearchMode::Hybrid,
            &embedder,
        )
        .await
        .unwrap();
    assert_eq!(file_name(top(&found, "meeting")), "good.txt");
    let private = docs
        .search(&["Hostile"], "PRIVATE", 5, SearchMode::Keyword, &embedder)
        .await
        .unwrap();
    assert!(private.is_empty(), "{private:?}");
    docs.close().await;
}

/// A file deleted, and one replaced by something that is not a file, after the folder was
/// scanned and before they were read.
#[tokio::test]
async fn files_that_change_under_the_reader_are_skipped_or_explained() {
    let dir = ScratchDir::new("docs-midway");
    let folder = dir.path().join("documents");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..5 {
        std::fs::write(
            folder.join(format!("note{i}.txt")),
            format!("Note number {i} is about the colour of boat {i}."),
        )
        .unwrap();
    }
    let embedder = TestEmbedder::start().await;
    let docs = open_docs(dir.path(), Limits::default()).await;
    docs.add_collection("Midway", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let control = IndexControl::default();
    control.set(IndexState::Pause);
    let mut events = docs.subscribe();
    let run = {
        let (docs, control) = (docs.clone(), control.clone());
        let embedder = embedder.clone();
        tokio::spawn(async move { docs.index("Midway", &embedder, &control).await })
    };
    // Paused after the scan, before the first file.
    loop {
        match tokio::time::timeout(Duration::from_secs(60), events.recv()).await {
            Ok(Ok(DocsEvent::Paused { .. })) => break,
            Ok(Ok(_)) => continue,
            other => panic!("no pause: {other:?}"),
        }
    }
    std::fs::remove_file(folder.join("note1.txt")).unwrap();
    std::fs::remove_file(folder.join("note3.txt")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(folder.join("note3.txt"))
        .status()
        .unwrap();
    assert!(status.success());
    control.set(IndexState::Run);
    let report = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("a pipe named like a document does not hang the reader")
        .unwrap()
        .unwrap();
    assert_eq!(report.files_read, 3, "{report:?}");
    let unreadable = docs.unreadable("Midway").await.unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(unreadable[0].path.ends_with("note3.txt"));
    assert!(unreadable[0].message.contains("not a regular file"));
    let summary = docs.collections().await.unwrap();
    assert_eq!(summary[0].files, 4, "the vanished file is not listed");
    docs.close().await;
}

/// A file that takes longer than the limit costs only its own time; the reader is started
/// afresh for the next one.
#[tokio::test]
async fn a_file_that_takes_too_long_is_left_out_and_the_next_is_read() {
    let dir = ScratchDir::new("docs-slow");
    let folder = dir.path().join("documents");
    std::fs::create_dir_all(&folder).unwrap();
    // Tens of megabytes of Markdown take far longer than 50 ms to read and cut into sections.
    let section = "## Heading\n\nSome *text* with `code` and [links](http://example.com).\n\n";
    std::fs::write(folder.join("a-slow.md"), section.repeat(400_000)).unwrap();
    std::fs::write(folder.join("b-quick.txt"), b"The quick file about owls.").unwrap();
    let embedder = TestEmbedder::start().await;
    let limits = Limits {
        time: Duration::from_millis(50),
        ..Limits::default()
    };
    let docs = open_docs(dir.path(), limits).await;
    docs.add_collection("Slow", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let report = docs
        .index("Slow", &embedder, &IndexControl::default())
        .await
        .unwrap();
    let unreadable = docs.unreadable("Slow").await.unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(matches!(unreadable[0].reason, Unreadable::TooSlow { .. }));
    assert_eq!(report.files_read, 1, "{report:?}");
    docs.close().await;
}

/// As root, the reader runs as `nobody` here so that a file closed to others is really closed
/// to it; as another user the reader runs as that user.
#[tokio::test]
async fn a_file_the_reader_may_not_open_says_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let dir = ScratchDir::new("docs-permission");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("documents");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("open.txt"),
        b"Anyone may read about the weather.",
    )
    .unwrap();
    let closed = folder.join("closed.txt");
    std::fs::write(&closed, b"Only the owner may read this.").unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let reader = if is_root {
        let copy = dir.path().join("hearth-extract");
        std::fs::copy(common::reader(), &copy).unwrap();
        let wrapper = dir.path().join("extract-as-nobody");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups {} \"$@\"\n",
                copy.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        wrapper
    } else {
        common::reader()
    };
    let embedder = TestEmbedder::start().await;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let docs = hearth_docs::Docs::open(&data.join("docs.db"), reader)
        .await
        .unwrap();
    docs.add_collection("Mixed", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let report = docs
        .index("Mixed", &embedder, &IndexControl::default())
        .await
        .unwrap();
    assert_eq!(report.files_read, 1, "{report:?}");
    let unreadable = docs.unreadable("Mixed").await.unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0].reason, Unreadable::PermissionDenied);
    docs.close().await;
}

/// Collections share one index: a search of one never returns another's passages, in any
/// mode, and a search of several finds each one's.
#[tokio::test]
async fn a_search_keeps_to_the_collections_asked_for() {
    let dir = ScratchDir::new("docs-two-collections");
    let embedder = TestEmbedder::start().await;
    let docs = open_docs(&dir.path().join("data"), Limits::default()).await;
    for (name, text) in [
        (
            "Garden",
            "The tomato plants need water every morning in July.",
        ),
        (
            "Kitchen",
            "Tomato soup: simmer the tomatoes with water for an hour.",
        ),
        ("Garage", "Check the tyre pressure every month."),
    ] {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("notes.txt"), text).unwrap();
        docs.add_collection(name, &[folder], "all-minilm")
            .await
            .unwrap();
        docs.index(name, &embedder, &IndexControl::default())
            .await
            .unwrap();
    }
    for mode in [SearchMode::Keyword, SearchMode::Vector, SearchMode::Hybrid] {
        let found = docs
            .search(&["Kitchen"], "tomato water", 5, mode, &embedder)
            .await
            .unwrap();
        assert!(!found.is_empty(), "{mode:?}");
        assert!(
            found.iter().all(|p| p.collection == "Kitchen"),
            "{mode:?}: {found:?}"
        );
        let found = docs
            .search(&["Garden", "Kitchen"], "tomato water", 5, mode, &embedder)
            .await
            .unwrap();
        let mut names: Vec<&str> = found.iter().map(|p| p.collection.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names, ["Garden", "Kitchen"], "{mode:?}: {found:?}");
    }
    // A word only another collection holds finds nothing here.
    let found = docs
        .search(&["Garage"], "tomato", 5, SearchMode::Keyword, &embedder)
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    docs.close().await;
}

/// A model trained with prefixes gets them: every passage with the document prefix, every
/// question with the query prefix, and nothing else is given to it.
#[tokio::test]
async fn passages_and_questions_carry_the_models_prefixes() {
    let dir = ScratchDir::new("docs-prefixes");
    let folder = dir.path().join("notes");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.md"), NOTES_MD).unwrap();
    let embedder = TestEmbedder::with_prefixes("search_query: ", "search_document: ").await;
    let docs = open_docs(&dir.path().join("data"), Limits::default()).await;
    docs.add_collection("Notes", std::slice::from_ref(&folder), "all-minilm")
        .await
        .unwrap();
    let report = docs
        .index("Notes", &embedder, &IndexControl::default())
        .await
        .unwrap();
    let indexed: Vec<String> = std::mem::take(&mut *embedder.seen.lock().unwrap());
    assert_eq!(indexed.len() as u64, report.chunks, "{indexed:?}");
    assert!(
        indexed.iter().all(|t| t.starts_with("search_document: ")),
        "{indexed:?}"
    );
    let found = docs
        .search(
            &["Notes"],
            "where is the car parked",
            3,
            SearchMode::Vector,
            &embedder,
        )
        .await
        .unwrap();
    assert!(found[0].text.contains("level 3"), "{found:?}");
    let asked = embedder.seen.lock().unwrap().clone();
    assert_eq!(asked, ["search_query: where is the car parked"]);
    // The prefix is the model's business: the stored passage is the document's own text.
    assert!(!found[0].text.contains("search_document"), "{found:?}");
    docs.close().await;
}
