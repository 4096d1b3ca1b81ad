//! Every command the window may call, each a one-line adapter onto [`hearth_core::App`] (or,
//! for updates, onto [`Updates`]; for links, onto the system browser).
//!
//! This file is the one list: [`handler`] registers exactly these functions, build.rs reads
//! their names from here to make one `allow-<command>` permission each and refuses to build
//! when `capabilities/default.json` grants a different set, and a test checks that the UI's
//! `tauri.ts` calls only these commands with their argument names.

use hearth_core::api::{ApiStatus, ApiSwitch};
use hearth_core::docs::UnreadableFile;
use hearth_core::providers::RemoteModel;
use hearth_core::{
    App, AppSettings, CatalogView, Chat, ChatPatch, ChatView, CollectionChange, CollectionView,
    GenerationSettings, Id, ImportResult, InstalledRow, LocalDocsView, ModelChoices, NewCollection,
    NewProvider, ProviderAdded, ProvidersView, RetrievalSettings, SearchHit, SnapshotUsage,
    Started, UpdateInfo, VerifyResult,
};
use tauri::{AppHandle, State};

use crate::error::Error;
use crate::updates::Updates;

type Result<T> = std::result::Result<T, Error>;

/// The invoke handler with every command of this file.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        models,
        set_default_model,
        unload_model,
        chats,
        new_chat,
        chat,
        patch_chat,
        delete_chat,
        collections,
        localdocs,
        add_collection,
        change_collection,
        unreadable_files,
        pause_indexing,
        set_retrieval,
        snapshots,
        set_snapshot_limit,
        clear_snapshots,
        providers,
        add_provider,
        remove_provider,
        provider_models,
        add_provider_model,
        set_keys_in_file,
        send,
        regenerate,
        edit,
        show_version,
        cancel,
        search,
        generation,
        set_generation,
        clear_model_generation,
        open_data_folder,
        open_models_folder,
        settings,
        set_system_prompt,
        catalog,
        installed,
        start_download,
        pause_download,
        cancel_download,
        verify_model,
        delete_model,
        api_status,
        set_api,
        new_api_key,
        import_model,
        open_link,
        open_source,
        set_check_updates,
        check_update,
        download_update,
        install_update,
    ]
}

