//! [`EngineClient`]: the app's handle on the engine worker.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use crate::params::{InvalidParams, LoadOptions, SamplingParams};
use crate::protocol::{
    ErrorKind, Event, FinishReason, Input, ModelInfo, Request, RequestId, SnapshotFiles, Timings,
};
use crate::supervisor::{Command, Supervisor};

/// Why an engine request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// No worker executable where one was expected.
    #[error("the engine program (hearth-engine) was not found; looked in: {0}. Reinstall Hearth, or set HEARTH_ENGINE to its path")]
    WorkerNotFound(String),
    /// The worker could not be started or did not greet properly.
    #[error("the engine could not start: {0}")]
    Start(String),
    /// The worker speaks another protocol version.
    #[error("the engine program speaks protocol version {found}, this app needs {expected}; reinstall Hearth so both match")]
    ProtocolMismatch {
        /// What the worker said.
        found: u32,
        /// What this client speaks.
        expected: u32,
    },
    /// The worker process died while working on this request.
    #[error("the engine stopped unexpectedly: {reason}. The reply was cut short; the next request starts a fresh engine")]
    EngineCrashed {
        /// What is known of the death: signal or exit code, and llama.cpp's last words.
        reason: String,
    },
    /// The worker refused the request.
    #[error("{message}")]
    Worker {
        /// What kind of failure.
        kind: ErrorKind,
        /// What the worker said.
        message: String,
    },
    /// A setting is out of range.
    #[error(transparent)]
    Invalid(#[from] InvalidParams),
    /// The client was shut down.
    #[error("the engine has been shut down")]
    Closed,
}

/// How a generation ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Completion {
    /// Why it ended.
    pub finish: FinishReason,
    /// Token counts and times.
    pub timings: Timings,
    /// Oldest messages left out to fit the context.
    pub dropped_messages: u32,
}

/// One step of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerationEvent {
    /// More text.
    Token(String),
    /// The end.
    Done(Completion),
}

/// The app's handle on the engine worker: cheap to clone, safe to share between tasks.
///
/// Requests run one at a time in the order they are made. The worker is started on first use;
/// when it dies the request in flight fails with [`EngineError::EngineCrashed`], and the next
/// request starts a fresh worker and reloads the last model first.
#[derive(Clone)]
pub struct EngineClient {
    commands: mpsc::UnboundedSender<Command>,
    next_id: Arc<AtomicU64>,
    busy: watch::Receiver<bool>,
}

