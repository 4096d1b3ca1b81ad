//! Export and import: Hearth's own JSON (every branch, lossless), Markdown (the shown branch, for
//! reading), and ChatGPT's data export (`conversations.json`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{now_ms, Chat, Id, Message, MessageStatus, Role, Store, StoreError};

/// The `format` field of Hearth's JSON export.
pub const HEARTH_EXPORT_FORMAT: &str = "hearth-chats";
const EXPORT_VERSION: u32 = 1;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Hearth's JSON: every chat field and every message of every branch.
    Json,
    /// Markdown: the shown branch, for people.
    Markdown,
}

#[derive(Serialize, Deserialize)]
struct ExportFile {
    format: String,
    version: u32,
    chats: Vec<ExportedChat>,
}

#[derive(Serialize, Deserialize)]
struct ExportedChat {
    #[serde(flatten)]
    chat: Chat,
    messages: Vec<Message>,
}

impl Store {
    /// Exports one chat, or all chats when `chat` is `None`.
    pub async fn export(
        &self,
        chat: Option<Id>,
        format: ExportFormat,
    ) -> Result<String, StoreError> {
        let chats = match chat {
            Some(id) => vec![self.chat(id).await?],
            None => self.list_chats(true).await?,
        };
        match format {
            ExportFormat::Json => {
                let mut exported = Vec::with_capacity(chats.len());
                for chat in chats {
                    let messages = self.all_messages(chat.id).await?;
                    exported.push(ExportedChat { chat, messages });
                }
                let file = ExportFile {
                    format: HEARTH_EXPORT_FORMAT.into(),
                    version: EXPORT_VERSION,
                    chats: exported,
                };
                serde_json::to_string_pretty(&file).map_err(|e| StoreError::Import(e.to_string()))
            }
            ExportFormat::Markdown => {
                let mut out = String::new();
                for chat in chats {
                    let branch = self.branch(chat.id).await?;
                    out.push_str(&markdown(&chat, &branch));
                }
                Ok(out)
            }
        }
    }

