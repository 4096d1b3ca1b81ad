//! The worker process: reads [`Request`]s on stdin, runs llama.cpp, writes [`Event`]s on stdout.
//!
//! Only this module links llama.cpp. It runs in its own process so that llama.cpp's `abort()` on a
//! bad state ends this process, never the app.
//!
//! A model and its context live on the stack of [`serve_model`], which returns when the model is
//! to be replaced or freed: no self-referential struct, no leaked model.

mod bench;
mod draft;
mod embed;
mod generate;
mod io;
mod lookup;
mod sampler;
mod session;
mod snapshot;
mod special;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;

use crate::params::LoadOptions;
use crate::protocol::{ErrorKind, Event, Request, RequestId, PROTOCOL_VERSION};
use embed::EmbedSession;
use generate::Place;
use io::{EventWriter, Incoming};
use session::Session;
use snapshot::SnapshotWriter;

/// Cancellation shared with the stdin reader: holds the id of the generation to stop, or
/// [`CANCEL_ALL`] when the worker is shutting down.
#[derive(Clone, Default)]
pub(crate) struct CancelFlag(Arc<AtomicU64>);

/// Stops whatever runs.
const CANCEL_ALL: u64 = u64::MAX;

/// How much the worker's threads give way to the desktop's (a `nice` value).
#[cfg(unix)]
const WORKER_NICE: libc::c_int = 5;

/// Lowers the worker's priority a little, first thing, so every thread it starts (llama.cpp's
/// pool included) inherits it. Generation takes every core; at equal priority the window that
/// shows the tokens waits its turn behind it and stutters on small machines. Idle cores still
/// go to generation in full: only contended time is shared differently.
fn yield_to_the_desktop() {
    #[cfg(unix)]
    {
        // SAFETY: setpriority only reads its integer arguments; 0 is this process (this thread
        // on Linux, whose later threads inherit it).
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, WORKER_NICE) };
        if result != 0 {
            eprintln!(
                "hearth-engine: could not lower its priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

impl CancelFlag {
    fn set(&self, id: RequestId) {
        self.0.store(id, Ordering::Relaxed);
    }

    /// Whether generation `id` should stop.
    pub(crate) fn is_set(&self, id: RequestId) -> bool {
        let v = self.0.load(Ordering::Relaxed);
        v == id || v == CANCEL_ALL
    }
}

/// Runs the worker until `shutdown` or the end of stdin; returns the process exit code.
pub fn run() -> i32 {
    yield_to_the_desktop();
    let mut out = match EventWriter::take_stdout() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("hearth-engine: cannot set up the protocol channel: {e}");
            return 2;
        }
    };
    if !load_cpu_backends() {
        return 2;
    }
    let backend = match LlamaBackend::init() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("hearth-engine: llama.cpp failed to start: {e}");
            return 2;
        }
    };
    let system_info = system_info();
    eprintln!("hearth-engine: {system_info}");
    let cancel = CancelFlag::default();
    let requests = io::spawn_stdin_reader(cancel.clone());
    if out
        .send(&Event::Hello {
            protocol: PROTOCOL_VERSION,
            system_info,
        })
        .is_err()
    {
        return 0;
    }

    let mut next: Option<Request> = None;
    loop {
        let request = match next.take() {
            Some(r) => r,
            None => match io::recv(&requests, &mut out) {
                Some(r) => r,
                None => return 0,
            },
        };
        match request {
            Request::Load { id, path, options } => {
                match load_model(&backend, Path::new(&path), &options, id, &out) {
                    Ok(model) => {
                        next = serve_model(
                            &backend, &model, id, &options, &requests, &mut out, &cancel,
                        );
                    }
                    Err((kind, message)) => out.error(id, kind, message),
                }
            }
            Request::Generate { id, .. }
            | Request::Bench { id, .. }
            | Request::Tokenize { id, .. }
            | Request::Embed { id, .. } => {
                out.error(
                    id,
                    ErrorKind::NoModel,
                    "no model is loaded; load one first".into(),
                );
            }
            Request::Unload { id } => out.event(Event::Unloaded { id }),
            Request::Cancel { .. } => {}
            Request::Shutdown => return 0,
        }
        if matches!(next, Some(Request::Shutdown)) {
            return 0;
        }
    }
}

