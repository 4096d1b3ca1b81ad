//! Remote providers against a real OpenAI-compatible server: a second `hearth-cli serve` with
//! the test model (our server and our client speak the same protocol — interop both ways).
//! The key is kept in a real Secret Service (gnome-keyring under its own D-Bus session), or in
//! the 0600 file the person agreed to when there is none; it appears nowhere else.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Server, MODEL};
use hearth_core::providers::{ApiKey, Endpoint, Message, Provider, Request, Role, StreamEvent};
use hearth_testkit::{test_embedder, test_model, ScratchDir};

const QUESTION: &str = "What is the capital of France?";
const LONG: &str = "Write the numbers from 1 to 1000, separated by commas.";

fn hearth_cli(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .envs(envs.iter().copied())
        // No keychain unless a test brings one.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hearth-test-bus",
        )
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn provider(server: &Server, key: &str) -> Provider {
    let endpoint = Endpoint::parse(&server.url()).unwrap();
    Provider::new("box", endpoint, Some(ApiKey::new(key)), true).unwrap()
}

fn greedy(question: &str, max_tokens: u32) -> Request {
    let mut request = Request::new(
        MODEL,
        vec![
            Message::new(Role::System, "You are a helpful assistant."),
            Message::new(Role::User, question),
        ],
    );
    request.settings.temperature = Some(0.0);
    request.settings.max_tokens = Some(max_tokens);
    request
}

/// Every file under `dir` that contains `needle` (the database and logs included).
fn files_containing(dir: &Path, needle: &str, skip: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path != skip {
                let mut bytes = Vec::new();
                if let Ok(mut f) = std::fs::File::open(&path) {
                    let _ = f.read_to_end(&mut bytes);
                }
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn another_hearth_serves_models_streamed_and_whole_replies_alike() {
    let server = Server::start("providers-roundtrip", &[]);
    let box_ = provider(&server, &server.token);
    let models = box_.models().await.unwrap();
    assert!(models.iter().any(|m| m.id == MODEL), "{models:?}");

    let whole = box_.complete(&greedy(QUESTION, 24)).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let mut stream = box_.stream(&greedy(QUESTION, 24)).await.unwrap();
    let (mut streamed, mut finished, mut pieces) = (String::new(), None, 0);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            StreamEvent::Text(piece) => {
                pieces += 1;
                streamed.push_str(&piece);
            }
            StreamEvent::Finished(f) => finished = Some(f),
        }
    }
    assert_eq!(
        streamed, whole.text,
        "greedy: the same reply streamed and whole"
    );
    assert!(pieces > 3, "streamed in pieces, not at once: {pieces}");
    let finished = finished.expect("a streamed reply ends with its finish");
    assert!(finished
        .first_text_ms
        .is_some_and(|t| t <= finished.total_ms));

    let short = box_.complete(&greedy(LONG, 5)).await.unwrap();
    assert_eq!(short.finished.finish_reason.as_deref(), Some("length"));
    assert_eq!(short.finished.usage.map(|u| u.completion_tokens), Some(5));
}

