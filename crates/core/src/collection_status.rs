//! What each LocalDocs collection is doing now (waiting, reading with its progress, paused,
//! ready, failed, waiting for its embedding model), kept from the index's events so that a
//! screen opened mid-run shows the run, and announced to whoever shows it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hearth_docs::{DocsEvent, IndexProgress};
use hearth_models::DownloadEvent;
use serde::Serialize;
use tokio::sync::broadcast;

/// What a collection is doing now.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CollectionStatus {
    /// Not read since the app started (or changed since): its turn comes.
    Queued,
    /// Being read, this far.
    Indexing(IndexProgress),
    /// Indexing is paused (it goes on when resumed).
    Paused,
    /// Up to date; its folders are watched for changes.
    Ready,
    /// Its embedding model is being downloaded; reading starts when it is installed.
    WaitingForModel {
        /// The catalog id of the model.
        model: String,
    },
    /// Reading stopped on an error; what was read is kept and searched.
    Failed {
        /// What went wrong and what to do.
        message: String,
    },
}

impl CollectionStatus {
    /// The collection named in `event`, and what the event says it is doing.
    pub fn from_event(event: &DocsEvent) -> (&str, CollectionStatus) {
        match event {
            DocsEvent::Indexing {
                collection,
                progress,
            } => (collection, CollectionStatus::Indexing(progress.clone())),
            DocsEvent::Paused { collection } => (collection, CollectionStatus::Paused),
            DocsEvent::Indexed { collection, .. } => (collection, CollectionStatus::Ready),
            DocsEvent::IndexFailed {
                collection,
                message,
            } => (
                collection,
                CollectionStatus::Failed {
                    message: message.clone(),
                },
            ),
        }
    }

    /// Whether replies see only part of the collection's documents for now.
    pub fn is_unfinished(&self) -> bool {
        !matches!(
            self,
            CollectionStatus::Ready | CollectionStatus::Failed { .. }
        )
    }
}

/// A collection's new status, as the UI receives it (`"type": "collection"`).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct CollectionNotice {
    /// Always `"collection"`.
    #[serde(rename = "type")]
    pub tag: CollectionTag,
    /// The collection.
    pub collection: String,
    /// What it is doing now.
    pub status: CollectionStatus,
}

/// The tag of collection notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CollectionTag {
    /// `"collection"`.
    Collection,
}

/// Every collection's status. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Statuses {
    map: Arc<Mutex<HashMap<String, CollectionStatus>>>,
    notices: broadcast::Sender<CollectionNotice>,
}

impl Statuses {
    pub(crate) fn new() -> Statuses {
        Statuses {
            map: Arc::default(),
            notices: broadcast::channel(256).0,
        }
    }

    /// `name`'s status; a collection not heard of since the start waits for its turn.
    pub(crate) fn get(&self, name: &str) -> CollectionStatus {
        self.lock()
            .get(name)
            .cloned()
            .unwrap_or(CollectionStatus::Queued)
    }

    /// `name`'s status, when something was heard of it since the start.
    pub(crate) fn known(&self, name: &str) -> Option<CollectionStatus> {
        self.lock().get(name).cloned()
    }

    /// Records and announces `name`'s status.
    pub(crate) fn set(&self, name: &str, status: CollectionStatus) {
        self.lock().insert(name.to_owned(), status.clone());
        // Nobody listening is fine: the status is kept for the next look.
        let _ = self.notices.send(CollectionNotice {
            tag: CollectionTag::Collection,
            collection: name.to_owned(),
            status,
        });
    }

    /// Forgets a removed collection.
    pub(crate) fn forget(&self, name: &str) {
        self.lock().remove(name);
    }

    /// The collections waiting for the embedding model `model`.
    pub(crate) fn waiting_for(&self, model: &str) -> Vec<String> {
        self.lock()
            .iter()
            .filter(
                |(_, s)| matches!(s, CollectionStatus::WaitingForModel { model: m } if m == model),
            )
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Status changes from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<CollectionNotice> {
        self.notices.subscribe()
    }

    /// Keeps the statuses from the index's events until the index closes.
    pub(crate) async fn follow(self, mut events: broadcast::Receiver<DocsEvent>) {
        use broadcast::error::RecvError;
        loop {
            match events.recv().await {
                Ok(event) => {
                    let (name, status) = CollectionStatus::from_event(&event);
                    self.set(name, status);
                }
                // A missed progress event is followed by the next one within 250 ms.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// Marks collections waiting for a model that failed to download as failed; `installed`
    /// is called when a model has been installed (their turn comes again).
    pub(crate) async fn follow_downloads(
        self,
        mut events: broadcast::Receiver<DownloadEvent>,
        installed: impl Fn(),
    ) {
        use broadcast::error::RecvError;
        loop {
            match events.recv().await {
                Ok(DownloadEvent::Finished { id, .. }) => {
                    for name in self.waiting_for(&id) {
                        self.set(&name, CollectionStatus::Queued);
                    }
                    installed();
                }
                Ok(DownloadEvent::Failed { id, message, .. }) => {
                    for name in self.waiting_for(&id) {
                        self.set(
                            &name,
                            CollectionStatus::Failed {
                                message: format!(
                                    "the embedding model {id} could not be downloaded: {message}"
                                ),
                            },
                        );
                    }
                }
                Ok(DownloadEvent::Cancelled { id }) => {
                    for name in self.waiting_for(&id) {
                        self.set(
                            &name,
                            CollectionStatus::Failed {
                                message: format!("the download of the embedding model {id} was cancelled; download it in Models, or choose another model"),
                            },
                        );
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CollectionStatus>> {
        // A panic elsewhere while holding it leaves a map that is still whole.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_events_become_statuses_and_are_announced() {
        let statuses = Statuses::new();
        let mut notices = statuses.subscribe();
        assert_eq!(statuses.get("Notes"), CollectionStatus::Queued);
        let failed = DocsEvent::IndexFailed {
            collection: "Notes".into(),
            message: "the folder is gone".into(),
        };
        let (name, status) = CollectionStatus::from_event(&failed);
        statuses.set(name, status);
        assert_eq!(
            statuses.get("Notes"),
            CollectionStatus::Failed {
                message: "the folder is gone".into()
            }
        );
        let notice = notices.try_recv().unwrap();
        assert_eq!(
            serde_json::to_value(&notice).unwrap(),
            serde_json::json!({"type": "collection", "collection": "Notes",
                "status": {"state": "failed", "message": "the folder is gone"}})
        );
        statuses.set(
            "Notes",
            CollectionStatus::WaitingForModel { model: "m".into() },
        );
        assert_eq!(statuses.waiting_for("m"), vec!["Notes".to_owned()]);
        assert!(statuses.get("Notes").is_unfinished());
        statuses.forget("Notes");
        assert!(statuses.waiting_for("m").is_empty());
    }
}
