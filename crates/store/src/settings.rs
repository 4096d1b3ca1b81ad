//! Typed settings: any serde value under a string key, stored as JSON.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Store, StoreError};

impl Store {
    /// The value under `key`, or `None` when unset or no longer of type `T`.
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(json,)| match serde_json::from_str(&json) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(key, error = %e, "ignoring a setting of the wrong type");
                None
            }
        }))
    }

    /// Stores `value` under `key`.
    pub async fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|e| StoreError::Import(e.to_string()))?;
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(json)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes the value under `key`.
    pub async fn clear_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