/// Serves requests for one loaded model. Returns the request that ends its life (a `load` of
/// another model, or `shutdown`), or `None` after an `unload` or when stdin closed.
fn serve_model(
    backend: &LlamaBackend,
    model: &LlamaModel,
    load_id: RequestId,
    options: &LoadOptions,
    requests: &Receiver<Incoming>,
    out: &mut EventWriter,
    cancel: &CancelFlag,
) -> Option<Request> {
    if options.embeddings {
        return serve_embeddings(backend, model, load_id, options, requests, out);
    }
    let mut session = match Session::new(backend, model, options) {
        Ok(s) => s,
        Err((kind, message)) => {
            out.error(load_id, kind, message);
            return None;
        }
    };
    let draft_model = options.draft_model.as_deref().and_then(|path| {
        match draft::load(backend, Path::new(path), model) {
            Ok(draft) => Some(draft),
            Err(why) => {
                refuse_draft(&mut session, path, &why);
                None
            }
        }
    });
    let mut drafter = draft_model.as_ref().and_then(|draft| {
        let name = draft.meta_val_str("general.name").ok();
        match draft::Drafter::new(backend, draft, &session) {
            Ok(drafter) => {
                session.note_draft(name.or_else(|| options.draft_model.clone()), None);
                Some(drafter)
            }
            Err(why) => {
                refuse_draft(
                    &mut session,
                    options.draft_model.as_deref().unwrap_or(""),
                    &why,
                );
                None
            }
        }
    });
    out.event(Event::Loaded {
        id: load_id,
        model: session.info().clone(),
    });
    // Its thread holds copies of the cache only; dropping it waits for the writes handed over.
    let snapshots = SnapshotWriter::start();
    loop {
        let request = match io::recv(requests, out) {
            Some(r) => r,
            None => return Some(Request::Shutdown),
        };
        match request {
            Request::Generate {
                id,
                input,
                params,
                aside,
                snapshot,
            } => {
                let place = if aside {
                    Place::Aside
                } else {
                    Place::Conversation(snapshot.as_ref())
                };
                let event = generate::run(
                    &mut session,
                    id,
                    &input,
                    &params,
                    place,
                    drafter.as_mut(),
                    out,
                    cancel,
                );
                let done = matches!(event, Event::Done { .. });
                out.event(event);
                // After `done`: the person has the reply before the cache is copied.
                if let (true, false, Some(files)) = (done, aside, &snapshot) {
                    if let Some(path) = &files.save {
                        let fingerprint = snapshot::fingerprint(&session, &files.model);
                        let replaces = files.restore.as_deref().map(Path::new);
                        snapshots.save(&session, Path::new(path), replaces, fingerprint);
                    }
                }
            }
            Request::Bench {
                id,
                n_prompt,
                n_gen,
            } => {
                let event = bench::run(&mut session, id, n_prompt, n_gen);
                out.event(event);
            }
            Request::Tokenize { id, text, special } => {
                let tokens = session.tokenize_text(&text, special);
                out.event(Event::Tokenized {
                    id,
                    tokens: tokens.into_iter().map(|t| t.0).collect(),
                });
            }
            Request::Embed { id, .. } => out.error(
                id,
                ErrorKind::InvalidRequest,
                "this model is loaded for replies, not embeddings; load it with embeddings".into(),
            ),
            Request::Unload { id } => {
                drop(session);
                out.event(Event::Unloaded { id });
                return None;
            }
            Request::Cancel { .. } => {}
            other @ (Request::Load { .. } | Request::Shutdown) => return Some(other),
        }
    }
}

/// Tells the log and the model's facts why the draft model at `path` is not used.
fn refuse_draft(session: &mut Session<'_>, path: &str, why: &str) {
    let name = Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned());
    let note = format!("the draft model {name} is not used: {why}; replies are written without it");
    eprintln!("hearth-engine: {note}");
    session.note_draft(None, Some(note));
}

/// Serves requests for a model loaded for embeddings, as [`serve_model`] does for replies.
fn serve_embeddings(
    backend: &LlamaBackend,
    model: &LlamaModel,
    load_id: RequestId,
    options: &LoadOptions,
    requests: &Receiver<Incoming>,
    out: &mut EventWriter,
) -> Option<Request> {
    let mut session = match EmbedSession::new(backend, model, options) {
        Ok(s) => s,
        Err((kind, message)) => {
            out.error(load_id, kind, message);
            return None;
        }
    };
    out.event(Event::Loaded {
        id: load_id,
        model: session.info().clone(),
    });
    loop {
        let request = match io::recv(requests, out) {
            Some(r) => r,
            None => return Some(Request::Shutdown),
        };
        match request {
            Request::Embed { id, texts } => match session.embed(&texts) {
                Ok((vectors, tokens)) => out.event(Event::Embeddings {
                    id,
                    vectors,
                    tokens,
                }),
                Err((kind, message)) => out.error(id, kind, message),
            },
            Request::Tokenize { id, text, special } => {
                let tokens = session.tokenize_text(&text, special);
                out.event(Event::Tokenized {
                    id,
                    tokens: tokens.into_iter().map(|t| t.0).collect(),
                });
            }
            Request::Generate { id, .. } | Request::Bench { id, .. } => out.error(
                id,
                ErrorKind::InvalidRequest,
                "this model is loaded for embeddings; it writes no replies".into(),
            ),
            Request::Unload { id } => {
                drop(session);
                out.event(Event::Unloaded { id });
                return None;
            }
            Request::Cancel { .. } => {}
            other @ (Request::Load { .. } | Request::Shutdown) => return Some(other),
        }
    }
}

