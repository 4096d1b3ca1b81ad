//! `hearth-cli serve`, the local OpenAI-compatible API: the official `openai` Python client, and
//! raw HTTP for everything a hostile page or a careless client could send.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hearth_testkit::ScratchDir;

mod common;

use common::{Server, MODEL};

impl Server {
    /// The engine worker the server started (its child process), once there is one.
    fn worker_pid(&self) -> Option<u32> {
        let me = self.child.id().to_string();
        std::fs::read_dir("/proc")
            .ok()?
            .flatten()
            .find_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
                // pid (comm) state ppid …: the command name may hold spaces, so read after ")".
                let after = stat.rsplit_once(')')?.1;
                let ppid = after.split_whitespace().nth(1)?;
                (ppid == me && stat.contains("hearth-engine")).then_some(pid)
            })
    }

    /// Open file descriptors of the server process.
    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// One raw HTTP/1.1 request; `headers` are written as given (Host and auth included).
    fn raw(&self, method: &str, path: &str, headers: &[String], body: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) before reading a large body; a failed write is fine then.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        Reply::parse(&raw)
    }

    fn host(&self) -> String {
        format!("Host: {}", self.addr)
    }

    fn auth(&self) -> String {
        format!("Authorization: Bearer {}", self.token)
    }

    fn ui_auth(&self) -> String {
        format!(
            "Authorization: Bearer {}",
            self.ui_token.as_deref().expect("a server with --ui")
        )
    }

    fn get(&self, path: &str) -> Reply {
        self.raw("GET", path, &[self.host(), self.auth()], b"")
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        self.raw(
            "POST",
            path,
            &[
                self.host(),
                self.auth(),
                "Content-Type: application/json".into(),
            ],
            body.as_bytes(),
        )
    }
}

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(raw).into_owned();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = headers
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Reply {
            status,
            headers: headers.to_ascii_lowercase(),
            body: body.to_owned(),
        }
    }

    fn json(&self) -> serde_json::Value {
        // Bodies may be chunked; the JSON object is between the first '{' and the last '}'.
        let (Some(start), Some(end)) = (self.body.find('{'), self.body.rfind('}')) else {
            panic!("no JSON in {:?}", self.body);
        };
        serde_json::from_str(&self.body[start..=end])
            .unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn chat_body(max_tokens: u32, stream: bool) -> String {
    serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0, "max_tokens": max_tokens, "stream": stream,
    })
    .to_string()
}

/// A virtual environment with the official `openai` package, made once and cached.
fn openai_python() -> PathBuf {
    let cache = std::env::var_os("HEARTH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/hearth"));
    let venv = cache.join("venv-openai");
    let python = venv.join("bin/python");
    let ready = |p: &Path| {
        Command::new(p)
            .args(["-c", "import openai"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "python3 -m venv failed (Debian: apt-get install python3-venv)"
        );
        let ok = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "openai==3.57.0",
            ])
            .status()
            .unwrap();
        assert!(ok.success(), "pip install openai failed");
    }
    python
}

#[test]
fn the_official_openai_client_works() {
    let server = Server::start("api-openai", &[]);
    run_openai_checks(&server, "tests/api/openai_client.py");
}

