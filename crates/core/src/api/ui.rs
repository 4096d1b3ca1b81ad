//! The desktop UI's own routes under `/api/`, so the same Svelte app runs in a browser against
//! `hearth-cli serve` as in the Tauri window: chats, messages and their versions, search,
//! installed models, the default model, and the event stream.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, Stream};
use hearth_store::{Chat, Id, Message};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openai::ApiError;
use super::Shared;
use crate::{ChatModel, CoreError, SamplingParams};

/// Settings key of the model new chats use.
pub const DEFAULT_MODEL_SETTING: &str = "default_model";
/// Settings key of the generation settings replies use (GPT4All's defaults when unset).
pub const GENERATION_SETTING: &str = "generation";
/// Settings key of the system prompt new chats start with.
pub const SYSTEM_PROMPT_SETTING: &str = "system_prompt";

type UiResult<T> = Result<Json<T>, ApiError>;

/// One installed model as the model picker shows it.
#[derive(Debug, Serialize)]
pub struct ModelChoice {
    id: String,
    name: String,
    quant: Option<String>,
    size: u64,
}

/// `GET /api/models`: installed runnable models and the default one.
pub(super) async fn models(State(shared): State<Arc<Shared>>) -> UiResult<serde_json::Value> {
    let choices = installed(&shared)?;
    let default = default_model(&shared, &choices).await?;
    Ok(Json(json!({"models": choices, "default": default})))
}

fn installed(shared: &Shared) -> Result<Vec<ModelChoice>, ApiError> {
    let catalog = shared.models.catalog();
    let list = shared.models.library().list(catalog).map_err(internal)?;
    Ok(list
        .into_iter()
        .filter(|m| m.facts.as_ref().is_some_and(|f| f.runnable))
        .map(|m| {
            let entry = m.catalog_id.as_deref().and_then(|id| catalog.entry(id));
            ModelChoice {
                name: entry.map_or_else(|| m.file.clone(), |e| e.name.clone()),
                quant: m.facts.as_ref().and_then(|f| f.quant.clone()),
                size: m.size,
                id: m.catalog_id.unwrap_or(m.file),
            }
        })
        .collect())
}

/// The chosen default, else the only installed model.
async fn default_model(
    shared: &Shared,
    choices: &[ModelChoice],
) -> Result<Option<String>, ApiError> {
    let set: Option<String> = shared
        .hearth
        .store()
        .setting(DEFAULT_MODEL_SETTING)
        .await
        .map_err(internal)?;
    Ok(match set {
        Some(id) if choices.iter().any(|c| c.id == id) => Some(id),
        _ if choices.len() == 1 => Some(choices[0].id.clone()),
        _ => None,
    })
}

#[derive(Deserialize)]
pub(super) struct DefaultModel {
    id: String,
}

/// `PUT /api/models/default`.
pub(super) async fn set_default(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<DefaultModel>,
) -> UiResult<()> {
    if !installed(&shared)?.iter().any(|m| m.id == body.id) {
        return Err(ApiError::model_not_found(&body.id));
    }
    shared
        .hearth
        .store()
        .set_setting(DEFAULT_MODEL_SETTING, &body.id)
        .await
        .map_err(internal)?;
    Ok(Json(()))
}

