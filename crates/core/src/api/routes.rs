//! The route handlers: models, chat completions and completions, streamed or not.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::{self, Stream, StreamExt};
use hearth_engine::{ChatMessage, Input, Role, Timings};
use hearth_models::ModelFacts;
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;

use super::openai::{self, ApiError, ChatRequest, CompletionRequest, ModelObject, Sampling};
use super::origin::{Ending, Origin, Step};
use super::Shared;
use crate::{ErrorKind, Source};

type ApiResult = Result<Response, ApiError>;

/// `GET /v1/models`: the installed models that llama.cpp can run, then the remote providers'
/// models (as last listed).
pub(super) async fn list_models(State(shared): State<Arc<Shared>>) -> ApiResult {
    Ok(Json(json!({"object": "list", "data": every_model(&shared).await?})).into_response())
}

/// `GET /v1/models/{id}`.
pub(super) async fn get_model(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult {
    every_model(&shared)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| Json(m).into_response())
        .ok_or_else(|| ApiError::model_not_found(&id))
}

/// Anything else: OpenAI's 404 shape.
pub(super) async fn not_found() -> ApiError {
    ApiError::new(
        ErrorKind::NotFound,
        "no such route; this server has /v1/models, /v1/chat/completions and /v1/completions",
    )
}

async fn every_model(shared: &Shared) -> Result<Vec<ModelObject>, ApiError> {
    let mut models = installed(shared)?;
    let remote = shared.app.remote_models().await?;
    models.extend(remote.into_iter().map(|(id, provider)| ModelObject {
        id,
        object: "model",
        created: 0,
        owned_by: provider,
    }));
    Ok(models)
}

fn installed(shared: &Shared) -> Result<Vec<ModelObject>, ApiError> {
    let models = shared.app.installed()?;
    Ok(models
        .into_iter()
        .filter(|m| m.model.facts.as_ref().is_some_and(ModelFacts::can_chat))
        .map(|m| ModelObject {
            created: std::fs::metadata(&m.model.path)
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs()),
            id: m.id,
            object: "model",
            owned_by: "hearth".to_owned(),
        })
        .collect())
}

/// `POST /v1/chat/completions`.
pub(super) async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let request: ChatRequest = parse(body)?;
    if request.messages.is_empty() {
        return Err(ApiError::invalid(
            "messages must not be empty",
            Some("messages"),
        ));
    }
    let mut messages = Vec::with_capacity(request.messages.len());
    for m in &request.messages {
        let role = role(&m.role)?;
        messages.push(ChatMessage::new(role, openai::content_text(&m.content)?));
    }
    // Checked before waiting for the engine: a name that is not a collection is the
    // request's fault.
    let collections = shared
        .app
        .check_collections(&request.collections)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound | ErrorKind::Invalid => {
                ApiError::invalid(e.to_string(), Some("collections"))
            }
            _ => ApiError::from(e),
        })?;
    let job = Job::new(
        &shared,
        &request.model,
        &request.sampling,
        Input::Chat { messages },
        &collections,
    )
    .await?;
    job.respond(shared, Kind::Chat).await
}

/// `POST /v1/completions`.
pub(super) async fn completions(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let request: CompletionRequest = parse(body)?;
    let prompt = match &request.prompt {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(ApiError::invalid(
                "prompt must be one string",
                Some("prompt"),
            ))
        }
    };
    if prompt.is_empty() {
        return Err(ApiError::invalid(
            "prompt must not be empty",
            Some("prompt"),
        ));
    }
    let job = Job::new(
        &shared,
        &request.model,
        &request.sampling,
        Input::Raw { prompt },
        &[],
    )
    .await?;
    job.respond(shared, Kind::Text).await
}

