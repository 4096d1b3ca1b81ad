//! The reader process: `hearth-extract --serve` reads one document per request, under a memory
//! limit the process sets on itself; [`Extractor`] gives each file a time limit and, when the
//! process dies or overstays, reports that file as unreadable and starts a fresh one.
//!
//! Requests and answers are JSON lines: a path (as a JSON string, so any file name fits), then
//! `{"ok": Extracted}` or `{"unreadable": Unreadable}`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

use super::{read_file, Extracted, Unreadable};
use crate::DocsError;

/// What one file may cost the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_bytes: u64,
    /// Longest one file may take.
    pub time: Duration,
    /// Most memory (address space) the reader process may take.
    pub memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 100_000_000,
            time: Duration::from_secs(60),
            memory: 2 << 30,
        }
    }
}

/// One answer of the reader.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ok(Extracted),
    Unreadable(Unreadable),
}

/// The reader process's main loop (`hearth-extract --serve`): limits its own memory, then
/// answers path after path until its input closes.
pub fn serve(limits: Limits) -> std::io::Result<()> {
    limit_memory(limits.memory);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let answer = match serde_json::from_str::<PathBuf>(&line) {
            Ok(path) => {
                let read = std::panic::catch_unwind(|| read_file(&path, limits.max_bytes));
                match read {
                    Ok(Ok(extracted)) => Answer::Ok(extracted),
                    Ok(Err(reason)) => Answer::Unreadable(reason),
                    Err(panic) => Answer::Unreadable(Unreadable::Damaged {
                        detail: format!("the reader failed on it: {}", panic_text(&panic)),
                    }),
                }
            }
            Err(e) => Answer::Unreadable(Unreadable::Damaged {
                detail: format!("bad request to the reader: {e}"),
            }),
        };
        let mut json = serde_json::to_string(&answer).map_err(std::io::Error::other)?;
        json.push('\n');
        out.write_all(json.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic".into())
}

/// An allocation past the limit fails, and the process ends: that file, not the app.
fn limit_memory(bytes: u64) {
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: plain system call on this process with a valid struct.
        if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
            eprintln!(
                "hearth-extract: could not limit memory: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = bytes;
}

/// A running reader process.
struct Reader {
    process: Child,
    stdin: ChildStdin,
    answers: Lines<BufReader<ChildStdout>>,
}

/// Reads documents through the reader process, one at a time.
pub(crate) struct Extractor {
    program: PathBuf,
    limits: Limits,
    reader: Mutex<Option<Reader>>,
}

impl Extractor {
    pub(crate) fn new(program: PathBuf, limits: Limits) -> Extractor {
        Extractor {
            program,
            limits,
            reader: Mutex::new(None),
        }
    }

    /// Reads `path`: its sections, or why it has none. `Err` only when the reader cannot run.
    pub(crate) async fn read(
        &self,
        path: &Path,
    ) -> Result<Result<Extracted, Unreadable>, DocsError> {
        let limits = self.limits;
        let mut slot = self.reader.lock().await;
        if slot.is_none() {
            *slot = Some(self.start(limits)?);
        }
        let Some(reader) = slot.as_mut() else {
            return Err(DocsError::Reader("it did not start".into()));
        };
        let mut request =
            serde_json::to_string(path).map_err(|e| DocsError::Reader(e.to_string()))?;
        request.push('\n');
        let sent = reader.stdin.write_all(request.as_bytes()).await;
        let answer = match sent {
            Ok(()) => tokio::time::timeout(limits.time, reader.answers.next_line()).await,
            Err(_) => Ok(Ok(None)),
        };
        let outcome = match answer {
            Ok(Ok(Some(line))) => match serde_json::from_str::<Answer>(&line) {
                Ok(Answer::Ok(extracted)) => return Ok(Ok(extracted)),
                Ok(Answer::Unreadable(reason)) => return Ok(Err(reason)),
                Err(e) => Unreadable::Damaged {
                    detail: format!("the reader's answer could not be read: {e}"),
                },
            },
            // It died on this file: out of memory, or a crash in a parser.
            Ok(_) => Unreadable::TooMuchMemory,
            Err(_) => Unreadable::TooSlow {
                seconds: limits.time.as_secs(),
            },
        };
        if let Some(mut dead) = slot.take() {
            let _ = dead.process.kill().await;
        }
        Ok(Err(outcome))
    }

    fn start(&self, limits: Limits) -> Result<Reader, DocsError> {
        let mut process = Command::new(&self.program)
            .arg("--serve")
            .arg("--max-bytes")
            .arg(limits.max_bytes.to_string())
            .arg("--memory")
            .arg(limits.memory.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| DocsError::Reader(format!("{}: {e}", self.program.display())))?;
        let (Some(stdin), Some(stdout)) = (process.stdin.take(), process.stdout.take()) else {
            return Err(DocsError::Reader("no pipes to it".into()));
        };
        Ok(Reader {
            process,
            stdin,
            answers: BufReader::new(stdout).lines(),
        })
    }

    /// Stops the reader process.
    pub(crate) async fn stop(&self) {
        if let Some(mut reader) = self.reader.lock().await.take() {
            let _ = reader.process.kill().await;
        }
    }
}

/// Finds the reader program: `HEARTH_EXTRACT` if set, else `hearth-extract` beside the running
/// program (or one folder up, for test binaries in `target/<profile>/deps/`).
pub fn locate_reader() -> Result<PathBuf, DocsError> {
    if let Some(path) = std::env::var_os("HEARTH_EXTRACT") {
        return Ok(PathBuf::from(path));
    }
    let name = format!("hearth-extract{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().map_err(|e| DocsError::Reader(e.to_string()))?;
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
        .ok_or_else(|| DocsError::Reader(format!("{name} was not found beside {}", exe.display())))
}
