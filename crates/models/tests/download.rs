//! The downloader against a real HTTP server on 127.0.0.1 serving the real test model, with each
//! way a server or network misbehaves. After every test, `models/` holds the right file or none.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use hearth_models::{
    DownloadEvent, DownloadProblem, DownloadRequest, DownloadSettings, Downloader, Library,
    ModelsError,
};
use hearth_testkit::{test_model, Faults, FileServer, ScratchDir};

const SHA: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const MB: u64 = 1 << 20;

fn model() -> Bytes {
    static BYTES: OnceLock<Bytes> = OnceLock::new();
    BYTES
        .get_or_init(|| Bytes::from(std::fs::read(test_model()).expect("test model")))
        .clone()
}

fn settings() -> DownloadSettings {
    DownloadSettings {
        stall_timeout: Duration::from_secs(1),
        retries: 3,
        backoff: Duration::from_millis(50),
        parallel: 2,
        progress_interval: Duration::from_millis(50),
    }
}

fn request(server: &FileServer) -> DownloadRequest {
    DownloadRequest {
        id: "smollm2".into(),
        url: server.url(FILE),
        file: FILE.into(),
        size: None,
        sha256: Some(SHA.into()),
    }
}

/// Files in `models/`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Runs one download with `faults`; returns its result, the events and the server's requests.
async fn pull(
    dir: &Path,
    faults: Faults,
    adjust: impl FnOnce(&mut DownloadRequest),
) -> (
    Result<std::path::PathBuf, ModelsError>,
    Vec<DownloadEvent>,
    FileServer,
) {
    let server = FileServer::start(model(), faults);
    let downloader = Downloader::new(dir, settings()).unwrap();
    let mut events = downloader.subscribe();
    let mut req = request(&server);
    adjust(&mut req);
    let result = downloader.download(req).await;
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    (result, seen, server)
}

/// The offset of a `bytes=N-` range.
fn range_start(range: Option<&str>) -> u64 {
    let range = range.expect("a Range header");
    range
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .expect("bytes=N-")
}

fn assert_installed(dir: &Path, result: &Result<std::path::PathBuf, ModelsError>) {
    let path = result.as_ref().expect("download succeeds");
    assert_eq!(path, &dir.join(FILE));
    assert_eq!(hearth_models::sha256_file(path).unwrap().0, SHA);
    assert_eq!(
        files(dir),
        vec![FILE.to_owned(), "hearth-models.json".to_owned()]
    );
}

/// The kind of failure the last event reports, for a window to say in its own language.
fn problem(events: &[DownloadEvent]) -> Option<DownloadProblem> {
    match events.last() {
        Some(DownloadEvent::Failed { problem, .. }) => Some(*problem),
        _ => None,
    }
}

fn assert_nothing_installed(dir: &Path) {
    let names = files(dir);
    assert!(!names.iter().any(|n| n.ends_with(".gguf")), "{names:?}");
}

#[tokio::test]
async fn a_clean_download_is_verified_and_installed() {
    let dir = ScratchDir::new("dl-clean");
    let (result, events, server) = pull(dir.path(), Faults::default(), |_| {}).await;
    assert_installed(dir.path(), &result);
    assert_eq!(server.requests().len(), 1);
    assert!(events.iter().any(|e| matches!(e, DownloadEvent::Progress { bytes_per_sec, total: Some(t), .. } if *bytes_per_sec > 0 && *t == model().len() as u64)));
    assert!(
        matches!(events.last(), Some(DownloadEvent::Finished { .. })),
        "{events:?}"
    );
    let record = Library::new(dir.path())
        .verify(FILE, &hearth_models::Catalog::empty())
        .unwrap();
    assert_eq!(
        record.matches(),
        Some(true),
        "the install recorded its checksum"
    );
}

