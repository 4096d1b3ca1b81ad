//! Serves one file on 127.0.0.1 for benchmarks: `hearth-file-server FILE [PORT] [MB_PER_SEC]`
//! (port 0 = any free port; a rate paces every reply like a link of that speed).
//! Prints the URL, then serves until killed.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: hearth-file-server FILE [PORT] [MB_PER_SEC]");
        std::process::exit(2);
    };
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let rate = args
        .next()
        .and_then(|r| r.parse::<u64>().ok())
        .map(|mb| mb * 1_000_000);
    let content = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let faults = hearth_testkit::Faults {
        rate,
        ..Default::default()
    };
    let server = hearth_testkit::FileServer::start_on(port, content.into(), faults);
    let name = std::path::Path::new(&path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!("{}", server.url(&name));
    loop {
        std::thread::park();
    }
}