#[tokio::test]
async fn wrong_key_unknown_model_and_a_server_that_is_gone_say_what_happened() {
    let server = Server::start("providers-errors", &[]);
    let wrong = provider(&server, "sk-wrong-key-123456");
    let e = wrong.models().await.unwrap_err();
    assert_eq!(e.kind(), "wrong_key", "{e}");
    assert!(e.to_string().contains("HTTP 401"), "{e}");
    assert!(!e.to_string().contains("sk-wrong-key-123456"), "{e}");

    let right = provider(&server, &server.token);
    let e = right
        .complete(&Request::new(
            "no-such-model",
            vec![Message::new(Role::User, "hi")],
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "model_not_found", "{e}");

    let url = server.url();
    drop(server);
    let gone = Provider::new("box", Endpoint::parse(&url).unwrap(), None, true).unwrap();
    let e = gone.models().await.unwrap_err();
    assert_eq!(e.kind(), "unreachable", "{e}");
    assert!(
        e.to_string().contains("check that the server is running"),
        "{e}"
    );
}

#[tokio::test]
async fn stop_frees_the_server_and_a_killed_server_cuts_the_stream() {
    let mut server = Server::start("providers-stop", &[]);
    let box_ = provider(&server, &server.token);
    // Stop: dropping the stream closes the connection; the server is free at once.
    let mut stream = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamEvent::Text(_)))
        ));
    }
    drop(stream);
    let started = Instant::now();
    let next = box_.complete(&greedy(QUESTION, 24)).await.unwrap();
    assert!(next.text.contains("Paris"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the stopped reply kept the server busy: {:?}",
        started.elapsed()
    );

    // Killed mid-stream: what arrived is kept by the caller, the error says the stream broke.
    let mut stream = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    let mut got = String::new();
    while got.len() < 20 {
        match stream.next().await {
            Some(Ok(StreamEvent::Text(piece))) => got.push_str(&piece),
            other => panic!("expected text, got {other:?}"),
        }
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
    let error = loop {
        match stream.next().await {
            Some(Ok(StreamEvent::Text(_))) => continue,
            Some(Err(e)) => break e,
            other => panic!("expected the cut, got {other:?}"),
        }
    };
    assert_eq!(error.kind(), "cut", "{error}");
}

#[tokio::test]
async fn a_busy_server_is_retried_once_after_the_wait_it_asks_for() {
    let server = Server::start("providers-busy", &["--queue", "1"]);
    let box_ = provider(&server, &server.token);
    // One reply runs; of two more, one waits its turn and the other is told to wait (429,
    // Retry-After: 1), retries once a second later, is refused again and says so.
    let mut running = box_.stream(&greedy(LONG, 2000)).await.unwrap();
    assert!(matches!(
        running.next().await,
        Some(Ok(StreamEvent::Text(_)))
    ));
    let ask = |box_: Provider| {
        tokio::spawn(async move {
            let started = Instant::now();
            let result = box_.complete(&greedy(QUESTION, 8)).await;
            (result, started.elapsed())
        })
    };
    let (mut first, mut second) = (ask(box_.clone()), ask(box_.clone()));
    let (result, took) = tokio::select! {
        done = &mut first => { second.abort(); done.unwrap() }
        done = &mut second => { first.abort(); done.unwrap() }
    };
    let e = result.expect_err("the running reply still holds the model");
    assert_eq!(e.kind(), "rate_limited", "{e}");
    assert!(
        took >= Duration::from_secs(1),
        "no retry after Retry-After: {took:?}"
    );
    drop(running);
}

#[test]
fn a_chat_with_a_remote_model_is_saved_and_marked_with_its_provider() {
    let server = Server::start("providers-chat", &[]);
    let dir = ScratchDir::new("providers-chat-local");
    let data = dir.path().join("data");
    let key = server.token.clone();

    // No keychain here: the key is kept only with the person's consent, in a 0600 file.
    let refused = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "box",
            "--url",
            &server.url(),
            "--api-key-env",
            "BOX_KEY",
        ],
        &[("BOX_KEY", &key)],
    );
    let (_, err) = text(&refused);
    assert!(!refused.status.success());
    assert!(err.contains("no system keychain"), "{err}");
    assert!(err.contains("--keep-key-in-file"), "{err}");

    let added = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "box",
            "--url",
            &server.url(),
            "--api-key-env",
            "BOX_KEY",
            "--keep-key-in-file",
        ],
        &[("BOX_KEY", &key)],
    );
    let (out, err) = text(&added);
    assert!(added.status.success(), "{err}");
    assert!(out.contains(&format!("box:{MODEL}")), "{out}");
    assert!(err.contains("readable only by you"), "{err}");
    let key_file = data.join("provider-keys.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let list = hearth_cli(&data, &["providers", "list"], &[]);
    let (out, _) = text(&list);
    assert!(out.contains("box") && out.contains(&server.url()), "{out}");

    let model = format!("box:{MODEL}");
    let chat = hearth_cli(
        &data,
        &[
            "chat",
            "--model",
            &model,
            "--prompt",
            QUESTION,
            "--temp",
            "0",
            "--max-tokens",
            "24",
        ],
        &[],
    );
    let (out, err) = text(&chat);
    assert!(chat.status.success(), "{err}");
    assert!(out.contains("Paris"), "{out}");
    assert!(err.contains("is sent to box at 127.0.0.1"), "{err}");

    let export = hearth_cli(&data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&export);
    assert!(
        json.contains(&format!("\"{model}\"")),
        "the reply records its provider and model: {json}"
    );
    assert!(json.contains("Paris"));
    // Usage and timings are recorded as for a local reply.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reply = value
        .pointer("/chats/0/messages")
        .and_then(|m| m.as_array())
        .and_then(|m| m.iter().find(|m| m["role"] == "assistant"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(reply["model_file"], model.as_str(), "{reply}");
    assert!(
        reply["completion_tokens"].as_i64().is_some_and(|n| n > 3),
        "{reply}"
    );
    assert!(
        reply["prompt_tokens"].as_i64().is_some_and(|n| n > 10),
        "{reply}"
    );
    assert!(
        reply["prompt_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{reply}"
    );
    assert!(
        reply["generation_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{reply}"
    );

    let wrong = hearth_cli(
        &data,
        &["chat", "--model", "box:no-such-model", "--prompt", "hi"],
        &[],
    );
    let (_, err) = text(&wrong);
    assert!(!wrong.status.success());
    assert!(err.contains("has no model `no-such-model`"), "{err}");

    // The key is in the agreed file and nowhere else: not in the database, settings or logs.
    assert!(
        files_containing(&data, &key, &key_file).is_empty(),
        "{:?}",
        files_containing(&data, &key, &key_file)
    );
    let removed = hearth_cli(&data, &["providers", "rm", "box"], &[]);
    assert!(removed.status.success(), "{}", text(&removed).1);
    assert!(!std::fs::read_to_string(&key_file).unwrap().contains(&key));
}

#[test]
fn a_reply_cut_by_a_dying_server_is_kept_and_marked_interrupted() {
    let mut server = Server::start("providers-cut", &[]);
    let dir = ScratchDir::new("providers-cut-local");
    let data = dir.path().join("data");
    let added = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "box",
            "--url",
            &server.url(),
            "--api-key-env",
            "K",
            "--keep-key-in-file",
        ],
        &[("K", &server.token)],
    );
    assert!(added.status.success(), "{}", text(&added).1);
    let model = format!("box:{MODEL}");
    let mut chat = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args([
            "chat",
            "--model",
            &model,
            "--prompt",
            LONG,
            "--temp",
            "0",
            "--repeat-penalty",
            "1",
            "--max-tokens",
            "2000",
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hearth-test-bus",
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = chat.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while seen.len() < 40 {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "the chat ended before the server was killed");
        seen.extend_from_slice(&buf[..n]);
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let status = chat.wait().unwrap();
    let mut err = String::new();
    let _ = chat.stderr.take().unwrap().read_to_string(&mut err);
    assert!(
        status.success(),
        "a cut reply is kept, not a failure: {err}"
    );
    assert!(err.contains("broke in the middle of the reply"), "{err}");

    let export = hearth_cli(&data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&export);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reply = value
        .pointer("/chats/0/messages")
        .and_then(|m| m.as_array())
        .and_then(|m| m.iter().find(|m| m["role"] == "assistant"))
        .cloned()
        .unwrap_or_else(|| panic!("no reply in {json}"));
    assert_eq!(reply["status"], "interrupted", "{reply}");
    let kept = reply["content"].as_str().unwrap_or_default();
    let printed = format!("{}{rest}", String::from_utf8_lossy(&seen));
    assert!(
        kept.len() >= 40 && kept.starts_with("1, 2, 3") && printed.contains(kept.trim()),
        "the partial reply is kept as it was shown: {kept:?}"
    );
}

#[test]
fn the_key_lives_in_the_secret_service_and_nowhere_in_the_data_folder() {
    let server = Server::start("providers-keychain", &[]);
    let dir = ScratchDir::new("providers-keychain-local");
    let data = dir.path().join("data");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // gnome-keyring unlocked with a known password, alone on its own session bus; every step
    // is a separate hearth-cli process, so the chat reads the key back from the keychain.
    let search = "gdbus call --session --dest org.freedesktop.secrets \
        --object-path /org/freedesktop/secrets \
        --method org.freedesktop.Secret.Service.SearchItems \"{'username': 'box'}\" 2>&1 || true";
    let script = format!(
        r#"set -u
echo -n hearth-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
"$CLI" --data-dir "$DATA" providers add box --url "$URL" --api-key-env BOX_KEY >/dev/null || exit 10
echo "before: $({search})"
"$CLI" --data-dir "$DATA" chat --model "box:{MODEL}" --prompt "{QUESTION}" --temp 0 --max-tokens 24 || exit 11
"$CLI" --data-dir "$DATA" providers rm box || exit 12
echo "after: $({search})"
"#
    );
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env("CLI", env!("CARGO_BIN_EXE_hearth-cli"))
        .env("DATA", &data)
        .env("URL", server.url())
        .env("BOX_KEY", &server.token)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .output()
        .expect("dbus-run-session (package dbus-daemon) is installed by `make test`");
    let (out, err) = text(&out);
    assert!(out.contains("Paris"), "stdout: {out}\nstderr: {err}");
    let before = out
        .lines()
        .find(|l| l.starts_with("before:"))
        .unwrap_or_default();
    let after = out
        .lines()
        .find(|l| l.starts_with("after:"))
        .unwrap_or_default();
    assert!(
        before.contains("/org/freedesktop/secrets/collection/"),
        "kept in the keychain: {before}\n{err}"
    );
    assert!(
        !after.contains("/org/freedesktop/secrets/collection/"),
        "removed with the provider: {after}"
    );
    let nowhere = dir.path().join("no-file");
    assert!(files_containing(&data, &server.token, &nowhere).is_empty());
    assert!(!data.join("provider-keys.json").exists());
}

#[test]
fn with_no_provider_a_chat_connects_to_nothing_beyond_this_computer() {
    let dir = ScratchDir::new("providers-privacy");
    let data = dir.path().join("data");
    let log = dir.path().join("connect.log");
    // Every connect() of the program and its engine worker, followed across processes.
    let out = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=connect,sendto,sendmsg,execve",
            "-o",
        ])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(&data)
        .args(["chat", "--model"])
        .arg(test_model())
        .args(["--prompt", QUESTION, "--temp", "0", "--max-tokens", "16"])
        .stdin(Stdio::null())
        .output()
        .expect("strace is installed by `make test`");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("Paris"), "{stdout}");
    let trace = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("sa_family=AF_INET"))
        .collect();
    let away: Vec<&&str> = calls
        .iter()
        .filter(|l| !(l.contains("inet_addr(\"127.") || l.contains("inet_pton(AF_INET6, \"::1\"")))
        .collect();
    assert!(
        away.is_empty(),
        "a chat with a local model reached out: {away:?}"
    );
    assert!(
        trace.contains("execve(") && trace.contains("hearth-engine"),
        "strace did not follow the engine worker: {trace}"
    );
}

