//! What the app's test files share: the app on a data folder with the real worker, the test
//! model answering greedily, and waiting for a reply.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use hearth_core::{App, AppOptions, CoreEvent, DataDir, EngineClient, Message, Started};
use hearth_testkit::test_model;

pub async fn open(data: &Path) -> App {
    let options = AppOptions {
        engine: Some(EngineClient::from_environment().unwrap()),
        ..AppOptions::default()
    };
    App::open_with(DataDir::resolve(Some(data)).unwrap(), options)
        .await
        .unwrap()
}

/// The app with the test model, answering greedily and briefly; returns the model's id.
pub async fn ready(app: &App) -> String {
    let model = app
        .import_model(&test_model().display().to_string())
        .await
        .unwrap()
        .model
        .file;
    let mut settings = app.generation(None).await.unwrap();
    settings.sampling.max_tokens = 32;
    settings.sampling.temperature = 0.0;
    app.set_generation(None, &settings).await.unwrap();
    model
}

/// Waits for the reply `started` announced to end; returns it as stored.
pub async fn reply(app: &App, started: Started) -> Message {
    let mut events = app.hearth().subscribe();
    // It may have ended before we listened.
    let done = |m: &Message| m.status != hearth_core::MessageStatus::Streaming;
    let stored = app
        .hearth()
        .store()
        .message(started.message_id)
        .await
        .unwrap();
    if done(&stored) {
        return stored;
    }
    tokio::time::timeout(Duration::from_secs(180), async {
        loop {
            match events.recv().await {
                Ok(CoreEvent::ReplyFinished { message_id, .. })
                    if message_id == started.message_id =>
                {
                    break
                }
                Ok(_) => {}
                Err(e) => panic!("events ended: {e}"),
            }
        }
    })
    .await
    .expect("the reply ends within three minutes");
    app.hearth()
        .store()
        .message(started.message_id)
        .await
        .unwrap()
}
