//! `hearth-cli docs` as a person runs it: the real binary, the real reader and embedding
//! worker, the real test embedder, a real docs.db. Killed half-way it goes on where it
//! stopped; watching, it follows a folder as files come, change and go.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hearth_testkit::{kill, test_embedder, ScratchDir};

/// The CLI on the data folder `data`.
fn cli(data: &Path) -> Command {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_hearth-cli"));
    let reader = binary.with_file_name("hearth-extract");
    assert!(
        reader.is_file(),
        "{} is missing: cargo build --release -p hearth-docs --bin hearth-extract",
        reader.display()
    );
    let mut command = Command::new(binary);
    command.env("HEARTH_DATA_DIR", data).stdin(Stdio::null());
    command
}

fn run(data: &Path, args: &[&str]) -> Output {
    let out = cli(data).args(args).output().expect("hearth-cli runs");
    assert!(
        out.status.success(),
        "hearth-cli {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A data folder with the test embedder installed and a collection `name` of `folder`.
fn prepared(dir: &ScratchDir, name: &str, folder: &Path) -> PathBuf {
    let data = dir.path().join("data");
    run(
        &data,
        &["models", "import", test_embedder().to_str().unwrap()],
    );
    run(&data, &["docs", "add", name, folder.to_str().unwrap()]);
    data
}

/// Every passage of docs.db as (file, ordinal, text), sorted; and how many rows there are.
fn passages(data: &Path) -> (Vec<(String, i64, String)>, usize) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, json, sys\n\
             db = sqlite3.connect(sys.argv[1])\n\
             rows = db.execute('SELECT f.path, c.ordinal, c.text FROM chunks c JOIN files f ON f.id = c.file_id').fetchall()\n\
             print(json.dumps(rows))",
        )
        .arg(data.join("docs.db"))
        .output()
        .expect("python3 reads the database");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, i64, String)> = serde_json::from_slice(&out.stdout).unwrap();
    let count = rows.len();
    let mut sorted = rows;
    sorted.sort();
    (sorted, count)
}

