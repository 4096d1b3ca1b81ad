//! Helpers shared by the CLI's test files: a running `hearth-cli serve` with the test model.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hearth_core::providers::{ApiKey, Endpoint, Message, Provider, Request, Role};

use hearth_testkit::{test_model, ScratchDir};

/// The catalog id the test model is installed as.
pub const MODEL: &str = "smollm2-135m-instruct";

/// A running `hearth-cli serve` with the test model installed; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// The API key (`/v1`).
    pub token: String,
    /// The web UI's session token (`/api/`), when a UI is served.
    pub ui_token: Option<String>,
    pub data: PathBuf,
    pub _dir: ScratchDir,
}

impl Server {
    pub fn start(label: &str, extra: &[&str]) -> Server {
        Server::start_with(label, extra, |_, _| {})
    }

    /// Like [`Server::start`], with `prepare(data, scratch)` run on the data folder first.
    pub fn start_with(label: &str, extra: &[&str], prepare: impl FnOnce(&Path, &Path)) -> Server {
        let dir = ScratchDir::new(label);
        let data = dir.path().join("data");
        // Installed as a person would (linked where possible): its checksum is recorded, which
        // is what makes it the catalog's model.
        let import = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
            .arg("--data-dir")
            .arg(&data)
            .args(["models", "import"])
            .arg(test_model())
            .output()
            .unwrap();
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
        prepare(&data, dir.path());
        let mut child = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--port", "0"])
            // The API tests run without the web UI unless they bring one.
            .args(if extra.contains(&"--ui") {
                None
            } else {
                Some("--no-ui")
            })
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("hearth-cli serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_owned();
        let token = lines
            .next()
            .unwrap()
            .unwrap()
            .trim_start_matches("token: ")
            .to_owned();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/v1")
            .to_owned();
        let ui_token = if extra.contains(&"--ui") {
            let page = lines.next().unwrap().unwrap();
            Some(page.rsplit("#token=").next().unwrap().trim().to_owned())
        } else {
            None
        };
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            token,
            ui_token,
            data,
            _dir: dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The API's base address.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

/// The question the test model answers "Paris" to under greedy decoding.
pub const QUESTION: &str = "What is the capital of France?";
/// A question whose greedy reply (without the repeat penalty) counts on and on.
pub const LONG: &str = "Write the numbers from 1 to 1000, separated by commas.";

/// `hearth-cli --data-dir DATA ARGS` with `envs`, and no keychain unless a test brings one.
pub fn hearth_cli(data: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .envs(envs.iter().copied())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hearth-test-bus",
        )
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A finished command's stdout and stderr.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The client for a Hearth server as provider "box".
pub fn provider(server: &Server, key: &str) -> Provider {
    let endpoint = Endpoint::parse(&server.url()).unwrap();
    Provider::new("box", endpoint, Some(ApiKey::new(key)), true).unwrap()
}

/// A greedy request for the test model, with the system prompt the app gives new chats.
pub fn greedy(question: &str, max_tokens: u32) -> Request {
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

/// `hearth-cli providers add NAME --url URL` with `key`, kept in the 0600 file (no keychain here).
pub fn add_provider(data: &Path, name: &str, url: &str, key: &str) -> Output {
    hearth_cli(
        data,
        &[
            "providers",
            "add",
            name,
            "--url",
            url,
            "--api-key-env",
            "K",
            "--keep-key-in-file",
        ],
        &[("K", key)],
    )
}

/// The first chat's first reply in a JSON export (`chats export --format json`).
pub fn first_reply(json: &str) -> Option<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    value
        .pointer("/chats/0/messages")?
        .as_array()?
        .iter()
        .find(|m| m["role"] == "assistant")
        .cloned()
}

/// Starts a greedy chat with `model` (a remote one) that counts on and on, calls `kill` once the
/// first 40 bytes of its reply are shown, and checks that the chat ends well, says the stream
/// broke, and keeps the partial reply exactly as shown, marked interrupted.
pub fn a_reply_cut_by_a_dying_server_is_kept(data: &Path, model: &str, kill: impl FnOnce()) {
    let mut chat = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "chat",
            "--model",
            model,
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
    kill();
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

    let export = hearth_cli(data, &["chats", "export", "--format", "json"], &[]);
    let (json, _) = text(&export);
    let reply = first_reply(&json).unwrap_or_else(|| panic!("no reply in {json}"));
    assert_eq!(reply["status"], "interrupted", "{reply}");
    let kept = reply["content"].as_str().unwrap_or_default();
    let printed = format!("{}{rest}", String::from_utf8_lossy(&seen));
    assert!(
        kept.len() >= 40 && kept.starts_with("1, 2, 3") && printed.contains(kept.trim()),
        "the partial reply is kept as it was shown: {kept:?}"
    );
}

/// llama.cpp's own `llama-server` with the test model and an API key; killed on drop.
pub struct LlamaServer {
    pub child: Child,
    /// Its OpenAI-compatible API's base address.
    pub url: String,
}

impl LlamaServer {
    /// Started from the binary `scripts/build-llama-server` built (or HEARTH_LLAMA_SERVER).
    pub fn start(key: &str) -> LlamaServer {
        let binary = hearth_testkit::llama_server();
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
            // Weight repacking (AMX on some Xeons) has segfaulted in this VM, as the AMX
            // kernels did for the engine.
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
                return server;
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
