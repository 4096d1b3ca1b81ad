//! The application service end to end: real worker, real model, real SQLite file.

use std::time::Duration;

use hearth_core::{
    ChatModel, CoreEvent, DataDir, EngineClient, Hearth, MessageStatus, Role, SamplingParams,
    NEW_CHAT_TITLE,
};
use hearth_testkit::{test_model, ScratchDir, CAPITAL_ANSWER, CAPITAL_QUESTION};

async fn open(dir: &ScratchDir) -> Hearth {
    let data = DataDir::resolve(Some(dir.path())).unwrap();
    Hearth::open(data, EngineClient::from_environment().unwrap())
        .await
        .unwrap()
}

fn greedy(max_tokens: u32) -> ChatModel {
    ChatModel {
        path: test_model(),
        load: Default::default(),
        sampling: SamplingParams {
            max_tokens,
            ..SamplingParams::greedy()
        },
        remote: None,
    }
}

/// A reply of up to 2,000 tokens that has started streaming.
async fn long_reply(hearth: &Hearth, chat_id: hearth_core::Id) -> hearth_core::ReplyHandle {
    let mut events = hearth.subscribe();
    let reply = hearth
        .send(
            chat_id,
            "Count from 1 to 500, separated by commas.",
            &greedy(2000),
        )
        .await
        .unwrap();
    loop {
        if let Ok(CoreEvent::Token { .. }) = events.recv().await {
            return reply;
        }
    }
}

#[tokio::test]
async fn send_writes_the_question_streams_the_reply_and_names_the_chat() {
    let dir = ScratchDir::new("core-send");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let mut events = hearth.subscribe();
    let reply = hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(48))
        .await
        .unwrap();
    let message_id = reply.message_id;
    let message = reply.wait().await.unwrap();
    assert_eq!(message.status, MessageStatus::Complete);
    assert!(
        message.content.contains(CAPITAL_ANSWER),
        "{}",
        message.content
    );
    assert!(message.completion_tokens.unwrap() > 0);
    assert_eq!(
        message.model_file.as_deref(),
        Some("SmolLM2-135M-Instruct.Q4_1.gguf")
    );

    let branch = hearth.store().branch(chat.id).await.unwrap();
    assert_eq!(
        branch.iter().map(|m| m.role).collect::<Vec<_>>(),
        [Role::User, Role::Assistant]
    );

    let mut streamed = String::new();
    let mut finished = false;
    while let Ok(event) = events.try_recv() {
        match event {
            CoreEvent::Token {
                message_id: id,
                text,
                ..
            } if id == message_id => streamed.push_str(&text),
            CoreEvent::ReplyFinished {
                message_id: id,
                status,
                ..
            } if id == message_id => finished = status == MessageStatus::Complete,
            _ => {}
        }
    }
    assert_eq!(
        streamed, message.content,
        "listeners saw the same text the store holds"
    );
    assert!(finished);

    // The chat is named after its first exchange, by the model or from the question.
    let mut title = NEW_CHAT_TITLE.to_owned();
    for _ in 0..100 {
        title = hearth.store().chat(chat.id).await.unwrap().title;
        if title != NEW_CHAT_TITLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(title, NEW_CHAT_TITLE);
    assert!(!title.is_empty() && title.len() <= 60, "{title:?}");
}

#[tokio::test]
async fn regenerate_and_edit_make_new_versions() {
    let dir = ScratchDir::new("core-versions");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let first = hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(32))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();

    let mut varied = greedy(32);
    varied.sampling = SamplingParams {
        temperature: 1.0,
        top_p: 0.95,
        seed: Some(99),
        max_tokens: 32,
        ..Default::default()
    };
    let second = hearth
        .regenerate(chat.id, &varied)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(
        second.parent_id, first.parent_id,
        "a sibling of the first reply"
    );
    assert_eq!(
        hearth.store().versions(second.id).await.unwrap(),
        vec![first.id, second.id]
    );
    assert_eq!(
        hearth
            .store()
            .branch(chat.id)
            .await
            .unwrap()
            .last()
            .unwrap()
            .id,
        second.id
    );

    let question = first.parent_id.unwrap();
    let edited = hearth
        .edit(question, "What is the capital of Germany?", &greedy(32))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert!(edited.content.contains("Berlin"), "{}", edited.content);
    let versions = hearth.store().versions(question).await.unwrap();
    assert_eq!(versions.len(), 2);
    // Back to the first question: its newest answer shows.
    let shown = hearth.switch_branch(question).await.unwrap();
    assert_eq!(shown.last().unwrap().id, second.id);
}

