//! Chats: the rows of the sidebar.

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, FromRow};

use crate::{now_ms, Id, Store, StoreError};

/// One conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, FromRow, ts_rs::TS)]
pub struct Chat {
    /// Id.
    pub id: Id,
    /// Title shown in the sidebar.
    pub title: String,
    /// When it was created (Unix ms).
    pub created_at: i64,
    /// When it last changed (Unix ms).
    pub updated_at: i64,
    /// The model it used last (file name).
    pub model: Option<String>,
    /// Its system prompt, if it has its own.
    pub system_prompt: Option<String>,
    /// Its own generation settings (JSON), if any.
    pub settings: Option<String>,
    /// Pinned to the top of the sidebar.
    pub pinned: bool,
    /// Hidden from the sidebar.
    pub archived: bool,
    /// The last message of the branch it shows.
    pub current_leaf: Option<Id>,
    /// Still waiting for the title its first reply gives it (a placeholder is shown).
    #[serde(default)]
    pub auto_title: bool,
    /// The LocalDocs collections its replies answer from, by name.
    #[serde(default)]
    #[sqlx(json)]
    pub collections: Vec<String>,
}

const CHAT_COLUMNS: &str =
    "id, title, created_at, updated_at, model, system_prompt, settings, pinned, archived, \
     current_leaf, auto_title, collections";

impl Store {
    /// Starts a new chat with a title of its own.
    pub async fn create_chat(
        &self,
        title: &str,
        system_prompt: Option<&str>,
    ) -> Result<Chat, StoreError> {
        self.insert_chat(title, system_prompt, false).await
    }

    /// Starts a new chat shown as `placeholder` until [`Store::set_auto_title`] names it.
    pub async fn create_untitled_chat(
        &self,
        placeholder: &str,
        system_prompt: Option<&str>,
    ) -> Result<Chat, StoreError> {
        self.insert_chat(placeholder, system_prompt, true).await
    }

    async fn insert_chat(
        &self,
        title: &str,
        system_prompt: Option<&str>,
        auto_title: bool,
    ) -> Result<Chat, StoreError> {
        let now = now_ms();
        let id: (Id,) = sqlx::query_as(
            "INSERT INTO chats (title, created_at, updated_at, system_prompt, auto_title) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(title)
        .bind(now)
        .bind(now)
        .bind(system_prompt)
        .bind(auto_title)
        .fetch_one(&self.pool)
        .await?;
        self.chat(id.0).await
    }

    /// Names a chat that still waits for its automatic title; false (and no change) when it
    /// has a title already, for instance one a person gave it meanwhile.
    pub async fn set_auto_title(&self, id: Id, title: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chats SET title = ?, auto_title = 0, updated_at = ? WHERE id = ? AND auto_title = 1",
        )
        .bind(title)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The chat with this id.
    pub async fn chat(&self, id: Id) -> Result<Chat, StoreError> {
        sqlx::query_as::<_, Chat>(AssertSqlSafe(format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { what: "chat", id })
    }

    /// Chats for the sidebar: pinned first, then most recently changed. Archived ones only when
    /// asked for.
    pub async fn list_chats(&self, include_archived: bool) -> Result<Vec<Chat>, StoreError> {
        let sql = format!(
            "SELECT {CHAT_COLUMNS} FROM chats WHERE archived = 0 OR ? ORDER BY pinned DESC, updated_at DESC, id DESC"
        );
        Ok(sqlx::query_as::<_, Chat>(AssertSqlSafe(sql))
            .bind(include_archived)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Renames a chat; it keeps that title (no automatic title replaces it).
    pub async fn rename_chat(&self, id: Id, title: &str) -> Result<(), StoreError> {
        self.update_chat(id, "title = ?, auto_title = 0", title)
            .await
    }

    /// Pins or unpins a chat.
    pub async fn set_pinned(&self, id: Id, pinned: bool) -> Result<(), StoreError> {
        self.update_chat(id, "pinned = ?", pinned).await
    }

    /// Archives or restores a chat.
    pub async fn set_archived(&self, id: Id, archived: bool) -> Result<(), StoreError> {
        self.update_chat(id, "archived = ?", archived).await
    }

    /// Records the model a chat now uses; its history stays.
    pub async fn set_chat_model(&self, id: Id, model: Option<&str>) -> Result<(), StoreError> {
        self.update_chat(id, "model = ?", model).await
    }

    /// Sets or clears a chat's own system prompt.
    pub async fn set_system_prompt(&self, id: Id, prompt: Option<&str>) -> Result<(), StoreError> {
        self.update_chat(id, "system_prompt = ?", prompt).await
    }

    /// Sets the LocalDocs collections a chat's replies answer from (none: no retrieval).
    pub async fn set_chat_collections(&self, id: Id, names: &[String]) -> Result<(), StoreError> {
        let names =
            serde_json::to_string(names).map_err(|e| StoreError::Unreadable(e.to_string()))?;
        self.update_chat(id, "collections = ?", names).await
    }

    /// Sets or clears a chat's own generation settings (JSON).
    pub async fn set_chat_settings(
        &self,
        id: Id,
        settings: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_chat(id, "settings = ?", settings).await
    }

    async fn update_chat<'q, T>(&self, id: Id, assignment: &str, value: T) -> Result<(), StoreError>
    where
        T: 'q + Send + sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        let sql = format!("UPDATE chats SET {assignment}, updated_at = ? WHERE id = ?");
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "chat", id });
        }
        Ok(())
    }

    /// Deletes a chat and all its messages.
    pub async fn delete_chat(&self, id: Id) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM chats WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "chat", id });
        }
        Ok(())
    }
}