#[tokio::test]
async fn hearths_own_api_passes_remote_models_through() {
    let remote = Server::start("providers-through-remote", &[]);
    let (url, key) = (remote.url(), remote.token.clone());
    // This computer's Hearth, with the remote added as a provider, serves the local API.
    let local = Server::start_with("providers-through-local", &[], |data, _| {
        let added = hearth_cli(
            data,
            &[
                "providers",
                "add",
                "box",
                "--url",
                &url,
                "--api-key-env",
                "K",
                "--keep-key-in-file",
            ],
            &[("K", &key)],
        );
        assert!(added.status.success(), "{}", text(&added).1);
    });
    let through = provider(&local, &local.token);
    let models = through.models().await.unwrap();
    let id = format!("box:{MODEL}");
    assert!(models.iter().any(|m| m.id == id), "{models:?}");
    assert!(models.iter().any(|m| m.id == MODEL), "{models:?}");

    let mut request = greedy(QUESTION, 24);
    request.model = id.clone();
    let whole = through.complete(&request).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let direct = provider(&remote, &remote.token)
        .complete(&greedy(QUESTION, 24))
        .await
        .unwrap();
    assert_eq!(whole.text, direct.text, "passed through unchanged");
    let mut stream = through.stream(&request).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::Text(piece) = event.unwrap() {
            streamed.push_str(&piece);
        }
    }
    assert_eq!(streamed, whole.text);
    // A provider that is gone is the remote's failure (502), not this server's.
    drop(remote);
    let e = through.complete(&request).await.unwrap_err();
    assert!(e.to_string().contains("HTTP 502"), "{e}");
}