/// `GET /api/chats`.
pub(super) async fn list_chats(State(shared): State<Arc<Shared>>) -> UiResult<Vec<Chat>> {
    Ok(Json(
        shared
            .hearth
            .store()
            .list_chats(false)
            .await
            .map_err(internal)?,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct NewChat {
    system_prompt: Option<String>,
}

/// `POST /api/chats`: with the given system prompt, else the one set in Settings.
pub(super) async fn create_chat(
    State(shared): State<Arc<Shared>>,
    body: Option<Json<NewChat>>,
) -> UiResult<Chat> {
    let body = body.map(|b| b.0).unwrap_or_default();
    let prompt = match body.system_prompt {
        Some(p) => Some(p),
        None => shared
            .hearth
            .store()
            .setting::<String>(SYSTEM_PROMPT_SETTING)
            .await
            .map_err(internal)?,
    };
    Ok(Json(
        shared
            .hearth
            .new_chat(prompt.as_deref())
            .await
            .map_err(core)?,
    ))
}

/// `GET /api/settings`: what the Settings screen shows besides generation.
pub(super) async fn settings(State(shared): State<Arc<Shared>>) -> UiResult<serde_json::Value> {
    let store = shared.hearth.store();
    let prompt: Option<String> = store
        .setting(SYSTEM_PROMPT_SETTING)
        .await
        .map_err(internal)?;
    Ok(Json(json!({
        "system_prompt": prompt.unwrap_or_else(|| crate::DEFAULT_SYSTEM_PROMPT.to_owned()),
        "data_dir": shared.hearth.data_dir().root(),
        "version": env!("CARGO_PKG_VERSION"),
        "llama_cpp": hearth_engine::LLAMA_CPP_VERSION,
        "machine": hearth_models::Machine::detect(),
    })))
}

#[derive(Deserialize)]
pub(super) struct SystemPrompt {
    system_prompt: String,
}

/// `PUT /api/settings/system_prompt`.
pub(super) async fn set_system_prompt(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<SystemPrompt>,
) -> UiResult<()> {
    shared
        .hearth
        .store()
        .set_setting(SYSTEM_PROMPT_SETTING, &body.system_prompt)
        .await
        .map_err(internal)?;
    Ok(Json(()))
}

/// A message of the shown branch with the versions beside it.
#[derive(Debug, Serialize)]
pub struct ShownMessage {
    #[serde(flatten)]
    message: Message,
    /// Ids of this message and its siblings, oldest first.
    versions: Vec<Id>,
}

/// `GET /api/chats/{id}`: the chat and its shown branch.
pub(super) async fn get_chat(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
) -> UiResult<serde_json::Value> {
    let store = shared.hearth.store();
    let chat = store.chat(id).await.map_err(not_found)?;
    let branch = store.branch(id).await.map_err(internal)?;
    // Versions are siblings: messages of this chat with the same parent.
    let all = store.all_messages(id).await.map_err(internal)?;
    let mut siblings: HashMap<Option<Id>, Vec<Id>> = HashMap::new();
    for m in &all {
        siblings.entry(m.parent_id).or_default().push(m.id);
    }
    let messages: Vec<ShownMessage> = branch
        .into_iter()
        .map(|m| ShownMessage {
            versions: siblings
                .get(&m.parent_id)
                .cloned()
                .unwrap_or_else(|| vec![m.id]),
            message: m,
        })
        .collect();
    Ok(Json(json!({"chat": chat, "messages": messages})))
}

#[derive(Deserialize)]
pub(super) struct ChatPatch {
    title: Option<String>,
    pinned: Option<bool>,
}

/// `PATCH /api/chats/{id}`: rename, pin.
pub(super) async fn patch_chat(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(body): Json<ChatPatch>,
) -> UiResult<()> {
    if let Some(title) = body.title {
        shared.hearth.rename(id, &title).await.map_err(core)?;
    }
    if let Some(pinned) = body.pinned {
        shared
            .hearth
            .store()
            .set_pinned(id, pinned)
            .await
            .map_err(internal)?;
    }
    Ok(Json(()))
}

/// `DELETE /api/chats/{id}`.
pub(super) async fn delete_chat(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
) -> UiResult<()> {
    shared.hearth.delete(id).await.map_err(core)?;
    Ok(Json(()))
}

#[derive(Deserialize)]
pub(super) struct Say {
    text: Option<String>,
    model: String,
}

/// `POST /api/chats/{id}/messages`: asks a question; the reply streams as events.
pub(super) async fn send(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(body): Json<Say>,
) -> UiResult<serde_json::Value> {
    let model = chat_model(&shared, &body.model).await?;
    let text = body.text.unwrap_or_default();
    let reply = shared.hearth.send(id, &text, &model).await.map_err(core)?;
    Ok(Json(
        json!({"chat_id": reply.chat_id, "message_id": reply.message_id}),
    ))
}

/// `POST /api/chats/{id}/regenerate`: a new version of the last reply.
pub(super) async fn regenerate(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(body): Json<Say>,
) -> UiResult<serde_json::Value> {
    let model = chat_model(&shared, &body.model).await?;
    let reply = shared.hearth.regenerate(id, &model).await.map_err(core)?;
    Ok(Json(
        json!({"chat_id": reply.chat_id, "message_id": reply.message_id}),
    ))
}

/// `POST /api/messages/{id}/edit`: a new version of a question, answered.
pub(super) async fn edit(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
    Json(body): Json<Say>,
) -> UiResult<serde_json::Value> {
    let model = chat_model(&shared, &body.model).await?;
    let text = body.text.unwrap_or_default();
    let reply = shared.hearth.edit(id, &text, &model).await.map_err(core)?;
    Ok(Json(
        json!({"chat_id": reply.chat_id, "message_id": reply.message_id}),
    ))
}

/// `POST /api/messages/{id}/show`: shows the branch through this version.
pub(super) async fn show_version(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<Id>,
) -> UiResult<()> {
    shared.hearth.switch_branch(id).await.map_err(core)?;
    Ok(Json(()))
}

/// `POST /api/chats/{id}/cancel`.
pub(super) async fn cancel(State(shared): State<Arc<Shared>>, Path(id): Path<Id>) -> UiResult<()> {
    shared.hearth.cancel(id);
    Ok(Json(()))
}

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    q: String,
}

/// `GET /api/search?q=`.
pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SearchQuery>,
) -> Response {
    match shared.hearth.store().search(&query.q, 30).await {
        Ok(hits) => Json(hits).into_response(),
        Err(e) => internal(e).into_response(),
    }
}

/// `GET /api/events`: every [`crate::CoreEvent`] and download event as a server-sent event
/// (download events as `{"type": "download", "event": …}`).
pub(super) async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    use tokio::sync::broadcast::error::RecvError;
    let core = shared.hearth.subscribe();
    let downloads = shared.models.downloader().subscribe();
    let events = stream::unfold((core, downloads), |(mut core, mut downloads)| async move {
        loop {
            let data = tokio::select! {
                event = core.recv() => match event {
                    Ok(event) => serde_json::to_value(&event).ok(),
                    // A slow page missed some events; it reloads the chat on the next one.
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
                event = downloads.recv() => match event {
                    Ok(event) => serde_json::to_value(&event).ok().map(|mut v| {
                        v["type"] = json!("download");
                        v
                    }),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
            };
            if let Some(data) = data {
                return Some((
                    Ok(Event::default().data(data.to_string())),
                    (core, downloads),
                ));
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// `GET /api/settings/generation`.
pub(super) async fn generation(State(shared): State<Arc<Shared>>) -> UiResult<SamplingParams> {
    Ok(Json(generation_settings(&shared).await?))
}

/// `PUT /api/settings/generation`: checked before it is kept.
pub(super) async fn set_generation(
    State(shared): State<Arc<Shared>>,
    Json(params): Json<SamplingParams>,
) -> UiResult<()> {
    params
        .validate()
        .map_err(|e| ApiError::invalid(e.to_string(), None))?;
    shared
        .hearth
        .store()
        .set_setting(GENERATION_SETTING, &params)
        .await
        .map_err(internal)?;
    Ok(Json(()))
}

async fn generation_settings(shared: &Shared) -> Result<SamplingParams, ApiError> {
    let saved: Option<SamplingParams> = shared
        .hearth
        .store()
        .setting(GENERATION_SETTING)
        .await
        .map_err(internal)?;
    Ok(saved.unwrap_or_default())
}

async fn chat_model(shared: &Shared, id: &str) -> Result<ChatModel, ApiError> {
    let file = shared
        .models
        .library()
        .resolve(shared.models.catalog(), id)
        .map_err(|_| ApiError::model_not_found(id))?;
    let path = shared.models.library().dir().join(file);
    let mut model = shared.hearth.chat_model(&path);
    model.load.template = shared.models.template_for(&path).map_err(core)?;
    model.sampling = generation_settings(shared).await?;
    Ok(model)
}

fn core(e: CoreError) -> ApiError {
    match e {
        CoreError::Invalid(message) => ApiError::invalid(message, None),
        CoreError::Store(hearth_store::StoreError::NotFound { .. }) => ApiError::status(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            e.to_string(),
        ),
        other => internal(other),
    }
}

fn not_found(e: impl std::fmt::Display) -> ApiError {
    ApiError::status(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        e.to_string(),
    )
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::status(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        e.to_string(),
    )
}
