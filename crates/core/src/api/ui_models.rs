//! The Models screen's routes: the catalog with fit and licence, the model guide, downloads
//! (start, pause, cancel; progress arrives on the event stream), verify and delete.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_models::{DownloadRequest, Machine, ModelsError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::openai::ApiError;
use super::Shared;

type UiResult = Result<Json<Value>, ApiError>;

/// `GET /api/catalog`: every entry with how it would run here and whether it is installed.
pub(super) async fn catalog(State(shared): State<Arc<Shared>>) -> UiResult {
    let machine = Machine::detect();
    let catalog = shared.models.catalog();
    let library = shared.models.library();
    let installed = library.list(catalog).map_err(models)?;
    let entries: Vec<Value> = catalog
        .models
        .iter()
        .map(|e| {
            let mut row = serde_json::to_value(e).unwrap_or_default();
            row["fit"] = json!(machine.map(|m| m.fit(e.ram)));
            row["installed"] = json!(installed.iter().any(|m| m.file == e.file));
            row["partial"] = json!(shared.models.downloader().partial_bytes(&e.file));
            row
        })
        .collect();
    Ok(Json(
        json!({"machine": machine, "models": entries, "guide": catalog.guide}),
    ))
}

/// `GET /api/installed`: installed files with what their headers say.
pub(super) async fn installed(State(shared): State<Arc<Shared>>) -> UiResult {
    let list = shared
        .models
        .library()
        .list(shared.models.catalog())
        .map_err(models)?;
    let rows: Vec<Value> = list
        .iter()
        .map(|m| {
            let mut row = serde_json::to_value(m).unwrap_or_default();
            row["id"] = json!(m.catalog_id.clone().unwrap_or_else(|| m.file.clone()));
            row["ram"] = json!(m.facts.as_ref().map(|f| f.estimated_ram(2048)));
            row["license"] = json!(m
                .catalog_id
                .as_deref()
                .and_then(|id| shared.models.catalog().entry(id))
                .map(|e| e.license.clone()));
            row
        })
        .collect();
    Ok(Json(json!(rows)))
}

#[derive(Deserialize)]
pub(super) struct Start {
    id: String,
}

/// `POST /api/downloads`: starts (or resumes) a catalog download in the background.
pub(super) async fn start(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<Start>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let entry = shared
        .models
        .catalog()
        .entry(&body.id)
        .cloned()
        .ok_or_else(|| ApiError::model_not_found(&body.id))?;
    let downloader = shared.models.downloader().clone();
    // Its outcome reaches the page as a `finished` or `failed` event.
    tokio::spawn(async move {
        if let Err(e) = downloader.download(DownloadRequest::from(&entry)).await {
            tracing::info!("download of {} ended: {e}", entry.id);
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({"id": body.id}))))
}

/// `POST /api/downloads/{id}/pause`.
pub(super) async fn pause(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> UiResult {
    Ok(Json(
        json!({"paused": shared.models.downloader().pause(&id)}),
    ))
}

/// `POST /api/downloads/{id}/cancel`: stops it, or discards a paused one's part file.
pub(super) async fn cancel(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> UiResult {
    let downloader = shared.models.downloader();
    let running = downloader.cancel(&id);
    if !running {
        if let Some(entry) = shared.models.catalog().entry(&id) {
            downloader.discard(&entry.file);
        }
    }
    Ok(Json(json!({"cancelled": true})))
}

/// `POST /api/installed/{id}/verify`.
pub(super) async fn verify(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> UiResult {
    let library = shared.models.library().clone();
    let catalog = shared.models.catalog().clone();
    // Hashing gigabytes is blocking work.
    let check = tokio::task::spawn_blocking(move || {
        let file = library.resolve(&catalog, &id)?;
        library.verify(&file, &catalog)
    })
    .await
    .map_err(|e| {
        ApiError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    })?
    .map_err(models)?;
    Ok(Json(
        json!({"sha256": check.sha256, "expected": check.expected, "matches": check.matches()}),
    ))
}

/// `DELETE /api/installed/{id}`.
pub(super) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> UiResult {
    let library = shared.models.library();
    let file = library
        .resolve(shared.models.catalog(), &id)
        .map_err(models)?;
    library.delete(&file).map_err(models)?;
    Ok(Json(json!({"deleted": file})))
}

fn models(e: ModelsError) -> ApiError {
    match e {
        ModelsError::NotInstalled(_) | ModelsError::UnknownModel(_) => ApiError::status(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            e.to_string(),
        ),
        other => ApiError::status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            other.to_string(),
        ),
    }
}
