//! Collections: a name, one or more folders, and the embedding model their chunks are made with.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::Row;

use crate::extract::Unreadable;
use crate::{now_ms, Docs, DocsError};

/// A collection of documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Collection {
    /// Id.
    pub id: i64,
    /// Its name, as chats and the CLI name it.
    pub name: String,
    /// Its folders (absolute paths).
    pub folders: Vec<String>,
    /// The embedding model its chunks are made with (catalog id or file name).
    pub embedding_model: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
}

/// A collection with what is indexed of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CollectionSummary {
    /// The collection.
    #[serde(flatten)]
    pub collection: Collection,
    /// Files read.
    pub files: i64,
    /// Chunks in the index.
    pub chunks: i64,
    /// Files that gave nothing.
    pub unreadable: i64,
}

/// A file that gave nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UnreadableFile {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: Unreadable,
    /// The reason in words for people.
    pub message: String,
}

impl Docs {
    /// The folders of the collections that hold `path` as an indexed file; none when no
    /// collection has read it.
    pub async fn folders_holding(&self, path: &str) -> Result<Vec<String>, DocsError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT fo.path FROM files f JOIN folders fo ON fo.collection_id = f.collection_id \
             WHERE f.path = ? AND f.status = 'indexed'",
        )
        .bind(path)
        .fetch_all(&self.inner.pool)
        .await?;
        Ok(rows.into_iter().map(|(folder,)| folder).collect())
    }

    /// Makes a collection of `folders`, embedded with `embedding_model`.
    pub async fn add_collection(
        &self,
        name: &str,
        folders: &[PathBuf],
        embedding_model: &str,
    ) -> Result<Collection, DocsError> {
        let name = valid_name(name)?;
        if folders.is_empty() {
            return Err(DocsError::Invalid(
                "a collection needs at least one folder".into(),
            ));
        }
        let folders = folders
            .iter()
            .map(|f| folder(f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.inner.pool.begin().await?;
        let now = now_ms();
        let id: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO collections (name, embedding_model, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(&name)
        .bind(embedding_model)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id = match id {
            Ok((id,)) => id,
            Err(e) if is_unique_violation(&e) => return Err(DocsError::Exists(name)),
            Err(e) => return Err(e.into()),
        };
        for path in &folders {
            sqlx::query("INSERT OR IGNORE INTO folders (collection_id, path) VALUES (?, ?)")
                .bind(id)
                .bind(path)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.collection(&name).await
    }

    /// The collection named `name`.
    pub async fn collection(&self, name: &str) -> Result<Collection, DocsError> {
        let row = sqlx::query(
            "SELECT id, name, embedding_model, created_at FROM collections WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.inner.pool)
        .await?
        .ok_or_else(|| DocsError::NoCollection(name.to_owned()))?;
        let id: i64 = row.get("id");
        let folders: Vec<(String,)> =
            sqlx::query_as("SELECT path FROM folders WHERE collection_id = ? ORDER BY path")
                .bind(id)
                .fetch_all(&self.inner.pool)
                .await?;
        Ok(Collection {
            id,
            name: row.get("name"),
            folders: folders.into_iter().map(|f| f.0).collect(),
            embedding_model: row.get("embedding_model"),
            created_at: row.get("created_at"),
        })
    }

    /// Every collection with its counts, by name.
    pub async fn collections(&self) -> Result<Vec<CollectionSummary>, DocsError> {
        let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM collections ORDER BY name")
            .fetch_all(&self.inner.pool)
            .await?;
        let mut out = Vec::with_capacity(names.len());
        for (name,) in names {
            let collection = self.collection(&name).await?;
            let (files, chunks, unreadable): (i64, i64, i64) = sqlx::query_as(
                "SELECT count(*), coalesce(sum(chunks), 0), coalesce(sum(status = 'unreadable'), 0) \
                 FROM files WHERE collection_id = ?",
            )
            .bind(collection.id)
            .fetch_one(&self.inner.pool)
            .await?;
            out.push(CollectionSummary {
                collection,
                files,
                chunks,
                unreadable,
            });
        }
        Ok(out)
    }

    /// Renames a collection.
    pub async fn rename_collection(&self, name: &str, new_name: &str) -> Result<(), DocsError> {
        let new_name = valid_name(new_name)?;
        let done = sqlx::query("UPDATE collections SET name = ?, updated_at = ? WHERE name = ?")
            .bind(&new_name)
            .bind(now_ms())
            .bind(name)
            .execute(&self.inner.pool)
            .await;
        match done {
            Ok(d) if d.rows_affected() == 0 => Err(DocsError::NoCollection(name.to_owned())),
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(DocsError::Exists(new_name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a collection and its index (the documents themselves are untouched).
    pub async fn remove_collection(&self, name: &str) -> Result<(), DocsError> {
        let collection = self.collection(name).await?;
        self.clear(&collection).await?;
        sqlx::query("DELETE FROM collections WHERE id = ?")
            .bind(collection.id)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Adds a folder to a collection; the next indexing reads it.
    pub async fn add_folder(&self, name: &str, path: &Path) -> Result<(), DocsError> {
        let collection = self.collection(name).await?;
        sqlx::query("INSERT OR IGNORE INTO folders (collection_id, path) VALUES (?, ?)")
            .bind(collection.id)
            .bind(folder(path)?)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Takes a folder out of a collection; the next indexing drops its files.
    pub async fn remove_folder(&self, name: &str, path: &Path) -> Result<(), DocsError> {
        let collection = self.collection(name).await?;
        if collection.folders.len() == 1 {
            return Err(DocsError::Invalid(
                "a collection needs at least one folder; remove the collection instead".into(),
            ));
        }
        let given = path.to_string_lossy();
        let canonical = std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| given.to_string());
        sqlx::query("DELETE FROM folders WHERE collection_id = ? AND path IN (?, ?)")
            .bind(collection.id)
            .bind(given.as_ref())
            .bind(canonical)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Makes the collection's chunks with another embedding model: its index is rebuilt.
    pub async fn set_embedding_model(&self, name: &str, model: &str) -> Result<(), DocsError> {
        let collection = self.collection(name).await?;
        if collection.embedding_model == model {
            return Ok(());
        }
        self.clear(&collection).await?;
        sqlx::query("UPDATE collections SET embedding_model = ?, updated_at = ? WHERE id = ?")
            .bind(model)
            .bind(now_ms())
            .bind(collection.id)
            .execute(&self.inner.pool)
            .await?;
        Ok(())
    }

    /// Drops a collection's index so that the next indexing reads everything again.
    pub async fn rebuild(&self, name: &str) -> Result<(), DocsError> {
        let collection = self.collection(name).await?;
        self.clear(&collection).await
    }

    /// The files of a collection that gave nothing, with the reason.
    pub async fn unreadable(&self, name: &str) -> Result<Vec<UnreadableFile>, DocsError> {
        let collection = self.collection(name).await?;
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT path, reason, detail FROM files WHERE collection_id = ? AND status = 'unreadable' ORDER BY path",
        )
        .bind(collection.id)
        .fetch_all(&self.inner.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(path, reason, detail)| {
                let reason = Unreadable::from_stored(&reason, detail.as_deref());
                UnreadableFile {
                    path,
                    message: reason.to_string(),
                    reason,
                }
            })
            .collect())
    }

    /// `path` if it is a file of some collection's index and still inside that collection's
    /// folders: the only files the app may open on a person's click (never a path a page sent).
    pub async fn indexed_file(&self, path: &str) -> Result<Option<PathBuf>, DocsError> {
        let owners: Vec<(String,)> = sqlx::query_as(
            "SELECT c.name FROM files f JOIN collections c ON c.id = f.collection_id WHERE f.path = ?",
        )
        .bind(path)
        .fetch_all(&self.inner.pool)
        .await?;
        for (name,) in owners {
            let collection = self.collection(&name).await?;
            if crate::scan::is_inside(Path::new(path), &collection.folders) {
                return Ok(Some(PathBuf::from(path)));
            }
        }
        Ok(None)
    }

    /// Deletes a collection's files, chunks and keyword terms.
    pub(crate) async fn clear(&self, collection: &Collection) -> Result<(), DocsError> {
        let mut tx = self.inner.pool.begin().await?;
        sqlx::query(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.collection_id = ?)",
        )
        .bind(collection.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM files WHERE collection_id = ?")
            .bind(collection.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_vectors(collection.id);
        Ok(())
    }
}

fn valid_name(name: &str) -> Result<String, DocsError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(DocsError::Invalid(
            "a collection needs a name of 1 to 100 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// A folder as it is stored: absolute and resolved, and it must be a folder now.
fn folder(path: &Path) -> Result<String, DocsError> {
    let problem = |detail: String| DocsError::Folder {
        path: path.to_path_buf(),
        detail,
    };
    let canonical = std::fs::canonicalize(path).map_err(|e| problem(e.to_string()))?;
    if !canonical.is_dir() {
        return Err(problem("it is not a folder".into()));
    }
    canonical
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| problem("its name is not valid Unicode".into()))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
