//! The web UI's routes under `/api/`: one-line adapters onto [`crate::App`], and the event
//! stream (core events and download events as server-sent events).

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::stream::{self, Stream};
use hearth_store::Id;
use serde::{Deserialize, Serialize};

use super::openai::ApiError;
use super::Shared;
use crate::{
    AppSettings, CatalogView, ChatPatch, ChatView, CollectionChange, CollectionView, CoreError,
    GenerationSettings, ImportResult, InstalledRow, LocalDocsView, ModelChoices, NewCollection,
    Started, VerifyResult,
};

type Reply<T> = Result<Json<T>, ApiError>;

fn ok<T: Serialize>(result: Result<T, CoreError>) -> Reply<T> {
    result.map(Json).map_err(ApiError::from)
}

#[derive(Deserialize)]
pub(super) struct IdBody {
    id: String,
}

#[derive(Deserialize)]
pub(super) struct Say {
    #[serde(default)]
    text: String,
    model: String,
    /// Paths of files on this computer attached to the question.
    #[serde(default)]
    files: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct NamedChange {
    name: String,
    #[serde(flatten)]
    change: CollectionChange,
}

#[derive(Deserialize)]
pub(super) struct NameQuery {
    name: String,
}

#[derive(Deserialize)]
pub(super) struct Paused {
    paused: bool,
}

#[derive(Deserialize)]
pub(super) struct ModelId {
    id: String,
}

#[derive(Deserialize)]
pub(super) struct KeysInFile {
    allowed: bool,
}

#[derive(Deserialize)]
pub(super) struct SnapshotLimit {
    bytes: u64,
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    q: String,
}

#[derive(Deserialize)]
pub(super) struct SystemPrompt {
    system_prompt: String,
}

pub(super) async fn models(State(s): State<Arc<Shared>>) -> Reply<ModelChoices> {
    ok(s.app.models().await)
}
pub(super) async fn set_default(State(s): State<Arc<Shared>>, Json(b): Json<IdBody>) -> Reply<()> {
    ok(s.app.set_default_model(&b.id).await)
}
pub(super) async fn unload_model(State(s): State<Arc<Shared>>) -> Reply<()> {
    ok(s.app.unload_model().await)
}
pub(super) async fn collections(State(s): State<Arc<Shared>>) -> Reply<Vec<CollectionView>> {
    ok(s.app.collections().await)
}
pub(super) async fn localdocs(State(s): State<Arc<Shared>>) -> Reply<LocalDocsView> {
    ok(s.app.localdocs().await)
}
pub(super) async fn add_collection(
    State(s): State<Arc<Shared>>,
    Json(b): Json<NewCollection>,
) -> Reply<CollectionView> {
    ok(s.app.add_collection(b).await)
}
pub(super) async fn change_collection(
    State(s): State<Arc<Shared>>,
    Json(b): Json<NamedChange>,
) -> Reply<()> {
    ok(s.app.change_collection(&b.name, b.change).await)
}
pub(super) async fn unreadable_files(
    State(s): State<Arc<Shared>>,
    Query(q): Query<NameQuery>,
) -> Reply<Vec<hearth_docs::UnreadableFile>> {
    ok(s.app.unreadable_files(&q.name).await)
}
pub(super) async fn set_retrieval(
    State(s): State<Arc<Shared>>,
    Json(b): Json<crate::RetrievalSettings>,
) -> Reply<()> {
    ok(s.app.set_retrieval(&b).await)
}
pub(super) async fn pause_indexing(
    State(s): State<Arc<Shared>>,
    Json(b): Json<Paused>,
) -> Reply<()> {
    s.app.pause_indexing(b.paused);
    ok(Ok(()))
}
pub(super) async fn providers(State(s): State<Arc<Shared>>) -> Reply<crate::ProvidersView> {
    ok(s.app.providers().await)
}
pub(super) async fn add_provider(
    State(s): State<Arc<Shared>>,
    Json(b): Json<crate::NewProvider>,
) -> Reply<crate::ProviderAdded> {
    ok(s.app.add_provider(b, true).await)
}
pub(super) async fn remove_provider(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Reply<()> {
    ok(s.app.remove_provider(&name).await)
}
pub(super) async fn provider_models(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Reply<Vec<hearth_providers::RemoteModel>> {
    ok(s.app.provider_models(&name).await)
}
pub(super) async fn add_provider_model(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
    Json(b): Json<ModelId>,
) -> Reply<()> {
    ok(s.app.add_provider_model(&name, &b.id).await)
}
pub(super) async fn set_keys_in_file(
    State(s): State<Arc<Shared>>,
    Json(b): Json<KeysInFile>,
) -> Reply<crate::ProvidersView> {
    let result = match s.app.set_keys_in_file(b.allowed).await {
        Ok(()) => s.app.providers().await,
        Err(e) => Err(e),
    };
    ok(result)
}
pub(super) async fn snapshots(State(s): State<Arc<Shared>>) -> Reply<crate::SnapshotUsage> {
    ok(Ok(s.app.snapshots().await))
}
pub(super) async fn set_snapshot_limit(
    State(s): State<Arc<Shared>>,
    Json(b): Json<SnapshotLimit>,
) -> Reply<crate::SnapshotUsage> {
    ok(s.app.set_snapshot_limit(b.bytes).await)
}
pub(super) async fn clear_snapshots(State(s): State<Arc<Shared>>) -> Reply<crate::SnapshotUsage> {
    ok(Ok(s.app.clear_snapshots().await))
}
pub(super) async fn list_chats(State(s): State<Arc<Shared>>) -> Reply<Vec<hearth_store::Chat>> {
    ok(s.app.chats().await)
}
pub(super) async fn create_chat(State(s): State<Arc<Shared>>) -> Reply<hearth_store::Chat> {
    ok(s.app.new_chat().await)
}
pub(super) async fn get_chat(State(s): State<Arc<Shared>>, Path(id): Path<Id>) -> Reply<ChatView> {
    ok(s.app.chat(id).await)
}
pub(super) async fn patch_chat(
    State(s): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(b): Json<ChatPatch>,
) -> Reply<()> {
    ok(s.app.patch_chat(id, b).await)
}
pub(super) async fn delete_chat(State(s): State<Arc<Shared>>, Path(id): Path<Id>) -> Reply<()> {
    ok(s.app.delete_chat(id).await)
}
pub(super) async fn send(
    State(s): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(b): Json<Say>,
) -> Reply<Started> {
    ok(s.app.send_files(id, &b.text, &b.model, &b.files).await)
}
pub(super) async fn regenerate(
    State(s): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(b): Json<Say>,
) -> Reply<Started> {
    ok(s.app.regenerate(id, &b.model).await)
}
pub(super) async fn edit(
    State(s): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(b): Json<Say>,
) -> Reply<Started> {
    ok(s.app.edit(id, &b.text, &b.model).await)
}
pub(super) async fn show_version(State(s): State<Arc<Shared>>, Path(id): Path<Id>) -> Reply<()> {
    ok(s.app.show_version(id).await)
}
pub(super) async fn cancel(State(s): State<Arc<Shared>>, Path(id): Path<Id>) -> Reply<()> {
    s.app.cancel(id);
    Ok(Json(()))
}
pub(super) async fn search(
    State(s): State<Arc<Shared>>,
    Query(q): Query<SearchQuery>,
) -> Reply<Vec<hearth_store::SearchHit>> {
    ok(s.app.search(&q.q).await)
}
#[derive(Deserialize)]
pub(super) struct ForModel {
    model: Option<String>,
}
pub(super) async fn generation(
    State(s): State<Arc<Shared>>,
    Query(q): Query<ForModel>,
) -> Reply<GenerationSettings> {
    ok(s.app.generation(q.model.as_deref()).await)
}
pub(super) async fn set_generation(
    State(s): State<Arc<Shared>>,
    Query(q): Query<ForModel>,
    Json(b): Json<GenerationSettings>,
) -> Reply<()> {
    ok(s.app.set_generation(q.model.as_deref(), &b).await)
}
pub(super) async fn clear_generation(
    State(s): State<Arc<Shared>>,
    Query(q): Query<ForModel>,
) -> Reply<()> {
    match q.model {
        Some(model) => ok(s.app.clear_model_generation(&model).await),
        None => Err(ApiError::invalid(
            "name the model whose own settings to drop",
            Some("model"),
        )),
    }
}
pub(super) async fn settings(State(s): State<Arc<Shared>>) -> Reply<AppSettings> {
    ok(s.app.settings().await)
}
pub(super) async fn set_system_prompt(
    State(s): State<Arc<Shared>>,
    Json(b): Json<SystemPrompt>,
) -> Reply<()> {
    ok(s.app.set_system_prompt(&b.system_prompt).await)
}
pub(super) async fn catalog(State(s): State<Arc<Shared>>) -> Reply<CatalogView> {
    ok(s.app.catalog())
}
pub(super) async fn installed(State(s): State<Arc<Shared>>) -> Reply<Vec<InstalledRow>> {
    ok(s.app.installed())
}
pub(super) async fn start_download(
    State(s): State<Arc<Shared>>,
    Json(b): Json<IdBody>,
) -> Result<StatusCode, ApiError> {
    s.app.start_download(&b.id)?;
    Ok(StatusCode::ACCEPTED)
}
pub(super) async fn pause_download(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Reply<bool> {
    ok(Ok(s.app.pause_download(&id)))
}
pub(super) async fn cancel_download(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Reply<()> {
    s.app.cancel_download(&id);
    Ok(Json(()))
}
pub(super) async fn verify_model(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Reply<VerifyResult> {
    ok(s.app.verify_model(&id).await)
}
#[derive(Deserialize)]
pub(super) struct ImportBody {
    path: String,
}
pub(super) async fn import_model(
    State(s): State<Arc<Shared>>,
    Json(b): Json<ImportBody>,
) -> Reply<ImportResult> {
    ok(s.app.import_model(&b.path).await)
}
pub(super) async fn delete_model(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Reply<()> {
    ok(s.app.delete_model(&id))
}

/// `GET /api/events`: every core event and download event as a server-sent event
/// (download events as `{"type": "download", "event": …}`).
pub(super) async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = stream::unfold(
        crate::app::Events::new(&shared.app),
        |mut events| async move {
            loop {
                let event = events.next().await?;
                match serde_json::to_string(&event) {
                    Ok(data) => return Some((Ok(Event::default().data(data)), events)),
                    // Typed events always serialise; if one ever does not, say so loudly
                    // rather than send the page a null.
                    Err(e) => tracing::error!("an event could not be serialised: {e}"),
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}