#[test]
fn a_chat_can_move_to_a_remote_model_midway_and_sends_its_history() {
    // The remote keeps what it was sent, so the test can read what crossed the network.
    let server = Server::start("providers-midway", &["--save-history"]);
    let dir = ScratchDir::new("providers-midway-local");
    let data = dir.path().join("data");
    let added = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "box",
            "--url",
            &server.url(),
            "--api-key-env",
            "K",
            "--keep-key-in-file",
        ],
        &[("K", &server.token)],
    );
    assert!(added.status.success(), "{}", text(&added).1);
    let local = test_model();
    let first = hearth_cli(
        &data,
        &[
            "chat",
            "--model",
            local.to_str().unwrap(),
            "--prompt",
            "My cat is called Marmalade.",
            "--temp",
            "0",
            "--max-tokens",
            "12",
        ],
        &[],
    );
    assert!(first.status.success(), "{}", text(&first).1);
    let list = hearth_cli(&data, &["chats", "list"], &[]);
    let id = text(&list)
        .0
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let model = format!("box:{MODEL}");
    let second = hearth_cli(
        &data,
        &[
            "chat",
            "--chat",
            &id,
            "--model",
            &model,
            "--prompt",
            "What is my cat called?",
            "--temp",
            "0",
            "--max-tokens",
            "12",
        ],
        &[],
    );
    let (_, err) = text(&second);
    assert!(second.status.success(), "{err}");
    assert!(
        err.contains("is sent to box"),
        "the first remote reply of the chat says so: {err}"
    );

    let remote_export = hearth_cli(&server.data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&remote_export);
    assert!(
        json.contains("My cat is called Marmalade."),
        "the earlier turn went with it: {json}"
    );
    assert!(json.contains("What is my cat called?"), "{json}");
    // Both replies are in the local chat, each recording where it came from.
    let export = hearth_cli(&data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&export);
    assert!(json.contains(&format!("\"{model}\"")), "{json}");
    assert!(json.contains("SmolLM2-135M-Instruct.Q4_1.gguf"), "{json}");
}

