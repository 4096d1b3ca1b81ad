//! Indexing a collection: find its files, read what is new or changed (in the reader process),
//! cut it into passages, embed them, and commit each file with its passages in one transaction.
//! A run that is killed half-way loses at most the file it was on: the next run continues,
//! with no passage twice and none missing. Files gone from the folders leave the index.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::chunk::{chunk, Chunk, ChunkSize};
use crate::cjk::{collection_term, index_terms};
use crate::collections::Collection;
use crate::embed::Embedder;
use crate::extract::{Extracted, Unreadable};
use crate::scan::{scan, FoundFile};
use crate::{now_ms, Docs, DocsError};

/// Passages embedded per request to the embedding worker. A reply does not wait for a batch
/// to end: the worker is held (frozen) while a reply is written.
const EMBED_BATCH: usize = 64;
/// How often progress is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What happens while collections are indexed, for progress bars.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DocsEvent {
    /// A collection is being indexed.
    Indexing {
        /// The collection.
        collection: String,
        /// How far the run is.
        #[serde(flatten)]
        progress: IndexProgress,
    },
    /// Indexing paused (it goes on when resumed).
    Paused {
        /// The collection.
        collection: String,
    },
    /// A collection's index is up to date.
    Indexed {
        /// The collection.
        collection: String,
        /// What the run did.
        report: IndexReport,
    },
    /// Indexing stopped on an error; what was done is kept.
    IndexFailed {
        /// The collection.
        collection: String,
        /// What went wrong.
        message: String,
    },
}

/// How far an indexing run is.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct IndexProgress {
    /// Files read so far this run.
    pub files_done: u64,
    /// Files to read this run (new or changed).
    pub files_total: u64,
    /// Passages embedded so far this run.
    pub chunks_done: u64,
    /// Passages embedded per second.
    pub chunks_per_sec: f64,
    /// Seconds to go, once known.
    pub eta_secs: Option<u64>,
    /// The file being read.
    pub current_file: Option<String>,
}

/// What one indexing run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct IndexReport {
    /// Files read (new or changed).
    pub files_read: u64,
    /// Files already indexed as they are.
    pub files_unchanged: u64,
    /// Files gone from the folders, taken out of the index.
    pub files_removed: u64,
    /// Files that gave nothing (see [`Docs::unreadable`]).
    pub unreadable: u64,
    /// Passages embedded.
    pub chunks: u64,
    /// Bytes of text embedded.
    pub text_bytes: u64,
    /// How long it took.
    pub seconds: f64,
}

/// What an indexing run has been told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexState {
    /// Go on.
    #[default]
    Run,
    /// Wait until resumed.
    Pause,
    /// Stop; what was done is kept.
    Stop,
}

/// Pauses, resumes or stops an indexing run, and makes it wait while something more urgent
/// (a reply being written) has the CPU.
#[derive(Clone)]
pub struct IndexControl {
    state: watch::Sender<IndexState>,
    busy: Option<watch::Receiver<bool>>,
}

impl Default for IndexControl {
    fn default() -> Self {
        IndexControl {
            state: watch::channel(IndexState::Run).0,
            busy: None,
        }
    }
}

impl IndexControl {
    /// A control whose runs wait whenever `busy` is true.
    pub fn yielding_to(busy: watch::Receiver<bool>) -> IndexControl {
        IndexControl {
            busy: Some(busy),
            ..IndexControl::default()
        }
    }

    /// Sets what runs do from now on.
    pub fn set(&self, state: IndexState) {
        self.state.send_replace(state);
    }

    /// What runs are told now.
    pub fn state(&self) -> IndexState {
        *self.state.borrow()
    }

    /// What runs are told, now and as it changes.
    pub fn subscribe(&self) -> watch::Receiver<IndexState> {
        self.state.subscribe()
    }

