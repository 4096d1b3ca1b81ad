//! Retrieval: sentence vectors (cosine, over every passage of the collections, kept in memory),
//! keywords (FTS5 with BM25; Chinese and Japanese as character pairs), and both fused by
//! reciprocal rank — each finds what the other misses.

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use serde::Serialize;
use sqlx::Row;

use crate::cjk::{collection_term, fts_terms};
use crate::embed::Embedder;
use crate::{Docs, DocsError};

/// Candidates each method brings to the fusion.
const CANDIDATES: usize = 50;
/// Reciprocal rank fusion's constant (the usual 60).
const RRF_K: f64 = 60.0;

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchMode {
    /// Vectors and keywords, fused by reciprocal rank.
    #[default]
    Hybrid,
    /// Sentence vectors only.
    Vector,
    /// Keywords only.
    Keyword,
}

/// A passage found, with where it is.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Passage {
    /// The passage's id in the index.
    pub id: i64,
    /// The collection it is in.
    pub collection: String,
    /// The file.
    pub path: String,
    /// Its page (PDF).
    pub page: Option<u32>,
    /// First line (text formats).
    pub line_start: Option<u32>,
    /// Last line.
    pub line_end: Option<u32>,
    /// The headings above it.
    pub heading: Option<String>,
    /// Its text.
    pub text: String,
    /// Relevance: the fused score (hybrid), the cosine (vector) or the BM25 score (keyword);
    /// higher is better.
    pub score: f64,
    /// Its cosine with the question, when vectors were used.
    pub similarity: Option<f32>,
}

/// A collection's passage vectors, one after another.
pub(crate) struct VectorSet {
    ids: Vec<i64>,
    dims: usize,
    data: Vec<f32>,
}

impl VectorSet {
    /// The `n` passages most similar to `query` (a unit vector), best first.
    fn nearest(&self, query: &[f32], n: usize) -> Vec<(i64, f32)> {
        if self.dims == 0 || query.len() != self.dims {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> = self
            .data
            .chunks_exact(self.dims)
            .zip(&self.ids)
            .map(|(v, id)| (*id, dot(v, query)))
            .collect();
        let n = n.min(scored.len());
        if n == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(n);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight lanes: the compiler turns this into SIMD.
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + ra.iter().zip(rb).map(|(x, y)| x * y).sum::<f32>()
}

impl Docs {
    /// The `k` passages of `collections` that best answer `query`. Vectors need `embedder`,
    /// whose model must be the collections'.
    pub async fn search<E: Embedder>(
        &self,
        collections: &[&str],
        query: &str,
        k: usize,
        mode: SearchMode,
        embedder: &E,
    ) -> Result<Vec<Passage>, DocsError> {
        let vector = match mode {
            SearchMode::Keyword => None,
            _ => {
                let text = format!("{}{query}", embedder.model().query_prefix);
                let mut made = embedder.embed(vec![text]).await?;
                made.pop()
            }
        };
        for name in collections {
            let collection = self.collection(name).await?;
            if vector.is_some() && collection.embedding_model != embedder.model().id {
                return Err(DocsError::Invalid(format!(
                    "the collection {:?} is embedded with {}, not {}",
                    collection.name,
                    collection.embedding_model,
                    embedder.model().id
                )));
            }
        }
        let weight = match mode {
            SearchMode::Hybrid => self.vector_weight(query, embedder).await?,
            _ => 1.0,
        };
        self.fused(collections, query, vector.as_deref(), k, mode, weight)
            .await
    }

    /// Like [`Docs::search`] with the question's vector already made (benchmarks time the
    /// search alone this way).
    pub async fn search_with_vector(
        &self,
        collections: &[&str],
        query: &str,
        vector: Option<&[f32]>,
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Passage>, DocsError> {
        self.fused(collections, query, vector, k, mode, 1.0).await
    }

    /// The search itself; in a hybrid search the vector list counts `vector_weight` times
    /// as much as the keyword list.
    async fn fused(
        &self,
        collections: &[&str],
        query: &str,
        vector: Option<&[f32]>,
        k: usize,
        mode: SearchMode,
        vector_weight: f32,
    ) -> Result<Vec<Passage>, DocsError> {
        let mut ids = Vec::new();
        for name in collections {
            ids.push(self.collection(name).await?.id);
        }
        // The vector scan runs on a thread of its own while SQLite matches the keywords.
        let by_vector = async {
            match (mode, vector) {
                (SearchMode::Keyword, _) | (_, None) => Ok(Vec::new()),
                (_, Some(v)) => self.nearest(&ids, v).await,
            }
        };
        let by_keyword = async {
            match mode {
                SearchMode::Vector => Ok(Vec::new()),
                _ => self.keyword(&ids, query).await,
            }
        };
        let (by_vector, by_keyword) = tokio::join!(by_vector, by_keyword);
        let (by_vector, by_keyword) = (by_vector?, by_keyword?);
        let similarity: HashMap<i64, f32> = by_vector.iter().copied().collect();
        let ranked: Vec<(i64, f64)> = match mode {
            SearchMode::Vector => by_vector
                .iter()
                .map(|(id, s)| (*id, f64::from(*s)))
                .collect(),
            SearchMode::Keyword => by_keyword.clone(),
            SearchMode::Hybrid => {
                let mut fused: HashMap<i64, f64> = HashMap::new();
                let weight = f64::from(vector_weight);
                for (rank, (id, _)) in by_vector.iter().enumerate() {
                    *fused.entry(*id).or_default() += weight / (RRF_K + rank as f64 + 1.0);
                }
                for (rank, (id, _)) in by_keyword.iter().enumerate() {
                    *fused.entry(*id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
                }
                let mut fused: Vec<(i64, f64)> = fused.into_iter().collect();
                fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                fused
            }
        };
        let top: Vec<(i64, f64)> = ranked.into_iter().take(k).collect();
        self.passages(&top, &similarity).await
    }

    /// The passages of `collections` nearest to `vector`, best first, as (id, cosine).
    async fn nearest(
        &self,
        collections: &[i64],
        vector: &[f32],
    ) -> Result<Vec<(i64, f32)>, DocsError> {
        let mut sets = Vec::with_capacity(collections.len());
        for id in collections {
            sets.push(self.vectors(*id).await?);
        }
        let vector = vector.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut all: Vec<(i64, f32)> = sets
                .iter()
                .flat_map(|set| set.nearest(&vector, CANDIDATES))
                .collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1));
            all.truncate(CANDIDATES);
            all
        })
        .await
        .map_err(|e| DocsError::Invalid(format!("the vector search stopped: {e}")))
    }

