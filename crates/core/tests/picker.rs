//! The model picker's list on the real app and worker: it says which model the engine holds,
//! so the window can show whether the next reply starts at once or loads the model first.

use hearth_testkit::ScratchDir;

mod common;

use common::{open, ready, reply};

#[tokio::test]
async fn the_picker_says_which_model_the_engine_holds() {
    let dir = ScratchDir::new("core-picker");
    let app = open(&dir.path().join("data")).await;
    let model = ready(&app).await;
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
}
