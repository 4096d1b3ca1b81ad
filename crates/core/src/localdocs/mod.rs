//! [`LocalDocs`]: a person's document collections in the app. The index and retrieval are
//! hearth-docs'; this wires them to an embedding model in a worker of its own (so a chat and
//! indexing never evict each other's model), and makes indexing yield to replies: while the
//! chat worker is busy, the embedding worker is held and no new file is read.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearth_docs::{
    Collection, CollectionSummary, Docs, DocsError, DocsEvent, FolderWatch, IndexControl,
    IndexReport, Passage, SearchMode, UnreadableFile,
};
use hearth_engine::EngineClient;
use serde::Serialize;
use tokio::sync::{broadcast, watch, Mutex};

use crate::collection_status::{CollectionNotice, CollectionStatus, Statuses};
use crate::{CoreError, DataDir, ModelManager};

mod embedder;

use embedder::hold_while_replying;

/// How often watched folders are read again even without events (network mounts send none).
pub const RESCAN_EVERY: Duration = Duration::from_secs(300);
/// Changes closer together than this are indexed together.
const WATCH_QUIET: Duration = Duration::from_secs(2);

/// An installed embedding model LocalDocs can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EmbeddingChoice {
    /// Its id (catalog id, else file name), as collections name it.
    pub id: String,
    /// Its name for people.
    pub name: String,
}

/// LocalDocs as the app runs it. Cheap to clone.
#[derive(Clone)]
pub struct LocalDocs {
    inner: Arc<Inner>,
}

struct Inner {
    docs: Docs,
    models: ModelManager,
    /// The embedding worker (not the chat one).
    engine: EngineClient,
    /// The model file in the embedding worker; held across a load and the embedding that
    /// needs it, so two collections on different models cannot mix vectors.
    loaded: Mutex<Option<PathBuf>>,
    /// Indexing waits while the chat worker is busy.
    control: IndexControl,
    /// Index runs going on; the embedding worker is held only while one runs.
    indexing: watch::Sender<u32>,
    /// One index run at a time (they share the worker and the reader).
    runs: Mutex<()>,
    /// Bumped when a collection is added, removed or changed, for [`LocalDocs::watch_all`].
    collections_changed: watch::Sender<u64>,
    /// What each collection is doing now.
    statuses: Statuses,
}

impl LocalDocs {
    /// Opens `docs.db` in `data`; `engine` is the embedding worker, `chat_busy` says when
    /// replies are being written, `reader` is the `hearth-extract` program.
    pub async fn open(
        data: &DataDir,
        models: ModelManager,
        engine: EngineClient,
        chat_busy: watch::Receiver<bool>,
        reader: PathBuf,
    ) -> Result<LocalDocs, CoreError> {
        let docs = Docs::open(&data.docs_database(), reader).await?;
        let (indexing, _) = watch::channel(0);
        let local = LocalDocs {
            inner: Arc::new(Inner {
                docs,
                models,
                engine,
                loaded: Mutex::new(None),
                control: IndexControl::yielding_to(chat_busy.clone()),
                indexing,
                runs: Mutex::new(()),
                collections_changed: watch::channel(0).0,
                statuses: Statuses::new(),
            }),
        };
        let statuses = local.inner.statuses.clone();
        tokio::spawn(statuses.clone().follow(local.inner.docs.subscribe()));
        // A model installed (here or in Models) gives the collections waiting for it their turn.
        let weak = Arc::downgrade(&local.inner);
        tokio::spawn(statuses.follow_downloads(
            local.inner.models.downloader().subscribe(),
            move || {
                if let Some(inner) = weak.upgrade() {
                    inner.collections_changed.send_modify(|n| *n += 1);
                }
            },
        ));
        tokio::spawn(hold_while_replying(
            local.inner.engine.clone(),
            chat_busy,
            local.inner.indexing.subscribe(),
        ));
        Ok(local)
    }

    /// The index underneath (its reads, its events).
    pub fn docs(&self) -> &Docs {
        &self.inner.docs
    }