    /// Passages matching the query's words, best BM25 first, as (id, score).
    async fn keyword(
        &self,
        collections: &[i64],
        query: &str,
    ) -> Result<Vec<(i64, f64)>, DocsError> {
        let Some(fts) = self.keyword_query(query).await? else {
            return Ok(Vec::new());
        };
        // The collections are picked inside the full-text index (a join to every match's file
        // costs more than the match itself); all of them need no filter. The `collection`
        // column weighs 0 so that it never moves a passage's score.
        let (all,): (i64,) = sqlx::query_as("SELECT count(*) FROM collections")
            .fetch_one(&self.inner.pool)
            .await?;
        let searched: std::collections::HashSet<i64> = collections.iter().copied().collect();
        let query = if searched.len() as i64 >= all {
            format!("{{terms}} : ({fts})")
        } else {
            let wanted = collections
                .iter()
                .map(|id| collection_term(*id))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!("{{terms}} : ({fts}) AND {{collection}} : ({wanted})")
        };
        let rows: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT rowid, bm25(chunks_fts, 1.0, 0.0) FROM chunks_fts WHERE chunks_fts MATCH ? \
             ORDER BY bm25(chunks_fts, 1.0, 0.0) LIMIT ?",
        )
        .bind(query)
        .bind(CANDIDATES as i64)
        .fetch_all(&self.inner.pool)
        .await?;
        // BM25 is lower-is-better in SQLite; report higher-is-better.
        Ok(rows.into_iter().map(|(id, s)| (id, -s)).collect())
    }

    /// The FTS5 query for `query`'s words. Where there are many passages, words in more than a
    /// tenth of them (the, and, how) are left out: they would make BM25 score most of the index
    /// for a share of the score that changes little. Below 10,000 passages only words in more
    /// than half are left out, whose weight in BM25 is nil anyway. The rarest word always stays.
    async fn keyword_query(&self, query: &str) -> Result<Option<String>, DocsError> {
        let Some(terms) = fts_terms(query) else {
            return Ok(None);
        };
        let (passages,): (i64,) = sqlx::query_as("SELECT count(*) FROM chunks")
            .fetch_one(&self.inner.pool)
            .await?;
        let common = (passages / 10).max(1_000);
        let mut kept = Vec::with_capacity(terms.len());
        let mut rarest: Option<(i64, String)> = None;
        for term in terms {
            let (docs,): (i64,) = sqlx::query_as(
                "SELECT coalesce(sum(doc), 0) FROM chunks_vocab WHERE term = ? AND col = 'terms'",
            )
            .bind(term.trim_matches('"'))
            .fetch_one(&self.inner.pool)
            .await?;
            if docs <= common {
                kept.push(term);
            } else if rarest.as_ref().is_none_or(|(d, _)| docs < *d) {
                rarest = Some((docs, term));
            }
        }
        if kept.is_empty() {
            kept.extend(rarest.map(|(_, t)| t));
        }
        Ok(Some(kept.join(" OR ")))
    }

    /// A collection's vectors, read from the database once and kept until its index changes.
    async fn vectors(&self, collection: i64) -> Result<Arc<VectorSet>, DocsError> {
        if let Some(set) = self
            .inner
            .vectors
            .lock()
            .ok()
            .and_then(|c| c.get(&collection).cloned())
        {
            return Ok(set);
        }
        let (count,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.collection_id = ?",
        )
        .bind(collection)
        .fetch_one(&self.inner.pool)
        .await?;
        let count = usize::try_from(count).unwrap_or(0);
        // Row by row into one block sized up front: the index is the biggest thing LocalDocs
        // keeps in memory, and it is held once, not also as rows or while doubling.
        let mut rows = sqlx::query(
            "SELECT c.id, c.embedding FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.collection_id = ?",
        )
        .bind(collection)
        .fetch(&self.inner.pool);
        let mut ids = Vec::with_capacity(count);
        let mut data = Vec::new();
        let mut dims = 0;
        while let Some(row) = rows.try_next().await? {
            let blob: &[u8] = row.get(1);
            if dims == 0 {
                dims = blob.len() / 4;
                data.reserve_exact(count.saturating_mul(dims));
            }
            if blob.len() != dims * 4 {
                continue;
            }
            ids.push(row.get::<i64, _>(0));
            data.extend(
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
        drop(rows);
        let set = Arc::new(VectorSet { ids, dims, data });
        if let Ok(mut cache) = self.inner.vectors.lock() {
            cache.insert(collection, set.clone());
        }
        Ok(set)
    }

    async fn passages(
        &self,
        ranked: &[(i64, f64)],
        similarity: &HashMap<i64, f32>,
    ) -> Result<Vec<Passage>, DocsError> {
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        let list = ranked
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT c.id, col.name, f.path, c.page, c.line_start, c.line_end, c.heading, c.text \
             FROM chunks c JOIN files f ON f.id = c.file_id JOIN collections col ON col.id = f.collection_id \
             WHERE c.id IN ({list})"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.inner.pool)
            .await?;
        let mut by_id: HashMap<i64, Passage> = rows
            .into_iter()
            .map(|row| {
                let id: i64 = row.get(0);
                (
                    id,
                    Passage {
                        id,
                        collection: row.get(1),
                        path: row.get(2),
                        page: row.get(3),
                        line_start: row.get(4),
                        line_end: row.get(5),
                        heading: row.get(6),
                        text: row.get(7),
                        score: 0.0,
                        similarity: similarity.get(&id).copied(),
                    },
                )
            })
            .collect();
        Ok(ranked
            .iter()
            .filter_map(|(id, score)| {
                by_id.remove(id).map(|mut p| {
                    p.score = *score;
                    p
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_vectors_come_first() {
        let set = VectorSet {
            ids: vec![1, 2, 3],
            dims: 2,
            data: vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8],
        };
        let found = set.nearest(&[0.0, 1.0], 2);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![2, 3]);
        assert!(set.nearest(&[1.0], 2).is_empty(), "wrong dimension");
        let long: Vec<f32> = (0..19).map(|i| i as f32).collect();
        assert_eq!(
            dot(&long, &long),
            (0..19).map(|i| (i * i) as f32).sum::<f32>()
        );
    }
}