#[tokio::test]
async fn a_dropped_connection_resumes_where_it_stopped() {
    let dir = ScratchDir::new("dl-drop");
    let faults = Faults {
        drop_after: Some(10 * MB),
        ..Faults::default()
    };
    let (result, events, server) = pull(dir.path(), faults, |_| {}).await;
    assert_installed(dir.path(), &result);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    // The client may not see the last bytes sent before the cut; it resumes after what it kept.
    let from = range_start(requests[1].range.as_deref());
    assert!(from > 9 * MB && from <= 10 * MB, "{requests:?}");
    assert_eq!(requests[1].if_range.as_deref(), Some("\"v0\""));
    assert!(events
        .iter()
        .any(|e| matches!(e, DownloadEvent::Retrying { .. })));
    assert!(events.iter().any(
        |e| matches!(e, DownloadEvent::Started { resumed_from, .. } if *resumed_from == from)
    ));
}

#[tokio::test]
async fn a_server_that_ignores_range_restarts_cleanly() {
    let dir = ScratchDir::new("dl-norange");
    let faults = Faults {
        drop_after: Some(5 * MB),
        ignore_range: true,
        ..Faults::default()
    };
    let (result, events, _server) = pull(dir.path(), faults, |_| {}).await;
    assert_installed(dir.path(), &result);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DownloadEvent::Restarted { .. })),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_flipped_byte_is_rejected_and_deleted() {
    let dir = ScratchDir::new("dl-flip");
    let faults = Faults {
        flip_byte: Some(50_000_000),
        ..Faults::default()
    };
    let (result, events, _server) = pull(dir.path(), faults, |_| {}).await;
    let Err(ModelsError::ChecksumMismatch {
        expected, actual, ..
    }) = &result
    else {
        panic!("expected a checksum mismatch, got {result:?}");
    };
    assert_eq!(expected, SHA);
    assert_ne!(actual, SHA);
    assert!(result
        .unwrap_err()
        .to_string()
        .contains("nothing was installed"));
    assert!(
        files(dir.path()).is_empty(),
        "part file deleted: {:?}",
        files(dir.path())
    );
    assert_eq!(problem(&events), Some(DownloadProblem::Damaged));
}

/// Regression guard: a server could send an endless body. Nothing past the file's size is
/// taken: the download stops there, deletes its part and installs nothing.
#[tokio::test]
async fn a_server_sending_more_than_the_file_has_is_cut_off() {
    let dir = ScratchDir::new("dl-too-long");
    let claimed = model().len() as u64 - 1_000_000;
    let (result, events, _server) =
        pull(dir.path(), Faults::default(), |r| r.size = Some(claimed)).await;
    match &result {
        Err(ModelsError::TooLarge { limit, .. }) => assert_eq!(*limit, claimed),
        other => panic!("expected the download to be cut off, got {other:?}"),
    }
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
    assert_eq!(problem(&events), Some(DownloadProblem::Damaged));
}

#[tokio::test]
async fn a_stalled_transfer_is_dropped_and_resumed() {
    let dir = ScratchDir::new("dl-stall");
    let faults = Faults {
        stall_after: Some(3 * MB),
        ..Faults::default()
    };
    let (result, _events, server) = pull(dir.path(), faults, |_| {}).await;
    assert_installed(dir.path(), &result);
    let from = range_start(server.requests()[1].range.as_deref());
    assert!(from > 2 * MB && from <= 3 * MB, "{from}");
}

#[tokio::test]
async fn not_found_is_a_clear_error_without_retries() {
    let dir = ScratchDir::new("dl-404");
    let faults = Faults {
        status_always: Some(404),
        ..Faults::default()
    };
    let (result, events, server) = pull(dir.path(), faults, |_| {}).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, ModelsError::HttpStatus { status: 404, .. }),
        "{err:?}"
    );
    assert_eq!(
        problem(&events),
        Some(DownloadProblem::Refused { status: 404 })
    );
    assert!(err.to_string().contains("HTTP 404"));
    assert_eq!(server.requests().len(), 1);
    assert_nothing_installed(dir.path());
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let dir = ScratchDir::new("dl-500");
    let faults = Faults {
        fail_first: vec![500, 503],
        ..Faults::default()
    };
    let (result, events, server) = pull(dir.path(), faults, |_| {}).await;
    assert_installed(dir.path(), &result);
    assert_eq!(server.requests().len(), 3);
    let waits: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Retrying { wait_ms, .. } => Some(*wait_ms),
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![50, 100], "backoff doubles");
}

