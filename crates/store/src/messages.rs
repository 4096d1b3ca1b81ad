//! Messages and the tree they form. Regenerating or editing adds a sibling; the chat's
//! `current_leaf` says which branch is shown.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, FromRow};

use crate::{now_ms, Id, Store, StoreError};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Role {
    /// Instructions for the conversation.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum MessageStatus {
    /// A reply still being written.
    Streaming,
    /// Finished.
    Complete,
    /// Cut short: cancelled, or the process died.
    Interrupted,
    /// Generation failed; `error` says why.
    Error,
}

/// One message, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, ts_rs::TS)]
pub struct Message {
    /// Id.
    pub id: Id,
    /// The chat it belongs to.
    pub chat_id: Id,
    /// The message it answers or follows; `None` for the first.
    pub parent_id: Option<Id>,
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
    /// Where it is in its life.
    pub status: MessageStatus,
    /// Why generation failed, for `Error`.
    pub error: Option<String>,
    /// The model file that wrote it (replies).
    pub model_file: Option<String>,
    /// That file's SHA-256.
    pub model_sha256: Option<String>,
    /// The sampling settings used (JSON).
    pub sampling: Option<String>,
    /// The seed used.
    pub seed: Option<i64>,
    /// Prompt tokens.
    pub prompt_tokens: Option<i64>,
    /// Generated tokens.
    pub completion_tokens: Option<i64>,
    /// Prompt evaluation time.
    pub prompt_ms: Option<f64>,
    /// Generation time.
    pub generation_ms: Option<f64>,
    /// When it was written (Unix ms).
    pub created_at: i64,
    /// When it last changed (Unix ms).
    pub updated_at: i64,
    /// What kind of failure an `Error` reply met (the app's error kind, `snake_case`).
    #[serde(default)]
    pub error_kind: Option<String>,
    /// The passages of a person's documents the reply was given (LocalDocs), best first.
    #[serde(default)]
    #[sqlx(json)]
    pub sources: Vec<Source>,
    /// Files attached to the question.
    #[serde(default)]
    #[sqlx(json)]
    pub attachments: Vec<Attachment>,
    /// Of the prompt tokens, those not read again (the engine's cache, or the chat's cache
    /// saved on disk).
    #[serde(default)]
    pub cached_tokens: Option<i64>,
    /// Tokens guessed from the conversation (prompt lookup) and checked by the model.
    #[serde(default)]
    pub drafted_tokens: Option<i64>,
    /// Of those, the ones the model picked too.
    #[serde(default)]
    pub accepted_tokens: Option<i64>,
}

/// A file attached to a question, as it was given to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Attachment {
    /// The file's name.
    pub name: String,
    /// Where it was on the person's computer when attached.
    pub path: String,
    /// Characters of text read from it.
    pub chars: u64,
    /// Its text, when it went into the question whole.
    #[serde(default)]
    pub text: Option<String>,
    /// The chat's collection it was indexed into, when too long to go in whole (the reply
    /// is given its passages that match the question).
    #[serde(default)]
    pub collection: Option<String>,
}

/// A passage of a person's document that a reply was given, as it was given: the reply keeps
/// it even when the file changes or the index is rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Source {
    /// The LocalDocs collection it came from.
    pub collection: String,
    /// The file.
    pub path: String,
    /// Its page (PDF).
    #[serde(default)]
    pub page: Option<u32>,
    /// Its first line (text formats).
    #[serde(default)]
    pub line_start: Option<u32>,
    /// Its last line.
    #[serde(default)]
    pub line_end: Option<u32>,
    /// The headings above it.
    #[serde(default)]
    pub heading: Option<String>,
    /// The text the model was given.
    pub excerpt: String,
    /// How well it matched the question (higher is better; the search's fused score).
    pub score: f64,
    /// Its cosine with the question, when vectors were used.
    #[serde(default)]
    pub similarity: Option<f32>,
}