#[tauri::command]
pub async fn models(app: State<'_, App>) -> Result<ModelChoices> {
    Ok(app.models().await?)
}
#[tauri::command]
pub async fn set_default_model(app: State<'_, App>, id: String) -> Result<()> {
    Ok(app.set_default_model(&id).await?)
}
#[tauri::command]
pub async fn unload_model(app: State<'_, App>) -> Result<()> {
    Ok(app.unload_model().await?)
}
#[tauri::command]
pub async fn chats(app: State<'_, App>) -> Result<Vec<Chat>> {
    Ok(app.chats().await?)
}
#[tauri::command]
pub async fn new_chat(app: State<'_, App>) -> Result<Chat> {
    Ok(app.new_chat().await?)
}
#[tauri::command]
pub async fn chat(app: State<'_, App>, id: Id) -> Result<ChatView> {
    Ok(app.chat(id).await?)
}
#[tauri::command]
pub async fn patch_chat(app: State<'_, App>, id: Id, patch: ChatPatch) -> Result<()> {
    Ok(app.patch_chat(id, patch).await?)
}
#[tauri::command]
pub async fn delete_chat(app: State<'_, App>, id: Id) -> Result<()> {
    Ok(app.delete_chat(id).await?)
}
#[tauri::command]
pub async fn open_source(app: State<'_, App>, message_id: Id, index: u32) -> Result<()> {
    Ok(app.open_source(message_id, index as usize).await?)
}
#[tauri::command]
pub async fn collections(app: State<'_, App>) -> Result<Vec<CollectionView>> {
    Ok(app.collections().await?)
}
#[tauri::command]
pub async fn localdocs(app: State<'_, App>) -> Result<LocalDocsView> {
    Ok(app.localdocs().await?)
}
#[tauri::command]
pub async fn add_collection(
    app: State<'_, App>,
    collection: NewCollection,
) -> Result<CollectionView> {
    Ok(app.add_collection(collection).await?)
}
#[tauri::command]
pub async fn change_collection(
    app: State<'_, App>,
    name: String,
    change: CollectionChange,
) -> Result<()> {
    Ok(app.change_collection(&name, change).await?)
}
#[tauri::command]
pub async fn unreadable_files(app: State<'_, App>, name: String) -> Result<Vec<UnreadableFile>> {
    Ok(app.unreadable_files(&name).await?)
}
#[tauri::command]
pub async fn set_retrieval(app: State<'_, App>, settings: RetrievalSettings) -> Result<()> {
    Ok(app.set_retrieval(&settings).await?)
}
#[tauri::command]
pub async fn providers(app: State<'_, App>) -> Result<ProvidersView> {
    Ok(app.providers().await?)
}
#[tauri::command]
pub async fn add_provider(app: State<'_, App>, provider: NewProvider) -> Result<ProviderAdded> {
    Ok(app.add_provider(provider, true).await?)
}
#[tauri::command]
pub async fn remove_provider(app: State<'_, App>, name: String) -> Result<()> {
    Ok(app.remove_provider(&name).await?)
}
#[tauri::command]
pub async fn provider_models(app: State<'_, App>, name: String) -> Result<Vec<RemoteModel>> {
    Ok(app.provider_models(&name).await?)
}
#[tauri::command]
pub async fn add_provider_model(app: State<'_, App>, name: String, id: String) -> Result<()> {
    Ok(app.add_provider_model(&name, &id).await?)
}
#[tauri::command]
pub async fn set_keys_in_file(app: State<'_, App>, allowed: bool) -> Result<ProvidersView> {
    app.set_keys_in_file(allowed).await?;
    Ok(app.providers().await?)
}
#[tauri::command]
pub async fn snapshots(app: State<'_, App>) -> Result<SnapshotUsage> {
    Ok(app.snapshots().await)
}
#[tauri::command]
pub async fn set_snapshot_limit(app: State<'_, App>, bytes: u64) -> Result<SnapshotUsage> {
    Ok(app.set_snapshot_limit(bytes).await?)
}
#[tauri::command]
pub async fn clear_snapshots(app: State<'_, App>) -> Result<SnapshotUsage> {
    Ok(app.clear_snapshots().await)
}
#[tauri::command]
pub fn pause_indexing(app: State<'_, App>, paused: bool) {
    app.pause_indexing(paused)
}
#[tauri::command]
pub async fn send(
    app: State<'_, App>,
    chat_id: Id,
    text: String,
    model: String,
    files: Vec<String>,
) -> Result<Started> {
    Ok(app.send_files(chat_id, &text, &model, &files).await?)
}
#[tauri::command]
pub async fn regenerate(app: State<'_, App>, chat_id: Id, model: String) -> Result<Started> {
    Ok(app.regenerate(chat_id, &model).await?)
}
#[tauri::command]
pub async fn edit(
    app: State<'_, App>,
    message_id: Id,
    text: String,
    model: String,
) -> Result<Started> {
    Ok(app.edit(message_id, &text, &model).await?)
}
#[tauri::command]
pub async fn show_version(app: State<'_, App>, message_id: Id) -> Result<()> {
    Ok(app.show_version(message_id).await?)
}
#[tauri::command]
pub fn cancel(app: State<'_, App>, chat_id: Id) {
    app.cancel(chat_id)
}
#[tauri::command]
pub async fn search(app: State<'_, App>, query: String) -> Result<Vec<SearchHit>> {
    Ok(app.search(&query).await?)
}
#[tauri::command]
pub async fn generation(app: State<'_, App>, model: Option<String>) -> Result<GenerationSettings> {
    Ok(app.generation(model.as_deref()).await?)
}
#[tauri::command]
pub async fn set_generation(
    app: State<'_, App>,
    model: Option<String>,
    settings: GenerationSettings,
) -> Result<()> {
    Ok(app.set_generation(model.as_deref(), &settings).await?)
}
#[tauri::command]
pub async fn clear_model_generation(app: State<'_, App>, model: String) -> Result<()> {
    Ok(app.clear_model_generation(&model).await?)
}
#[tauri::command]
pub fn open_data_folder(app: State<'_, App>) -> Result<()> {
    Ok(app.open_data_folder()?)
}
#[tauri::command]
pub fn open_models_folder(app: State<'_, App>) -> Result<()> {
    Ok(app.open_models_folder()?)
}
#[tauri::command]
pub async fn settings(app: State<'_, App>) -> Result<AppSettings> {
    Ok(app.settings().await?)
}
#[tauri::command]
pub async fn set_system_prompt(app: State<'_, App>, text: String) -> Result<()> {
    Ok(app.set_system_prompt(&text).await?)
}
#[tauri::command]
pub fn catalog(app: State<'_, App>) -> Result<CatalogView> {
    Ok(app.catalog()?)
}
#[tauri::command]
pub fn installed(app: State<'_, App>) -> Result<Vec<InstalledRow>> {
    Ok(app.installed()?)
}
#[tauri::command]
pub fn start_download(app: State<'_, App>, id: String) -> Result<()> {
    Ok(app.start_download(&id)?)
}
#[tauri::command]
pub fn pause_download(app: State<'_, App>, id: String) -> bool {
    app.pause_download(&id)
}
#[tauri::command]
pub fn cancel_download(app: State<'_, App>, id: String) {
    app.cancel_download(&id)
}
#[tauri::command]
pub async fn verify_model(app: State<'_, App>, id: String) -> Result<VerifyResult> {
    Ok(app.verify_model(&id).await?)
}
#[tauri::command]
pub fn delete_model(app: State<'_, App>, id: String) -> Result<()> {
    Ok(app.delete_model(&id)?)
}
#[tauri::command]
pub async fn api_status(app: State<'_, App>, api: State<'_, ApiSwitch>) -> Result<ApiStatus> {
    Ok(api.status(&app).await?)
}
#[tauri::command]
pub async fn set_api(
    app: State<'_, App>,
    api: State<'_, ApiSwitch>,
    enabled: bool,
    host: String,
    port: u16,
) -> Result<ApiStatus> {
    Ok(api.set(&app, enabled, &host, port).await?)
}
#[tauri::command]
pub async fn new_api_key(app: State<'_, App>, api: State<'_, ApiSwitch>) -> Result<ApiStatus> {
    Ok(api.new_key(&app).await?)
}
#[tauri::command]
pub async fn import_model(app: State<'_, App>, path: String) -> Result<ImportResult> {
    Ok(app.import_model(&path).await?)
}
#[tauri::command]
pub fn open_link(url: String) -> Result<()> {
    crate::links::open_external(&url)
}
#[tauri::command]
pub async fn set_check_updates(app: State<'_, App>, on: bool) -> Result<()> {
    Ok(app.set_check_updates(on).await?)
}
#[tauri::command]
pub async fn check_update(
    handle: AppHandle,
    updates: State<'_, Updates>,
) -> Result<Option<UpdateInfo>> {
    updates.check(&handle).await
}
#[tauri::command]
pub async fn download_update(handle: AppHandle, updates: State<'_, Updates>) -> Result<()> {
    updates.download(&handle).await
}
#[tauri::command]
pub async fn install_update(handle: AppHandle, updates: State<'_, Updates>) -> Result<()> {
    updates.install(&handle).await
}
