//! The embedding side of LocalDocs: which installed (or catalog) models can embed, and the
//! embedder that runs in LocalDocs' own worker, held while a reply is being written.

use std::path::PathBuf;
use std::sync::Arc;

use hearth_docs::{DocsError, Embedder, EmbeddingModel};
use hearth_engine::{EngineClient, LoadOptions};
use hearth_models::{ModelKind, ModelsError};
use tokio::sync::watch;

use super::{EmbeddingChoice, Inner, LocalDocs};
use crate::CoreError;

/// The longest passage or question embedded, in tokens. Passages are cut well below it; a
/// longer context would make every text in a micro-batch pay attention over all of it.
const EMBED_CONTEXT: u32 = 512;
/// Tokens per decode of the embedding worker.
const EMBED_BATCH: u32 = 512;

impl LocalDocs {
    /// The installed embedding models.
    pub fn embedding_models(&self) -> Result<Vec<EmbeddingChoice>, CoreError> {
        let catalog = self.inner.models.catalog();
        let list = self.inner.models.library().list(catalog)?;
        Ok(list
            .into_iter()
            .filter(|m| {
                m.facts
                    .as_ref()
                    .is_some_and(|f| f.runnable && f.for_embeddings)
            })
            .map(|m| {
                let entry = m.catalog_id.as_deref().and_then(|id| catalog.entry(id));
                match entry {
                    Some(e) => EmbeddingChoice {
                        id: e.id.clone(),
                        name: e.name.clone(),
                    },
                    None => EmbeddingChoice {
                        id: m.file.clone(),
                        name: m.file.clone(),
                    },
                }
            })
            .collect())
    }

    /// The model a new collection uses when none is named: the only one installed, else the
    /// multilingual one (it reads English too), else the first.
    pub fn default_embedding_model(&self) -> Result<String, CoreError> {
        let installed = self.embedding_models()?;
        let pick = installed
            .iter()
            .find(|m| m.id == "bge-m3")
            .or(installed.first())
            .map(|m| m.id.clone());
        pick.ok_or_else(|| {
            CoreError::Invalid(
                "no embedding model is installed; LocalDocs needs one: download nomic-embed-text-v1.5 (English) or bge-m3 (Chinese and other languages) in Models".into(),
            )
        })
    }

    /// Whether `id` names an installed embedding model.
    pub fn is_installed_embedding(&self, id: &str) -> bool {
        self.embedding_model(id).is_ok()
    }

    /// The catalog's embedding model `id` (installed or not).
    pub(super) fn catalog_embedding_model(&self, id: &str) -> Result<(), CoreError> {
        match self.inner.models.catalog().entry(id) {
            Some(e) if e.kind == ModelKind::Embedding => Ok(()),
            Some(_) => Err(ModelsError::NotAnEmbeddingModel(id.to_owned()).into()),
            None => Err(ModelsError::UnknownModel(id.to_owned()).into()),
        }
    }

    /// The installed embedding model `id`: its file and the prefixes it expects.
    pub(super) fn embedding_model(&self, id: &str) -> Result<(PathBuf, EmbeddingModel), CoreError> {
        let catalog = self.inner.models.catalog();
        let library = self.inner.models.library();
        let file = library.resolve(catalog, id)?;
        let installed = library.get(&file, catalog)?;
        let path = installed.path.clone();
        if !installed.facts.as_ref().is_some_and(|f| f.for_embeddings) {
            return Err(ModelsError::NotAnEmbeddingModel(id.to_owned()).into());
        }
        let entry = installed
            .catalog_id
            .as_deref()
            .and_then(|c| catalog.entry(c))
            .filter(|e| e.kind == ModelKind::Embedding);
        Ok((
            path,
            EmbeddingModel {
                id: id.to_owned(),
                query_prefix: entry.map(|e| e.query_prefix.clone()).unwrap_or_default(),
                document_prefix: entry.map(|e| e.document_prefix.clone()).unwrap_or_default(),
            },
        ))
    }

    pub(super) fn embedder(&self, id: &str) -> Result<WorkerEmbedder, CoreError> {
        let (path, model) = self.embedding_model(id)?;
        Ok(WorkerEmbedder {
            inner: self.inner.clone(),
            path,
            model,
        })
    }
}

/// Holds the embedding worker while replies are written and an index run is going on.
pub(super) async fn hold_while_replying(
    engine: EngineClient,
    mut chat_busy: watch::Receiver<bool>,
    mut indexing: watch::Receiver<u32>,
) {
    loop {
        let hold = *chat_busy.borrow_and_update() && *indexing.borrow_and_update() > 0;
        engine.hold(hold);
        tokio::select! {
            changed = chat_busy.changed() => if changed.is_err() { break },
            changed = indexing.changed() => if changed.is_err() { break },
        }
    }
    engine.hold(false);
}

/// Sentence vectors from the embedding worker, loading the model first when another is there.
pub(super) struct WorkerEmbedder {
    inner: Arc<Inner>,
    path: PathBuf,
    model: EmbeddingModel,
}

impl Embedder for WorkerEmbedder {
    fn model(&self) -> &EmbeddingModel {
        &self.model
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, DocsError> {
        let failed = |e: hearth_engine::EngineError| DocsError::Embedding(e.to_string());
        let mut loaded = self.inner.loaded.lock().await;
        if loaded.as_deref() != Some(self.path.as_path()) {
            *loaded = None;
            let options = LoadOptions {
                embeddings: true,
                n_ctx: Some(EMBED_CONTEXT),
                n_batch: Some(EMBED_BATCH),
                ..LoadOptions::default()
            };
            self.inner
                .engine
                .load(&self.path, options)
                .await
                .map_err(failed)?;
            *loaded = Some(self.path.clone());
        }
        let result = self.inner.engine.embed(texts).await;
        if result.is_err() {
            // A worker that died comes back without the model; load it again next time.
            *loaded = None;
        }
        result.map(|(vectors, _)| vectors).map_err(failed)
    }
}
