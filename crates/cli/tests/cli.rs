//! `hearth-cli` as a person runs it: the real binary, the real worker, the real test model.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hearth_testkit::{test_model, ScratchDir, CAPITAL_ANSWER, CAPITAL_QUESTION};

/// The CLI with its data folder in a scratch directory unless the test sets one.
fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hearth-cli"));
    command.env("HEARTH_DATA_DIR", scratch_data());
    command
}

/// Spawning with every stream piped, as a terminal session would be driven.
trait PipedSpawn {
    fn piped_spawn(&mut self) -> std::process::Child;
}

impl PipedSpawn for Command {
    fn piped_spawn(&mut self) -> std::process::Child {
        self.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hearth-cli starts")
    }
}

/// One scratch data folder per test process (the directory is left for the OS to clean).
fn scratch_data() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("hearth-cli-tests-{}", std::process::id()))
    })
    .clone()
}

fn run(args: &[&str]) -> Output {
    cli()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("hearth-cli runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn one_shot_prompt_prints_the_reply_and_speed() {
    let model = test_model();
    let out = run(&[
        "chat",
        "--model",
        model.to_str().unwrap(),
        "--prompt",
        CAPITAL_QUESTION,
        "--temp",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(CAPITAL_ANSWER),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("tokens/s"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn interactive_chat_keeps_the_conversation_and_exits() {
    let model = test_model();
    let mut child = cli()
        .args([
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--temp",
            "0",
            "--repeat-penalty",
            "1",
            "--max-tokens",
            "48",
        ])
        .piped_spawn();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{CAPITAL_QUESTION}\nAnd of Germany?\n/reset\n/exit").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(CAPITAL_ANSWER) && stdout.contains("Berlin"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("(new conversation)"), "{stderr}");
    // The second turn reused the first turn's context.
    assert!(
        stderr.lines().filter(|l| l.contains("tokens/s")).count() == 2,
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_reply_not_the_program() {
    let model = test_model();
    let mut child = cli()
        .args([
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--temp",
            "0",
            "--repeat-penalty",
            "1",
            "--max-tokens",
            "3000",
        ])
        .piped_spawn();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    writeln!(stdin, "Count from 1 to 1000, separated by commas.").unwrap();
    // Wait for the reply to start streaming.
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    hearth_testkit::kill(child.id(), "INT");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stopped = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains("stopped") => {
                stopped = true;
                break;
            }
            _ => {}
        }
    }
    assert!(stopped, "the reply said it was stopped");
    writeln!(stdin, "{CAPITAL_QUESTION}").unwrap();
    writeln!(stdin, "/exit").unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the program lived on and exited cleanly: {status:?}"
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains(CAPITAL_ANSWER),
        "the next question was answered: {rest}"
    );
}

/// Bad input: a one-line message on stderr, a non-zero exit, no panic, no signal.
fn assert_clean_failure(args: &[&str], expected: &str) {
    let out = run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        last.contains(expected),
        "{args:?}: expected {expected:?} in {last:?}"
    );
}

#[test]
fn bad_model_files_fail_cleanly() {
    let dir = ScratchDir::new("cli-bad");
    let missing = dir.path().join("missing.gguf");
    let notes = dir.file("notes.gguf", b"plain text, not a model");
    let cut = dir.file("cut.gguf", &hearth_testkit::truncated_model(2 << 20));
    let gptj = dir.file(
        "gpt4all-j.gguf",
        &hearth_testkit::gguf_with_architecture("gptj"),
    );
    let opt = dir.file("opt.gguf", &hearth_testkit::gguf_with_architecture("opt"));
    let absurd = dir.file("absurd.gguf", &hearth_testkit::gguf_with_absurd_counts());
    let dir_path = dir.path().to_str().unwrap().to_owned();
    let cases = [
        (missing.to_str().unwrap(), "not found"),
        (dir_path.as_str(), "is a directory"),
        (notes.to_str().unwrap(), "not a GGUF"),
        (cut.to_str().unwrap(), "truncated"),
        (
            gptj.to_str().unwrap(),
            "GPT-J / GPT4All-J) is not supported by llama.cpp",
        ),
        (opt.to_str().unwrap(), "OPT) is not supported by llama.cpp"),
        (absurd.to_str().unwrap(), "corrupt"),
    ];
    for (model, expected) in cases {
        assert_clean_failure(&["chat", "--model", model, "--prompt", "hi"], expected);
    }
}

#[test]
fn bad_settings_fail_cleanly() {
    let model = test_model();
    let m = model.to_str().unwrap();
    assert_clean_failure(
        &["chat", "--model", m, "--prompt", "hi", "--ctx", "100000"],
        "at most 8192 tokens",
    );
    assert_clean_failure(
        &["chat", "--model", m, "--prompt", "  "],
        "the prompt is empty",
    );
    assert_clean_failure(
        &["chat", "--model", m, "--prompt", "hi", "--temp=-1"],
        "temperature",
    );
    assert_clean_failure(
        &["chat", "--model", m, "--prompt", "hi", "--top-p", "5"],
        "top-p",
    );
    assert_clean_failure(
        &[
            "chat",
            "--model",
            m,
            "--prompt",
            "hi",
            "--template",
            "nonsense",
        ],
        "unknown chat template name",
    );
    assert_clean_failure(
        &["chat", "--model", m, "--prompt", "hi", "--threads", "0"],
        "threads",
    );
    assert_clean_failure(&["bench", "--model", m, "-r", "0"], "repetitions");
}

#[test]
fn bench_prints_llama_bench_fields() {
    let model = test_model();
    let out = run(&[
        "bench",
        "--model",
        model.to_str().unwrap(),
        "-p",
        "32",
        "-n",
        "8",
        "-r",
        "2",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2);
    for (r, (n_prompt, n_gen)) in results.iter().zip([(32, 0), (0, 8)]) {
        assert_eq!(r["n_prompt"], n_prompt);
        assert_eq!(r["n_gen"], n_gen);
        assert!(r["avg_ts"].as_f64().unwrap() > 0.0);
        assert!(r["stddev_ts"].as_f64().unwrap() >= 0.0);
        assert_eq!(r["samples_ts"].as_array().unwrap().len(), 2);
        assert_eq!(r["samples_ns"].as_array().unwrap().len(), 2);
        // The CPU variant named is one of the libraries beside the worker.
        let variant = r["cpu_variant"].as_str().expect("cpu_variant on Linux");
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_hearth-cli"))
            .parent()
            .unwrap();
        let library = format!("libggml-cpu-{variant}.so");
        assert!(
            bin.join(&library).exists() || bin.join("lib").join(&library).exists(),
            "{library} beside {}",
            bin.display()
        );
    }
}

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["chat", "--help"], &["bench", "--help"]] {
        let out = run(args);
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
}

#[test]
fn chats_are_saved_searchable_continuable_and_exportable() {
    let dir = ScratchDir::new("cli-history");
    let data = dir.path().to_str().unwrap();
    let model = test_model();
    let m = model.to_str().unwrap();
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&[
        "--data-dir",
        data,
        "chat",
        "--model",
        m,
        "--prompt",
        CAPITAL_QUESTION,
        "--temp",
        "0",
        "--repeat-penalty",
        "1",
    ]);
    let list = ok(&["--data-dir", data, "chats", "list"]);
    assert!(list.contains("(2 messages)"), "{list}");
    let id = list
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('*')
        .to_owned();

    ok(&[
        "--data-dir",
        data,
        "chat",
        "--model",
        m,
        "--chat",
        &id,
        "--prompt",
        "And of Germany?",
        "--temp",
        "0",
        "--repeat-penalty",
        "1",
    ]);
    let shown = ok(&["--data-dir", data, "chats", "show", &id]);
    assert!(
        shown.contains(CAPITAL_QUESTION)
            && shown.contains(CAPITAL_ANSWER)
            && shown.contains("Berlin"),
        "{shown}"
    );

    let found = ok(&["--data-dir", data, "chats", "search", "berlin"]);
    assert!(found.contains("[Berlin]"), "{found}");
    assert!(ok(&["--data-dir", data, "chats", "search", "NEAR( \"-*"]).is_empty());

    let export = dir.path().join("export.json");
    ok(&[
        "--data-dir",
        data,
        "chats",
        "export",
        &id,
        "--format",
        "json",
        "-o",
        export.to_str().unwrap(),
    ]);
    let other = ScratchDir::new("cli-history-import");
    let imported = ok(&[
        "--data-dir",
        other.path().to_str().unwrap(),
        "chats",
        "import",
        export.to_str().unwrap(),
    ]);
    let new_id = imported.trim();
    assert_eq!(
        ok(&[
            "--data-dir",
            other.path().to_str().unwrap(),
            "chats",
            "show",
            new_id
        ]),
        shown
    );
    let md = ok(&["--data-dir", data, "chats", "export", &id, "--format", "md"]);
    assert!(md.contains("**You:**"), "{md}");

    ok(&["--data-dir", data, "chats", "rm", &id]);
    assert!(!ok(&["--data-dir", data, "chats", "list"]).contains(&id));
    assert_clean_failure(
        &["--data-dir", data, "chats", "show", &id],
        "no chat with id",
    );
}

#[test]
fn no_save_leaves_no_history() {
    let dir = ScratchDir::new("cli-nosave");
    let data = dir.path().to_str().unwrap();
    let model = test_model();
    let out = run(&[
        "--data-dir",
        data,
        "chat",
        "--no-save",
        "--model",
        model.to_str().unwrap(),
        "--prompt",
        CAPITAL_QUESTION,
        "--temp",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = run(&["--data-dir", data, "chats", "list"]);
    assert!(
        text(&list.stdout).trim().is_empty(),
        "{}",
        text(&list.stdout)
    );
}

#[cfg(unix)]
#[test]
fn killed_mid_reply_the_database_keeps_the_question_and_the_partial_reply() {
    let dir = ScratchDir::new("cli-sigkill");
    let data = dir.path().to_str().unwrap();
    let model = test_model();
    let mut child = cli()
        .args([
            "--data-dir",
            data,
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--temp",
            "0",
            "--repeat-penalty",
            "1",
            "--max-tokens",
            "3000",
        ])
        .args(["--prompt", "Count from 1 to 1000, separated by commas."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = vec![0u8; 64];
    stdout.read_exact(&mut seen).unwrap();
    // Long enough for at least one of the 250 ms writes.
    std::thread::sleep(Duration::from_millis(800));
    hearth_testkit::kill(child.id(), "KILL");
    let _ = child.wait();
    // A reply untouched for 3 s belongs to a dead process.
    std::thread::sleep(Duration::from_millis(3500));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = hearth_core::Store::open(&dir.path().join("hearth.db"))
            .await
            .unwrap();
        assert_eq!(store.integrity_check().await.unwrap(), "ok");
        let chats = store.list_chats(true).await.unwrap();
        let branch = store.branch(chats[0].id).await.unwrap();
        assert_eq!(branch.len(), 2);
        assert_eq!(
            branch[0].content,
            "Count from 1 to 1000, separated by commas."
        );
        assert_eq!(branch[1].status, hearth_core::MessageStatus::Interrupted);
        assert!(!branch[1].content.is_empty(), "the partial reply was saved");
    });
}

#[test]
fn two_processes_writing_one_database_lose_nothing() {
    let source = ScratchDir::new("cli-two-src");
    let target = ScratchDir::new("cli-two-dst");
    let export = source.path().join("chats.json");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = hearth_core::Store::open(&source.path().join("hearth.db"))
            .await
            .unwrap();
        for c in 0..10 {
            let chat = store.create_chat(&format!("chat {c}"), None).await.unwrap();
            let mut parent = None;
            for i in 0..10 {
                let m = store
                    .add_message(chat.id, parent, hearth_store_message(i))
                    .await
                    .unwrap();
                parent = Some(m.id);
            }
        }
        let json = store
            .export(None, hearth_core::ExportFormat::Json)
            .await
            .unwrap();
        std::fs::write(&export, json).unwrap();
    });
    let script = format!(
        "for i in 1 2 3 4 5; do '{}' --data-dir '{}' chats import '{}' >/dev/null || exit 1; done",
        env!("CARGO_BIN_EXE_hearth-cli"),
        target.path().display(),
        export.display()
    );
    let writers: Vec<_> = (0..2)
        .map(|_| {
            Command::new("sh")
                .args(["-c", &script])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for writer in writers {
        let out = writer.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("locked"),
            "{}",
            text(&out.stderr)
        );
    }
    let list = run(&[
        "--data-dir",
        target.path().to_str().unwrap(),
        "chats",
        "list",
    ]);
    assert_eq!(
        text(&list.stdout).lines().count(),
        100,
        "10 chats x 5 imports x 2 processes"
    );
}

fn hearth_store_message(i: usize) -> hearth_core::NewMessage {
    let role = if i.is_multiple_of(2) {
        hearth_core::Role::User
    } else {
        hearth_core::Role::Assistant
    };
    hearth_core::NewMessage::complete(role, format!("message {i} with a few words"))
}

/// Regression guard: the CLI used the service directly and ignored the system prompt and the
/// generation settings saved in Settings. It goes through the same front door as the window.
#[test]
fn chat_uses_the_settings_saved_in_the_app() {
    let dir = ScratchDir::new("cli-settings");
    let data = dir.path().to_path_buf();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = hearth_core::App::open(hearth_core::DataDir::resolve(Some(&data)).unwrap())
            .await
            .unwrap();
        app.set_system_prompt("You answer in one word.")
            .await
            .unwrap();
        let mut settings = app.generation(None).await.unwrap();
        settings.sampling.max_tokens = 3;
        settings.sampling.temperature = 0.0;
        app.set_generation(None, &settings).await.unwrap();
        app.shutdown().await;
    });
    let model = test_model();
    let out = cli()
        .env("HEARTH_DATA_DIR", &data)
        .args([
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            CAPITAL_QUESTION,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(", 3 tokens;"),
        "Settings' length limit applies: {}",
        text(&out.stderr)
    );
    let shown = cli()
        .env("HEARTH_DATA_DIR", &data)
        .args(["chats", "export", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        text(&shown.stdout).contains("You answer in one word."),
        "the chat got Settings' system prompt: {}",
        text(&shown.stdout)
    );
    // A flag given on the command line still wins.
    let out = cli()
        .env("HEARTH_DATA_DIR", &data)
        .args([
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            CAPITAL_QUESTION,
        ])
        .args(["--max-tokens", "5", "--no-save"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains(", 5 tokens;"),
        "{}",
        text(&out.stderr)
    );
}
