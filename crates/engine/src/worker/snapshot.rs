//! A conversation's cache on disk: llama.cpp's state of sequence 0 with the tokens it holds, so a
//! chat continued after a restart, a crash or another chat is not read again.
//!
//! A file is trusted only when its header names this llama.cpp, the same weights and the same
//! context shape, and both checksums hold; anything else is ignored and the prompt read as usual.
//! Layout: `HEARTHKV`, format (u32), header length (u32), header JSON, header CRC-32, state
//! length (u64), state CRC-32, state. Integers are little-endian.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use llama_cpp_2::context::session::LlamaStateSeqFlags;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::session::Session;

const MAGIC: &[u8; 8] = b"HEARTHKV";
const FORMAT: u32 = 1;
/// A header longer than this is not one of ours (a million tokens of JSON is far less).
const MAX_HEADER: u32 = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Header {
    /// llama.cpp, weights and context shape the state was made with.
    fingerprint: String,
    /// The tokens whose keys and values the state holds, in order.
    tokens: Vec<i32>,
}

/// What a snapshot must have been made with to be used by `session`.
pub(crate) fn fingerprint(session: &Session<'_>, model: &str) -> String {
    format!(
        "{}; weights {model}; {}",
        crate::LLAMA_CPP_VERSION,
        session.cache_shape()
    )
}

fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Loads the snapshot at `path` into sequence 0 when it holds more of `prompt` than the cache
/// does. Returns how many tokens it restored (0 when it was not needed); an error says why the
/// file was not used, and leaves the cache empty or as it was.
pub(crate) fn restore(
    session: &mut Session<'_>,
    path: &Path,
    accepted: &[String],
    prompt: &[LlamaToken],
) -> Result<usize, String> {
    let held = common_prefix(&session.cached, prompt);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("cannot be read ({e})")),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut file = BufReader::new(file);
    let header = read_header(&mut file)?;
    if !accepted.contains(&header.fingerprint) {
        return Err(format!(
            "it was made with other weights, llama.cpp or context ({})",
            header.fingerprint
        ));
    }
    let tokens: Vec<LlamaToken> = header.tokens.into_iter().map(LlamaToken).collect();
    if tokens.is_empty() || tokens.len() >= session.n_ctx() {
        return Err(format!("it holds {} tokens", tokens.len()));
    }
    if common_prefix(&tokens, prompt) <= held {
        return Ok(0);
    }
    let state_len = read_u64(&mut file)?;
    let state_crc = read_u32(&mut file)?;
    if state_len == 0 || state_len > size {
        return Err(format!(
            "it is damaged (a state of {state_len} bytes in a file of {size})"
        ));
    }
    let mut state = Vec::new();
    let len = usize::try_from(state_len).map_err(|e| e.to_string())?;
    state.try_reserve_exact(len).map_err(|e| e.to_string())?;
    file.take(state_len)
        .read_to_end(&mut state)
        .map_err(|e| format!("cannot be read ({e})"))?;
    if state.len() != len || crc32fast::hash(&state) != state_crc {
        return Err("it is damaged (truncated or its checksum does not match)".into());
    }
    // The conversation's sequence is replaced whole; the other one is empty between requests.
    let _ = session.ctx.kv_cache_seq_rm(0, None, None);
    session.cached.clear();
    // SAFETY: `state` is exactly what llama.cpp wrote for a sequence of a context of the same
    // llama.cpp, weights and shape (the fingerprint), unchanged since (the checksum); llama.cpp
    // checks its layout again and refuses, without reading past `state.len()`, what does not fit.
    let read = unsafe {
        session
            .ctx
            .state_seq_set_data_ext(&state, 0, LlamaStateSeqFlags::empty())
    };
    if !read {
        session.ctx.clear_kv_cache();
        return Err("llama.cpp refused its state".into());
    }
    session.cached = tokens;
    Ok(session.cached.len())
}