fn role(name: &str) -> Result<Role, ApiError> {
    match name {
        "system" | "developer" => Ok(Role::System),
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(ApiError::invalid(
            format!("message role {other:?} is not supported (system, developer, user, assistant)"),
            Some("messages"),
        )),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Chat,
    Text,
}

/// A request being answered; a local one holds the engine while `slot` is held.
struct Job {
    model_id: String,
    stream: bool,
    /// The request's input as sent (saved to the history without the passages).
    input: Input,
    generation: Origin,
    /// The engine, for a local model (a remote one waits for no one here).
    slot: Option<OwnedSemaphorePermit>,
    /// The passages of the person's documents the reply was given.
    references: Vec<Source>,
}

impl Job {
    /// Waits its turn (or 429), loads the model on demand, gives the question its passages
    /// from `collections`, starts generating.
    async fn new(
        shared: &Arc<Shared>,
        model_id: &str,
        sampling: &Sampling,
        input: Input,
        collections: &[String],
    ) -> Result<Job, ApiError> {
        let params = sampling.to_params()?;
        // Only installed models, by id, or `provider:model`: a request never names a file path.
        let mut model = match shared.app.remote_model(model_id).await? {
            Some(remote) => remote,
            None => shared
                .app
                .installed_model(model_id)
                .map_err(|e| match e.kind() {
                    ErrorKind::ModelNotInstalled => ApiError::model_not_found(model_id),
                    _ => ApiError::from(e),
                })?,
        };
        model.sampling = params;
        let slot = match model.remote {
            Some(_) => None,
            None => Some(wait_turn(shared).await?),
        };
        let mut given = input.clone();
        let references = match &mut given {
            Input::Chat { messages } => {
                shared
                    .app
                    .with_documents(&model, collections, messages)
                    .await?
            }
            Input::Raw { .. } => Vec::new(),
        };
        let generation = match model.remote {
            Some(_) => Origin::Remote(Box::new(
                shared
                    .app
                    .stream_remote(&model, &given, &model.sampling)
                    .await?,
            )),
            None => Origin::Local(shared.app.generate(&model, given).await?),
        };
        Ok(Job {
            model_id: model_id.to_owned(),
            stream: sampling.stream,
            input,
            generation,
            slot,
            references,
        })
    }

    async fn respond(self, shared: Arc<Shared>, kind: Kind) -> ApiResult {
        if self.stream {
            return Ok(self.into_sse(shared, kind).into_response());
        }
        let timeout = shared.timeout;
        let Job {
            model_id,
            input,
            generation,
            slot,
            references,
            ..
        } = self;
        let (text, done) = tokio::time::timeout(timeout, generation.text())
            .await
            .map_err(|_| {
                ApiError::new(ErrorKind::Unavailable, "the reply took too long")
                    .with_status(StatusCode::GATEWAY_TIMEOUT)
            })??;
        drop(slot);
        save_history(&shared, &input, &text, &model_id).await;
        let (id, created) = ids(kind);
        let finish = done.finish;
        let body = match kind {
            // `references`: an extension (as GPT4All's server), the passages the reply was given.
            Kind::Chat => json!({
                "id": id, "object": "chat.completion", "created": created, "model": model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "references": references, "finish_reason": finish, "logprobs": null}],
                "usage": done.usage,
            }),
            Kind::Text => json!({
                "id": id, "object": "text_completion", "created": created, "model": model_id,
                "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": null}],
                "usage": done.usage,
            }),
        };
        Ok(Json(body).into_response())
    }

    /// Server-sent events: one chunk per piece of text, then the finish, usage and `[DONE]`.
    /// When the client goes away the stream is dropped, and with it the generation (cancelled).
    fn into_sse(
        self,
        shared: Arc<Shared>,
        kind: Kind,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let (id, created) = ids(kind);
        let model = self.model_id.clone();
        let state = Streaming {
            job: Some(self),
            shared,
            id,
            created,
            model,
            kind,
            text: String::new(),
            sent_role: false,
        };
        let events = stream::unfold(state, Streaming::next).flat_map(stream::iter);
        Sse::new(events.map(Ok)).keep_alive(KeepAlive::default())
    }
}

struct Streaming {
    job: Option<Job>,
    shared: Arc<Shared>,
    id: String,
    created: u64,
    model: String,
    kind: Kind,
    text: String,
    sent_role: bool,
}

