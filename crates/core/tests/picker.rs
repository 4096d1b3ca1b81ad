//! The model picker's list on the real app and worker: it says which model the engine holds,
//! so the window can show whether the next reply starts at once or loads the model first, how
//! far a load has come, and lets the person free the model's memory.

use hearth_core::CoreEvent;
use hearth_testkit::ScratchDir;

mod common;

use common::{open, ready, reply};

#[tokio::test]
async fn the_picker_says_which_model_the_engine_holds() {
    let dir = ScratchDir::new("core-picker");
    let app = open(&dir.path().join("data")).await;
    let model = ready(&app).await;

    // Settings' models folder: where, how many, the room they take and the room left.
    let folder = app.settings().await.unwrap().models_folder;
    assert_eq!(
        std::path::Path::new(&folder.path),
        dir.path().join("data").join("models")
    );
    assert_eq!(folder.models, 1);
    let file_size = std::fs::metadata(hearth_testkit::test_model())
        .unwrap()
        .len();
    assert_eq!(folder.used, file_size);
    assert!(folder.free.is_some_and(|free| free > 0), "{folder:?}");

    let choices = app.models().await.unwrap();
    let id = choices
        .default
        .clone()
        .expect("the only model is the default");
    assert!(
        choices.models.iter().all(|m| !m.loaded),
        "nothing is loaded before the first reply: {:?}",
        choices.models
    );

    let mut events = app.hearth().subscribe();
    let chat = app.new_chat().await.unwrap();
    let started = app
        .send(chat.id, "What is the capital of France?", &model)
        .await
        .unwrap();
    reply(&app, started).await;
    let choices = app.models().await.unwrap();
    let shown = choices.models.iter().find(|m| m.id == id).unwrap();
    assert!(
        shown.loaded,
        "the model that answered is held: {:?}",
        choices.models
    );

    // The reply waited for the load and was told how far it came, before its first token.
    let mut order = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            CoreEvent::ModelLoading { .. } => order.push("loading".to_owned()),
            CoreEvent::ModelLoadProgress {
                model: file,
                progress,
            } => {
                assert_eq!(file, model, "progress names the model file");
                order.push(format!("{progress}"));
            }
            CoreEvent::Token { .. } if !order.iter().any(|e| e == "token") => {
                order.push("token".to_owned())
            }
            _ => {}
        }
    }
    assert_eq!(
        order.first().map(String::as_str),
        Some("loading"),
        "{order:?}"
    );
    let token_at = order.iter().position(|e| e == "token").expect("a token");
    assert_eq!(
        order[token_at - 1],
        "1",
        "the load ends whole before the reply: {order:?}"
    );
    assert!(token_at >= 3, "progress before the whole: {order:?}");

    app.unload_model().await.unwrap();
    let choices = app.models().await.unwrap();
    assert!(
        choices.models.iter().all(|m| !m.loaded),
        "nothing is held after unloading: {:?}",
        choices.models
    );
    app.unload_model()
        .await
        .expect("unloading with nothing loaded is fine");

    // The next reply loads the model again and answers.
    let started = app.send(chat.id, "And of Italy?", &model).await.unwrap();
    let answer = reply(&app, started).await;
    assert_eq!(answer.status, hearth_core::MessageStatus::Complete);
    assert!(app.models().await.unwrap().models.iter().any(|m| m.loaded));
}