#[tokio::test]
async fn endless_server_errors_give_up() {
    let dir = ScratchDir::new("dl-500s");
    let faults = Faults {
        status_always: Some(502),
        ..Faults::default()
    };
    let (result, events, server) = pull(dir.path(), faults, |_| {}).await;
    assert!(
        matches!(result, Err(ModelsError::Network { .. })),
        "{result:?}"
    );
    assert_eq!(problem(&events), Some(DownloadProblem::Unreachable));
    assert_eq!(server.requests().len(), 4, "one try and three retries");
    assert_nothing_installed(dir.path());
}

/// Offline: nothing answers at the address. The window shows its "offline" state from this.
#[tokio::test]
async fn a_server_nobody_answers_at_is_unreachable_after_the_retries() {
    let dir = ScratchDir::new("dl-offline");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let downloader = Downloader::new(dir.path(), settings()).unwrap();
    let mut events = downloader.subscribe();
    let result = downloader
        .download(DownloadRequest {
            id: "smollm2".into(),
            url: format!("http://127.0.0.1:{port}/{FILE}"),
            file: FILE.into(),
            size: None,
            sha256: Some(SHA.into()),
        })
        .await;
    assert!(
        matches!(result, Err(ModelsError::Network { .. })),
        "{result:?}"
    );
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    let retries = seen
        .iter()
        .filter(|e| matches!(e, DownloadEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 3, "{seen:?}");
    assert_eq!(problem(&seen), Some(DownloadProblem::Unreachable));
    assert_nothing_installed(dir.path());
}

#[tokio::test]
async fn redirects_are_followed() {
    let dir = ScratchDir::new("dl-redirect");
    let faults = Faults {
        redirect: true,
        ..Faults::default()
    };
    let (result, _events, server) = pull(dir.path(), faults, |_| {}).await;
    assert_installed(dir.path(), &result);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec![format!("/{FILE}"), format!("/cdn/{FILE}")]);
}

#[tokio::test]
async fn a_missing_checksum_comes_from_the_lfs_etag() {
    let dir = ScratchDir::new("dl-etag");
    let faults = Faults {
        redirect: true,
        linked_etag: Some(SHA.into()),
        ..Faults::default()
    };
    let (result, _events, server) = pull(dir.path(), faults, |r| r.sha256 = None).await;
    assert_installed(dir.path(), &result);
    assert_eq!(server.requests()[0].method, "HEAD");
}

#[tokio::test]
async fn without_any_checksum_the_download_is_refused() {
    let dir = ScratchDir::new("dl-nosha");
    let faults = Faults {
        redirect: true,
        ..Faults::default()
    };
    let (result, _events, server) = pull(dir.path(), faults, |r| r.sha256 = None).await;
    assert!(
        matches!(result, Err(ModelsError::NoChecksum { .. })),
        "{result:?}"
    );
    assert!(
        server.requests().iter().all(|r| r.method == "HEAD"),
        "no GET without a checksum"
    );
    assert_nothing_installed(dir.path());
}

#[tokio::test]
async fn a_file_that_changed_on_the_server_is_restarted_then_rejected() {
    let dir = ScratchDir::new("dl-changed");
    let faults = Faults {
        drop_after: Some(4 * MB),
        change_after_first: true,
        ..Faults::default()
    };
    let (result, events, server) = pull(dir.path(), faults, |_| {}).await;
    let requests = server.requests();
    assert_eq!(
        requests[1].if_range.as_deref(),
        Some("\"v0\""),
        "resume asked for the same version"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DownloadEvent::Restarted { .. })),
        "{events:?}"
    );
    assert!(
        matches!(result, Err(ModelsError::ChecksumMismatch { .. })),
        "{result:?}"
    );
    assert!(files(dir.path()).is_empty());
}