impl Source {
    /// Where it is in its file, for people: "page 12", "lines 3–9", "line 4".
    pub fn place(&self) -> Option<String> {
        match (self.page, self.line_start, self.line_end) {
            (Some(page), _, _) => Some(format!("page {page}")),
            (None, Some(a), Some(b)) if a != b => Some(format!("lines {a}–{b}")),
            (None, Some(a), _) => Some(format!("line {a}")),
            _ => None,
        }
    }
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, chat_id, parent_id, role, content, status, error, model_file, \
    model_sha256, sampling, seed, prompt_tokens, completion_tokens, prompt_ms, generation_ms, created_at, updated_at, error_kind, \
    sources, attachments, cached_tokens, drafted_tokens, accepted_tokens";

/// A message about to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Who writes it.
    pub role: Role,
    /// Its text so far.
    pub content: String,
    /// Its status.
    pub status: MessageStatus,
    /// The model file (replies).
    pub model_file: Option<String>,
    /// The model's SHA-256.
    pub model_sha256: Option<String>,
    /// Sampling settings (JSON).
    pub sampling: Option<String>,
    /// Seed.
    pub seed: Option<i64>,
    /// Files attached (a question).
    pub attachments: Vec<Attachment>,
}

impl NewMessage {
    /// A finished message from the person.
    pub fn user(text: impl Into<String>) -> Self {
        NewMessage::complete(Role::User, text)
    }

    /// A finished message.
    pub fn complete(role: Role, text: impl Into<String>) -> Self {
        NewMessage {
            role,
            content: text.into(),
            status: MessageStatus::Complete,
            model_file: None,
            model_sha256: None,
            sampling: None,
            seed: None,
            attachments: Vec::new(),
        }
    }

    /// An empty reply about to stream.
    pub fn streaming_reply() -> Self {
        NewMessage {
            status: MessageStatus::Streaming,
            ..NewMessage::complete(Role::Assistant, "")
        }
    }
}

/// How a reply ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageStats {
    /// Prompt tokens.
    pub prompt_tokens: Option<i64>,
    /// Generated tokens.
    pub completion_tokens: Option<i64>,
    /// Prompt evaluation time.
    pub prompt_ms: Option<f64>,
    /// Generation time.
    pub generation_ms: Option<f64>,
    /// Prompt tokens not read again.
    pub cached_tokens: Option<i64>,
    /// Tokens drafted from the conversation.
    pub drafted_tokens: Option<i64>,
    /// Drafted tokens the model picked too.
    pub accepted_tokens: Option<i64>,
    /// The error, for `MessageStatus::Error`.
    pub error: Option<String>,
    /// Its kind (the app's error kind, `snake_case`).
    pub error_kind: Option<String>,
}

impl Store {
    /// Writes a message under `parent` (or as the first) and shows its branch.
    pub async fn add_message(
        &self,
        chat_id: Id,
        parent: Option<Id>,
        message: NewMessage,
    ) -> Result<Message, StoreError> {
        let now = now_ms();
        // IMMEDIATE: take the write lock up front. A deferred transaction that reads first
        // cannot wait for another process's write (SQLITE_BUSY_SNAPSHOT): it fails at once.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let sql = format!(
            "INSERT INTO messages (chat_id, parent_id, role, content, status, model_file, model_sha256, sampling, seed, created_at, updated_at, attachments) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM chats WHERE id = ?) RETURNING {MESSAGE_COLUMNS}"
        );
        let written: Message = sqlx::query_as(AssertSqlSafe(sql))
            .bind(chat_id)
            .bind(parent)
            .bind(message.role)
            .bind(&message.content)
            .bind(message.status)
            .bind(&message.model_file)
            .bind(&message.model_sha256)
            .bind(&message.sampling)
            .bind(message.seed)
            .bind(now)
            .bind(now)
            .bind(
                serde_json::to_string(&message.attachments)
                    .map_err(|e| StoreError::Unreadable(e.to_string()))?,
            )
            .bind(chat_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound {
                what: "chat",
                id: chat_id,
            })?;
        // Show the new message's branch; a second child of one parent means the chat's branch
        // must be walked from now on.
        sqlx::query(
            "UPDATE chats SET current_leaf = ?3, updated_at = ?4, branched = branched OR EXISTS \
             (SELECT 1 FROM messages WHERE chat_id = ?1 AND parent_id IS ?2 AND id <> ?3) WHERE id = ?1",
        )
        .bind(chat_id)
        .bind(parent)
        .bind(written.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// The message with this id.
    pub async fn message(&self, id: Id) -> Result<Message, StoreError> {
        sqlx::query_as::<_, Message>(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "message",
            id,
        })
    }

