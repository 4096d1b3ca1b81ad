//! The task that owns the worker process: starts it, feeds it one request at a time, routes its
//! events back, notices its death, and starts a fresh one on the next request.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command as Process};
use tokio::sync::{mpsc, oneshot, watch};

use crate::client::EngineError;
use crate::params::LoadOptions;
use crate::protocol::{
    decode_line, encode_line, Event, FinishReason, Request, RequestId, Timings, PROTOCOL_VERSION,
};

/// How long a fresh worker may take to greet.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a worker may take to exit after `shutdown`.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Lines of the worker's stderr kept to explain its death.
const STDERR_TAIL: usize = 40;

type Replies = mpsc::UnboundedSender<Result<Event, EngineError>>;

/// What [`crate::EngineClient`] asks of the supervisor.
pub(crate) enum Command {
    Submit {
        request: Box<Request>,
        replies: Replies,
    },
    Cancel(RequestId),
    WorkerPid(oneshot::Sender<Option<u32>>),
    Hold(bool),
    Shutdown(oneshot::Sender<()>),
}

/// What woke the supervisor.
enum Step {
    Command(Option<Command>),
    Line(std::io::Result<Option<String>>),
}

/// A request and where its events go.
struct Pending {
    request: Request,
    replies: Replies,
}

/// A live worker process.
struct Worker {
    /// The process; killed when this is dropped.
    child: Child,
    /// Its stdin, where requests go.
    stdin: ChildStdin,
    /// Its stdout, one event per line.
    events: Lines<BufReader<ChildStdout>>,
    /// The last lines it wrote to stderr, filled by a task that ends with the process.
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Whether it has a model loaded (a fresh worker has none).
    has_model: bool,
}

/// Owns the worker for the life of the [`crate::EngineClient`] handles; ends when they are
/// all dropped or on `shutdown`.
pub(crate) struct Supervisor {
    /// The worker program; fixed.
    worker_path: PathBuf,
    /// The live worker; `None` before first use and after a death.
    worker: Option<Worker>,
    /// The last model loaded, replayed into a fresh worker.
    last_load: Option<(String, LoadOptions)>,
    /// Requests waiting for the worker.
    queue: VecDeque<Pending>,
    /// The request the worker is working on.
    current: Option<Pending>,
    /// Whether the worker is frozen so another process has the CPU.
    held: bool,
    /// Whether a request is in flight or waiting, for whoever yields to this worker.
    busy: watch::Sender<bool>,
}

impl Supervisor {
    pub(crate) fn new(worker_path: PathBuf, busy: watch::Sender<bool>) -> Self {
        Supervisor {
            worker_path,
            worker: None,
            last_load: None,
            queue: VecDeque::new(),
            current: None,
            held: false,
            busy,
        }
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            if self.current.is_none() {
                if let Some(next) = self.queue.pop_front() {
                    self.busy.send_replace(true);
                    self.start(next).await;
                    continue;
                }
            }
            let busy = self.current.is_some() || !self.queue.is_empty();
            self.busy
                .send_if_modified(|b| std::mem::replace(b, busy) != busy);
            let step = tokio::select! {
                command = commands.recv() => Step::Command(command),
                line = next_line(&mut self.worker) => Step::Line(line),
            };
            match step {
                Step::Command(Some(Command::Shutdown(done))) => {
                    self.stop_worker().await;
                    let _ = done.send(());
                    return;
                }
                Step::Command(Some(command)) => self.handle(command).await,
                Step::Command(None) => {
                    self.stop_worker().await;
                    return;
                }
                Step::Line(line) => self.on_line(line).await,
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Submit { request, replies } => self.queue.push_back(Pending {
                request: *request,
                replies,
            }),
            Command::Cancel(id) => {
                if self
                    .current
                    .as_ref()
                    .is_some_and(|p| request_id(&p.request) == Some(id))
                {
                    self.write(&Request::Cancel { id }).await;
                } else if let Some(i) = self
                    .queue
                    .iter()
                    .position(|p| request_id(&p.request) == Some(id))
                {
                    if let Some(p) = self.queue.remove(i) {
                        let done = Event::Done {
                            id,
                            finish: FinishReason::Cancelled,
                            timings: Timings::default(),
                            dropped_messages: 0,
                        };
                        let _ = p.replies.send(Ok(done));
                    }
                }
            }
            Command::WorkerPid(reply) => {
                let _ = reply.send(self.worker.as_ref().and_then(|w| w.child.id()));
            }
            Command::Hold(hold) => {
                self.held = hold;
                if let Some(w) = &self.worker {
                    freeze(w, hold);
                }
            }
            Command::Shutdown(_) => {}
        }
    }

