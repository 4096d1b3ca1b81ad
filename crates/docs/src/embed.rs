//! How sentence vectors are made: by an [`Embedder`] that the app provides (the engine worker
//! with an embedding model). LocalDocs itself never loads a model.

use std::future::Future;

use crate::DocsError;

/// An embedding model as LocalDocs uses it: its id (what a collection names) and the prefixes
/// it was trained with (`search_query: `, `query: ` …; empty for models without).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbeddingModel {
    /// Catalog id or file name.
    pub id: String,
    /// Put before a question.
    pub query_prefix: String,
    /// Put before a passage of a document.
    pub document_prefix: String,
}

/// Makes unit sentence vectors with one embedding model.
pub trait Embedder: Send + Sync {
    /// The model it uses.
    fn model(&self) -> &EmbeddingModel;

    /// Unit vectors of `texts` (prefixes already applied), in order.
    fn embed(
        &self,
        texts: Vec<String>,
    ) -> impl Future<Output = Result<Vec<Vec<f32>>, DocsError>> + Send;
}