    /// Replaces the text of a reply as it grows.
    pub async fn update_content(&self, id: Id, content: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE messages SET content = ?, updated_at = ? WHERE id = ?")
            .bind(content)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(&done, id)
    }

    /// Records the passages a reply was given (before it is written, so a reply cut short keeps
    /// them too).
    pub async fn set_sources(&self, id: Id, sources: &[Source]) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(sources).map_err(|e| StoreError::Unreadable(e.to_string()))?;
        let done = sqlx::query("UPDATE messages SET sources = ? WHERE id = ?")
            .bind(json)
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(&done, id)
    }

    /// Writes a reply's final text, status and figures.
    pub async fn finish_message(
        &self,
        id: Id,
        content: &str,
        status: MessageStatus,
        stats: &MessageStats,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE messages SET content = ?, status = ?, error = ?, error_kind = ?, prompt_tokens = ?, \
             completion_tokens = ?, prompt_ms = ?, generation_ms = ?, cached_tokens = ?, \
             drafted_tokens = ?, accepted_tokens = ?, updated_at = ? WHERE id = ?",
        )
        .bind(content)
        .bind(status)
        .bind(&stats.error)
        .bind(&stats.error_kind)
        .bind(stats.prompt_tokens)
        .bind(stats.completion_tokens)
        .bind(stats.prompt_ms)
        .bind(stats.generation_ms)
        .bind(stats.cached_tokens)
        .bind(stats.drafted_tokens)
        .bind(stats.accepted_tokens)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        found(&done, id)
    }

    /// The shown branch of a chat, oldest first.
    pub async fn branch(&self, chat_id: Id) -> Result<Vec<Message>, StoreError> {
        Ok(self.read_branch(chat_id, false).await?.0)
    }

    /// The shown branch of a chat, each message with its versions (its own id and its
    /// siblings', oldest first), from the same single read as [`Store::branch`].
    pub async fn branch_with_versions(
        &self,
        chat_id: Id,
    ) -> Result<Vec<(Message, Vec<Id>)>, StoreError> {
        let (branch, mut siblings) = self.read_branch(chat_id, true).await?;
        Ok(branch
            .into_iter()
            .map(|m| {
                let versions = siblings
                    .get_mut(&m.parent_id)
                    .map(std::mem::take)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| vec![m.id]);
                (m, versions)
            })
            .collect())
    }

    /// The shown branch, and (when `versions`) the ids of every chat message by parent.
    async fn read_branch(
        &self,
        chat_id: Id,
        versions: bool,
    ) -> Result<(Vec<Message>, HashMap<Option<Id>, Vec<Id>>), StoreError> {
        let (leaf, branched): (Option<Id>, bool) =
            sqlx::query_as("SELECT current_leaf, branched FROM chats WHERE id = ?")
                .bind(chat_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound {
                    what: "chat",
                    id: chat_id,
                })?;
        let Some(leaf) = leaf else {
            return Ok((Vec::new(), HashMap::new()));
        };
        // Every message of the chat in one indexed read; a straight line is the branch itself, a
        // tree is walked from the leaf in memory, which is cheaper than a recursive CTE that
        // looks each parent up again.
        let all = self.read_json_rows("m.chat_id = ?", chat_id).await?;
        let mut siblings: HashMap<Option<Id>, Vec<Id>> = HashMap::new();
        for m in all.iter().filter(|_| versions) {
            siblings.entry(m.parent_id).or_default().push(m.id);
        }
        if !branched && all.last().map(|m| m.id) == Some(leaf) {
            return Ok((all, siblings));
        }
        let branch = match walk_up(all, leaf) {
            Some(branch) => branch,
            None => self.path_to(leaf).await?,
        };
        Ok((branch, siblings))
    }

    /// The messages from the first one down to `leaf`, oldest first (read through parent links).
    pub async fn path_to(&self, leaf: Id) -> Result<Vec<Message>, StoreError> {
        self.read_json_rows(
            "m.id IN (WITH RECURSIVE path(id) AS (SELECT ? UNION ALL \
             SELECT m.parent_id FROM messages m JOIN path p ON m.id = p.id WHERE m.parent_id IS NOT NULL) \
             SELECT id FROM path)",
            leaf,
        )
        .await
    }

    /// The messages matching `condition` (one `?` for `value`), in id order.
    ///
    /// They come back as one row of JSON arrays (serde reads a struct from its fields in
    /// order) instead of one row per message: a 10,000-message branch costs one trip through
    /// the driver, not 10,000. A parent is always written before its children, so id order is
    /// branch order; sorting here is cheaper than asking SQLite to.
    async fn read_json_rows(&self, condition: &str, value: Id) -> Result<Vec<Message>, StoreError> {
        // JSON columns go in as JSON, not as strings holding JSON.
        let fields = MESSAGE_COLUMNS
            .split(", ")
            .map(str::trim)
            .map(|c| match c {
                "sources" => "json(m.sources)".to_owned(),
                "attachments" => "json(m.attachments)".to_owned(),
                c => format!("m.{c}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT json_group_array(json_array({fields})) FROM messages m WHERE {condition}"
        );
        let (json,): (String,) = sqlx::query_as(AssertSqlSafe(sql))
            .bind(value)
            .fetch_one(&self.pool)
            .await?;
        let mut rows: Vec<Message> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Unreadable(format!("messages: {e}")))?;
        rows.sort_unstable_by_key(|m| m.id);
        Ok(rows)
    }

    /// Ids of a message and its siblings (same parent, same chat), oldest first: the versions
    /// a `‹ 2/3 ›` control moves between.
    pub async fn versions(&self, id: Id) -> Result<Vec<Id>, StoreError> {
        let message = self.message(id).await?;
        let rows: Vec<(Id,)> = sqlx::query_as(
            "SELECT id FROM messages WHERE chat_id = ? AND parent_id IS ? ORDER BY id",
        )
        .bind(message.chat_id)
        .bind(message.parent_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Shows the branch through `id`: down to its newest descendant, following the newest child
    /// at each step.
    pub async fn switch_branch(&self, id: Id) -> Result<Vec<Message>, StoreError> {
        let message = self.message(id).await?;
        let (leaf,): (Id,) = sqlx::query_as(
            "WITH RECURSIVE down(id, depth) AS (SELECT ?, 0 UNION ALL \
             SELECT (SELECT c.id FROM messages c WHERE c.parent_id = d.id ORDER BY c.id DESC LIMIT 1), d.depth + 1 \
             FROM down d WHERE EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = d.id)) \
             SELECT id FROM down ORDER BY depth DESC LIMIT 1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        sqlx::query("UPDATE chats SET current_leaf = ? WHERE id = ?")
            .bind(leaf)
            .bind(message.chat_id)
            .execute(&self.pool)
            .await?;
        self.path_to(leaf).await
    }

    /// Every message of a chat (all branches), oldest first.
    pub async fn all_messages(&self, chat_id: Id) -> Result<Vec<Message>, StoreError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = ? ORDER BY id");
        Ok(sqlx::query_as::<_, Message>(AssertSqlSafe(sql))
            .bind(chat_id)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The path from the root down to `leaf` among `messages` (sorted by id); `None` if `leaf` or a
/// parent on the way is missing.
fn walk_up(messages: Vec<Message>, leaf: Id) -> Option<Vec<Message>> {
    let index = |id: Id| messages.binary_search_by_key(&id, |m| m.id).ok();
    let mut path = Vec::new();
    let mut at = Some(index(leaf)?);
    while let Some(i) = at {
        path.push(i);
        if path.len() > messages.len() {
            return None; // a cycle: the database is damaged
        }
        at = match messages[i].parent_id {
            Some(parent) => Some(index(parent)?),
            None => None,
        };
    }
    let mut slots: Vec<Option<Message>> = messages.into_iter().map(Some).collect();
    Some(
        path.into_iter()
            .rev()
            .filter_map(|i| slots[i].take())
            .collect(),
    )
}

/// `NotFound` when an update of message `id` changed no row.
fn found(done: &sqlx::sqlite::SqliteQueryResult, id: Id) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            what: "message",
            id,
        });
    }
    Ok(())
}
