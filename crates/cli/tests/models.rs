//! `hearth-cli models` against a real HTTP server on 127.0.0.1 serving the real test model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hearth_testkit::{
    kill, test_model, Faults, FileServer, ScratchDir, CAPITAL_ANSWER, CAPITAL_QUESTION,
};

const SHA: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

fn model_bytes() -> Bytes {
    Bytes::from(std::fs::read(test_model()).unwrap())
}

/// A data folder and a catalog whose one model is served by `server`.
struct Setup {
    dir: ScratchDir,
    catalog: PathBuf,
}

impl Setup {
    fn new(label: &str, server: &FileServer, sha256: &str) -> Setup {
        let dir = ScratchDir::new(label);
        let mut catalog: serde_json::Value =
            serde_json::from_str(include_str!("../../../assets/catalog.json")).unwrap();
        let entry = catalog["models"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["id"] == "smollm2-135m-instruct")
            .unwrap();
        entry["url"] = server.url(FILE).into();
        entry["sha256"] = sha256.into();
        let path = dir.file("catalog.json", catalog.to_string().as_bytes());
        Setup { dir, catalog: path }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hearth-cli"));
        command
            .arg("--data-dir")
            .arg(self.data())
            .arg("models")
            .arg("--catalog")
            .arg(&self.catalog)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("hearth-cli runs")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn models(&self) -> PathBuf {
        self.data().join("models")
    }

    fn part_len(&self) -> u64 {
        std::fs::metadata(self.models().join(format!("{FILE}.part"))).map_or(0, |m| m.len())
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ggufs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".gguf"))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the part file holds at least `bytes`.
fn wait_for_part(setup: &Setup, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while setup.part_len() < bytes {
        assert!(
            Instant::now() < deadline,
            "the download never reached {bytes} bytes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pull_list_verify_chat_rm() {
    let server = FileServer::start(model_bytes(), Faults::default());
    let setup = Setup::new("cli-pull", &server, SHA);
    let out = setup.run(&["pull", "smollm2-135m-instruct"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("verified and installed"),
        "{}",
        text(&out.stdout)
    );

    let out = setup.run(&["list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["file"], FILE);
    assert_eq!(listed[0]["catalog_id"], "smollm2-135m-instruct");
    assert_eq!(listed[0]["facts"]["quant"], "Q4_1");
    assert_eq!(listed[0]["sha256"], SHA);

    let out = setup.run(&["verify", "smollm2-135m-instruct"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("OK: matches"),
        "{}",
        text(&out.stdout)
    );

    // The installed model is found by its catalog id.
    let out = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(setup.data())
        .args([
            "chat",
            "--no-save",
            "--model",
            "smollm2-135m-instruct",
            "--temp",
            "0",
        ])
        .args([
            "--system",
            "You are a helpful assistant.",
            "--prompt",
            CAPITAL_QUESTION,
        ])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains(CAPITAL_ANSWER),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let again = setup.run(&["pull", "smollm2-135m-instruct"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already installed"),
        "{}",
        text(&again.stderr)
    );

    let out = setup.run(&["rm", "smollm2-135m-instruct"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(ggufs(&setup.models()).is_empty());
}

#[test]
fn a_killed_pull_resumes_on_the_next_run() {
    let server = FileServer::start(
        model_bytes(),
        Faults {
            rate: Some(25 << 20),
            ..Faults::default()
        },
    );
    let setup = Setup::new("cli-kill", &server, SHA);
    let mut child = setup
        .command(&["pull", "smollm2-135m-instruct"])
        .spawn()
        .unwrap();
    wait_for_part(&setup, 10 << 20);
    kill(child.id(), "KILL");
    child.wait().unwrap();
    let kept = setup.part_len();
    assert!(kept >= 10 << 20, "{kept}");
    assert!(ggufs(&setup.models()).is_empty(), "nothing installed yet");

    let out = setup.run(&["pull", "smollm2-135m-instruct"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("resuming at"),
        "{}",
        text(&out.stderr)
    );
    let last = server.requests().pop().unwrap();
    assert_eq!(last.range, Some(format!("bytes={kept}-")));
    assert_eq!(
        hearth_core::model_manager::sha256_file(&setup.models().join(FILE))
            .unwrap()
            .0,
        SHA
    );
}

#[test]
fn ctrl_c_pauses_and_the_part_is_kept() {
    let server = FileServer::start(
        model_bytes(),
        Faults {
            rate: Some(25 << 20),
            ..Faults::default()
        },
    );
    let setup = Setup::new("cli-pause", &server, SHA);
    let child = setup
        .command(&["pull", "smollm2-135m-instruct"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_part(&setup, 5 << 20);
    kill(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("paused after") && stderr.contains("again to resume"),
        "{stderr}"
    );
    assert!(setup.part_len() >= 5 << 20);
    assert!(ggufs(&setup.models()).is_empty());
}

#[test]
fn a_wrong_checksum_installs_nothing() {
    let server = FileServer::start(model_bytes(), Faults::default());
    let setup = Setup::new("cli-badsha", &server, &"0".repeat(64));
    let out = setup.run(&["pull", "smollm2-135m-instruct"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("failed verification"),
        "{}",
        text(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(setup.models())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn catalog_filters_and_bad_input() {
    let server = FileServer::start(Bytes::new(), Faults::default());
    let setup = Setup::new("cli-catalog", &server, SHA);
    let out = setup.run(&["catalog", "--commercial", "--family", "Qwen3", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["qwen3-0.6b", "qwen3-1.7b", "qwen3-4b"]);
    assert!(rows[0]["fit"].is_string());

    let out = setup.run(&["catalog", "--guide"]);
    assert!(
        text(&out.stdout).contains("GPT4All-J — runs: no"),
        "{}",
        text(&out.stdout)
    );

    for (args, expected) in [
        (vec!["pull", "gpt-5"], "no model \"gpt-5\" in the catalog"),
        (vec!["verify", "qwen3-4b"], "no installed model"),
        (
            vec!["inspect", "/nonexistent/x.gguf"],
            "/nonexistent/x.gguf",
        ),
    ] {
        let out = setup.run(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(expected) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    let hostile = setup
        .dir
        .file("hostile.gguf", &hearth_testkit::gguf_with_absurd_counts());
    let out = setup.run(&["import", hostile.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("corrupt"),
        "{}",
        text(&out.stderr)
    );

    let broken = setup
        .dir
        .file("catalog-broken.json", b"{\"schema\": 1, \"models\": [");
    let out = Command::new(env!("CARGO_BIN_EXE_hearth-cli"))
        .arg("--data-dir")
        .arg(setup.data())
        .args(["models", "--catalog", broken.to_str().unwrap(), "catalog"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("the model catalog is not valid"),
        "{}",
        text(&out.stderr)
    );
}
