//! The store on real SQLite files: the tree, search with any input, export/import round trips,
//! damaged files, migration backups, and two processes' worth of writers on one file.

use hearth_store::{
    Chat, ExportFormat, Message, MessageStats, MessageStatus, NewMessage, Role, Source, Store,
    StoreError,
};
use hearth_testkit::ScratchDir;
use proptest::prelude::*;

async fn fresh(dir: &ScratchDir) -> Store {
    Store::open(&dir.path().join("hearth.db")).await.unwrap()
}

/// A new chat holding one question and its answer.
async fn exchange(
    store: &Store,
    title: &str,
    question: &str,
    answer: &str,
) -> (Chat, Message, Message) {
    let chat = store.create_chat(title, None).await.unwrap();
    let q = store
        .add_message(chat.id, None, NewMessage::user(question))
        .await
        .unwrap();
    let a = store
        .add_message(
            chat.id,
            Some(q.id),
            NewMessage::complete(Role::Assistant, answer),
        )
        .await
        .unwrap();
    (chat, q, a)
}

#[tokio::test]
async fn regenerate_and_edit_make_siblings_and_the_chat_remembers_its_branch() {
    let dir = ScratchDir::new("store-tree");
    let store = fresh(&dir).await;
    let chat = store.create_chat("Capitals", None).await.unwrap();
    let q = store
        .add_message(chat.id, None, NewMessage::user("Capital of France?"))
        .await
        .unwrap();
    let a1 = store
        .add_message(
            chat.id,
            Some(q.id),
            NewMessage::complete(Role::Assistant, "Paris."),
        )
        .await
        .unwrap();
    // Regenerate: a second answer to the same question.
    let a2 = store
        .add_message(
            chat.id,
            Some(q.id),
            NewMessage::complete(Role::Assistant, "It is Paris."),
        )
        .await
        .unwrap();
    assert_eq!(store.versions(a2.id).await.unwrap(), vec![a1.id, a2.id]);
    // The shown branch with its versions, in one read, agrees with versions().
    let with_versions = store.branch_with_versions(chat.id).await.unwrap();
    let ids: Vec<(i64, Vec<i64>)> = with_versions
        .iter()
        .map(|(m, v)| (m.id, v.clone()))
        .collect();
    assert_eq!(ids, vec![(q.id, vec![q.id]), (a2.id, vec![a1.id, a2.id])]);
    let shown: Vec<String> = store
        .branch(chat.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert_eq!(shown, ["Capital of France?", "It is Paris."]);
    // Back to the first version.
    let shown = store.switch_branch(a1.id).await.unwrap();
    assert_eq!(shown.last().unwrap().content, "Paris.");
    assert_eq!(store.chat(chat.id).await.unwrap().current_leaf, Some(a1.id));
    // Edit the question: a sibling of the question, with its own answer.
    let q2 = store
        .add_message(chat.id, None, NewMessage::user("Capital of Italy?"))
        .await
        .unwrap();
    store
        .add_message(
            chat.id,
            Some(q2.id),
            NewMessage::complete(Role::Assistant, "Rome."),
        )
        .await
        .unwrap();
    assert_eq!(store.versions(q.id).await.unwrap(), vec![q.id, q2.id]);
    // Switching to the first question shows its newest answer below it.
    let shown = store.switch_branch(q.id).await.unwrap();
    assert_eq!(
        shown.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![q.id, a2.id]
    );
}

#[tokio::test]
async fn streaming_reply_is_written_as_it_grows_and_finished() {
    let dir = ScratchDir::new("store-stream");
    let store = fresh(&dir).await;
    let chat = store.create_chat("t", None).await.unwrap();
    let q = store
        .add_message(chat.id, None, NewMessage::user("hi"))
        .await
        .unwrap();
    let r = store
        .add_message(chat.id, Some(q.id), NewMessage::streaming_reply())
        .await
        .unwrap();
    store.update_content(r.id, "Hel").await.unwrap();
    let seen = store.message(r.id).await.unwrap();
    assert_eq!(
        (seen.content.as_str(), seen.status),
        ("Hel", MessageStatus::Streaming)
    );
    let stats = MessageStats {
        completion_tokens: Some(3),
        generation_ms: Some(12.5),
        cached_tokens: Some(40),
        drafted_tokens: Some(9),
        accepted_tokens: Some(7),
        ..Default::default()
    };
    store
        .finish_message(r.id, "Hello!", MessageStatus::Complete, &stats)
        .await
        .unwrap();
    let done = store.message(r.id).await.unwrap();
    assert_eq!(done.content, "Hello!");
    assert_eq!(done.status, MessageStatus::Complete);
    assert_eq!(done.completion_tokens, Some(3));
    assert_eq!(done.cached_tokens, Some(40), "read back by the branch too");
    let branch = store.branch(chat.id).await.unwrap();
    let last = branch.last().unwrap();
    assert_eq!(
        (
            last.cached_tokens,
            last.drafted_tokens,
            last.accepted_tokens
        ),
        (Some(40), Some(9), Some(7))
    );
}

#[tokio::test]
async fn search_ranks_snippets_and_forgets_deleted_chats() {
    let dir = ScratchDir::new("store-search");
    let store = fresh(&dir).await;
    let trip = store.create_chat("Trip to Lisbon", None).await.unwrap();
    let q = store
        .add_message(
            trip.id,
            None,
            NewMessage::user("Where should we eat pastéis de nata?"),
        )
        .await
        .unwrap();
    store
        .add_message(
            trip.id,
            Some(q.id),
            NewMessage::complete(Role::Assistant, "Try the bakery in Belém."),
        )
        .await
        .unwrap();
    let other = store.create_chat("Rust questions", None).await.unwrap();
    store
        .add_message(other.id, None, NewMessage::user("How do lifetimes work?"))
        .await
        .unwrap();

    let hits = store.search("belem", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "diacritics fold: {hits:?}");
    assert_eq!(hits[0].chat_id, trip.id);
    assert!(hits[0]
        .snippet
        .iter()
        .any(|p| p.highlight && p.text == "Belém"));

    let hits = store.search("lisb", 10).await.unwrap();
    assert_eq!(hits[0].message_id, None, "title match, prefix");
    assert_eq!(hits[0].chat_title, "Trip to Lisbon");

    store.delete_chat(trip.id).await.unwrap();
    assert!(store.search("bakery", 10).await.unwrap().is_empty());
    assert!(store.search("Lisbon", 10).await.unwrap().is_empty());
    assert_eq!(store.search("lifetimes", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn any_typed_text_is_a_valid_query() {
    let dir = ScratchDir::new("store-query");
    let store = fresh(&dir).await;
    let chat = store.create_chat("x", None).await.unwrap();
    store
        .add_message(chat.id, None, NewMessage::user("near the end of the road"))
        .await
        .unwrap();
    for q in [
        "\"",
        "*",
        "-",
        "NEAR",
        "NEAR(",
        "(((",
        "a OR",
        "AND",
        "\"unbalanced",
        "col:value",
        "^start",
        "",
        "   ",
        "'; DROP TABLE chats; --",
        "end*",
    ] {
        let hits = store.search(q, 10).await;
        assert!(hits.is_ok(), "{q:?}: {hits:?}");
    }
    assert_eq!(
        store.search("NEAR(", 10).await.unwrap().len(),
        1,
        "NEAR is a word here"
    );
    assert_eq!(store.list_chats(false).await.unwrap().len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_queries_never_error(q in "\\PC{0,24}") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = ScratchDir::new("store-prop");
            let store = fresh(&dir).await;
            let chat = store.create_chat("t", None).await.unwrap();
            store.add_message(chat.id, None, NewMessage::user("some words here")).await.unwrap();
            prop_assert!(store.search(&q, 5).await.is_ok());
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn json_export_imports_back_losslessly() {
    let dir = ScratchDir::new("store-json");
    let store = fresh(&dir).await;
    let chat = store
        .create_chat("Round trip", Some("Be brief."))
        .await
        .unwrap();
    store.set_pinned(chat.id, true).await.unwrap();
    let q = store
        .add_message(chat.id, None, NewMessage::user("Hi ✓"))
        .await
        .unwrap();
    let mut reply = NewMessage::streaming_reply();
    reply.model_file = Some("model.gguf".into());
    reply.seed = Some(7);
    let a = store.add_message(chat.id, Some(q.id), reply).await.unwrap();
    let stats = MessageStats {
        prompt_tokens: Some(5),
        completion_tokens: Some(2),
        prompt_ms: Some(1.5),
        generation_ms: Some(3.0),
        cached_tokens: None,
        drafted_tokens: None,
        accepted_tokens: None,
        error: None,
        error_kind: None,
    };
    store
        .finish_message(a.id, "Hello", MessageStatus::Complete, &stats)
        .await
        .unwrap();
    store.set_sources(a.id, &[paris_source()]).await.unwrap();
    store
        .set_chat_collections(chat.id, &["Travel notes".into()])
        .await
        .unwrap();
    store
        .add_message(
            chat.id,
            Some(q.id),
            NewMessage::complete(Role::Assistant, "Hey"),
        )
        .await
        .unwrap();
    store.switch_branch(a.id).await.unwrap();

    let json = store
        .export(Some(chat.id), ExportFormat::Json)
        .await
        .unwrap();
    let other = Store::open(&dir.path().join("other.db")).await.unwrap();
    let ids = other.import(&json).await.unwrap();
    assert_eq!(ids.len(), 1);
    let again = other
        .export(Some(ids[0]), ExportFormat::Json)
        .await
        .unwrap();
    assert_eq!(strip_ids(&json), strip_ids(&again));
    let shown = other.branch(ids[0]).await.unwrap();
    let reply = shown.last().unwrap();
    assert_eq!(reply.content, "Hello", "the shown branch survives");
    assert_eq!(
        reply.sources,
        [paris_source()],
        "the reply keeps its sources"
    );
    assert_eq!(
        other.chat(ids[0]).await.unwrap().collections,
        ["Travel notes"]
    );
}

/// A passage a reply was given, with characters that must survive JSON both ways.
fn paris_source() -> Source {
    Source {
        collection: "Travel notes".into(),
        path: "/home/ana/notes/paris \"trip\".md".into(),
        page: None,
        line_start: Some(3),
        line_end: Some(9),
        heading: Some("Paris › Museums".into()),
        excerpt: "The Orsay opens at 9:30 <b>except</b> Mondays. 巴黎".into(),
        score: 0.0328,
        similarity: Some(0.61),
    }
}

#[tokio::test]
async fn a_replys_sources_are_read_with_it_everywhere_and_shown_in_markdown() {
    let dir = ScratchDir::new("store-sources");
    let store = fresh(&dir).await;
    let (chat, _, answer) = exchange(&store, "Trip", "When does the Orsay open?", "At 9:30.").await;
    assert!(answer.sources.is_empty());
    assert!(chat.collections.is_empty());
    let mut pdf = paris_source();
    pdf.path = "/home/ana/guide.pdf".into();
    pdf.page = Some(12);
    (pdf.line_start, pdf.line_end) = (None, None);
    store
        .set_sources(answer.id, &[paris_source(), pdf.clone()])
        .await
        .unwrap();
    let both = vec![paris_source(), pdf];
    assert_eq!(store.message(answer.id).await.unwrap().sources, both);
    assert_eq!(store.branch(chat.id).await.unwrap()[1].sources, both);
    assert_eq!(store.all_messages(chat.id).await.unwrap()[1].sources, both);
    assert_eq!(
        store.branch_with_versions(chat.id).await.unwrap()[1]
            .0
            .sources,
        both
    );
    store
        .set_chat_collections(chat.id, &["Travel notes".into(), "旅行".into()])
        .await
        .unwrap();
    assert_eq!(
        store.chat(chat.id).await.unwrap().collections,
        ["Travel notes", "旅行"]
    );
    let md = store
        .export(Some(chat.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert!(
        md.contains("Sources:\n\n1. `/home/ana/notes/paris \"trip\".md`, lines 3–9 (Travel notes)")
            && md.contains("2. `/home/ana/guide.pdf`, page 12 (Travel notes)")
            && md.contains("> The Orsay opens at 9:30 <b>except</b> Mondays. 巴黎"),
        "{md}"
    );
    assert!(matches!(
        store.set_sources(9999, &[]).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// The export with ids renumbered by position, so exports of two databases compare equal.
fn strip_ids(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    for chat in v["chats"].as_array_mut().unwrap() {
        let index: std::collections::HashMap<i64, usize> = chat["messages"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, m)| (m["id"].as_i64().unwrap(), i))
            .collect();
        let renumber = |v: &serde_json::Value| {
            v.as_i64()
                .map(|id| serde_json::json!(index[&id]))
                .unwrap_or(serde_json::Value::Null)
        };
        chat["id"] = serde_json::json!(0);
        chat["current_leaf"] = renumber(&chat["current_leaf"]);
        for m in chat["messages"].as_array_mut().unwrap() {
            m["id"] = renumber(&m["id"]);
            m["parent_id"] = renumber(&m["parent_id"]);
            m["chat_id"] = serde_json::json!(0);
        }
    }
    v
}

#[tokio::test]
async fn markdown_export_shows_the_branch() {
    let dir = ScratchDir::new("store-md");
    let store = fresh(&dir).await;
    let (chat, _, _) = exchange(&store, "Notes", "Question?", "Answer.").await;
    let md = store
        .export(Some(chat.id), ExportFormat::Markdown)
        .await
        .unwrap();
    assert!(md.starts_with("# Notes\n"));
    assert!(
        md.contains("**You:**\n\nQuestion?") && md.contains("**Assistant:**\n\nAnswer."),
        "{md}"
    );
}

#[tokio::test]
async fn chatgpt_export_imports_with_its_tree() {
    let dir = ScratchDir::new("store-chatgpt");
    let store = fresh(&dir).await;
    let export = serde_json::json!([{
        "title": "Old chat",
        "create_time": 1700000000.5,
        "update_time": 1700000100.0,
        "current_node": "a2",
        "mapping": {
            "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
            "sys": {"id": "sys", "message": {"author": {"role": "system"}, "content": {"content_type": "text", "parts": [""]}}, "parent": "root", "children": ["q"]},
            "q": {"id": "q", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["Name a fruit"]}, "create_time": 1700000001.0}, "parent": "sys", "children": ["a1", "a2"]},
            "a1": {"id": "a1", "message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Apple"]}}, "parent": "q", "children": []},
            "a2": {"id": "a2", "message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Banana"]}}, "parent": "q", "children": []}
        }
    }]);
    let ids = store.import(&export.to_string()).await.unwrap();
    let branch = store.branch(ids[0]).await.unwrap();
    let texts: Vec<&str> = branch.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["Name a fruit", "Banana"]);
    assert_eq!(store.versions(branch[1].id).await.unwrap().len(), 2);
    assert_eq!(
        store.chat(ids[0]).await.unwrap().created_at,
        1_700_000_000_500
    );
}

#[tokio::test]
async fn bad_imports_write_nothing() {
    let dir = ScratchDir::new("store-badimport");
    let store = fresh(&dir).await;
    for text in [
        "not json",
        "{\"hello\": 1}",
        "[{\"title\": \"no mapping\"}]",
        "{\"format\":\"hearth-chats\",\"version\":99,\"chats\":[]}",
    ] {
        let err = store.import(text).await.unwrap_err();
        assert!(matches!(err, StoreError::Import(_)), "{text}: {err}");
    }
    assert!(store.list_chats(true).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = ScratchDir::new("store-notdb");
    let path = dir.file("hearth.db", b"my shopping list: eggs, milk, bread and more");
    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("hearth.db"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"my shopping list: eggs, milk, bread and more"
    );
}

#[tokio::test]
async fn a_damaged_database_is_reported_and_not_overwritten() {
    let dir = ScratchDir::new("store-damaged");
    let path = dir.path().join("hearth.db");
    {
        let store = Store::open(&path).await.unwrap();
        let chat = store.create_chat("x", None).await.unwrap();
        for i in 0..200 {
            store
                .add_message(
                    chat.id,
                    None,
                    NewMessage::user(format!("message number {i} with some text")),
                )
                .await
                .unwrap();
        }
        store.close().await;
    }
    // Scribble over the middle of the file, past the header page.
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[4096..len.min(4096 * 6)] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("hearth.db"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the damaged file was not touched"
    );
}

#[tokio::test]
async fn settings_are_typed() {
    let dir = ScratchDir::new("store-settings");
    let store = fresh(&dir).await;
    store.set_setting("temperature", &0.7f32).await.unwrap();
    store
        .set_setting("default_model", &"smollm2.gguf")
        .await
        .unwrap();
    assert_eq!(
        store.setting::<f32>("temperature").await.unwrap(),
        Some(0.7)
    );
    assert_eq!(
        store
            .setting::<String>("default_model")
            .await
            .unwrap()
            .as_deref(),
        Some("smollm2.gguf")
    );
    assert_eq!(
        store.setting::<u32>("default_model").await.unwrap(),
        None,
        "wrong type reads as unset"
    );
    store.clear_setting("temperature").await.unwrap();
    assert_eq!(store.setting::<f32>("temperature").await.unwrap(), None);
}

#[tokio::test]
async fn two_stores_on_one_file_lose_no_writes() {
    let dir = ScratchDir::new("store-two");
    let path = dir.path().join("hearth.db");
    let a = Store::open(&path).await.unwrap();
    let b = Store::open(&path).await.unwrap();
    let chat = a.create_chat("shared", None).await.unwrap();
    let write = |store: Store, who: &'static str| async move {
        for i in 0..100 {
            store
                .add_message(chat.id, None, NewMessage::user(format!("{who} {i}")))
                .await
                .unwrap();
        }
    };
    tokio::join!(write(a.clone(), "app"), write(b.clone(), "cli"));
    assert_eq!(a.all_messages(chat.id).await.unwrap().len(), 200);
    assert_eq!(a.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_failed_migration_leaves_the_database_and_its_backup_intact() {
    let dir = ScratchDir::new("store-migrate");
    let path = dir.path().join("hearth.db");
    {
        let store = Store::open(&path).await.unwrap();
        let chat = store.create_chat("keep me", None).await.unwrap();
        store
            .add_message(chat.id, None, NewMessage::user("precious words"))
            .await
            .unwrap();
        store.close().await;
    }
    // Forget which migrations ran: the first one must run again, and fails (its tables exist).
    let raw = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    sqlx::query("DROP TABLE _sqlx_migrations")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;

    let err = Store::open(&path).await.unwrap_err();
    let StoreError::Migration { backup, .. } = &err else {
        panic!("{err}")
    };
    assert!(err.to_string().contains("backup"), "{err}");
    for file in [&path, backup] {
        let db = sqlx::SqlitePool::connect(&format!("sqlite:{}", file.display()))
            .await
            .unwrap();
        let (text,): (String,) = sqlx::query_as("SELECT content FROM messages")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(text, "precious words", "{}", file.display());
        let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
        db.close().await;
    }
}

#[tokio::test]
async fn linear_and_branched_chats_read_the_same_branch_as_the_tree_walk() {
    let dir = ScratchDir::new("store-linear");
    let store = fresh(&dir).await;
    let chat = store.create_chat("line", None).await.unwrap();
    let mut parent = None;
    for i in 0..6 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        parent = Some(
            store
                .add_message(chat.id, parent, NewMessage::complete(role, format!("m{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let leaf = parent.unwrap();
    assert_eq!(
        store.branch(chat.id).await.unwrap(),
        store.path_to(leaf).await.unwrap()
    );
    // A regenerated last reply makes the chat branched; the shown branch follows the new one.
    let last = store.message(leaf).await.unwrap();
    let again = store
        .add_message(
            chat.id,
            last.parent_id,
            NewMessage::complete(Role::Assistant, "m5b"),
        )
        .await
        .unwrap();
    let shown = store.branch(chat.id).await.unwrap();
    assert_eq!(shown.len(), 6);
    assert_eq!(shown.last().unwrap().id, again.id);
    assert!(
        !shown.iter().any(|m| m.id == leaf),
        "the other version is not shown"
    );
    assert_eq!(shown, store.path_to(again.id).await.unwrap());
}

#[tokio::test]
async fn an_older_database_is_backed_up_and_upgraded() {
    let dir = ScratchDir::new("store-upgrade");
    let path = dir.path().join("hearth.db");
    let (linear, forked) = {
        let store = Store::open(&path).await.unwrap();
        let (linear, _, _) = exchange(&store, "linear", "q", "a").await;
        let (forked, q, _) = exchange(&store, "forked", "q", "a1").await;
        store
            .add_message(
                forked.id,
                Some(q.id),
                NewMessage::complete(Role::Assistant, "a2"),
            )
            .await
            .unwrap();
        // A chat still waiting for its title when the older Hearth stopped.
        store.create_chat("New chat", None).await.unwrap();
        store.close().await;
        (linear.id, forked.id)
    };
    // Turn it back into a version-1 database, as an older Hearth left it.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    for column in [
        "chats DROP COLUMN branched",
        "chats DROP COLUMN auto_title",
        "messages DROP COLUMN error_kind",
        "chats DROP COLUMN collections",
        "messages DROP COLUMN sources",
        "messages DROP COLUMN attachments",
        "messages DROP COLUMN cached_tokens",
        "messages DROP COLUMN drafted_tokens",
        "messages DROP COLUMN accepted_tokens",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER TABLE {column}")))
            .execute(&raw)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version > 1")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;

    let store = Store::open(&path).await.unwrap();
    assert!(
        dir.path().join("hearth.db.backup-v1").exists(),
        "a copy was taken before upgrading"
    );
    let db = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let flags: Vec<(i64, bool, bool)> =
        sqlx::query_as("SELECT id, branched, auto_title FROM chats ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        flags,
        vec![
            (linear, false, false),
            (forked, true, false),
            (forked + 1, false, true)
        ]
    );
    db.close().await;
    assert_eq!(
        store.branch(forked).await.unwrap().last().unwrap().content,
        "a2"
    );
    let read = store.branch(linear).await.unwrap();
    assert_eq!(read.len(), 2);
    assert!(read
        .iter()
        .all(|m| m.sources.is_empty() && m.attachments.is_empty()));
    assert!(store.chat(linear).await.unwrap().collections.is_empty());
}

/// Regression guard: "first reply" was detected by the title being "New chat", so a chat a
/// person named "New chat" was renamed by the model. Waiting for a title is state now.
#[tokio::test]
async fn a_chat_a_person_named_keeps_its_name() {
    let dir = ScratchDir::new("store-title");
    let store = Store::open(&dir.path().join("hearth.db")).await.unwrap();
    let waiting = store.create_untitled_chat("New chat", None).await.unwrap();
    assert!(waiting.auto_title);
    assert!(store
        .set_auto_title(waiting.id, "Capital of France")
        .await
        .unwrap());
    let named = store.chat(waiting.id).await.unwrap();
    assert_eq!(
        (named.title.as_str(), named.auto_title),
        ("Capital of France", false)
    );
    assert!(
        !store.set_auto_title(waiting.id, "Again").await.unwrap(),
        "named once"
    );

    let chosen = store.create_untitled_chat("New chat", None).await.unwrap();
    store.rename_chat(chosen.id, "New chat").await.unwrap();
    assert!(!store
        .set_auto_title(chosen.id, "Model's idea")
        .await
        .unwrap());
    assert_eq!(store.chat(chosen.id).await.unwrap().title, "New chat");
}