    /// Sends `pending` to the worker, starting one (and reloading the last model) if needed.
    async fn start(&mut self, pending: Pending) {
        if let Err(e) = self.ensure_worker(&pending.request).await {
            let _ = pending.replies.send(Err(e));
            return;
        }
        let request = pending.request.clone();
        self.current = Some(pending);
        self.write(&request).await;
    }

    async fn ensure_worker(&mut self, request: &Request) -> Result<(), EngineError> {
        if self.worker.is_none() {
            let worker = spawn(&self.worker_path).await?;
            freeze(&worker, self.held);
            self.worker = Some(worker);
        }
        let needs_model = matches!(
            request,
            Request::Generate { .. }
                | Request::Bench { .. }
                | Request::Embed { .. }
                | Request::Tokenize { .. }
        );
        let fresh = self.worker.as_ref().is_some_and(|w| !w.has_model);
        if let (true, true, Some((path, options))) = (needs_model, fresh, self.last_load.clone()) {
            tracing::info!(%path, "reloading the model into a fresh engine");
            self.reload(path, options).await?;
        }
        Ok(())
    }

    /// Loads the last model again, waiting for the answer here: nothing else can run meanwhile.
    async fn reload(&mut self, path: String, options: LoadOptions) -> Result<(), EngineError> {
        let id = 0;
        self.write(&Request::Load { id, path, options }).await;
        loop {
            let line = next_line(&mut self.worker).await;
            match line {
                Ok(Some(line)) => match decode_line::<Event>(&line) {
                    Ok(Event::Loaded { id: 0, .. }) => {
                        if let Some(w) = self.worker.as_mut() {
                            w.has_model = true;
                        }
                        return Ok(());
                    }
                    Ok(Event::Error {
                        id: 0,
                        kind,
                        message,
                    }) => {
                        self.last_load = None;
                        return Err(EngineError::Worker { kind, message });
                    }
                    _ => continue,
                },
                _ => {
                    let reason = self.bury().await;
                    return Err(EngineError::EngineCrashed { reason });
                }
            }
        }
    }