    /// Imports a file: Hearth's JSON export or ChatGPT's `conversations.json`, told apart by
    /// shape. Returns the new chats' ids. Nothing is written unless the whole file imports.
    pub async fn import(&self, text: &str) -> Result<Vec<Id>, StoreError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| StoreError::Import(format!("not JSON: {e}")))?;
        let chats = if value.get("format").and_then(Value::as_str) == Some(HEARTH_EXPORT_FORMAT) {
            let file: ExportFile = serde_json::from_value(value)
                .map_err(|e| StoreError::Import(format!("not a valid Hearth export: {e}")))?;
            if file.version > EXPORT_VERSION {
                return Err(StoreError::Import(format!(
                    "the file is export version {}, newer than this Hearth reads ({EXPORT_VERSION}); update Hearth",
                    file.version
                )));
            }
            file.chats
        } else if value.is_array() {
            chatgpt::convert(&value)?
        } else {
            return Err(StoreError::Import(
                "the file is neither a Hearth export nor ChatGPT's conversations.json".into(),
            ));
        };
        self.insert_chats(chats).await
    }

    async fn insert_chats(&self, chats: Vec<ExportedChat>) -> Result<Vec<Id>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut ids = Vec::with_capacity(chats.len());
        for ExportedChat { chat, messages } in chats {
            let (chat_id,): (Id,) = sqlx::query_as(
                "INSERT INTO chats (title, created_at, updated_at, model, system_prompt, settings, pinned, archived, collections) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&chat.title)
            .bind(chat.created_at)
            .bind(chat.updated_at)
            .bind(&chat.model)
            .bind(&chat.system_prompt)
            .bind(&chat.settings)
            .bind(chat.pinned)
            .bind(chat.archived)
            .bind(to_json(&chat.collections)?)
            .fetch_one(&mut *tx)
            .await?;
            // Parents come before children in id order; map old ids to new as we go.
            let mut sorted = messages;
            sorted.sort_by_key(|m| m.id);
            let mut new_ids: HashMap<Id, Id> = HashMap::new();
            for m in &sorted {
                let parent = match m.parent_id {
                    None => None,
                    Some(p) => Some(*new_ids.get(&p).ok_or_else(|| {
                        StoreError::Import(format!(
                            "message {} names a parent {p} that does not come before it",
                            m.id
                        ))
                    })?),
                };
                let (id,): (Id,) = sqlx::query_as(
                    "INSERT INTO messages (chat_id, parent_id, role, content, status, error, model_file, model_sha256, \
                     sampling, seed, prompt_tokens, completion_tokens, prompt_ms, generation_ms, created_at, updated_at, error_kind, sources, attachments) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(chat_id)
                .bind(parent)
                .bind(m.role)
                .bind(&m.content)
                .bind(if m.status == MessageStatus::Streaming { MessageStatus::Interrupted } else { m.status })
                .bind(&m.error)
                .bind(&m.model_file)
                .bind(&m.model_sha256)
                .bind(&m.sampling)
                .bind(m.seed)
                .bind(m.prompt_tokens)
                .bind(m.completion_tokens)
                .bind(m.prompt_ms)
                .bind(m.generation_ms)
                .bind(m.created_at)
                .bind(m.updated_at)
                .bind(&m.error_kind)
                .bind(to_json(&m.sources)?)
                .bind(to_json(&m.attachments)?)
                .fetch_one(&mut *tx)
                .await?;
                new_ids.insert(m.id, id);
            }
            let leaf = chat
                .current_leaf
                .and_then(|l| new_ids.get(&l).copied())
                .or_else(|| new_ids.values().max().copied());
            sqlx::query(
                "UPDATE chats SET current_leaf = ?1, branched = EXISTS (SELECT 1 FROM messages WHERE chat_id = ?2 \
                 GROUP BY parent_id HAVING count(*) > 1) WHERE id = ?2",
            )
            .bind(leaf)
            .bind(chat_id)
            .execute(&mut *tx)
            .await?;
            ids.push(chat_id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Import(e.to_string()))
}

fn markdown(chat: &Chat, branch: &[Message]) -> String {
    let mut out = format!("# {}\n\n", chat.title);
    if let Some(system) = &chat.system_prompt {
        out.push_str(&format!("> System: {system}\n\n"));
    }
    for m in branch {
        let who = match m.role {
            Role::System => "System",
            Role::User => "You",
            Role::Assistant => "Assistant",
        };
        out.push_str(&format!("**{who}:**\n\n{}\n\n", m.content.trim_end()));
        for a in &m.attachments {
            out.push_str(&format!("📎 `{}` ({} characters)\n\n", a.name, a.chars));
        }
        if m.status == MessageStatus::Interrupted {
            out.push_str("*(reply interrupted)*\n\n");
        }
        if !m.sources.is_empty() {
            out.push_str("Sources:\n\n");
            for (i, s) in m.sources.iter().enumerate() {
                let place = s.place().map(|p| format!(", {p}")).unwrap_or_default();
                let excerpt = s.excerpt.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push_str(&format!(
                    "{}. `{}`{place} ({})\n   > {excerpt}\n",
                    i + 1,
                    s.path,
                    s.collection
                ));
            }
            out.push('\n');
        }
    }
    out.push_str("---\n\n");
    out
}

mod chatgpt {
    //! ChatGPT's data export: an array of conversations, each a `mapping` of nodes forming a
    //! tree, with `current_node` the leaf shown.

    use super::*;

    pub(super) fn convert(value: &Value) -> Result<Vec<ExportedChat>, StoreError> {
        let list = value
            .as_array()
            .ok_or_else(|| StoreError::Import("expected a list of conversations".into()))?;
        list.iter()
            .enumerate()
            .map(|(i, c)| {
                conversation(c)
                    .map_err(|e| StoreError::Import(format!("conversation {}: {e}", i + 1)))
            })
            .collect()
    }

    fn conversation(c: &Value) -> Result<ExportedChat, String> {
        let mapping = c
            .get("mapping")
            .and_then(Value::as_object)
            .ok_or("it has no message mapping")?;
        let title = c
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("Imported chat")
            .to_owned();
        let created = seconds_to_ms(c.get("create_time")).unwrap_or_else(now_ms);
        let updated = seconds_to_ms(c.get("update_time")).unwrap_or(created);
        // Number nodes in tree order (parents first) so ids keep the tree.
        let roots: Vec<&String> = mapping
            .iter()
            .filter(|(_, n)| n.get("parent").is_none_or(Value::is_null))
            .map(|(k, _)| k)
            .collect();
        let mut order: Vec<&String> = Vec::new();
        let mut stack: Vec<&String> = roots.into_iter().rev().collect();
        while let Some(key) = stack.pop() {
            if order.len() > mapping.len() {
                return Err("its message tree has a cycle".into());
            }
            order.push(key);
            if let Some(children) = mapping
                .get(key)
                .and_then(|n| n.get("children"))
                .and_then(Value::as_array)
            {
                for child in children.iter().rev().filter_map(Value::as_str) {
                    if let Some((k, _)) = mapping.get_key_value(child) {
                        stack.push(k);
                    }
                }
            }
        }
        let mut messages = Vec::new();
        // A node that is not kept (empty system note, tool output) passes its place to its children.
        let mut kept_as: HashMap<&str, Option<Id>> = HashMap::new();
        for key in order {
            let node = &mapping[key.as_str()];
            let parent = node
                .get("parent")
                .and_then(Value::as_str)
                .and_then(|p| kept_as.get(p).copied().flatten());
            let Some((role, text, time)) = node.get("message").and_then(message_parts) else {
                kept_as.insert(key, parent);
                continue;
            };
            let id = messages.len() as Id + 1;
            messages.push(Message {
                id,
                chat_id: 0,
                parent_id: parent,
                role,
                content: text,
                status: MessageStatus::Complete,
                error: None,
                model_file: None,
                model_sha256: None,
                sampling: None,
                seed: None,
                prompt_tokens: None,
                completion_tokens: None,
                prompt_ms: None,
                generation_ms: None,
                cached_tokens: None,
                drafted_tokens: None,
                accepted_tokens: None,
                created_at: time.unwrap_or(created),
                updated_at: time.unwrap_or(created),
                error_kind: None,
                sources: Vec::new(),
                attachments: Vec::new(),
            });
            kept_as.insert(key, Some(id));
        }
        let leaf = c
            .get("current_node")
            .and_then(Value::as_str)
            .and_then(|k| kept_as.get(k).copied().flatten());
        let chat = Chat {
            id: 0,
            title,
            created_at: created,
            updated_at: updated,
            model: Some("ChatGPT (imported)".into()),
            system_prompt: None,
            settings: None,
            pinned: false,
            archived: false,
            current_leaf: leaf,
            auto_title: false,
            collections: Vec::new(),
        };
        Ok(ExportedChat { chat, messages })
    }

    /// Role, text and time of a ChatGPT message worth keeping.
    fn message_parts(m: &Value) -> Option<(Role, String, Option<i64>)> {
        let role = match m.get("author")?.get("role")?.as_str()? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "system" => Role::System,
            _ => return None,
        };
        let parts = m.get("content")?.get("parts")?.as_array()?;
        let text: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
        let text = text.join("\n");
        if text.trim().is_empty() {
            return None;
        }
        Some((role, text, seconds_to_ms(m.get("create_time"))))
    }

    fn seconds_to_ms(v: Option<&Value>) -> Option<i64> {
        v.and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| (s * 1000.0) as i64)
    }
}
