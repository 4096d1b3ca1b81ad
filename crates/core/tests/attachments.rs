//! Files attached to a question, on the real app: the real reader, the real chat model and
//! test embedder in their workers, real `hearth.db` and `docs.db` files. A short file goes into
//! the question whole; a long one is indexed into the chat's own collection and the reply is
//! given its passages; an unreadable one is refused with its reason and nothing is written.

use hearth_core::{attachment_collection, App, ExportFormat, Id, Message};
use hearth_testkit::{test_embedder, ScratchDir};

mod common;

use common::{open, ready, reply};

async fn question_of(app: &App, reply: &Message) -> Message {
    app.hearth()
        .store()
        .message(reply.parent_id.unwrap())
        .await
        .unwrap()
}

async fn messages(app: &App, chat: Id) -> usize {
    app.branch(chat).await.unwrap().len()
}

#[tokio::test]
async fn a_short_file_goes_into_the_question_whole_and_stays_with_it() {
    let dir = ScratchDir::new("core-attach-whole");
    let app = open(&dir.path().join("data")).await;
    let model = ready(&app).await;
    let note = dir.file(
        "gate.txt",
        b"Note for visitors: the code word for the garden gate is sunflower.\n",
    );
    let question = "According to the note, what is the code word for the garden gate?";

    let plain = app.new_chat().await.unwrap();
    let without = reply(&app, app.send(plain.id, question, &model).await.unwrap()).await;

    let chat = app.new_chat().await.unwrap();
    let files = [note.display().to_string()];
    let answered = reply(
        &app,
        app.send_files(chat.id, question, &model, &files)
            .await
            .unwrap(),
    )
    .await;
    let asked = question_of(&app, &answered).await;
    assert_eq!(asked.content, question, "the question reads as typed");
    let [attached] = asked.attachments.as_slice() else {
        panic!("one attachment: {:?}", asked.attachments)
    };
    assert_eq!(attached.name, "gate.txt");
    assert!(attached
        .text
        .as_deref()
        .is_some_and(|t| t.contains("sunflower")));
    assert_eq!(attached.collection, None);
    assert!(
        answered.prompt_tokens.unwrap() > without.prompt_tokens.unwrap() + 10,
        "the file went into the prompt: {:?} vs {:?} tokens",
        answered.prompt_tokens,
        without.prompt_tokens
    );
    assert!(
        answered.content.to_uppercase().contains("SUNFLOWER"),
        "answered from the file: {:?}",
        answered.content
    );

    // Edited, the question keeps its file; regenerated, the reply is given it again.
    let edited = reply(
        &app,
        app.edit(asked.id, "Which code word opens the garden gate?", &model)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        question_of(&app, &edited).await.attachments,
        asked.attachments
    );
    let again = reply(&app, app.regenerate(chat.id, &model).await.unwrap()).await;
    assert_eq!(again.prompt_tokens, edited.prompt_tokens);

    // Through an export and an import, and in Markdown.
    let json = app.export(Some(chat.id), ExportFormat::Json).await.unwrap();
    let imported = app.import_chats(&json).await.unwrap();
    let copy = app.branch(imported[0]).await.unwrap();
    let copied = copy.iter().find(|m| !m.attachments.is_empty()).unwrap();
    assert_eq!(copied.attachments, asked.attachments);
    let markdown = app
        .export(Some(chat.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert!(markdown.contains("📎 `gate.txt`"), "{markdown}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_refused_with_its_reason_and_nothing_is_written() {
    let dir = ScratchDir::new("core-attach-unreadable");
    let app = open(&dir.path().join("data")).await;
    let model = ready(&app).await;
    let chat = app.new_chat().await.unwrap();
    let fake = dir.file("scan.pdf", b"this was never a PDF");
    let error = app
        .send_files(
            chat.id,
            "Summarise it",
            &model,
            &[fake.display().to_string()],
        )
        .await
        .unwrap_err();
    let said = error.to_string();
    assert!(
        said.starts_with("scan.pdf cannot be attached: damaged"),
        "{said}"
    );
    assert_eq!(error.kind(), hearth_core::ErrorKind::Invalid);
    let gone = dir.path().join("gone.txt");
    let error = app
        .send_files(
            chat.id,
            "Summarise it",
            &model,
            &[gone.display().to_string()],
        )
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("gone.txt cannot be attached"),
        "{error}"
    );
    let binary = dir.file("photo.txt", &[0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3]);
    let error = app
        .send_files(
            chat.id,
            "What is it?",
            &model,
            &[binary.display().to_string()],
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not UTF-8 text"), "{error}");
    assert_eq!(messages(&app, chat.id).await, 0, "nothing was written");
    app.shutdown().await;
}

#[tokio::test]
async fn a_long_file_is_indexed_for_its_chat_and_the_reply_names_it_as_a_source() {
    let dir = ScratchDir::new("core-attach-long");
    let data = dir.path().join("data");
    let app = open(&data).await;
    let model = ready(&app).await;
    app.import_model(&test_embedder().display().to_string())
        .await
        .unwrap();
    // Far longer than half of the 2,048-token context; one paragraph holds the answer.
    let mut text = String::new();
    for i in 0..80 {
        text.push_str(&format!(
            "Section {i}. The weekly report covers invoices, shipping schedules and the warehouse inventory count for week {i}.\n\n"
        ));
        if i == 47 {
            text.push_str("The lighthouse keeper's cat is called Marmalade and sleeps on the lamp room stairs.\n\n");
        }
    }
    let report = dir.file("report.txt", text.as_bytes());
    let chat = app.new_chat().await.unwrap();
    let answered = reply(
        &app,
        app.send_files(
            chat.id,
            "What is the lighthouse keeper's cat called?",
            &model,
            &[report.display().to_string()],
        )
        .await
        .unwrap(),
    )
    .await;
    let asked = question_of(&app, &answered).await;
    let name = attachment_collection(chat.id);
    assert_eq!(
        asked.attachments[0].collection.as_deref(),
        Some(name.as_str())
    );
    assert_eq!(asked.attachments[0].text, None, "not taken whole");
    assert!(app
        .chat(chat.id)
        .await
        .unwrap()
        .chat
        .collections
        .contains(&name));
    let first = answered
        .sources
        .first()
        .expect("the reply was given passages");
    assert_eq!(first.collection, name);
    assert!(first.path.ends_with("report.txt"), "{first:?}");
    assert!(
        answered
            .sources
            .iter()
            .any(|s| s.excerpt.contains("Marmalade")),
        "{:?}",
        answered.sources
    );
    // The chat keeps its own copy: the original may move.
    let folder = data.join("attachments").join(format!("chat-{}", chat.id));
    assert!(folder.join("report.txt").exists());

    // Deleting the chat forgets its attachments: the collection and the copy.
    app.delete_chat(chat.id).await.unwrap();
    assert!(app
        .collections()
        .await
        .unwrap()
        .iter()
        .all(|c| c.summary.collection.name != name));
    assert!(!folder.exists());
    assert!(report.exists(), "the person's own file stays");
    app.shutdown().await;
}