    /// Indexing progress from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DocsEvent> {
        self.inner.docs.subscribe()
    }

    /// Pauses, resumes or stops indexing.
    pub fn control(&self) -> &IndexControl {
        &self.inner.control
    }

    /// What collection `name` is doing now.
    pub fn status(&self, name: &str) -> CollectionStatus {
        self.inner.statuses.get(name)
    }

    /// What a listed collection is doing now: one not heard of since the start (indexed by
    /// another program, say) is ready when it has files, else waits for its turn.
    pub fn status_of(&self, summary: &CollectionSummary) -> CollectionStatus {
        let name = &summary.collection.name;
        self.inner
            .statuses
            .known(name)
            .unwrap_or(if summary.files > 0 {
                CollectionStatus::Ready
            } else {
                CollectionStatus::Queued
            })
    }

    /// Every collection's status change from now on.
    pub fn status_changes(&self) -> broadcast::Receiver<CollectionNotice> {
        self.inner.statuses.subscribe()
    }

    /// Pauses indexing (every collection) or lets it go on.
    pub fn pause(&self, paused: bool) {
        if self.inner.control.state() == hearth_docs::IndexState::Stop {
            return;
        }
        let state = if paused {
            hearth_docs::IndexState::Pause
        } else {
            hearth_docs::IndexState::Run
        };
        self.inner.control.set(state);
        if !paused {
            // A paused run goes on by itself; one that had not started gets its turn.
            self.collections_changed();
        }
    }

    /// Whether indexing is paused.
    pub fn paused(&self) -> bool {
        self.inner.control.state() == hearth_docs::IndexState::Pause
    }

    /// Makes a collection of `folders` embedded with `model` (or the default one).
    pub async fn add(
        &self,
        name: &str,
        folders: &[PathBuf],
        model: Option<&str>,
    ) -> Result<Collection, CoreError> {
        let model = match model {
            Some(id) => {
                self.embedding_model(id)?;
                id.to_owned()
            }
            None => self.default_embedding_model()?,
        };
        let collection = self
            .inner
            .docs
            .add_collection(name, folders, &model)
            .await?;
        self.inner.statuses.set(name, CollectionStatus::Queued);
        self.collections_changed();
        Ok(collection)
    }

    /// Makes a collection of `folders` embedded with the catalog's embedding model `model`,
    /// which is not installed yet: it waits for the model's download (started by the caller).
    pub async fn add_awaiting_model(
        &self,
        name: &str,
        folders: &[PathBuf],
        model: &str,
    ) -> Result<Collection, CoreError> {
        self.catalog_embedding_model(model)?;
        let collection = self.inner.docs.add_collection(name, folders, model).await?;
        self.await_model(name, model);
        Ok(collection)
    }

    /// Marks `name` as waiting for the download of its embedding model `model`.
    fn await_model(&self, name: &str, model: &str) {
        self.inner.statuses.set(
            name,
            CollectionStatus::WaitingForModel {
                model: model.to_owned(),
            },
        );
    }

    /// Every collection with its counts.
    pub async fn list(&self) -> Result<Vec<CollectionSummary>, CoreError> {
        Ok(self.inner.docs.collections().await?)
    }

    /// Renames a collection.
    pub async fn rename(&self, name: &str, new_name: &str) -> Result<(), CoreError> {
        self.inner.docs.rename_collection(name, new_name).await?;
        self.collections_changed();
        Ok(())
    }

    /// Removes a collection and its index (never its documents).
    pub async fn remove(&self, name: &str) -> Result<(), CoreError> {
        let _run = self.inner.runs.lock().await;
        self.inner.docs.remove_collection(name).await?;
        self.inner.statuses.forget(name);
        self.collections_changed();
        Ok(())
    }

    /// Drops a collection's index; the next indexing reads every file again.
    pub async fn rebuild(&self, name: &str) -> Result<(), CoreError> {
        let _run = self.inner.runs.lock().await;
        self.inner.docs.rebuild(name).await?;
        self.inner.statuses.set(name, CollectionStatus::Queued);
        self.collections_changed();
        Ok(())
    }

    /// Makes a collection's passages with another embedding model (its index is rebuilt).
    pub async fn set_embedding_model(&self, name: &str, model: &str) -> Result<(), CoreError> {
        self.embedding_model(model)?;
        let _run = self.inner.runs.lock().await;
        self.inner.docs.set_embedding_model(name, model).await?;
        self.inner.statuses.set(name, CollectionStatus::Queued);
        self.collections_changed();
        Ok(())
    }

    /// Gives a collection the catalog's embedding model `model`, which is not installed yet:
    /// its index is dropped and it waits for the model's download (started by the caller).
    pub async fn set_embedding_model_awaiting(
        &self,
        name: &str,
        model: &str,
    ) -> Result<(), CoreError> {
        self.catalog_embedding_model(model)?;
        let _run = self.inner.runs.lock().await;
        self.inner.docs.set_embedding_model(name, model).await?;
        self.await_model(name, model);
        Ok(())
    }

    /// Adds a folder to a collection (read on its next turn, which comes at once).
    pub async fn add_folder(&self, name: &str, folder: &std::path::Path) -> Result<(), CoreError> {
        self.inner.docs.add_folder(name, folder).await?;
        self.requeue(name);
        Ok(())
    }

    /// Takes a folder out of a collection; its files leave the index on the next turn.
    pub async fn remove_folder(
        &self,
        name: &str,
        folder: &std::path::Path,
    ) -> Result<(), CoreError> {
        let _run = self.inner.runs.lock().await;
        self.inner.docs.remove_folder(name, folder).await?;
        self.requeue(name);
        Ok(())
    }

    /// Reads collection `name` again soon (its folder has new files).
    pub fn read_again(&self, name: &str) {
        self.requeue(name);
    }

    /// Waits until collection `name` is read (ready or failed), or is gone.
    pub async fn until_read(&self, name: &str) {
        use broadcast::error::RecvError;
        let mut changes = self.inner.statuses.subscribe();
        while self.inner.statuses.get(name).is_unfinished() {
            if self.inner.docs.collection(name).await.is_err() {
                return;
            }
            match changes.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// Gives `name` its turn again, unless it waits for its model.
    fn requeue(&self, name: &str) {
        if !matches!(
            self.inner.statuses.get(name),
            CollectionStatus::WaitingForModel { .. }
        ) {
            self.inner.statuses.set(name, CollectionStatus::Queued);
        }
        self.collections_changed();
    }

    fn collections_changed(&self) {
        self.inner.collections_changed.send_modify(|n| *n += 1);
    }

    /// The files of a collection that gave nothing, and why.
    pub async fn unreadable(&self, name: &str) -> Result<Vec<UnreadableFile>, CoreError> {
        Ok(self.inner.docs.unreadable(name).await?)
    }

    /// Brings a collection's index up to date with its folders.
    pub async fn index(&self, name: &str) -> Result<IndexReport, CoreError> {
        let _run = self.inner.runs.lock().await;
        if self.inner.control.state() == hearth_docs::IndexState::Stop {
            return Err(DocsError::Stopped.into());
        }
        let collection = self.inner.docs.collection(name).await?;
        let embedder = match self.embedder(&collection.embedding_model) {
            Ok(embedder) => embedder,
            Err(e) => {
                // Waiting for its model's download is not a failure.
                if !matches!(
                    self.inner.statuses.get(name),
                    CollectionStatus::WaitingForModel { .. }
                ) {
                    self.inner.statuses.set(
                        name,
                        CollectionStatus::Failed {
                            message: e.to_string(),
                        },
                    );
                }
                return Err(e);
            }
        };
        self.inner.indexing.send_modify(|n| *n += 1);
        let result = self
            .inner
            .docs
            .index(name, &embedder, &self.inner.control)
            .await;
        self.inner
            .indexing
            .send_modify(|n| *n = n.saturating_sub(1));
        Ok(result?)
    }

    /// Indexes `name`, then again whenever its folders change (and every [`RESCAN_EVERY`]
    /// where no events arrive), until `stop` resolves.
    pub async fn watch(
        &self,
        name: &str,
        stop: impl std::future::Future<Output = ()>,
        mut after_each: impl FnMut(Result<IndexReport, CoreError>),
    ) -> Result<(), CoreError> {
        let collection = self.inner.docs.collection(name).await?;
        let folders: Vec<PathBuf> = collection.folders.iter().map(PathBuf::from).collect();
        let mut watch = FolderWatch::new(&folders, WATCH_QUIET)?;
        tokio::pin!(stop);
        loop {
            after_each(self.index(name).await);
            tokio::select! {
                _ = &mut stop => return Ok(()),
                changed = watch.changed() => {
                    if changed.is_none() {
                        return Ok(());
                    }
                }
                _ = tokio::time::sleep(RESCAN_EVERY) => {}
            }
        }
    }

    /// Keeps every collection up to date while the app runs: each is read now, then again
    /// whenever a folder changes, a collection is added or changed, or [`RESCAN_EVERY`] has
    /// passed (network mounts send no events), until `stop` resolves or LocalDocs shuts down.
    /// A collection that cannot be indexed (its model removed, its folder gone) is reported in
    /// its events and the others go on.
    pub async fn watch_all(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut collections_changed = self.inner.collections_changed.subscribe();
        loop {
            let names: Vec<String> = match self.list().await {
                Ok(list) => list.into_iter().map(|c| c.collection.name).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "LocalDocs cannot list its collections");
                    Vec::new()
                }
            };
            let mut folders = Vec::new();
            for name in &names {
                if let Ok(c) = self.inner.docs.collection(name).await {
                    folders.extend(c.folders.iter().map(PathBuf::from).filter(|f| f.is_dir()));
                }
            }
            // Made before reading, so that what changes during a run is caught by the next.
            let mut watch = match FolderWatch::new(&folders, WATCH_QUIET) {
                Ok(watch) if !folders.is_empty() => Some(watch),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "folders cannot be watched; reading them every {RESCAN_EVERY:?}");
                    None
                }
            };
            collections_changed.borrow_and_update();
            for name in &names {
                if self.inner.control.state() == hearth_docs::IndexState::Stop {
                    return;
                }
                if let Err(e) = self.index(name).await {
                    tracing::warn!(collection = %name, error = %e, "LocalDocs could not index");
                }
            }
            let folder_changed = async {
                let changed = match watch.as_mut() {
                    Some(w) => w.changed().await,
                    None => None,
                };
                // A watcher that has ended leaves the periodic rescan.
                if changed.is_none() {
                    std::future::pending::<()>().await;
                }
            };
            let mut state = self.inner.control.subscribe();
            let stopped = state.wait_for(|s| *s == hearth_docs::IndexState::Stop);
            tokio::select! {
                _ = &mut stop => return,
                _ = stopped => return,
                _ = folder_changed => {}
                _ = collections_changed.changed() => {}
                _ = tokio::time::sleep(RESCAN_EVERY) => {}
            }
        }
    }

    /// The `k` passages of `collections` that best answer `query`.
    pub async fn search(
        &self,
        collections: &[&str],
        query: &str,
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Passage>, CoreError> {
        let Some(first) = collections.first() else {
            return Err(CoreError::Invalid("name a collection to search".into()));
        };
        let model = self.inner.docs.collection(first).await?.embedding_model;
        for name in &collections[1..] {
            if self.inner.docs.collection(name).await?.embedding_model != model {
                return Err(CoreError::Invalid(
                    "these collections are embedded with different models, so they cannot be searched together; give them the same embedding model".into(),
                ));
            }
        }
        if mode == SearchMode::Keyword {
            return Ok(self
                .inner
                .docs
                .search_with_vector(collections, query, None, k, mode)
                .await?);
        }
        let embedder = self.embedder(&model)?;
        Ok(self
            .inner
            .docs
            .search(collections, query, k, mode, &embedder)
            .await?)
    }

    /// Stops indexing and the embedding worker, and closes the index.
    pub async fn shutdown(&self) {
        self.inner.control.set(hearth_docs::IndexState::Stop);
        self.inner.engine.hold(false);
        self.inner.engine.shutdown().await;
        self.inner.docs.close().await;
    }
}