    async fn on_line(&mut self, line: std::io::Result<Option<String>>) {
        let line = match line {
            Ok(Some(line)) => line,
            _ => {
                let reason = self.bury().await;
                tracing::warn!(%reason, "engine worker died");
                if let Some(p) = self.current.take() {
                    let _ = p.replies.send(Err(EngineError::EngineCrashed { reason }));
                }
                return;
            }
        };
        let event = match decode_line::<Event>(&line) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, line = %line.chars().take(200).collect::<String>(), "unreadable line from the engine");
                return;
            }
        };
        let Some(current) = self.current.take() else {
            tracing::debug!(?event, "engine event with no request waiting");
            return;
        };
        if event_id(&event) != request_id(&current.request) {
            tracing::debug!(?event, "engine event for another request");
            self.current = Some(current);
            return;
        }
        match (&event, &current.request) {
            (Event::Loaded { .. }, Request::Load { path, options, .. }) => {
                self.last_load = Some((path.clone(), options.clone()));
                self.set_has_model(true);
            }
            (Event::Error { .. }, Request::Load { .. }) | (Event::Unloaded { .. }, _) => {
                self.last_load = None;
                self.set_has_model(false);
            }
            _ => {}
        }
        let terminal = !matches!(event, Event::Token { .. } | Event::LoadProgress { .. });
        let _ = current.replies.send(Ok(event));
        if !terminal {
            self.current = Some(current);
        }
    }

    fn set_has_model(&mut self, yes: bool) {
        if let Some(w) = self.worker.as_mut() {
            w.has_model = yes;
        }
    }

    /// Writes a request; a write that fails means the worker died, which the reader notices.
    async fn write(&mut self, request: &Request) {
        let Some(worker) = self.worker.as_mut() else {
            return;
        };
        let Ok(line) = encode_line(request) else {
            return;
        };
        if let Err(e) = worker.stdin.write_all(line.as_bytes()).await {
            tracing::debug!(error = %e, "could not write to the engine");
        }
        let _ = worker.stdin.flush().await;
    }

    /// Collects a dead worker: its exit status and last words.
    async fn bury(&mut self) -> String {
        let Some(mut worker) = self.worker.take() else {
            return "the engine is not running".into();
        };
        freeze(&worker, false);
        let status = match tokio::time::timeout(EXIT_TIMEOUT, worker.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => {
                let _ = worker.child.kill().await;
                None
            }
        };
        // Give the stderr task a moment to drain the pipe.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let tail = worker
            .stderr_tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        describe_death(status, &tail)
    }

    async fn stop_worker(&mut self) {
        let Some(worker) = &self.worker else {
            return;
        };
        freeze(worker, false);
        self.write(&Request::Shutdown).await;
        if let Some(mut worker) = self.worker.take() {
            if tokio::time::timeout(EXIT_TIMEOUT, worker.child.wait())
                .await
                .is_err()
            {
                let _ = worker.child.kill().await;
            }
        }
        for p in self.current.take().into_iter().chain(self.queue.drain(..)) {
            let _ = p.replies.send(Err(EngineError::Closed));
        }
    }
}

/// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the worker. A frozen worker keeps its state and
/// its request and goes on where it was; the CPU is free for the chat worker at once, which no
/// wait between batches achieves. Elsewhere than Unix this does nothing: the caller's own
/// pauses between requests are what yields there.
fn freeze(worker: &Worker, hold: bool) {
    #[cfg(unix)]
    if let Some(pid) = worker
        .child
        .id()
        .and_then(|p| libc::pid_t::try_from(p).ok())
    {
        let signal = if hold { libc::SIGSTOP } else { libc::SIGCONT };
        // SAFETY: kill(2) with our own child's pid; the child is not reaped while `worker`
        // lives, so the pid cannot belong to another process.
        unsafe {
            libc::kill(pid, signal);
        }
    }
    #[cfg(not(unix))]
    let _ = (worker, hold);
}

async fn next_line(worker: &mut Option<Worker>) -> std::io::Result<Option<String>> {
    match worker {
        Some(w) => w.events.next_line().await,
        None => std::future::pending().await,
    }
}

fn request_id(request: &Request) -> Option<RequestId> {
    match request {
        Request::Load { id, .. }
        | Request::Generate { id, .. }
        | Request::Bench { id, .. }
        | Request::Tokenize { id, .. }
        | Request::Embed { id, .. }
        | Request::Cancel { id }
        | Request::Unload { id } => Some(*id),
        Request::Shutdown => None,
    }
}

fn event_id(event: &Event) -> Option<RequestId> {
    match event {
        Event::Hello { .. } => None,
        Event::Loaded { id, .. }
        | Event::LoadProgress { id, .. }
        | Event::Token { id, .. }
        | Event::Done { id, .. }
        | Event::BenchResult { id, .. }
        | Event::Tokenized { id, .. }
        | Event::Embeddings { id, .. }
        | Event::Unloaded { id }
        | Event::Error { id, .. } => Some(*id),
    }
}