/// Runs one of the `openai` client scripts in tests/api against `server`; it must pass every
/// check.
fn run_openai_checks(server: &Server, script: &str) {
    let out = Command::new(openai_python())
        .arg(hearth_testkit::repo_root().join(script))
        .env("HEARTH_API_URL", server.url())
        .env("HEARTH_API_TOKEN", &server.token)
        .env("HEARTH_API_MODEL", MODEL)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

/// Runs `hearth-cli` on `data`; panics with its output when it fails.
fn cli(data: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hearth-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_openai_client_gets_references_from_localdocs_collections() {
    let server = Server::start_with("api-docs", &[], |data, scratch| {
        let notes = scratch.join("notes");
        std::fs::create_dir_all(&notes).unwrap();
        std::fs::write(
            notes.join("garden.md"),
            "# Garden\n\nThe quince tree in Ana's orchard flowers in the second week of April.\n",
        )
        .unwrap();
        std::fs::write(
            notes.join("car.txt"),
            "The car's tyres were changed at the garage in Leeds in November.\n",
        )
        .unwrap();
        let embedder = hearth_testkit::test_embedder();
        cli(data, &["models", "import", embedder.to_str().unwrap()]);
        cli(data, &["docs", "add", "Notes", notes.to_str().unwrap()]);
        cli(data, &["docs", "index", "Notes"]);
    });
    run_openai_checks(&server, "tests/api/openai_docs.py");
}

#[test]
fn no_token_wrong_host_or_foreign_origin_gets_nothing() {
    let server = Server::start("api-guard", &["--allow-origin", "http://good.example"]);
    let get = |headers: &[String]| server.raw("GET", "/v1/models", headers, b"");

    let ok = get(&[server.host(), server.auth()]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["data"][0]["id"], MODEL);

    let no_token = get(&[server.host()]);
    assert_eq!(no_token.status, 401);
    assert_eq!(no_token.json()["error"]["code"], "invalid_api_key");
    assert_eq!(
        get(&[server.host(), "Authorization: Bearer nope".into()]).status,
        401
    );
    assert_eq!(
        get(&[
            server.host(),
            format!("Authorization: Basic {}", server.token)
        ])
        .status,
        401
    );

    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    let port = server.addr.rsplit(':').next().unwrap();
    for host in [
        "Host: evil.example".to_owned(),
        format!("Host: evil.example:{port}"),
        "Host:".into(),
    ] {
        let reply = get(&[host.clone(), server.auth()]);
        assert_eq!(reply.status, 403, "{host}: {}", reply.body);
        assert_eq!(reply.json()["error"]["type"], "permission_error");
    }
    assert_eq!(
        get(&[format!("Host: localhost:{port}"), server.auth()]).status,
        200
    );

    // CORS: no grant for a foreign origin, on a request or a preflight; the listed one gets one.
    let evil = get(&[
        server.host(),
        server.auth(),
        "Origin: http://evil.example".into(),
    ]);
    assert!(
        !evil.headers.contains("access-control-allow-origin"),
        "{}",
        evil.headers
    );
    let preflight = |origin: &str| {
        server.raw(
            "OPTIONS",
            "/v1/chat/completions",
            &[
                server.host(),
                format!("Origin: {origin}"),
                "Access-Control-Request-Method: POST".into(),
                "Access-Control-Request-Headers: authorization, content-type".into(),
            ],
            b"",
        )
    };
    assert!(!preflight("http://evil.example")
        .headers
        .contains("access-control-allow-origin"));
    let good = preflight("http://good.example");
    assert!(
        good.headers
            .contains("access-control-allow-origin: http://good.example"),
        "{}",
        good.headers
    );
}

#[test]
fn bad_requests_get_clear_openai_shaped_errors() {
    let server = Server::start("api-bad", &[]);
    let big = format!(
        "{{\"model\": \"{MODEL}\", \"prompt\": \"{}\"}}",
        "a".repeat(2 << 20)
    );
    let reply = server.post("/v1/completions", &big);
    assert_eq!(reply.status, 413, "{}", reply.body);

    let reply = server.post("/v1/chat/completions", "{\"model\": ");
    assert_eq!(reply.status, 400);
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("not valid JSON"), "{message}");

    let cases = [
        (
            r#"{"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}"#,
            404,
            "model_not_found",
        ),
        (
            r#"{"model": "../../etc/passwd", "messages": [{"role": "user", "content": "hi"}]}"#,
            404,
            "model_not_found",
        ),
        (
            r#"{"model": "smollm2-135m-instruct", "messages": []}"#,
            400,
            "messages",
        ),
        (
            r#"{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "n": 3}"#,
            400,
            "n",
        ),
        (
            r#"{"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "temperature": 7}"#,
            400,
            "temperature",
        ),
        (
            r#"{"model": "smollm2-135m-instruct", "messages": [{"role": "wizard", "content": "hi"}]}"#,
            400,
            "messages",
        ),
    ];
    for (body, status, hint) in cases {
        let reply = server.post("/v1/chat/completions", body);
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        let error = &reply.json()["error"];
        assert!(error.to_string().contains(hint), "{body}: {error}");
        // One taxonomy: the kind travels with every error, and the status follows from it.
        let kind = error["kind"].as_str().unwrap_or_default();
        let expected = if status == 404 {
            "model_not_installed"
        } else {
            "invalid"
        };
        assert_eq!(kind, expected, "{body}: {error}");
    }
    let unknown = server.raw(
        "GET",
        "/v2/everything",
        &[server.host(), server.auth()],
        b"",
    );
    assert_eq!(unknown.status, 404);
}

#[test]
fn a_hundred_clients_at_once_are_answered_or_told_to_wait() {
    let server = Server::start("api-load", &["--queue", "8"]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                scope.spawn(|| {
                    server
                        .post("/v1/chat/completions", &chat_body(4, false))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(ok + busy, 100, "{statuses:?}");
    assert!(ok >= 1 && busy >= 1, "ok {ok}, 429 {busy}");
    let after = server.post("/v1/chat/completions", &chat_body(8, false));
    assert_eq!(
        after.status, 200,
        "the server still answers: {}",
        after.body
    );
    assert!(after.json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("Paris"));
}

/// CPU time (ms) a process has used, from /proc.
fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After "pid (comm)": state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt,
    // majflt, cmajflt, utime, stime — the times in clock ticks of 10 ms.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) * 10
}

/// Regression guard: the old test only timed the next request, which a slow machine fails and
/// a worker still generating in the background could pass. The worker must stop.
#[test]
fn a_client_that_disconnects_stops_its_generation() {
    let server = Server::start("api-disconnect", &[]);
    let long = serde_json::json!({
        "model": MODEL, "max_tokens": 4000, "stream": true, "temperature": 0,
        "messages": [{"role": "user", "content": "Count from 1 to 5000, separated by commas."}],
    })
    .to_string();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\n{}\r\n{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.host(),
        server.auth(),
        long.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(long.as_bytes()).unwrap();
    let mut first = [0u8; 512];
    let n = stream.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).contains("200 OK"));
    let worker = server.worker_pid().expect("the worker runs");
    let busy_from = cpu_ms(worker);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        cpu_ms(worker) > busy_from,
        "the worker generates while the client reads"
    );
    drop(stream);
    // Once the server notices, the worker goes idle: a window of 1.5 s in which it uses
    // (almost) no CPU comes well before the 4000 tokens asked for could be written (a loaded
    // machine may take a moment to notice; a worker left generating never goes idle).
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    loop {
        let idle_from = cpu_ms(worker);
        std::thread::sleep(Duration::from_millis(1500));
        let used = cpu_ms(worker) - idle_from;
        if used <= 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker still used {used} ms of CPU in 1.5 s, 6 s after the client left"
        );
    }
    let next = server.post("/v1/chat/completions", &chat_body(8, false));
    assert_eq!(next.status, 200, "{}", next.body);
}

