//! The LocalDocs screen's operations: collections with what they are doing, making one (its
//! embedding model downloaded from the catalog on first use), changing its folders or model,
//! rebuilding, removing, pausing indexing, and the files that could not be read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hearth_docs::{CollectionSummary, UnreadableFile};
use hearth_models::ModelKind;
use serde::{Deserialize, Serialize};

use super::App;
use crate::{CollectionStatus, CoreError, RetrievalSettings};

/// A collection as the LocalDocs screen and the chat's documents picker show it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CollectionView {
    /// The collection and what is indexed of it.
    #[serde(flatten)]
    pub summary: CollectionSummary,
    /// What it is doing now.
    pub status: CollectionStatus,
}

/// An embedding model a collection can be made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EmbeddingOption {
    /// Its id (catalog id, else file name).
    pub id: String,
    /// Its name for people.
    pub name: String,
    /// What it is good at (the catalog's words); empty for a file of the person's own.
    pub description: String,
    /// The description in the UI's other languages, by language code (`zh`).
    pub description_in: BTreeMap<String, String>,
    /// Whether it is installed; one that is not is downloaded when a collection needs it.
    pub installed: bool,
    /// The download's size in bytes, for one not installed.
    pub size: Option<u64>,
}

/// Everything the LocalDocs screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct LocalDocsView {
    /// Every collection, by name.
    pub collections: Vec<CollectionView>,
    /// Whether indexing is paused.
    pub paused: bool,
    /// The embedding models to choose from, installed ones first.
    pub models: Vec<EmbeddingOption>,
    /// How many passages a reply is given, and the relevance floor.
    pub retrieval: RetrievalSettings,
}

/// A collection to make.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct NewCollection {
    /// Its name.
    pub name: String,
    /// The folders it reads (at least one).
    pub folders: Vec<String>,
    /// The embedding model; the installed default when absent.
    #[serde(default)]
    pub model: Option<String>,
}

/// A change to a collection.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CollectionChange {
    /// Read one more folder.
    AddFolder {
        /// The folder.
        path: String,
    },
    /// Stop reading a folder (its documents stay where they are).
    RemoveFolder {
        /// The folder.
        path: String,
    },
    /// Drop the index and read everything again.
    Rebuild,
    /// Make the passages with another embedding model (downloaded first when needed).
    SetModel {
        /// The model's id.
        model: String,
    },
    /// Remove the collection and its index (never its documents).
    Remove,
}

impl App {
    /// Every LocalDocs collection with what is indexed of it and what it is doing now.
    pub async fn collections(&self) -> Result<Vec<CollectionView>, CoreError> {
        Ok(self
            .docs
            .list()
            .await?
            .into_iter()
            .map(|summary| CollectionView {
                status: self.docs.status_of(&summary),
                summary,
            })
            .collect())
    }

    /// The LocalDocs screen: collections, whether indexing is paused, embedding models.
    pub async fn localdocs(&self) -> Result<LocalDocsView, CoreError> {
        let installed = self.docs.embedding_models()?;
        let mut models: Vec<EmbeddingOption> = installed
            .iter()
            .map(|m| {
                let entry = self.models.catalog().entry(&m.id);
                EmbeddingOption {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    description: entry.map(|e| e.description.clone()).unwrap_or_default(),
                    description_in: entry.map(|e| e.description_in.clone()).unwrap_or_default(),
                    installed: true,
                    size: None,
                }
            })
            .collect();
        models.extend(
            self.models
                .catalog()
                .models
                .iter()
                .filter(|e| e.kind == ModelKind::Embedding)
                .filter(|e| !installed.iter().any(|m| m.id == e.id))
                .map(|e| EmbeddingOption {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    description: e.description.clone(),
                    description_in: e.description_in.clone(),
                    installed: false,
                    size: e.size,
                }),
        );
        Ok(LocalDocsView {
            collections: self.collections().await?,
            paused: self.docs.paused(),
            models,
            retrieval: self.retrieval().await?,
        })
    }

    /// Makes a collection; it is read at once (or once its embedding model, which is
    /// downloaded from the catalog when it is not installed, has arrived).
    pub async fn add_collection(&self, new: NewCollection) -> Result<CollectionView, CoreError> {
        let name = new.name.trim();
        let folders: Vec<PathBuf> = new
            .folders
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
        match new.model.as_deref() {
            Some(model) if !self.docs.is_installed_embedding(model) => {
                self.docs.add_awaiting_model(name, &folders, model).await?;
                self.start_download(model)?;
            }
            model => {
                self.docs.add(name, &folders, model).await?;
            }
        }
        let summary = self
            .docs
            .list()
            .await?
            .into_iter()
            .find(|c| c.collection.name == name)
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "the collection {name:?} was made but is not listed"
                ))
            })?;
        Ok(CollectionView {
            status: self.docs.status_of(&summary),
            summary,
        })
    }

    /// Changes collection `name`: its folders, its model, a rebuild, or its removal.
    pub async fn change_collection(
        &self,
        name: &str,
        change: CollectionChange,
    ) -> Result<(), CoreError> {
        match change {
            CollectionChange::AddFolder { path } => {
                self.docs.add_folder(name, path.trim().as_ref()).await
            }
            CollectionChange::RemoveFolder { path } => {
                self.docs.remove_folder(name, path.as_ref()).await
            }
            CollectionChange::Rebuild => self.docs.rebuild(name).await,
            CollectionChange::SetModel { model } => {
                if self.docs.is_installed_embedding(&model) {
                    self.docs.set_embedding_model(name, &model).await
                } else {
                    self.docs.set_embedding_model_awaiting(name, &model).await?;
                    self.start_download(&model)
                }
            }
            CollectionChange::Remove => self.docs.remove(name).await,
        }
    }

    /// Pauses indexing of every collection, or lets it go on.
    pub fn pause_indexing(&self, paused: bool) {
        self.docs.pause(paused);
    }

    /// The files of collection `name` that gave nothing, each with its reason.
    pub async fn unreadable_files(&self, name: &str) -> Result<Vec<UnreadableFile>, CoreError> {
        self.docs.unreadable(name).await
    }
}