fn read_header(file: &mut impl Read) -> Result<Header, String> {
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic)
        .map_err(|_| "it is not a Hearth snapshot (too short)".to_owned())?;
    if &magic != MAGIC {
        return Err("it is not a Hearth snapshot".into());
    }
    let format = read_u32(file)?;
    if format != FORMAT {
        return Err(format!(
            "it is in format {format}, this Hearth reads {FORMAT}"
        ));
    }
    let len = read_u32(file)?;
    if len > MAX_HEADER {
        return Err("it is damaged (its header is too long)".into());
    }
    let mut bytes = vec![0u8; len as usize];
    file.read_exact(&mut bytes)
        .map_err(|_| "it is damaged (truncated header)".to_owned())?;
    if read_u32(file)? != crc32fast::hash(&bytes) {
        return Err("it is damaged (its header's checksum does not match)".into());
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("it is damaged ({e})"))
}

fn read_u32(file: &mut impl Read) -> Result<u32, String> {
    let mut b = [0u8; 4];
    file.read_exact(&mut b)
        .map_err(|_| "it is damaged (truncated)".to_owned())?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(file: &mut impl Read) -> Result<u64, String> {
    let mut b = [0u8; 8];
    file.read_exact(&mut b)
        .map_err(|_| "it is damaged (truncated)".to_owned())?;
    Ok(u64::from_le_bytes(b))
}

/// One snapshot to write.
struct Job {
    path: PathBuf,
    /// Removed once `path` is written.
    replaces: Option<PathBuf>,
    header: Header,
    state: Vec<u8>,
}

/// Writes snapshots on a thread of its own, so a reply's end and the next request never wait
/// for the disk. Dropping it waits for the writes already handed over.
pub(crate) struct SnapshotWriter {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl SnapshotWriter {
    pub(crate) fn start() -> SnapshotWriter {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("snapshots".into())
            .spawn(move || {
                for job in queue {
                    match write(&job) {
                        Ok(()) => {
                            if let Some(old) = &job.replaces {
                                let _ = std::fs::remove_file(old);
                            }
                        }
                        Err(e) => eprintln!(
                            "hearth-engine: the conversation's cache was not saved to {}: {e}",
                            job.path.display()
                        ),
                    }
                }
            })
            .ok();
        SnapshotWriter {
            jobs: thread.is_some().then_some(jobs),
            thread,
        }
    }

    /// Copies sequence 0 of `session` (the copy is quick; writing it is not) and queues it;
    /// once written, `replaces` is removed.
    pub(crate) fn save(
        &self,
        session: &Session<'_>,
        path: &Path,
        replaces: Option<&Path>,
        fingerprint: String,
    ) {
        let Some(jobs) = &self.jobs else { return };
        if session.cached.is_empty() || session.encoder_decoder {
            return;
        }
        let flags = LlamaStateSeqFlags::empty();
        let size = session.ctx.state_seq_get_size_ext(0, flags);
        let mut state = vec![0u8; size];
        // SAFETY: `state` has the size llama.cpp just reported for this sequence and flags.
        let written = unsafe {
            session
                .ctx
                .state_seq_get_data_ext(state.as_mut_ptr(), 0, flags)
        };
        if written != size || size == 0 {
            eprintln!("hearth-engine: llama.cpp gave {written} of {size} bytes of the conversation's cache; not saved");
            return;
        }
        let header = Header {
            fingerprint,
            tokens: session.cached.iter().map(|t| t.0).collect(),
        };
        let _ = jobs.send(Job {
            path: path.to_path_buf(),
            replaces: replaces.filter(|r| *r != path).map(Path::to_path_buf),
            header,
            state,
        });
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Writes beside the target and renames, so a reader never sees half a file.
fn write(job: &Job) -> std::io::Result<()> {
    let partial = job.path.with_extension("partial");
    let result = (|| {
        let header = serde_json::to_vec(&job.header).map_err(std::io::Error::other)?;
        let len = u32::try_from(header.len()).map_err(std::io::Error::other)?;
        let mut out = BufWriter::new(File::create(&partial)?);
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT.to_le_bytes())?;
        out.write_all(&len.to_le_bytes())?;
        out.write_all(&header)?;
        out.write_all(&crc32fast::hash(&header).to_le_bytes())?;
        out.write_all(&(job.state.len() as u64).to_le_bytes())?;
        out.write_all(&crc32fast::hash(&job.state).to_le_bytes())?;
        out.write_all(&job.state)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_data()?;
        std::fs::rename(&partial, &job.path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