fn files_indexed(data: &Path) -> i64 {
    let out = run(data, &["docs", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list[0]["files"].as_i64().unwrap_or(0)
}

fn a_folder_of_notes(dir: &ScratchDir, n: usize) -> PathBuf {
    let folder = dir.path().join("notes");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..n {
        let body = format!(
            "Note {i}. The harbour master logged ship number {i} at dawn.\n\n\
             It carried {} crates of apples and {} barrels of oil to the island.\n",
            i * 3 + 1,
            i % 17
        );
        std::fs::write(folder.join(format!("note-{i:04}.txt")), body).unwrap();
    }
    folder
}

#[test]
fn killed_mid_index_it_goes_on_where_it_stopped_with_nothing_twice_or_missing() {
    let dir = ScratchDir::new("cli-docs-kill");
    let folder = a_folder_of_notes(&dir, 600);
    let data = prepared(&dir, "Harbour", &folder);
    let mut index = cli(&data)
        .args(["docs", "index", "Harbour"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed (no chance to tidy up) once some files are in and many are not.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = files_indexed(&data);
        if done >= 20 {
            assert!(done < 600, "indexing ended before it could be killed");
            break;
        }
        assert!(Instant::now() < deadline, "indexing made no progress");
        assert!(index.try_wait().unwrap().is_none(), "indexing ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    kill(index.id(), "KILL");
    let _ = index.wait();
    let before = files_indexed(&data);
    let resumed = run(&data, &["docs", "index", "Harbour"]);
    let said = String::from_utf8_lossy(&resumed.stdout);
    let read: i64 = said
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {said:?}"));
    assert_eq!(
        read,
        600 - before,
        "the second run read {read} files after {before} were in: {said}"
    );
    assert_eq!(files_indexed(&data), 600);

    // The same passages as one uninterrupted run makes, none twice.
    let fresh_dir = ScratchDir::new("cli-docs-fresh");
    let fresh = prepared(&fresh_dir, "Harbour", &folder);
    run(&fresh, &["docs", "index", "Harbour"]);
    let (resumed_rows, resumed_count) = passages(&data);
    let (fresh_rows, fresh_count) = passages(&fresh);
    assert_eq!(resumed_count, fresh_count);
    assert_eq!(resumed_rows, fresh_rows);
    let mut unique = resumed_rows.clone();
    unique.dedup();
    assert_eq!(unique.len(), resumed_rows.len(), "a passage is there twice");
}

/// Waits until `check` holds for the search output of `query`, or fails.
fn eventually(data: &Path, query: &str, what: &str, check: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = run(
            data,
            &[
                "docs", "search", "Watched", query, "-k", "3", "--json", "--mode", "keyword",
            ],
        );
        let found = String::from_utf8_lossy(&out.stdout).into_owned();
        if check(&found) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {found}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn watching_a_folder_follows_files_added_changed_and_deleted() {
    let dir = ScratchDir::new("cli-docs-watch");
    let folder = dir.path().join("watched");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("first.txt"), "The lantern is in the shed.").unwrap();
    let data = prepared(&dir, "Watched", &folder);
    let mut watcher: Child = cli(&data)
        .args(["docs", "index", "Watched", "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    eventually(&data, "lantern", "the first file", |f| f.contains("shed"));

    std::fs::write(
        folder.join("added.md"),
        "# Tools\n\nThe ladder hangs in the garage.\n",
    )
    .unwrap();
    eventually(&data, "ladder", "an added file", |f| f.contains("garage"));

    std::fs::write(folder.join("first.txt"), "The lantern is in the attic now.").unwrap();
    eventually(&data, "lantern", "a changed file", |f| {
        f.contains("attic") && !f.contains("shed")
    });

    std::fs::remove_file(folder.join("added.md")).unwrap();
    eventually(&data, "ladder", "a deleted file", |f| !f.contains("garage"));

    // Ctrl-C ends watching cleanly.
    kill(watcher.id(), "INT");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = watcher.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "Ctrl-C did not end watching");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_requests_say_what_to_do() {
    let dir = ScratchDir::new("cli-docs-errors");
    let data = dir.path().join("data");
    let folder = dir.path().join("empty-folder");
    std::fs::create_dir_all(&folder).unwrap();
    let fail = |args: &[&str]| {
        let out = cli(&data).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = fail(&["docs", "add", "Empty", folder.to_str().unwrap()]);
    assert!(err.contains("no embedding model is installed"), "{err}");
    run(
        &data,
        &["models", "import", test_embedder().to_str().unwrap()],
    );
    let err = fail(&["docs", "add", "Nowhere", "/no/such/folder"]);
    assert!(err.contains("/no/such/folder"), "{err}");
    let err = fail(&["docs", "search", "Missing", "anything"]);
    assert!(
        err.contains("no document collection named \"Missing\""),
        "{err}"
    );
    // A chat model is not an embedding model, and an embedding model does not chat.
    run(
        &data,
        &[
            "models",
            "import",
            hearth_testkit::test_model().to_str().unwrap(),
        ],
    );
    let err = fail(&[
        "docs",
        "add",
        "Wrong",
        folder.to_str().unwrap(),
        "--embedding-model",
        "smollm2-135m-instruct",
    ]);
    assert!(err.contains("not an embedding model"), "{err}");
    let err = fail(&[
        "chat",
        "--model",
        "all-MiniLM-L6-v2.f16.gguf",
        "--prompt",
        "hi",
    ]);
    assert!(err.contains("embedding model for LocalDocs"), "{err}");
    let listed = run(&data, &["models", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("all-MiniLM"));
}

#[test]
fn chat_with_docs_answers_from_the_collection_and_lists_its_sources() {
    let dir = ScratchDir::new("cli-docs-chat");
    let folder = dir.path().join("notes");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("garden.md"),
        "# Garden\n\nThe quince tree in Ana's orchard flowers in the second week of April.\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("car.txt"),
        "The car's tyres were changed at the garage in Leeds in November.\n",
    )
    .unwrap();
    let data = prepared(&dir, "Notes", &folder);
    run(&data, &["docs", "index", "Notes"]);
    let model = hearth_testkit::test_model();
    let model = model.to_str().unwrap();
    let question = "When does the quince tree flower?";
    for extra in [None, Some("--no-save")] {
        let mut args = vec![
            "chat",
            "--model",
            model,
            "--temp",
            "0",
            "--max-tokens",
            "16",
            "--prompt",
            question,
            "--docs",
            "Notes",
        ];
        args.extend(extra);
        let out = run(&data, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        let listed = err
            .lines()
            .find(|l| l.starts_with("[1] "))
            .unwrap_or_else(|| panic!("{extra:?}: no sources listed: {err}"));
        assert!(
            listed.contains("garden.md, line") && listed.ends_with("(Notes)"),
            "{extra:?}: {listed}"
        );
    }
    // The saved chat keeps the collection and the reply's sources.
    let chats = run(&data, &["chats", "export"]);
    let md = String::from_utf8_lossy(&chats.stdout);
    assert!(md.contains("garden.md`, line"), "{md}");

    let out = cli(&data)
        .args([
            "chat", "--model", model, "--prompt", question, "--docs", "Nowhere",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("no document collection named \"Nowhere\""),
        "{err}"
    );
}
