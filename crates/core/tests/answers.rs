//! Replies that answer from a person's documents: the real chat model and the test embedder in
//! their own workers, the real reader, real `hearth.db` and `docs.db` files. A chat given a
//! collection sends its newest question with the passages that match it, and the reply keeps
//! them as its sources through a rebuild of the index, a restart and an export/import.

use std::path::Path;
use std::time::Duration;

use hearth_core::{
    App, AppOptions, CoreEvent, DataDir, EngineClient, ErrorKind, ExportFormat, Id, Message,
};
use hearth_testkit::{test_embedder, test_model, ScratchDir};
use tokio::sync::broadcast::error::TryRecvError;

async fn open(data: &Path) -> App {
    let options = AppOptions {
        engine: Some(EngineClient::from_environment().unwrap()),
        ..AppOptions::default()
    };
    App::open_with(DataDir::resolve(Some(data)).unwrap(), options)
        .await
        .unwrap()
}

/// A folder where one file alone holds the answer, among files about other things.
fn notes(dir: &Path) -> std::path::PathBuf {
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(
        notes.join("garden.md"),
        "# Garden\n\nThe roses were pruned in March.\n\n## Orchard\n\nThe quince tree in Ana's orchard flowers in the second week of April, after the plums.\n",
    )
    .unwrap();
    std::fs::write(
        notes.join("kitchen.txt"),
        "Simmer the damson jam for forty minutes, then pour it into warm jars.\n",
    )
    .unwrap();
    std::fs::write(
        notes.join("car.txt"),
        "The car's tyres were changed at the garage in Leeds in November.\n",
    )
    .unwrap();
    notes
}

/// Sends `text` and waits for the reply's end; returns the reply as stored.
async fn ask(app: &App, chat: Id, text: &str, model: &str) -> Message {
    let events = app.hearth().subscribe();
    let started = app.send(chat, text, model).await.unwrap();
    finished(app, events, started).await
}

