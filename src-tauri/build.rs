// The app's commands are declared here so that Tauri generates one `allow-<command>`
// permission each; the capability in capabilities/default.json grants exactly those.
fn main() {
    let commands = &[
        "models",
        "set_default_model",
        "chats",
        "new_chat",
        "chat",
        "patch_chat",
        "delete_chat",
        "send",
        "regenerate",
        "edit",
        "show_version",
        "cancel",
        "search",
        "generation",
        "set_generation",
        "settings",
        "set_system_prompt",
        "catalog",
        "installed",
        "start_download",
        "pause_download",
        "cancel_download",
        "verify_model",
        "delete_model",
        "api_status",
        "set_api",
        "import_model",
        "clear_model_generation",
        "open_data_folder",
        "set_check_updates",
        "check_update",
        "download_update",
        "install_update",
    ];
    let manifest = tauri_build::AppManifest::new().commands(commands);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri configuration is valid");
}