impl Streaming {
    async fn next(mut self) -> Option<(Vec<Event>, Streaming)> {
        let job = self.job.as_mut()?;
        if !self.sent_role {
            self.sent_role = true;
            let references = json!(std::mem::take(&mut job.references));
            if matches!(self.kind, Kind::Chat) {
                let mut chunk = self.chunk_body(
                    json!({"role": "assistant", "content": ""}),
                    None,
                    None,
                    None,
                );
                // The passages go with the first chunk, before any text.
                chunk["choices"][0]["references"] = references;
                return Some((vec![Event::default().data(chunk.to_string())], self));
            }
        }
        let events = match job.generation.next().await {
            Some(Ok(Step::Text(text))) => {
                self.text.push_str(&text);
                vec![self.piece(text)]
            }
            Some(Ok(Step::Done(done))) => self.finish(done).await,
            Some(Err(error)) => {
                self.job = None;
                vec![
                    Event::default().data(error.body().to_string()),
                    Event::default().data("[DONE]"),
                ]
            }
            None => {
                self.job = None;
                vec![Event::default().data("[DONE]")]
            }
        };
        Some((events, self))
    }

    fn piece(&self, text: String) -> Event {
        match self.kind {
            Kind::Chat => self.chunk(json!({"content": text}), None, None, None),
            Kind::Text => self.chunk(json!(text), None, None, None),
        }
    }

    async fn finish(&mut self, done: Ending) -> Vec<Event> {
        let Some(job) = self.job.take() else {
            return Vec::new();
        };
        drop(job.slot);
        save_history(&self.shared, &job.input, &self.text, &job.model_id).await;
        let delta = match self.kind {
            Kind::Chat => json!({}),
            Kind::Text => json!(""),
        };
        let last = self.chunk(
            delta,
            Some(&done.finish),
            Some(done.usage),
            done.timings.as_ref(),
        );
        vec![last, Event::default().data("[DONE]")]
    }

    fn chunk(
        &self,
        delta: Value,
        finish: Option<&str>,
        usage: Option<Value>,
        timings: Option<&Timings>,
    ) -> Event {
        Event::default().data(self.chunk_body(delta, finish, usage, timings).to_string())
    }

    fn chunk_body(
        &self,
        delta: Value,
        finish: Option<&str>,
        usage: Option<Value>,
        timings: Option<&Timings>,
    ) -> Value {
        let choice = match self.kind {
            Kind::Chat => {
                json!({"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null})
            }
            Kind::Text => {
                json!({"index": 0, "text": delta, "finish_reason": finish, "logprobs": null})
            }
        };
        let object = match self.kind {
            Kind::Chat => "chat.completion.chunk",
            Kind::Text => "text_completion",
        };
        let mut body = json!({"id": self.id, "object": object, "created": self.created, "model": self.model, "choices": [choice]});
        if let Some(usage) = usage {
            body["usage"] = usage;
        }
        if let Some(timings) = timings {
            // An extension, as llama.cpp's server sends: the engine's own times.
            body["timings"] = json!(timings);
        }
        body
    }
}

/// Waits for the engine in arrival order; 429 when too many already wait.
async fn wait_turn(shared: &Arc<Shared>) -> Result<OwnedSemaphorePermit, ApiError> {
    let before = shared.waiting.fetch_add(1, Ordering::SeqCst);
    // Decrements however this ends: served, refused, or the client gave up waiting.
    let _waiting = Waiting(shared.clone());
    if before >= shared.queue_limit {
        return Err(ApiError::new(
            ErrorKind::Busy,
            format!("{before} requests are already waiting for the model; try again shortly"),
        ));
    }
    shared
        .engine_slot
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::new(ErrorKind::Unavailable, "the server is shutting down"))
}

struct Waiting(Arc<Shared>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Writes the exchange into the chat history when the user asked for that.
async fn save_history(shared: &Shared, input: &Input, reply: &str, model_id: &str) {
    if !shared.save_history {
        return;
    }
    if let Err(e) = shared.app.record_exchange(input, reply, model_id).await {
        tracing::warn!("could not save an API conversation: {e}");
    }
}

fn ids(kind: Kind) -> (String, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let prefix = match kind {
        Kind::Chat => "chatcmpl",
        Kind::Text => "cmpl",
    };
    (format!("{prefix}-{:x}", now.as_nanos()), now.as_secs())
}

/// The body as JSON whatever its `Content-Type` (curl and many tools send none); 413 past the
/// size limit, 400 with serde's words otherwise.
fn parse<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorKind::Invalid, "the request body is too large").with_status(status)
        } else {
            ApiError::invalid(
                format!(
                    "the request body could not be read: {}",
                    rejection.body_text()
                ),
                None,
            )
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::invalid(
            format!("the request body is not valid JSON for this route: {e}"),
            None,
        )
    })
}
