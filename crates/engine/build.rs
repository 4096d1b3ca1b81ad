//! Lets the worker find llama.cpp's shared libraries wherever it is installed: `lib/` beside it
//! (the build directory), or the package's resource folder (`/usr/lib/Hearth/lib` in the Linux
//! packages, `Contents/Resources/lib` in the macOS app). DT_RPATH (not RUNPATH) so the path also
//! serves libllama's own dependencies. Keep in step with `worker::library_dirs`.

fn main() {
    if std::env::var_os("CARGO_FEATURE_WORKER").is_none() {
        return;
    }
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => println!(
            "cargo:rustc-link-arg-bin=hearth-engine=-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib:$ORIGIN:$ORIGIN/../lib/Hearth/lib"
        ),
        Ok("macos") => {
            println!("cargo:rustc-link-arg-bin=hearth-engine=-Wl,-rpath,@loader_path/lib");
            println!("cargo:rustc-link-arg-bin=hearth-engine=-Wl,-rpath,@loader_path");
            println!(
                "cargo:rustc-link-arg-bin=hearth-engine=-Wl,-rpath,@loader_path/../Resources/lib"
            );
        }
        _ => {}
    }
}
