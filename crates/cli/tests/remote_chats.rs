//! Chats with remote models through the app (the CLI's `providers` and `chat`), against a
//! second `hearth-cli serve` as the remote: what is saved, what is sent, where the key is kept
//! (a real Secret Service — gnome-keyring under its own D-Bus session — or, when there is
//! none, the 0600 file the person agreed to), and that without a provider nothing leaves.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{
    a_reply_cut_by_a_dying_server_is_kept, add_provider, first_reply, hearth_cli, text, Server,
    MODEL, QUESTION,
};
use hearth_testkit::{test_embedder, test_model, ScratchDir};

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
    let reply = first_reply(&json).unwrap_or_default();
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
    let added = add_provider(&data, "box", &server.url(), &server.token);
    assert!(added.status.success(), "{}", text(&added).1);
    let model = format!("box:{MODEL}");
    a_reply_cut_by_a_dying_server_is_kept(&data, &model, || {
        let _ = server.child.kill();
        let _ = server.child.wait();
    });
}

/// Runs `script` under `sh` on a D-Bus session bus of its own, with hearth-cli as `$CLI`, the
/// data folder as `$DATA`, the server's address and key as `$URL` and `$BOX_KEY`, and `$MODEL`
/// and `$QUESTION`; `home` is its home (where a keyring keeps its files).
fn in_own_session(script: &str, data: &Path, server: &Server, home: &Path) -> Output {
    Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .env("CLI", env!("CARGO_BIN_EXE_hearth-cli"))
        .env("DATA", data)
        .env("URL", server.url())
        .env("BOX_KEY", &server.token)
        .env("MODEL", MODEL)
        .env("QUESTION", QUESTION)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .output()
        .expect("dbus-run-session (package dbus-daemon) is installed by `make test`")
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
    let out = in_own_session(&script, &data, &server, &home);
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
fn a_locked_keychain_is_said_and_the_key_goes_to_the_file_only_when_asked() {
    let server = Server::start("providers-locked-keychain", &[]);
    let dir = ScratchDir::new("providers-locked-keychain-local");
    let data = dir.path().join("data");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // gnome-keyring started but never unlocked (as on a desktop without a login keyring): it
    // answers lookups and refuses to keep anything.
    let script = r#"set -u
gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
"$CLI" --data-dir "$DATA" providers add box --url "$URL" --api-key-env BOX_KEY; echo "refused: $?"
echo "listed: $("$CLI" --data-dir "$DATA" providers list 2>&1 | tr '\n' ' ')"
"$CLI" --data-dir "$DATA" providers add box --url "$URL" --api-key-env BOX_KEY --keep-key-in-file || exit 10
"$CLI" --data-dir "$DATA" chat --model "box:$MODEL" --prompt "$QUESTION" --temp 0 --max-tokens 24 || exit 11
"#;
    let out = in_own_session(script, &data, &server, &home);
    let (out, err) = text(&out);
    assert!(out.contains("refused: 1"), "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("the system keychain refused to keep the key"),
        "{err}"
    );
    assert!(!err.contains(&server.token), "{err}");
    let listed = out
        .lines()
        .find(|l| l.starts_with("listed:"))
        .unwrap_or_default();
    assert!(!listed.contains("box"), "not added: {listed}");
    assert!(out.contains("Paris"), "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("readable only by you"),
        "the file keeps it, as asked: {err}"
    );
    assert!(data.join("provider-keys.json").exists());
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

#[test]
fn a_chat_can_move_to_a_remote_model_midway_and_sends_its_history() {
    // The remote keeps what it was sent, so the test can read what crossed the network.
    let server = Server::start("providers-midway", &["--save-history"]);
    let dir = ScratchDir::new("providers-midway-local");
    let data = dir.path().join("data");
    let added = add_provider(&data, "box", &server.url(), &server.token);
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
    let added = add_provider(&data, "box", &server.url(), &server.token);
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
