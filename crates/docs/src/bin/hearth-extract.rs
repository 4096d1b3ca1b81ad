//! hearth-extract: LocalDocs' document reader. It runs apart from the app so that a parser that
//! panics, loops or eats memory on a hostile file costs only that file: `--serve` answers one
//! path per line (see `hearth_docs::extract`), under the memory limit it is given.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut limits = hearth_docs::extract::Limits::default();
    let mut serve = false;
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), value) {
            ("--serve", _) => serve = true,
            ("--max-bytes", Some(v)) => {
                limits.max_bytes = v;
                i += 1;
            }
            ("--memory", Some(v)) => {
                limits.memory = v;
                i += 1;
            }
            (other, _) => {
                eprintln!("hearth-extract: unknown argument {other:?}; it is started by Hearth with --serve");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    if !serve {
        eprintln!("hearth-extract reads documents for Hearth's LocalDocs; it is started by Hearth");
        return ExitCode::from(2);
    }
    match hearth_docs::extract::serve(limits) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-extract: {e}");
            ExitCode::FAILURE
        }
    }
}