/// Waits for the end of the reply `started` announced; returns it as stored.
async fn finished(
    app: &App,
    mut events: tokio::sync::broadcast::Receiver<CoreEvent>,
    started: hearth_core::Started,
) -> Message {
    tokio::time::timeout(Duration::from_secs(120), async {
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
    .expect("the reply ends within two minutes");
    app.hearth()
        .store()
        .message(started.message_id)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reply_answers_from_the_chats_collections_and_keeps_its_sources() {
    let dir = ScratchDir::new("core-answers");
    let data = dir.path().join("data");
    let app = open(&data).await;
    let chat_model = app
        .import_model(&test_model().display().to_string())
        .await
        .unwrap()
        .model
        .file;
    app.import_model(&test_embedder().display().to_string())
        .await
        .unwrap();
    // Short greedy replies: a long one would push the early events out of the channel.
    let mut settings = app.generation(None).await.unwrap();
    settings.sampling.max_tokens = 24;
    settings.sampling.temperature = 0.0;
    app.set_generation(None, &settings).await.unwrap();
    let notes = notes(dir.path());
    app.docs()
        .add("Notes", std::slice::from_ref(&notes), None)
        .await
        .unwrap();
    app.docs().index("Notes").await.unwrap();
    let question = "When does the quince tree flower?";

    // The same question without documents, for the prompt's size.
    let plain = app.new_chat().await.unwrap();
    assert!(plain.collections.is_empty(), "no collection chosen yet");
    let without = ask(&app, plain.id, question, &chat_model).await;
    assert!(without.sources.is_empty());

    let chat = app.new_chat().await.unwrap();
    app.choose_collections(chat.id, &["Notes".into()])
        .await
        .unwrap();
    let mut events = app.hearth().subscribe();
    let reply = ask(&app, chat.id, question, &chat_model).await;
    let first = reply.sources.first().expect("the reply was given passages");
    assert!(first.path.ends_with("garden.md"), "{:?}", reply.sources);
    assert_eq!(first.collection, "Notes");
    assert!(first.excerpt.contains("quince"), "{first:?}");
    assert!(
        first.line_start.is_some()
            && first
                .heading
                .as_deref()
                .is_some_and(|h| h.starts_with("Garden")),
        "{first:?}"
    );
    assert!(
        reply.prompt_tokens.unwrap() > without.prompt_tokens.unwrap() + 10,
        "the passages went into the prompt: {:?} vs {:?} tokens",
        reply.prompt_tokens,
        without.prompt_tokens
    );
    let mut announced = None;
    loop {
        match events.try_recv() {
            Ok(CoreEvent::SourcesFound { sources, .. }) => announced = Some(sources),
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    assert_eq!(
        announced.as_ref(),
        Some(&reply.sources),
        "SourcesFound told"
    );

    // Opening a source: only a file a collection indexed, still inside its folders.
    let garden = std::fs::canonicalize(notes.join("garden.md")).unwrap();
    assert_eq!(app.source_file(reply.id, 0).await.unwrap(), garden);
    assert!(app.source_file(reply.id, 99).await.is_err());
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "not for the model's eyes").unwrap();
    let forged = {
        let json = app.export(Some(chat.id), ExportFormat::Json).await.unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for message in value["chats"][0]["messages"].as_array_mut().unwrap() {
            for source in message["sources"].as_array_mut().unwrap() {
                source["path"] = serde_json::json!(secret.display().to_string());
            }
        }
        let copy = app.import_chats(&value.to_string()).await.unwrap()[0];
        app.chat(copy).await.unwrap().messages[1].message.id
    };
    let refused = app.source_file(forged, 0).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden, "{refused}");
    assert!(refused.to_string().contains("secret.txt"), "{refused}");
    // An indexed file swapped for a link out of the folder is not followed.
    let original = std::fs::read(notes.join("garden.md")).unwrap();
    std::fs::remove_file(notes.join("garden.md")).unwrap();
    std::os::unix::fs::symlink(&secret, notes.join("garden.md")).unwrap();
    let refused = app.source_file(reply.id, 0).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden, "{refused}");
    std::fs::remove_file(notes.join("garden.md")).unwrap();
    std::fs::write(notes.join("garden.md"), original).unwrap();

    // Regenerating searches again: the new version has its own sources.
    let events = app.hearth().subscribe();
    let started = app.regenerate(chat.id, &chat_model).await.unwrap();
    let again = finished(&app, events, started).await;
    assert_ne!(again.id, reply.id);
    assert_eq!(
        again.sources, reply.sources,
        "the same question finds the same passages"
    );
    app.show_version(reply.id).await.unwrap();

    // A new chat starts with the collections chosen last.
    assert_eq!(app.new_chat().await.unwrap().collections, ["Notes"]);

    // A relevance floor no passage reaches, and no shared word: nothing is added.
    let mut strict = app.retrieval().await.unwrap();
    strict.min_similarity = 0.99;
    app.set_retrieval(&strict).await.unwrap();
    let off_topic = ask(&app, chat.id, "Who wrote Hamlet?", &chat_model).await;
    assert!(off_topic.sources.is_empty(), "{:?}", off_topic.sources);

    // The sources outlive a rebuild of the index, an export and import, and a restart.
    app.docs().rebuild("Notes").await.unwrap();
    let view = app.chat(chat.id).await.unwrap();
    let kept = &view.messages[1].message;
    assert_eq!(kept.sources, reply.sources, "kept through a rebuild");
    let json = app.export(Some(chat.id), ExportFormat::Json).await.unwrap();
    let copy = app.import_chats(&json).await.unwrap()[0];
    let imported = app.chat(copy).await.unwrap();
    assert_eq!(imported.messages[1].message.sources, reply.sources);
    assert_eq!(imported.chat.collections, ["Notes"]);
    let md = app
        .export(Some(chat.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert!(md.contains("garden.md`, lines"), "{md}");
    app.shutdown().await;
    let app = open(&data).await;
    assert_eq!(
        app.chat(chat.id).await.unwrap().messages[1].message.sources,
        reply.sources,
        "kept through a restart"
    );

    // A collection removed later: the reply is written without it, and a notice says why.
    let mut events = app.hearth().subscribe();
    app.docs().remove("Notes").await.unwrap();
    let after = ask(&app, chat.id, question, &chat_model).await;
    assert!(after.sources.is_empty());
    assert_eq!(after.status, hearth_core::MessageStatus::Complete);
    let mut noticed = false;
    while let Ok(event) = events.try_recv() {
        if let CoreEvent::Notice { message, about } = event {
            noticed |= message.contains("could not be searched")
                && message.contains("Notes")
                && matches!(about, hearth_core::NoticeAbout::DocumentsUnavailable { .. });
        }
    }
    assert!(noticed, "a notice says the documents were not used");
    assert!(
        app.choose_collections(chat.id, &["Notes".into()])
            .await
            .unwrap_err()
            .to_string()
            .contains("Notes"),
        "a collection that is gone cannot be chosen"
    );
    assert!(app.new_chat().await.unwrap().collections.is_empty());
    app.shutdown().await;
}