#[tokio::test]
async fn not_enough_disk_space_is_refused_before_downloading() {
    let dir = ScratchDir::new("dl-disk");
    let (result, events, server) =
        pull(dir.path(), Faults::default(), |r| r.size = Some(1 << 60)).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ModelsError::DiskFull { .. }), "{err:?}");
    assert!(
        matches!(problem(&events), Some(DownloadProblem::DiskFull { needed, free }) if needed > free),
        "{events:?}"
    );
    assert!(err.to_string().contains("not enough disk space"));
    assert!(server.requests().is_empty());
}

/// A download from a server paced at 20 MB/s (five seconds for the test model), running.
fn slow_download(
    dir: &Path,
) -> (
    FileServer,
    Downloader,
    tokio::task::JoinHandle<Result<std::path::PathBuf, ModelsError>>,
) {
    let faults = Faults {
        rate: Some(20 * MB),
        ..Faults::default()
    };
    let server = FileServer::start(model(), faults);
    let downloader = Downloader::new(dir, settings()).unwrap();
    let running = tokio::spawn({
        let downloader = downloader.clone();
        let req = request(&server);
        async move { downloader.download(req).await }
    });
    (server, downloader, running)
}

#[tokio::test]
async fn pause_keeps_the_part_and_a_new_downloader_resumes_it() {
    let dir = ScratchDir::new("dl-pause");
    let (server, downloader, running) = slow_download(dir.path());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(downloader.pause("smollm2"));
    let result = running.await.unwrap();
    assert!(matches!(result, Err(ModelsError::Paused)), "{result:?}");
    let kept = downloader.partial_bytes(FILE).expect("part file kept");
    assert!(kept > MB && kept < model().len() as u64, "{kept}");
    drop(downloader);

    // As after a restart of the program: a new downloader finds the part file and its state.
    let downloader = Downloader::new(dir.path(), settings()).unwrap();
    let result = downloader.download(request(&server)).await;
    assert_installed(dir.path(), &result);
    let from = range_start(server.requests().pop().unwrap().range.as_deref());
    assert_eq!(from, kept, "resumed from the part file");
}

#[tokio::test]
async fn cancel_deletes_the_part_file() {
    let dir = ScratchDir::new("dl-cancel");
    let (_server, downloader, running) = slow_download(dir.path());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(downloader.cancel("smollm2"));
    assert!(matches!(
        running.await.unwrap(),
        Err(ModelsError::Cancelled)
    ));
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[tokio::test]
async fn downloads_beyond_the_limit_wait_their_turn() {
    let dir = ScratchDir::new("dl-queue");
    let server = FileServer::start(model(), Faults::default());
    let one_at_a_time = DownloadSettings {
        parallel: 1,
        ..settings()
    };
    let downloader = Downloader::new(dir.path(), one_at_a_time).unwrap();
    let mut events = downloader.subscribe();
    let mut second = request(&server);
    second.id = "copy".into();
    second.file = "copy.gguf".into();
    let (a, b) = tokio::join!(
        downloader.download(request(&server)),
        downloader.download(second)
    );
    a.unwrap();
    b.unwrap();
    let mut order = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            DownloadEvent::Queued { id } => order.push(format!("queued {id}")),
            DownloadEvent::Started { id, .. } => order.push(format!("started {id}")),
            DownloadEvent::Finished { id, .. } => order.push(format!("finished {id}")),
            _ => {}
        }
    }
    assert_eq!(
        order,
        [
            "queued copy",
            "started smollm2",
            "finished smollm2",
            "started copy",
            "finished copy"
        ]
    );
}
