//! Serves one file on 127.0.0.1 for benchmarks: `hearth-file-server FILE [PORT]`.
//! Prints the URL, then serves until killed.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: hearth-file-server FILE [PORT]");
        std::process::exit(2);
    };
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let content = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let server = hearth_testkit::FileServer::start_on(port, content.into(), Default::default());
    let name = std::path::Path::new(&path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!("{}", server.url(&name));
    loop {
        std::thread::park();
    }
}