#[test]
fn localdocs_passages_go_to_a_remote_model_with_a_notice() {
    let server = Server::start("providers-docs", &["--save-history"]);
    let dir = ScratchDir::new("providers-docs-local");
    let data = dir.path().join("data");
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(
        notes.join("orchard.txt"),
        "The hollyhock by the shed blooms in July.\n",
    )
    .unwrap();
    for args in [
        vec!["models", "import", test_embedder().to_str().unwrap()],
        vec!["docs", "add", "Garden", notes.to_str().unwrap()],
        vec!["docs", "index", "Garden"],
    ] {
        let out = hearth_cli(&data, &args, &[]);
        assert!(out.status.success(), "{args:?}: {}", text(&out).1);
    }
    let added = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "box",
            "--url",
            &server.url(),
            "--api-key-env",
            "K",
            "--keep-key-in-file",
        ],
        &[("K", &server.token)],
    );
    assert!(added.status.success(), "{}", text(&added).1);
    let model = format!("box:{MODEL}");
    let chat = hearth_cli(
        &data,
        &[
            "chat",
            "--model",
            &model,
            "--docs",
            "Garden",
            "--prompt",
            "When does the hollyhock bloom?",
            "--temp",
            "0",
            "--max-tokens",
            "16",
        ],
        &[],
    );
    let (out, err) = text(&chat);
    assert!(chat.status.success(), "{err}");
    assert!(
        err.contains("with passages from your documents"),
        "the notice names the passages: {err}"
    );
    assert!(
        format!("{out}{err}").contains("orchard.txt"),
        "the sources are listed: {out}{err}"
    );
    let remote_export = hearth_cli(&server.data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&remote_export);
    assert!(
        json.contains("blooms in July"),
        "the passage went to the remote model: {json}"
    );
}

/// llama.cpp's own `llama-server` with the test model and an API key; killed on drop.
struct LlamaServer {
    child: std::process::Child,
    url: String,
}