impl EngineClient {
    /// A client for the worker at `worker_path`. Needs a tokio runtime.
    pub fn new(worker_path: PathBuf) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (busy_tx, busy) = watch::channel(false);
        tokio::spawn(Supervisor::new(worker_path, busy_tx).run(rx));
        EngineClient {
            commands: tx,
            next_id: Arc::new(AtomicU64::new(1)),
            busy,
        }
    }

    /// A client for the worker found by [`locate_worker`].
    pub fn from_environment() -> Result<Self, EngineError> {
        Ok(EngineClient::new(locate_worker()?))
    }

    fn id(&self) -> RequestId {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn submit(&self, request: Request) -> mpsc::UnboundedReceiver<Result<Event, EngineError>> {
        let (replies, rx) = mpsc::unbounded_channel();
        // A closed channel means the supervisor is gone: the receiver then yields None,
        // which callers report as `Closed`.
        let _ = self.commands.send(Command::Submit {
            request: Box::new(request),
            replies,
        });
        rx
    }

    async fn single(&self, request: Request) -> Result<Event, EngineError> {
        let mut rx = self.submit(request);
        match rx.recv().await {
            Some(Ok(Event::Error { kind, message, .. })) => {
                Err(EngineError::Worker { kind, message })
            }
            Some(other) => other,
            None => Err(EngineError::Closed),
        }
    }

    /// Loads the GGUF model at `path`, replacing the loaded one.
    pub async fn load(&self, path: &Path, options: LoadOptions) -> Result<ModelInfo, EngineError> {
        self.load_with_progress(path, options, |_| {}).await
    }

    /// Like [`EngineClient::load`], telling `progress` how much is done (0.0 to 1.0) as the
    /// weights are read.
    pub async fn load_with_progress(
        &self,
        path: &Path,
        options: LoadOptions,
        mut progress: impl FnMut(f32) + Send,
    ) -> Result<ModelInfo, EngineError> {
        options.validate()?;
        let mut events = self.submit(Request::Load {
            id: self.id(),
            path: path.to_string_lossy().into_owned(),
            options,
        });
        loop {
            match events.recv().await {
                Some(Ok(Event::LoadProgress { progress: done, .. })) => progress(done),
                Some(Ok(Event::Loaded { model, .. })) => return Ok(model),
                Some(Ok(Event::Error { kind, message, .. })) => {
                    return Err(EngineError::Worker { kind, message })
                }
                Some(Ok(other)) => return Err(unexpected(&other)),
                Some(Err(e)) => return Err(e),
                None => return Err(EngineError::Closed),
            }
        }
    }

    /// Starts generating a reply; the returned [`Generation`] streams it.
    pub async fn generate(
        &self,
        input: Input,
        params: SamplingParams,
    ) -> Result<Generation, EngineError> {
        self.generate_with(input, params, false, None)
    }

    /// Like [`EngineClient::generate`], continuing from a conversation's cache saved on disk
    /// when it holds more of the prompt than the worker's cache, and saving the cache after.
    pub async fn generate_with_snapshot(
        &self,
        input: Input,
        params: SamplingParams,
        snapshot: SnapshotFiles,
    ) -> Result<Generation, EngineError> {
        self.generate_with(input, params, false, Some(snapshot))
    }

    /// Like [`EngineClient::generate`], beside the conversation: the worker keeps the cache of
    /// the conversation it holds, so its next turn is not read again (a chat's title).
    pub async fn generate_aside(
        &self,
        input: Input,
        params: SamplingParams,
    ) -> Result<Generation, EngineError> {
        self.generate_with(input, params, true, None)
    }

    fn generate_with(
        &self,
        input: Input,
        params: SamplingParams,
        aside: bool,
        snapshot: Option<SnapshotFiles>,
    ) -> Result<Generation, EngineError> {
        params.validate()?;
        let id = self.id();
        let events = self.submit(Request::Generate {
            id,
            input,
            params,
            aside,
            snapshot,
        });
        Ok(Generation {
            id,
            events,
            commands: self.commands.clone(),
            finished: false,
        })
    }

    /// Runs llama-bench's `pp` and `tg` tests; returns their times in microseconds.
    pub async fn bench(&self, n_prompt: u32, n_gen: u32) -> Result<(u64, u64), EngineError> {
        match self
            .single(Request::Bench {
                id: self.id(),
                n_prompt,
                n_gen,
            })
            .await?
        {
            Event::BenchResult { pp_us, tg_us, .. } => Ok((pp_us, tg_us)),
            other => Err(unexpected(&other)),
        }
    }

    /// The loaded model's tokens of `text`; with `special`, control tokens written in the text
    /// count as such, else as plain text.
    pub async fn tokenize(&self, text: &str, special: bool) -> Result<Vec<i32>, EngineError> {
        match self
            .single(Request::Tokenize {
                id: self.id(),
                text: text.to_owned(),
                special,
            })
            .await?
        {
            Event::Tokenized { tokens, .. } => Ok(tokens),
            other => Err(unexpected(&other)),
        }
    }

    /// Unit sentence vectors of `texts`, with a model loaded with `embeddings`; returns them
    /// and the tokens evaluated.
    pub async fn embed(&self, texts: Vec<String>) -> Result<(Vec<Vec<f32>>, u32), EngineError> {
        match self
            .single(Request::Embed {
                id: self.id(),
                texts,
            })
            .await?
        {
            Event::Embeddings {
                vectors, tokens, ..
            } => Ok((vectors, tokens)),
            other => Err(unexpected(&other)),
        }
    }

    /// Frees the loaded model.
    pub async fn unload(&self) -> Result<(), EngineError> {
        self.single(Request::Unload { id: self.id() })
            .await
            .map(|_| ())
    }

    /// Stops generation `id` (see [`Generation::id`]); it ends with [`FinishReason::Cancelled`].
    pub fn cancel(&self, id: RequestId) {
        let _ = self.commands.send(Command::Cancel(id));
    }

    /// The worker's process id, if one runs (for diagnostics and tests).
    pub async fn worker_pid(&self) -> Option<u32> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::WorkerPid(tx)).ok()?;
        rx.await.ok().flatten()
    }

    /// Whether the worker is working on a request or has some waiting (a reply being written,
    /// a model loading): what other work yields to.
    pub fn busy(&self) -> watch::Receiver<bool> {
        self.busy.clone()
    }

    /// Freezes the worker while something more urgent needs the CPU (`true`), or lets it go on
    /// (`false`); its request in flight waits, nothing is lost. On Unix the process is stopped
    /// at once; elsewhere this has no effect.
    pub fn hold(&self, hold: bool) {
        let _ = self.commands.send(Command::Hold(hold));
    }

    /// Stops the worker and the supervisor; later requests fail with [`EngineError::Closed`].
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn unexpected(event: &Event) -> EngineError {
    EngineError::Start(format!("the engine answered out of turn: {event:?}"))
}

