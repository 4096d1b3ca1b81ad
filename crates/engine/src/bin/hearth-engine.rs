//! The engine worker process: see `hearth_engine::protocol` for what it speaks.

fn main() {
    std::process::exit(hearth_engine::worker::run());
}