impl LlamaServer {
    /// `None` (and a line saying why) unless HEARTH_LLAMA_SERVER names the binary
    /// (`scripts/build-llama-server` builds it; too costly for every cold `make test`).
    fn start(key: &str) -> Option<LlamaServer> {
        let Some(binary) = std::env::var_os("HEARTH_LLAMA_SERVER") else {
            eprintln!("skipped: set HEARTH_LLAMA_SERVER=$(scripts/build-llama-server) to test against llama-server");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg("-m")
            .arg(test_model())
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--api-key",
                key,
            ])
            .args(["-c", "4096", "-t", "2", "--no-webui"])
            // Its native build's weight repacking (AMX on this Xeon) segfaults in this VM, as
            // the AMX kernels did for the engine.
            .arg("--no-repack")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("llama-server starts");
        let server = LlamaServer {
            child,
            url: format!("http://127.0.0.1:{port}/v1"),
        };
        // Ready when /health says so (503 while the model loads).
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ok = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                use std::io::Write;
                s.write_all(
                    b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                )?;
                let mut reply = String::new();
                s.read_to_string(&mut reply)?;
                Ok(reply.starts_with("HTTP/1.1 200"))
            });
            if ok.unwrap_or(false) {
                return Some(server);
            }
            assert!(Instant::now() < deadline, "llama-server did not get ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn llama_server_is_a_provider_like_any_other() {
    let key = "sk-llama-server-test-4242";
    let Some(mut server) = LlamaServer::start(key) else {
        return;
    };
    let endpoint = Endpoint::parse(&server.url).unwrap();
    let ls = Provider::new("ls", endpoint.clone(), Some(ApiKey::new(key)), true).unwrap();
    let models = ls.models().await.unwrap();
    let id = models
        .first()
        .map(|m| m.id.clone())
        .expect("llama-server lists its model");
    let mut request = greedy(QUESTION, 24);
    request.model = id.clone();
    let whole = ls.complete(&request).await.unwrap();
    assert!(whole.text.contains("Paris"), "{}", whole.text);
    let mut stream = ls.stream(&request).await.unwrap();
    let mut streamed = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::Text(piece) = event.unwrap() {
            streamed.push_str(&piece);
        }
    }
    assert_eq!(streamed, whole.text);

    let wrong = Provider::new("ls", endpoint, Some(ApiKey::new("sk-wrong-0000")), true).unwrap();
    let e = wrong.models().await.unwrap_err();
    assert_eq!(e.kind(), "wrong_key", "{e}");
    assert!(!e.to_string().contains("sk-wrong-0000"), "{e}");

    // Through the CLI: added, a chat answered, then the server killed mid-reply.
    let dir = ScratchDir::new("providers-llama-server");
    let data = dir.path().join("data");
    let added = hearth_cli(
        &data,
        &[
            "providers",
            "add",
            "ls",
            "--url",
            &server.url,
            "--api-key-env",
            "K",
            "--keep-key-in-file",
        ],
        &[("K", key)],
    );
    assert!(added.status.success(), "{}", text(&added).1);
    let model = format!("ls:{id}");
    let chat = hearth_cli(
        &data,
        &[
            "chat",
            "--model",
            &model,
            "--prompt",
            QUESTION,
            "--temp",
            "0",
            "--max-tokens",
            "24",
        ],
        &[],
    );
    let (out, err) = text(&chat);
    assert!(chat.status.success(), "{err}");
    assert!(out.contains("Paris"), "{out}");

    // Stop: dropping the stream frees llama-server for the next request.
    let mut long = greedy(LONG, 2000);
    long.model = id.clone();
    let mut stream = ls.stream(&long).await.unwrap();
    for _ in 0..5 {
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamEvent::Text(_)))
        ));
    }
    drop(stream);
    let started = Instant::now();
    assert!(ls.complete(&request).await.unwrap().text.contains("Paris"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let mut stream = ls.stream(&long).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(StreamEvent::Text(_)))
    ));
    let _ = server.child.kill();
    let _ = server.child.wait();
    let error = loop {
        match stream.next().await {
            Some(Ok(StreamEvent::Text(_))) => continue,
            Some(Err(e)) => break e,
            other => panic!("expected the cut, got {other:?}"),
        }
    };
    assert_eq!(error.kind(), "cut", "{error}");
}
