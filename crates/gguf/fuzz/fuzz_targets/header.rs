//! Any bytes at all: reading them as a GGUF header returns, never panics, never allocates
//! beyond what the input could hold. Run with `cargo fuzz run header` from crates/gguf.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = hearth_gguf::GgufFile::read(data, data.len() as u64) {
        let _ = file.check_runnable();
        let _ = file.parameter_count();
        let _ = file.context_length();
    }
});