    /// Waits until the run may go on; `Stopped` when told to stop.
    async fn turn(&self, docs: &Docs, collection: &str) -> Result<(), DocsError> {
        let mut state = self.state.subscribe();
        loop {
            let now = *state.borrow_and_update();
            match now {
                IndexState::Stop => return Err(DocsError::Stopped),
                IndexState::Pause => {
                    docs.emit(DocsEvent::Paused {
                        collection: collection.to_owned(),
                    });
                    if state.changed().await.is_err() {
                        return Err(DocsError::Stopped);
                    }
                    continue;
                }
                IndexState::Run => {}
            }
            match self.busy.clone() {
                Some(mut busy) if *busy.borrow() => {
                    tokio::select! {
                        _ = busy.wait_for(|b| !*b) => {}
                        _ = state.changed() => {}
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}

/// A file read and cut, waiting for its passages' vectors.
struct Waiting {
    file: FoundFile,
    extracted: Extracted,
    chunks: Vec<Chunk>,
    vectors: Vec<Vec<f32>>,
}

/// Progress of one run.
struct Progress {
    collection: String,
    started: Instant,
    reported: Instant,
    files_total: u64,
    bytes_total: u64,
    files_done: u64,
    bytes_done: u64,
    chunks_done: u64,
}

impl Progress {
    fn event(&self, current: Option<&FoundFile>) -> DocsEvent {
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = (self.bytes_done > 0 && elapsed > 1.0).then(|| {
            let left = self.bytes_total.saturating_sub(self.bytes_done) as f64;
            (elapsed * left / self.bytes_done as f64).ceil() as u64
        });
        DocsEvent::Indexing {
            collection: self.collection.clone(),
            progress: IndexProgress {
                files_done: self.files_done,
                files_total: self.files_total,
                chunks_done: self.chunks_done,
                chunks_per_sec: if elapsed > 0.0 {
                    self.chunks_done as f64 / elapsed
                } else {
                    0.0
                },
                eta_secs: eta,
                current_file: current.map(|f| f.path.display().to_string()),
            },
        }
    }
}

impl Docs {
    /// Brings a collection's index up to date with its folders, embedding with `embedder`
    /// (whose model must be the collection's). Progress arrives as [`DocsEvent`]s.
    pub async fn index<E: Embedder>(
        &self,
        name: &str,
        embedder: &E,
        control: &IndexControl,
    ) -> Result<IndexReport, DocsError> {
        let collection = self.collection(name).await?;
        let result = self.run_index(&collection, embedder, control).await;
        self.forget_vectors(collection.id);
        match &result {
            Ok(report) => self.emit(DocsEvent::Indexed {
                collection: collection.name.clone(),
                report: report.clone(),
            }),
            Err(e) => self.emit(DocsEvent::IndexFailed {
                collection: collection.name.clone(),
                message: e.to_string(),
            }),
        }
        result
    }

    async fn run_index<E: Embedder>(
        &self,
        collection: &Collection,
        embedder: &E,
        control: &IndexControl,
    ) -> Result<IndexReport, DocsError> {
        let model = embedder.model();
        if model.id != collection.embedding_model {
            return Err(DocsError::Invalid(format!(
                "the collection {:?} is embedded with {}, not {}",
                collection.name, collection.embedding_model, model.id
            )));
        }
        let started = Instant::now();
        let folders: Vec<std::path::PathBuf> = collection.folders.iter().map(Into::into).collect();
        let found = tokio::task::spawn_blocking(move || scan(&folders))
            .await
            .map_err(|e| DocsError::Invalid(format!("the folder scan stopped: {e}")))?;
        let known: HashMap<String, (i64, i64)> = sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT path, size, mtime_ms FROM files WHERE collection_id = ?",
        )
        .bind(collection.id)
        .fetch_all(&self.inner.pool)
        .await?
        .into_iter()
        .map(|(path, size, mtime)| (path, (size, mtime)))
        .collect();
        let mut report = IndexReport::default();
        let present: std::collections::HashSet<String> =
            found.iter().map(|f| f.path.display().to_string()).collect();
        for path in known.keys().filter(|p| !present.contains(*p)) {
            self.remove_file(collection.id, path).await?;
            report.files_removed += 1;
        }
        let todo: Vec<&FoundFile> = found
            .iter()
            .filter(|f| {
                known.get(&f.path.display().to_string()) != Some(&(f.size as i64, f.mtime_ms))
            })
            .collect();
        report.files_unchanged = (found.len() - todo.len()) as u64;
        let mut progress = Progress {
            collection: collection.name.clone(),
            started,
            reported: started,
            files_total: todo.len() as u64,
            bytes_total: todo.iter().map(|f| f.size).sum(),
            files_done: 0,
            bytes_done: 0,
            chunks_done: 0,
        };
        self.emit(progress.event(todo.first().copied()));
        // Passages of several small files go to the embedding model together (a request of a
        // file's one or two passages would leave most of its batch empty); each file is
        // committed as soon as all of its passages have vectors.
        let mut waiting: Vec<Waiting> = Vec::new();
        for file in todo {
            control.turn(self, &collection.name).await?;
            match self.inner.extractor.read(&file.path).await? {
                Ok(extracted) => {
                    let chunks = chunk(&extracted, ChunkSize::default());
                    waiting.push(Waiting {
                        file: file.clone(),
                        extracted,
                        vectors: Vec::with_capacity(chunks.len()),
                        chunks,
                    });
                }
                // Gone while being read: the next scan will not find it either.
                Err(Unreadable::Vanished) => self.file_done(&mut progress, file),
                Err(reason) => {
                    self.commit_unreadable(collection.id, file, &reason).await?;
                    report.unreadable += 1;
                    self.file_done(&mut progress, file);
                }
            }
            let queued: usize = waiting
                .iter()
                .map(|w| w.chunks.len() - w.vectors.len())
                .sum();
            if queued >= EMBED_BATCH {
                self.embed_waiting(&mut waiting, embedder, control, &mut progress, false)
                    .await?;
                self.commit_ready(collection.id, &mut waiting, &mut report, &mut progress)
                    .await?;
            }
        }
        self.embed_waiting(&mut waiting, embedder, control, &mut progress, true)
            .await?;
        self.commit_ready(collection.id, &mut waiting, &mut report, &mut progress)
            .await?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn file_done(&self, progress: &mut Progress, file: &FoundFile) {
        progress.files_done += 1;
        progress.bytes_done += file.size;
        progress.reported = Instant::now();
        self.emit(progress.event(Some(file)));
    }

    /// Embeds the waiting passages in full batches (and the rest too when `all`).
    async fn embed_waiting<E: Embedder>(
        &self,
        waiting: &mut [Waiting],
        embedder: &E,
        control: &IndexControl,
        progress: &mut Progress,
        all: bool,
    ) -> Result<(), DocsError> {
        let prefix = &embedder.model().document_prefix;
        loop {
            // (file, passage) of the next batch, oldest files first.
            let batch: Vec<(usize, usize)> = waiting
                .iter()
                .enumerate()
                .flat_map(|(f, w)| (w.vectors.len()..w.chunks.len()).map(move |c| (f, c)))
                .take(EMBED_BATCH)
                .collect();
            if batch.is_empty() || (batch.len() < EMBED_BATCH && !all) {
                return Ok(());
            }
            control.turn(self, &progress.collection).await?;
            let texts = batch
                .iter()
                .map(|&(f, c)| passage_text(prefix, &waiting[f].chunks[c]))
                .collect();
            let made = embedder.embed(texts).await?;
            if made.len() != batch.len() {
                return Err(DocsError::Embedding(format!(
                    "{} vectors for {} passages",
                    made.len(),
                    batch.len()
                )));
            }
            for (&(f, _), vector) in batch.iter().zip(made) {
                waiting[f].vectors.push(vector);
            }
            progress.chunks_done += batch.len() as u64;
            if progress.reported.elapsed() >= PROGRESS_EVERY {
                progress.reported = Instant::now();
                let current = waiting.last().map(|w| &w.file);
                self.emit(progress.event(current));
            }
        }
    }

    /// Commits, in order, the waiting files whose passages all have vectors.
    async fn commit_ready(
        &self,
        collection: i64,
        waiting: &mut Vec<Waiting>,
        report: &mut IndexReport,
        progress: &mut Progress,
    ) -> Result<(), DocsError> {
        let ready = waiting
            .iter()
            .take_while(|w| w.vectors.len() == w.chunks.len())
            .count();
        for done in waiting.drain(..ready) {
            self.commit_file(collection, &done).await?;
            report.files_read += 1;
            report.chunks += done.chunks.len() as u64;
            report.text_bytes += done.chunks.iter().map(|c| c.text.len() as u64).sum::<u64>();
            self.file_done(progress, &done.file);
        }
        Ok(())
    }

    /// Writes a file with its passages, vectors and keyword terms, replacing what was there.
    async fn commit_file(&self, collection: i64, done: &Waiting) -> Result<(), DocsError> {
        let Waiting {
            file,
            extracted,
            chunks,
            vectors,
        } = done;
        let path = file.path.display().to_string();
        let mut tx = self.inner.pool.begin_with("BEGIN IMMEDIATE").await?;
        delete_file(&mut tx, collection, &path).await?;
        let (file_id,): (i64,) = sqlx::query_as(
            "INSERT INTO files (collection_id, path, size, mtime_ms, sha256, status, chunks, indexed_at) \
             VALUES (?, ?, ?, ?, ?, 'indexed', ?, ?) RETURNING id",
        )
        .bind(collection)
        .bind(&path)
        .bind(file.size as i64)
        .bind(file.mtime_ms)
        .bind(&extracted.sha256)
        .bind(chunks.len() as i64)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        for (ordinal, (chunk, vector)) in chunks.iter().zip(vectors).enumerate() {
            let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
            let (chunk_id,): (i64,) = sqlx::query_as(
                "INSERT INTO chunks (file_id, ordinal, text, page, line_start, line_end, heading, embedding) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(file_id)
            .bind(ordinal as i64)
            .bind(&chunk.text)
            .bind(chunk.page)
            .bind(chunk.line_start)
            .bind(chunk.line_end)
            .bind(&chunk.heading)
            .bind(blob)
            .fetch_one(&mut *tx)
            .await?;
            let terms = match &chunk.heading {
                Some(h) => index_terms(&format!("{h}\n{}", chunk.text)),
                None => index_terms(&chunk.text),
            };
            sqlx::query("INSERT INTO chunks_fts (rowid, terms, collection) VALUES (?, ?, ?)")
                .bind(chunk_id)
                .bind(terms)
                .bind(collection_term(collection))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a file that gave nothing, with the reason.
    async fn commit_unreadable(
        &self,
        collection: i64,
        file: &FoundFile,
        reason: &Unreadable,
    ) -> Result<(), DocsError> {
        let path = file.path.display().to_string();
        let (name, detail) = reason.stored();
        let mut tx = self.inner.pool.begin_with("BEGIN IMMEDIATE").await?;
        delete_file(&mut tx, collection, &path).await?;
        sqlx::query(
            "INSERT INTO files (collection_id, path, size, mtime_ms, status, reason, detail, chunks, indexed_at) \
             VALUES (?, ?, ?, ?, 'unreadable', ?, ?, 0, ?)",
        )
        .bind(collection)
        .bind(&path)
        .bind(file.size as i64)
        .bind(file.mtime_ms)
        .bind(name)
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_file(&self, collection: i64, path: &str) -> Result<(), DocsError> {
        let mut tx = self.inner.pool.begin_with("BEGIN IMMEDIATE").await?;
        delete_file(&mut tx, collection, path).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A passage as it is embedded: the model's document prefix, the headings above it, its text.
fn passage_text(prefix: &str, chunk: &Chunk) -> String {
    match &chunk.heading {
        Some(heading) => format!("{prefix}{heading}\n{}", chunk.text),
        None => format!("{prefix}{}", chunk.text),
    }
}

async fn delete_file(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    collection: i64,
    path: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM chunks_fts WHERE rowid IN \
         (SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.collection_id = ? AND f.path = ?)",
    )
    .bind(collection)
    .bind(path)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM files WHERE collection_id = ? AND path = ?")
        .bind(collection)
        .bind(path)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
