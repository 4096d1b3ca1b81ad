// Tauri generates one `allow-<command>` permission per command. The command list is read from
// src/commands.rs itself (see src/contract.rs), and the build stops when the capability in
// capabilities/default.json grants any other set: the two cannot drift apart.

#[path = "src/contract.rs"]
#[allow(dead_code)]
mod contract;

fn main() {
    println!("cargo:rerun-if-changed=src/commands.rs");
    println!("cargo:rerun-if-changed=capabilities/default.json");
    let source = match std::fs::read_to_string("src/commands.rs") {
        Ok(source) => source,
        Err(e) => {
            eprintln!("cannot read src/commands.rs: {e}");
            std::process::exit(1);
        }
    };
    let commands = contract::commands(&source);
    // tauri-build keeps the names for the rest of the build script's short life.
    let names: &'static [&'static str] = Vec::leak(
        commands
            .iter()
            .map(|c| &*String::leak(c.name.clone()))
            .collect(),
    );
    let capability = std::fs::read_to_string("capabilities/default.json").unwrap_or_default();
    let granted: Vec<&str> = capability
        .split('"')
        .filter(|s| s.starts_with("allow-"))
        .collect();
    let wanted = contract::permissions(&commands);
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|p| !granted.contains(&p.as_str()))
        .collect();
    let extra: Vec<&&str> = granted
        .iter()
        .filter(|p| !wanted.iter().any(|w| w == *p))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        eprintln!(
            "capabilities/default.json does not match src/commands.rs: missing {missing:?}, not a command {extra:?}"
        );
        std::process::exit(1);
    }
    let manifest = tauri_build::AppManifest::new().commands(names);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        eprintln!("the Tauri configuration is not valid: {e:#}");
        std::process::exit(1);
    }
}
