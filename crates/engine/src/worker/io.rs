//! The worker's two pipes: events out, requests in.

use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::sync::mpsc::{self, Receiver};

use super::{CancelFlag, CANCEL_ALL};
use crate::protocol::{decode_line, encode_line, ErrorKind, Event, Request, RequestId};

/// What the stdin reader hands the main loop.
pub(crate) enum Incoming {
    Request(Request),
    Malformed(String),
}

/// Writes events, one line each, flushed at once so tokens stream.
pub(crate) struct EventWriter {
    out: BufWriter<File>,
}

impl EventWriter {
    /// Takes the process's stdout for the protocol and points fd 1 at stderr, so that anything
    /// llama.cpp prints with `printf` lands in the log instead of corrupting the protocol.
    #[cfg(unix)]
    pub(crate) fn take_stdout() -> std::io::Result<EventWriter> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain descriptor duplication; the new descriptor is owned by the File below.
        let fd = unsafe { libc::dup(libc::STDOUT_FILENO) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fds 1 and 2 are open for the life of the process.
        if unsafe { libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(EventWriter {
            out: BufWriter::new(file),
        })
    }

    /// On other systems the protocol uses stdout as it is.
    #[cfg(not(unix))]
    pub(crate) fn take_stdout() -> std::io::Result<EventWriter> {
        use std::os::windows::io::{AsRawHandle, FromRawHandle};
        let handle = std::io::stdout().as_raw_handle();
        // SAFETY: the process's stdout handle stays open for its whole life.
        let file = unsafe { File::from_raw_handle(handle) };
        Ok(EventWriter {
            out: BufWriter::new(file),
        })
    }

    /// Sends one event; fails when the app has gone away.
    pub(crate) fn send(&mut self, event: &Event) -> std::io::Result<()> {
        let line = encode_line(event).map_err(std::io::Error::other)?;
        self.out.write_all(line.as_bytes())?;
        self.out.flush()
    }

    /// Sends one event, ignoring a closed pipe: the stdin reader sees the app leave and ends
    /// the worker.
    pub(crate) fn event(&mut self, event: Event) {
        let _ = self.send(&event);
    }

    /// A reporter of `load`'s progress for llama.cpp's callback, which must own what it uses:
    /// a second writer on the same pipe (the load runs on this thread, so lines never mix),
    /// sending each whole percent once. `None` when the pipe cannot be duplicated; the load
    /// then goes on without progress.
    pub(crate) fn load_progress(&self, id: RequestId) -> Option<impl FnMut(f32) -> bool + 'static> {
        let file = self.out.get_ref().try_clone().ok()?;
        let mut out = EventWriter {
            out: BufWriter::new(file),
        };
        let mut sent = -1;
        Some(move |progress: f32| {
            let progress = progress.clamp(0.0, 1.0);
            // Whole percents: at most 101 lines, whatever llama.cpp's pace.
            let percent = (progress * 100.0) as i32;
            if percent > sent {
                sent = percent;
                out.event(Event::LoadProgress { id, progress });
            }
            true
        })
    }

    /// Sends an error for request `id`.
    pub(crate) fn error(&mut self, id: RequestId, kind: ErrorKind, message: String) {
        self.event(Event::Error { id, kind, message });
    }
}

/// Reads requests on a thread of its own, so a `cancel` is seen while a generation runs.
pub(crate) fn spawn_stdin_reader(cancel: CancelFlag) -> Receiver<Incoming> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            let incoming = match decode_line::<Request>(&line) {
                Ok(request) => {
                    match &request {
                        Request::Cancel { id } => cancel.set(*id),
                        Request::Shutdown => cancel.set(CANCEL_ALL),
                        _ => {}
                    }
                    Incoming::Request(request)
                }
                Err(e) => Incoming::Malformed(format!("unreadable request: {e}")),
            };
            if tx.send(incoming).is_err() {
                return;
            }
        }
        // The app closed our stdin: stop any generation and let the main loop end.
        cancel.set(CANCEL_ALL);
    });
    rx
}

/// The next request, reporting unreadable lines on the way; `None` when stdin has closed.
pub(crate) fn recv(requests: &Receiver<Incoming>, out: &mut EventWriter) -> Option<Request> {
    loop {
        match requests.recv().ok()? {
            Incoming::Request(r) => return Some(r),
            Incoming::Malformed(message) => out.error(0, ErrorKind::InvalidRequest, message),
        }
    }
}
