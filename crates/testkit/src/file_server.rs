//! A real HTTP server on 127.0.0.1 that serves one file and misbehaves on request, for testing
//! the downloader: cut connections, stalls, ignored `Range`, a flipped byte, error statuses,
//! redirects and a file that changes between requests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;

/// How the server misbehaves. GET requests are counted from 0; "first" faults hit request 0 only.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Cut the connection after this many body bytes of the first GET.
    pub drop_after: Option<u64>,
    /// Send this many body bytes on the first GET, then nothing, without closing.
    pub stall_after: Option<u64>,
    /// Answer every GET with the whole file and 200, whatever `Range` says.
    pub ignore_range: bool,
    /// Serve the file with the byte at this offset flipped.
    pub flip_byte: Option<u64>,
    /// Answer the first GETs with these statuses, then serve normally.
    pub fail_first: Vec<u16>,
    /// Answer every request with this status.
    pub status_always: Option<u16>,
    /// `/file` answers 302 to `/cdn/file` (as Hugging Face's `resolve/` URLs do).
    pub redirect: bool,
    /// `X-Linked-Etag` on the redirect (Hugging Face's LFS SHA-256).
    pub linked_etag: Option<String>,
    /// From the second GET on, serve different bytes under a new ETag.
    pub change_after_first: bool,
    /// Send at most this many bytes per second.
    pub rate: Option<u64>,
}

/// One request the server saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path.
    pub path: String,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `If-Range` header.
    pub if_range: Option<String>,
}

struct Shared {
    content: Bytes,
    faults: Faults,
    gets: AtomicUsize,
    seen: Mutex<Vec<SeenRequest>>,
}

/// The running server; it stops with the test process.
pub struct FileServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

const CHUNK: usize = 64 << 10;

impl FileServer {
    /// Serves `content` at `/<any name>` on a free port of 127.0.0.1, from its own thread.
    pub fn start(content: Bytes, faults: Faults) -> FileServer {
        FileServer::start_on(0, content, faults)
    }

    /// Like [`FileServer::start`], on `port` (0 = any free port).
    pub fn start_on(port: u16, content: Bytes, faults: Faults) -> FileServer {
        let shared = Arc::new(Shared {
            content,
            faults,
            gets: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let app = axum::Router::new()
            .fallback(serve)
            .with_state(shared.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                axum::serve(listener, app).await.expect("file server");
            });
        });
        FileServer { addr, shared }
    }

    /// The URL of `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared
            .seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The bytes a request after the first gets when `change_after_first` is set.
    pub fn changed_content(content: &Bytes) -> Bytes {
        let mut changed = content.to_vec();
        if let Some(last) = changed.last_mut() {
            *last ^= 0x55;
        }
        Bytes::from(changed)
    }
}

async fn serve(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = uri.path().to_owned();
    if let Ok(mut seen) = shared.seen.lock() {
        seen.push(SeenRequest {
            method: method.to_string(),
            path: path.clone(),
            range: text(header::RANGE),
            if_range: text(header::IF_RANGE),
        });
    }
    let faults = &shared.faults;
    if let Some(status) = faults.status_always {
        return status_only(status);
    }
    if faults.redirect && !path.starts_with("/cdn/") {
        let mut reply = Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, format!("/cdn{path}"));
        if let Some(etag) = &faults.linked_etag {
            reply = reply.header("x-linked-etag", format!("\"{etag}\""));
        }
        return reply.body(Body::empty()).unwrap_or_default();
    }
    if method == Method::HEAD {
        return Response::builder()
            .header(header::CONTENT_LENGTH, shared.content.len())
            .header(header::ETAG, "\"v0\"")
            .body(Body::empty())
            .unwrap_or_default();
    }
    let n = shared.gets.fetch_add(1, Ordering::SeqCst);
    if let Some(status) = faults.fail_first.get(n) {
        return status_only(*status);
    }
    let version = usize::from(faults.change_after_first && n > 0);
    let mut content = if version == 1 {
        FileServer::changed_content(&shared.content)
    } else {
        shared.content.clone()
    };
    if let Some(at) = faults.flip_byte {
        let mut flipped = content.to_vec();
        if let Some(b) = flipped.get_mut(at as usize) {
            *b ^= 0x01;
        }
        content = Bytes::from(flipped);
    }
    let etag = format!("\"v{version}\"");
    let len = content.len() as u64;
    let wanted = text(header::RANGE).and_then(|r| {
        r.strip_prefix("bytes=")?
            .strip_suffix('-')?
            .parse::<u64>()
            .ok()
    });
    let validator_ok = text(header::IF_RANGE).is_none_or(|v| v == etag);
    let mut reply = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes");
    let start = match wanted {
        Some(start) if !faults.ignore_range && validator_ok => {
            if start >= len {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(Body::empty())
                    .unwrap_or_default();
            }
            reply = reply.status(StatusCode::PARTIAL_CONTENT).header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{len}", len - 1),
            );
            start
        }
        _ => 0,
    };
    reply = reply.header(header::CONTENT_LENGTH, len - start);
    let first = n == 0;
    let plan = Plan {
        started: tokio::time::Instant::now(),
        content,
        pos: start as usize,
        sent: 0,
        cut: faults.drop_after.filter(|_| first),
        stall: faults.stall_after.filter(|_| first),
        rate: faults.rate,
    };
    let body = Body::from_stream(futures::stream::unfold(plan, Plan::next));
    reply.body(body).unwrap_or_default()
}

/// The body of one reply, chunk by chunk, with its faults.
struct Plan {
    started: tokio::time::Instant,
    content: Bytes,
    pos: usize,
    sent: u64,
    cut: Option<u64>,
    stall: Option<u64>,
    rate: Option<u64>,
}

impl Plan {
    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Plan)> {
        if self.pos >= self.content.len() {
            return None;
        }
        if self.cut.is_some_and(|cut| self.sent >= cut) {
            return Some((
                Err(std::io::Error::other("connection cut on purpose")),
                self.cut_forever(),
            ));
        }
        if self.stall.is_some_and(|stall| self.sent >= stall) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let mut end = (self.pos + CHUNK).min(self.content.len());
        for limit in [self.cut, self.stall].into_iter().flatten() {
            if self.sent < limit {
                end = end.min(self.pos + (limit - self.sent) as usize);
            }
        }
        let chunk = self.content.slice(self.pos..end);
        if let Some(rate) = self.rate {
            // Pace against the start, not per chunk: timer granularity would otherwise slow it.
            let due = (self.sent + chunk.len() as u64) as f64 / rate as f64;
            tokio::time::sleep_until(self.started + Duration::from_secs_f64(due)).await;
        }
        self.pos = end;
        self.sent += chunk.len() as u64;
        Some((Ok(chunk), self))
    }

    fn cut_forever(mut self) -> Plan {
        self.pos = self.content.len();
        self
    }
}

fn status_only(status: u16) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .body(Body::from(format!("status {status} on purpose\n")))
        .unwrap_or_default()
}