/// Checks the file before llama.cpp sees it, then loads it.
fn load_model(
    backend: &LlamaBackend,
    path: &Path,
    options: &LoadOptions,
    id: RequestId,
    out: &EventWriter,
) -> Result<LlamaModel, (ErrorKind, String)> {
    options
        .validate()
        .map_err(|e| (ErrorKind::InvalidRequest, e.to_string()))?;
    let header = hearth_gguf::GgufFile::open(path).map_err(|e| {
        let kind = match e {
            hearth_gguf::GgufError::UnsupportedArchitecture(_) => ErrorKind::UnsupportedModel,
            _ => ErrorKind::InvalidModel,
        };
        (kind, e.to_string())
    })?;
    header
        .check_runnable()
        .map_err(|e| (ErrorKind::UnsupportedModel, e.to_string()))?;
    if let (Some(wanted), Some(trained)) = (options.n_ctx, header.context_length()) {
        if u64::from(wanted) > trained {
            return Err((
                ErrorKind::InvalidRequest,
                format!("this model supports a context of at most {trained} tokens, not {wanted}; choose {trained} or less"),
            ));
        }
    }
    let mut params = LlamaModelParams::default();
    if let Some(report) = out.load_progress(id) {
        params = params.with_progress_callback(report);
    }
    LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
        (
            ErrorKind::LoadFailed,
            format!("llama.cpp could not load {} ({e}); the file may be damaged or need more memory than is free", path.display()),
        )
    })
}

/// Loads ggml's CPU variants (one per SIMD level) so the best one for this CPU is used. They
/// ship where the worker's rpath points (see build.rs): beside it, or in the package's library
/// folder. Never from a folder compiled into the program (the build machine's) or the current
/// directory, where anyone could have put a library. Returns false when none are found.
fn load_cpu_backends() -> bool {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let dirs: Vec<PathBuf> = exe_dir.iter().flat_map(|d| library_dirs(d)).collect();
    match dirs.iter().find(|d| has_cpu_variants(d)) {
        Some(dir) if dir.to_str().is_some() => {
            eprintln!("hearth-engine: loading CPU backends from {}", dir.display());
            llama_cpp_2::llama_backend::load_backends_from_path(dir);
            true
        }
        _ => {
            let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            eprintln!(
                "hearth-engine: llama.cpp's CPU backends (libggml-cpu-*) were not found beside the engine (looked in {}); reinstall Hearth",
                looked.join(", ")
            );
            false
        }
    }
}

/// Where llama.cpp's libraries are looked for, relative to the worker's folder: `lib/` and the
/// folder itself (the build directory, Windows), the Linux packages' `/usr/lib/Hearth/lib`, the
/// macOS app's `Contents/Resources/lib`.
fn library_dirs(exe_dir: &Path) -> [PathBuf; 4] {
    [
        exe_dir.join("lib"),
        exe_dir.to_path_buf(),
        exe_dir.join("../lib/Hearth/lib"),
        exe_dir.join("../Resources/lib"),
    ]
}

fn has_cpu_variants(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("ggml-cpu-"))
    })
}

/// The ggml CPU variant loaded into this process, from the library's file name
/// (`libggml-cpu-haswell.so` → `haswell`). ggml picks it by scoring each variant against the
/// CPU's features; which one won decides most of the speed, so `hearth-cli bench` shows it.
/// Linux lists a process's libraries in /proc/self/maps; elsewhere it is not known.
pub(crate) fn cpu_backend() -> Option<String> {
    static VARIANT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    VARIANT
        .get_or_init(|| {
            let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
            maps.lines().find_map(cpu_variant_of_path)
        })
        .clone()
}

/// `…/libggml-cpu-zen4.so` (or `ggml-cpu-zen4.dll`) → `zen4`.
fn cpu_variant_of_path(line: &str) -> Option<String> {
    let file = line.rsplit(['/', '\\']).next()?;
    let rest = file.split("ggml-cpu-").nth(1)?;
    let name = rest.split('.').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

fn system_info() -> String {
    // SAFETY: llama.cpp returns a pointer to a static, NUL-terminated buffer.
    let raw = unsafe { llama_cpp_sys_2::llama_print_system_info() };
    if raw.is_null() {
        return String::new();
    }
    // SAFETY: non-null, NUL-terminated, valid for the life of the process.
    unsafe { std::ffi::CStr::from_ptr(raw) }
        .to_string_lossy()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::cpu_variant_of_path;

    #[test]
    fn the_cpu_variant_is_read_from_the_library_name() {
        let line = "7f3a1c000000-7f3a1c100000 r-xp 00000000 fd:01 123 /usr/lib/Hearth/lib/libggml-cpu-zen4.so";
        assert_eq!(cpu_variant_of_path(line).as_deref(), Some("zen4"));
        assert_eq!(
            cpu_variant_of_path(r"C:\Program Files\Hearth\ggml-cpu-haswell.dll").as_deref(),
            Some("haswell")
        );
        assert_eq!(cpu_variant_of_path("/usr/lib/libggml-base.so"), None);
        assert_eq!(cpu_variant_of_path("/usr/lib/libggml-cpu-.so"), None);
    }
}