#[tokio::test]
async fn cancel_keeps_the_partial_reply_marked_interrupted() {
    let dir = ScratchDir::new("core-cancel");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let reply = long_reply(&hearth, chat.id).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    hearth.cancel(chat.id);
    let message = reply.wait().await.unwrap();
    assert_eq!(message.status, MessageStatus::Interrupted);
    assert!(!message.content.is_empty());
    assert_eq!(
        hearth.store().message(message.id).await.unwrap().content,
        message.content
    );
}

#[tokio::test]
async fn a_dead_engine_interrupts_the_reply_and_the_next_message_works() {
    let dir = ScratchDir::new("core-crash");
    let engine = EngineClient::from_environment().unwrap();
    let hearth = Hearth::open(DataDir::resolve(Some(dir.path())).unwrap(), engine.clone())
        .await
        .unwrap();
    let chat = hearth.new_chat(None).await.unwrap();
    let reply = long_reply(&hearth, chat.id).await;
    let pid = engine.worker_pid().await.unwrap();
    hearth_testkit::kill(pid, "KILL");
    let message = reply.wait().await.unwrap();
    assert_eq!(message.status, MessageStatus::Interrupted);
    assert!(
        message
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("stopped unexpectedly"),
        "{:?}",
        message.error
    );
    assert_eq!(
        hearth.loaded_path(),
        None,
        "the model died with its worker; the picker must not say it is loaded"
    );
    let next = hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(48))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(next.status, MessageStatus::Complete);
    assert!(hearth.loaded_path().is_some(), "loaded again for the reply");
}

#[tokio::test]
async fn a_damaged_database_is_set_aside_and_a_fresh_one_started() {
    let dir = ScratchDir::new("core-damaged");
    let garbage = b"this file is not a database at all, but it is somebody's file".to_vec();
    dir.file("hearth.db", &garbage);
    let hearth = open(&dir).await;
    let notice = hearth.startup_notice().expect("a notice").to_owned();
    assert!(
        notice.contains("hearth.db") && notice.contains("moved to"),
        "{notice}"
    );
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("hearth.db.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        garbage,
        "nothing was lost"
    );
    let chat = hearth.new_chat(None).await.unwrap();
    assert_eq!(
        hearth.store().chat(chat.id).await.unwrap().title,
        NEW_CHAT_TITLE
    );
}

#[tokio::test]
async fn switching_a_chat_to_another_model_keeps_its_history() {
    let dir = ScratchDir::new("core-switch");
    let hearth = open(&dir).await;
    let other = dir.path().join("models").join("second-copy.gguf");
    std::fs::copy(test_model(), &other).unwrap();
    let chat = hearth.new_chat(None).await.unwrap();
    hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(32))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let mut second = greedy(32);
    second.path = other;
    let reply = hearth
        .send(chat.id, "And of Germany?", &second)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(reply.model_file.as_deref(), Some("second-copy.gguf"));
    assert_eq!(
        hearth.store().chat(chat.id).await.unwrap().model.as_deref(),
        Some("second-copy.gguf")
    );
    assert_eq!(
        hearth.store().branch(chat.id).await.unwrap().len(),
        4,
        "the history stayed"
    );
    assert!(
        reply.content.contains("Berlin"),
        "the new model saw the history: {}",
        reply.content
    );
}

#[tokio::test]
async fn empty_messages_are_refused() {
    let dir = ScratchDir::new("core-empty");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    assert!(hearth.send(chat.id, "   ", &greedy(8)).await.is_err());
    assert!(hearth.store().branch(chat.id).await.unwrap().is_empty());
}

/// The events one reply produced, read until its `reply_finished` (with a bound on time).
async fn events_of(
    events: &mut tokio::sync::broadcast::Receiver<CoreEvent>,
    message_id: hearth_core::Id,
) -> Vec<CoreEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("the reply ends")
            .expect("events flow");
        let ends =
            matches!(event, CoreEvent::ReplyFinished { message_id: m, .. } if m == message_id);
        seen.push(event);
        if ends {
            // Anything else for this reply would come right after; there must be none.
            tokio::time::sleep(Duration::from_millis(300)).await;
            while let Ok(more) = events.try_recv() {
                seen.push(more);
            }
            return seen;
        }
    }
}

fn finishes(events: &[CoreEvent], message_id: hearth_core::Id) -> Vec<&CoreEvent> {
    events
        .iter()
        .filter(|e| matches!(e, CoreEvent::ReplyFinished { message_id: m, .. } if *m == message_id))
        .collect()
}