/// A reply being generated. Dropping it before the end cancels the generation.
pub struct Generation {
    id: RequestId,
    events: mpsc::UnboundedReceiver<Result<Event, EngineError>>,
    commands: mpsc::UnboundedSender<Command>,
    finished: bool,
}

impl Generation {
    /// The request id, for [`EngineClient::cancel`].
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The next piece of the reply; `None` after [`GenerationEvent::Done`] or an error.
    pub async fn next(&mut self) -> Option<Result<GenerationEvent, EngineError>> {
        if self.finished {
            return None;
        }
        let event = match self.events.recv().await {
            Some(e) => e,
            None => Err(EngineError::Closed),
        };
        let step = match event {
            Ok(Event::Token { text, .. }) => return Some(Ok(GenerationEvent::Token(text))),
            Ok(Event::Done {
                finish,
                timings,
                dropped_messages,
                ..
            }) => Ok(GenerationEvent::Done(Completion {
                finish,
                timings,
                dropped_messages,
            })),
            Ok(Event::Error { kind, message, .. }) => Err(EngineError::Worker { kind, message }),
            Ok(other) => Err(unexpected(&other)),
            Err(e) => Err(e),
        };
        self.finished = true;
        Some(step)
    }

    /// Reads the whole reply.
    pub async fn text(mut self) -> Result<(String, Completion), EngineError> {
        let mut text = String::new();
        while let Some(step) = self.next().await {
            match step? {
                GenerationEvent::Token(t) => text.push_str(&t),
                GenerationEvent::Done(done) => return Ok((text, done)),
            }
        }
        Err(EngineError::Closed)
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.commands.send(Command::Cancel(self.id));
        }
    }
}

/// Finds the worker program: `HEARTH_ENGINE` if set, else `hearth-engine` beside the running
/// program (installed layouts and `target/<profile>/`), else one directory up (test binaries
/// in `target/<profile>/deps/`).
pub fn locate_worker() -> Result<PathBuf, EngineError> {
    if let Some(path) = std::env::var_os("HEARTH_ENGINE") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(EngineError::WorkerNotFound(format!(
                "{} (from HEARTH_ENGINE)",
                path.display()
            )))
        };
    }
    let name = format!("hearth-engine{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe().map_err(|e| EngineError::WorkerNotFound(e.to_string()))?;
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            let list: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            EngineError::WorkerNotFound(list.join(", "))
        })
}