/// Starts a worker and checks its greeting.
async fn spawn(path: &PathBuf) -> Result<Worker, EngineError> {
    if !path.is_file() {
        return Err(EngineError::WorkerNotFound(path.display().to_string()));
    }
    let mut command = Process::new(path);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group: Ctrl-C in a terminal stops a reply through `cancel`, and must not
    // reach the worker as SIGINT.
    #[cfg(unix)]
    command.process_group(0);
    // On Windows the same through a new process group, and no console window for the worker
    // when the desktop app (a GUI program) starts it.
    #[cfg(windows)]
    {
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
    }
    let mut child = command
        .spawn()
        .map_err(|e| EngineError::Start(format!("{}: {e}", path.display())))?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(EngineError::Start(
            "the engine's pipes could not be opened".into(),
        ));
    };
    let stderr_tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    tokio::spawn(collect_stderr(
        BufReader::new(stderr).lines(),
        stderr_tail.clone(),
    ));
    let mut events = BufReader::new(stdout).lines();
    let hello = tokio::time::timeout(HELLO_TIMEOUT, events.next_line()).await;
    let line = match hello {
        Ok(Ok(Some(line))) => line,
        Ok(_) => {
            let status = child.wait().await.ok();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let tail = stderr_tail
                .lock()
                .map(|t| t.iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            return Err(EngineError::Start(describe_death(status, &tail)));
        }
        Err(_) => {
            return Err(EngineError::Start(
                "the engine did not answer within 30 seconds".into(),
            ))
        }
    };
    match decode_line::<Event>(&line) {
        Ok(Event::Hello {
            protocol,
            system_info,
        }) if protocol == PROTOCOL_VERSION => {
            tracing::info!(pid = child.id(), %system_info, "engine worker started");
            Ok(Worker {
                child,
                stdin,
                events,
                stderr_tail,
                has_model: false,
            })
        }
        Ok(Event::Hello { protocol, .. }) => Err(EngineError::ProtocolMismatch {
            found: protocol,
            expected: PROTOCOL_VERSION,
        }),
        _ => Err(EngineError::Start(format!(
            "unexpected greeting: {}",
            line.chars().take(200).collect::<String>()
        ))),
    }
}

/// Copies the worker's stderr into the log and keeps its last lines.
async fn collect_stderr(
    mut lines: Lines<BufReader<tokio::process::ChildStderr>>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("loaded CPU backend") || line.starts_with("hearth-engine:") {
            tracing::info!(target: "hearth_engine::worker", "{line}");
        } else {
            tracing::debug!(target: "hearth_engine::worker", "{line}");
        }
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_TAIL {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
}

/// A sentence on how the worker died, with llama.cpp's own complaint when it left one.
pub(crate) fn describe_death(status: Option<ExitStatus>, stderr_tail: &[String]) -> String {
    let how = match status {
        None => "it stopped answering and was ended".to_owned(),
        Some(status) => describe_status(status),
    };
    let last_words = stderr_tail.iter().rev().find(|l| {
        l.contains("GGML_ASSERT")
            || l.contains("error")
            || l.contains("failed")
            || l.contains("abort")
    });
    match last_words {
        Some(words) => format!("{how} (llama.cpp said: {})", words.trim()),
        None => how,
    }
}

#[cfg(unix)]
fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(9) => "it was killed (SIGKILL), often because the computer ran out of memory".into(),
        Some(6) => "llama.cpp aborted (SIGABRT), usually on a model file it cannot handle".into(),
        Some(11) => "it crashed (segmentation fault)".into(),
        Some(4) => "this CPU lacks an instruction the engine used (SIGILL)".into(),
        Some(sig) => format!("it was ended by signal {sig}"),
        None => format!("it exited with code {}", status.code().unwrap_or(-1)),
    }
}

#[cfg(not(unix))]
fn describe_status(status: ExitStatus) -> String {
    format!("it exited with code {}", status.code().unwrap_or(-1))
}
