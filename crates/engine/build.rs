//! Lets the worker find llama.cpp's shared libraries in `lib/` beside it, wherever it is
//! installed. DT_RPATH (not RUNPATH) so the path also serves libllama's own dependencies.

fn main() {
    if std::env::var_os("CARGO_FEATURE_WORKER").is_none() {
        return;
    }
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => println!(
            "cargo:rustc-link-arg-bin=hearth-engine=-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib:$ORIGIN"
        ),
        Ok("macos") => {
            println!("cargo:rustc-link-arg-bin=hearth-engine=-Wl,-rpath,@loader_path/lib");
            println!("cargo:rustc-link-arg-bin=hearth-engine=-Wl,-rpath,@loader_path");
        }
        _ => {}
    }
}