/// Regression guard: 300 connections that never finished their headers were all still held
/// 35 s later. Connections are capped and a client gets a few seconds to send its headers.
#[test]
fn slow_clients_are_cut_off_and_connections_are_capped() {
    let server = Server::start("api-slow", &["--header-timeout", "2"]);
    assert_eq!(server.get("/v1/models").status, 200);
    let before = server.open_fds();
    let mut slow: Vec<TcpStream> = (0..300)
        .filter_map(|_| TcpStream::connect(&server.addr).ok())
        .collect();
    for s in &mut slow {
        let _ = s.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x");
    }
    std::thread::sleep(Duration::from_millis(500));
    let held = server.open_fds() - before;
    assert!(held <= 140, "at most the cap (128) is held, not {held}");
    std::thread::sleep(Duration::from_secs(4));
    let after = server.open_fds();
    assert!(
        after <= before + 4,
        "slow connections are closed after the header timeout ({before} fds before, {after} after)"
    );
    drop(slow);
    assert_eq!(server.get("/v1/models").status, 200);
}

#[test]
fn api_conversations_stay_out_of_the_history_unless_asked() {
    let chats = |data: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
            .arg("--data-dir")
            .arg(data)
            .args(["chats", "list"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let server = Server::start("api-private", &[]);
    assert_eq!(
        server
            .post("/v1/chat/completions", &chat_body(8, false))
            .status,
        200
    );
    assert!(
        !chats(&server.data).contains("API:"),
        "{}",
        chats(&server.data)
    );

    let server = Server::start("api-saved", &["--save-history"]);
    assert_eq!(
        server
            .post("/v1/chat/completions", &chat_body(8, true))
            .status,
        200
    );
    let listed = chats(&server.data);
    assert!(
        listed.contains("API: What is the capital of France?"),
        "{listed}"
    );
}

#[test]
fn the_web_ui_loads_without_the_token_but_its_routes_need_it() {
    let ui = ScratchDir::new("api-ui-files");
    ui.file("index.html", b"<!doctype html><title>Hearth</title>");
    let server = Server::start("api-ui", &["--ui", ui.path().to_str().unwrap()]);
    let page = server.raw("GET", "/", &[server.host()], b"");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<title>Hearth</title>"));
    // A deep link is the single-page app too.
    assert_eq!(
        server.raw("GET", "/chats/7", &[server.host()], b"").status,
        200
    );
    // The page is still refused to a foreign Host (DNS rebinding).
    assert_eq!(
        server
            .raw("GET", "/", &["Host: evil.example".into()], b"")
            .status,
        403
    );
    // Its routes need the page's own session token.
    assert_eq!(
        server
            .raw("GET", "/api/chats", &[server.host()], b"")
            .status,
        401
    );
    let chats = server.raw("GET", "/api/chats", &[server.host(), server.ui_auth()], b"");
    assert_eq!(chats.status, 200, "{}", chats.body);
    assert_eq!(
        server
            .raw(
                "GET",
                "/api/nothing",
                &[server.host(), server.ui_auth()],
                b""
            )
            .status,
        404
    );
}

/// Regression guard: the key pasted into editors also read, deleted and rewrote every chat.
#[test]
fn the_api_key_and_the_ui_token_open_different_doors() {
    let ui = ScratchDir::new("api-keys-ui");
    ui.file("index.html", b"<!doctype html><title>Hearth</title>");
    let server = Server::start("api-keys", &["--ui", ui.path().to_str().unwrap()]);
    assert_ne!(server.ui_token.as_deref(), Some(server.token.as_str()));
    let with =
        |path: &str, auth: String| server.raw("GET", path, &[server.host(), auth], b"").status;
    assert_eq!(
        with("/api/chats", server.auth()),
        401,
        "the API key reads no chat"
    );
    assert_eq!(with("/api/chats", server.ui_auth()), 200);
    assert_eq!(
        with("/v1/models", server.ui_auth()),
        401,
        "the page's token is not an API key"
    );
    assert_eq!(with("/v1/models", server.auth()), 200);
}

/// "New key": the old key stops working at once, also in a server that is already running.
#[test]
fn a_new_api_key_locks_the_old_one_out() {
    let server = Server::start("api-rotate", &[]);
    assert_eq!(server.get("/v1/models").status, 200);
    let out = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(&server.data)
        .args(["api-key", "--new"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(new_key.len(), 64);
    assert_ne!(new_key, server.token);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        server.get("/v1/models").status,
        401,
        "the old key is refused"
    );
    let fresh = server.raw(
        "GET",
        "/v1/models",
        &[server.host(), format!("Authorization: Bearer {new_key}")],
        b"",
    );
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    let shown = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(&server.data)
        .arg("api-key")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(shown.stdout).unwrap().trim(), new_key);
}