/// Regression guard: a model that would not load left the reply without an end, so the window
/// stayed busy. Now the reply is written as failed, with the reason, and ends exactly once.
#[tokio::test]
async fn a_model_that_will_not_load_ends_the_reply_once_with_its_reason() {
    let dir = ScratchDir::new("core-bad-model");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let broken = dir.file("broken.gguf", &hearth_testkit::truncated_model(4096));
    let model = ChatModel {
        path: broken,
        ..greedy(8)
    };
    let mut events = hearth.subscribe();
    let reply = hearth
        .send(chat.id, CAPITAL_QUESTION, &model)
        .await
        .unwrap();
    let message_id = reply.message_id;
    let err = reply.wait().await.unwrap_err();
    assert_eq!(err.kind(), hearth_core::ErrorKind::BadModelFile, "{err}");
    let seen = events_of(&mut events, message_id).await;
    let ends = finishes(&seen, message_id);
    assert_eq!(ends.len(), 1, "{seen:?}");
    match ends[0] {
        CoreEvent::ReplyFinished { status, error, .. } => {
            assert_eq!(*status, MessageStatus::Error);
            let error = error.as_ref().expect("the reason travels with the end");
            assert_eq!(error.kind, hearth_core::ErrorKind::BadModelFile);
        }
        other => panic!("{other:?}"),
    }
    let stored = hearth.store().message(message_id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Error);
    assert_eq!(stored.error_kind.as_deref(), Some("bad_model_file"));
    assert!(!hearth.is_replying(chat.id));
    // The question is kept, and the next message with a good model is answered.
    let next = hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(48))
        .await
        .unwrap();
    assert_eq!(next.wait().await.unwrap().status, MessageStatus::Complete);
}

/// A model file that is gone is refused before anything is written: the caller keeps the draft.
#[tokio::test]
async fn sending_to_a_missing_model_file_writes_nothing() {
    let dir = ScratchDir::new("core-missing-model");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let gone = ChatModel {
        path: dir.path().join("moved-away.gguf"),
        ..greedy(8)
    };
    let err = hearth
        .send(chat.id, CAPITAL_QUESTION, &gone)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        hearth_core::ErrorKind::ModelNotInstalled,
        "{err}"
    );
    assert!(hearth.store().branch(chat.id).await.unwrap().is_empty());
    assert!(hearth.regenerate(chat.id, &gone).await.is_err());
}

/// Two replies in one chat are followed apart (by message, not by chat): stopping the chat
/// stops both, and each ends exactly once.
#[tokio::test]
async fn two_replies_in_one_chat_each_end_once() {
    let dir = ScratchDir::new("core-two-replies");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    let mut events = hearth.subscribe();
    let first = long_reply(&hearth, chat.id).await;
    let second = hearth.regenerate(chat.id, &greedy(2000)).await.unwrap();
    assert_ne!(first.message_id, second.message_id);
    hearth.cancel(chat.id);
    let (a, b) = (first.message_id, second.message_id);
    let a_done = first.wait().await.unwrap();
    let b_done = second.wait().await.unwrap();
    assert_eq!(a_done.status, MessageStatus::Interrupted);
    assert_eq!(b_done.status, MessageStatus::Interrupted);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert_eq!(finishes(&seen, a).len(), 1, "{seen:?}");
    assert_eq!(finishes(&seen, b).len(), 1, "{seen:?}");
    assert!(!hearth.is_replying(chat.id));
}

/// Regression guard: a chat the person named "New chat" was renamed by its first reply.
#[tokio::test]
async fn a_chat_named_new_chat_by_its_person_keeps_the_name() {
    let dir = ScratchDir::new("core-title");
    let hearth = open(&dir).await;
    let chat = hearth.new_chat(None).await.unwrap();
    hearth.rename(chat.id, NEW_CHAT_TITLE).await.unwrap();
    let reply = hearth
        .send(chat.id, CAPITAL_QUESTION, &greedy(48))
        .await
        .unwrap();
    reply.wait().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        hearth.store().chat(chat.id).await.unwrap().title,
        NEW_CHAT_TITLE
    );
}

/// Regression guard: the data folder and the database were created 0755/0644, readable by
/// every user of the machine. They are this user's alone, also after an older Hearth.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_the_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = ScratchDir::new("core-private");
    let fresh = dir.path().join("fresh");
    let hearth = open_at(&fresh).await;
    drop(hearth);
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("models")), 0o700);
    assert_eq!(mode(&fresh.join("hearth.db")), 0o600);

    // An install from before: world-readable folder and database.
    let old = dir.path().join("old");
    let hearth = open_at(&old).await;
    drop(hearth);
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        old.join("hearth.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let hearth = open_at(&old).await;
    assert_eq!(mode(&old), 0o700);
    assert_eq!(mode(&old.join("hearth.db")), 0o600);
    for side in ["hearth.db-wal", "hearth.db-shm"] {
        let path = old.join(side);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{side}");
        }
    }
    drop(hearth);
}

async fn open_at(path: &std::path::Path) -> Hearth {
    let data = DataDir::resolve(Some(path)).unwrap();
    Hearth::open(data, EngineClient::from_environment().unwrap())
        .await
        .unwrap()
}
