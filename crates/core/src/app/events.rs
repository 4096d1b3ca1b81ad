//! Every core event and download event as one typed stream, for whoever shows them (the web
//! UI's event stream, the desktop window's events).

use hearth_models::DownloadEvent;
use serde::Serialize;
use tokio::sync::broadcast;

use super::App;
use crate::{CollectionNotice, CoreEvent};

/// One event for the UI: a core event as it is, or a download event tagged `"type": "download"`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum AppEvent {
    /// Chats and replies.
    Core(CoreEvent),
    /// A download's progress.
    Download(DownloadNotice),
    /// What a LocalDocs collection is doing now.
    Collection(CollectionNotice),
}

/// A download event as the UI receives it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DownloadNotice {
    /// Always `"download"`.
    #[serde(rename = "type")]
    pub tag: DownloadTag,
    /// What happened.
    #[serde(flatten)]
    pub event: DownloadEvent,
}

/// The tag of download events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DownloadTag {
    /// `"download"`.
    Download,
}

/// Subscriptions to both streams.
pub struct Events {
    core: broadcast::Receiver<CoreEvent>,
    downloads: broadcast::Receiver<DownloadEvent>,
    collections: broadcast::Receiver<CollectionNotice>,
}

impl Events {
    /// Subscribes to both streams from now on.
    pub fn new(app: &App) -> Events {
        Events {
            core: app.hearth.subscribe(),
            downloads: app.models.downloader().subscribe(),
            collections: app.docs.status_changes(),
        }
    }

    /// The next event; `None` once the app is gone. Events missed by a slow reader are
    /// skipped: the UI reloads what it shows on the next one.
    pub async fn next(&mut self) -> Option<AppEvent> {
        use broadcast::error::RecvError;
        loop {
            let event = tokio::select! {
                event = self.core.recv() => match event {
                    Ok(event) => Some(AppEvent::Core(event)),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
                event = self.downloads.recv() => match event {
                    Ok(event) => Some(AppEvent::Download(DownloadNotice {
                        tag: DownloadTag::Download,
                        event,
                    })),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
                event = self.collections.recv() => match event {
                    Ok(notice) => Some(AppEvent::Collection(notice)),
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return None,
                },
            };
            if event.is_some() {
                return event;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_events_are_tagged_and_core_events_keep_their_shape() {
        let download = AppEvent::Download(DownloadNotice {
            tag: DownloadTag::Download,
            event: DownloadEvent::Paused { id: "m".into() },
        });
        assert_eq!(
            serde_json::to_value(&download).unwrap(),
            serde_json::json!({"type": "download", "event": "paused", "id": "m"})
        );
        let core = AppEvent::Core(CoreEvent::ChatChanged { chat_id: 3 });
        assert_eq!(
            serde_json::to_value(&core).unwrap(),
            serde_json::json!({"type": "chat_changed", "chat_id": 3})
        );
    }
}
