//! Retrieval speed with 100,000 passages: the passages of real chapters (the Debian Reference)
//! repeated 1,000 files × 100 passages, each with a random unit vector of 384 dimensions
//! (all-MiniLM-L6-v2's width; a brute-force scan costs the same whatever the values), searched
//! with the English questions of tests/retrieval and a vector made beforehand (the question's
//! embedding is not timed). Prints p50/p95/max of hybrid searches, the first search (which
//! reads the vectors into memory), the memory the index takes and its size on disk. Run by
//! `scripts/bench-docs`.
//!
//! Usage: bench_search CHAPTERS_DIR WORK_DIR [EMBEDDING_MODEL_ID]
//!
//! With EMBEDDING_MODEL_ID it only writes WORK_DIR/docs.db, its collection `Bench` made with
//! that model (for core's bench_answer, which asks questions of it through the app).

use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_docs::extract::{read_file, Limits};
use hearth_docs::{chunk, index_terms, ChunkSize, Docs, SearchMode};

const FILES: usize = 1_000;
const PER_FILE: usize = 100;
const DIMS: usize = 384;
const SEARCHES: usize = 300;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (chapters, work, model) = match args.as_slice() {
        [chapters, work] => (chapters, work, None),
        [chapters, work, model] => (chapters, work, Some(model.as_str())),
        _ => return Err("usage: bench_search CHAPTERS_DIR WORK_DIR [EMBEDDING_MODEL_ID]".into()),
    };
    let work = PathBuf::from(work);
    std::fs::create_dir_all(&work)?;
    let mut passages = Vec::new();
    for entry in std::fs::read_dir(chapters)? {
        let path = entry?.path();
        let extracted = read_file(&path, Limits::default().max_bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        passages.extend(
            chunk(&extracted, ChunkSize::default())
                .into_iter()
                .map(|c| c.text),
        );
    }
    let questions: Vec<String> = {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/retrieval/debian-reference.en.json"),
        )?;
        let value: serde_json::Value = serde_json::from_str(&text)?;
        value["questions"]
            .as_array()
            .ok_or("no questions")?
            .iter()
            .filter_map(|q| q["question"].as_str().map(str::to_owned))
            .collect()
    };

    let db = work.join("docs.db");
    let docs = Docs::open(&db, PathBuf::from("unused")).await?;
    docs.add_collection(
        "Bench",
        std::slice::from_ref(&work),
        model.unwrap_or("bench"),
    )
    .await?;
    fill(&db, &passages).await?;
    docs.close().await;
    if model.is_some() {
        return Ok(());
    }
    let disk: u64 = ["docs.db", "docs.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(work.join(f)).ok())
        .map(|m| m.len())
        .sum();

    let docs = Docs::open(&db, PathBuf::from("unused")).await?;
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let rss_before = rss_kib();
    let started = Instant::now();
    let vector = random.unit_vector();
    let found = docs
        .search_with_vector(
            &["Bench"],
            &questions[0],
            Some(&vector),
            5,
            SearchMode::Hybrid,
        )
        .await?;
    let first = started.elapsed().as_secs_f64() * 1000.0;
    let rss_after = rss_kib();
    assert_eq!(found.len(), 5);
    let mut times = Vec::with_capacity(SEARCHES);
    for i in 0..SEARCHES {
        let vector = random.unit_vector();
        let question = &questions[i % questions.len()];
        let started = Instant::now();
        let found = docs
            .search_with_vector(&["Bench"], question, Some(&vector), 5, SearchMode::Hybrid)
            .await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(!found.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let mut parts = Vec::new();
    for mode in [SearchMode::Vector, SearchMode::Keyword] {
        let mut times = Vec::with_capacity(SEARCHES);
        for i in 0..SEARCHES {
            let vector = random.unit_vector();
            let question = &questions[i % questions.len()];
            let started = Instant::now();
            docs.search_with_vector(&["Bench"], question, Some(&vector), 5, mode)
                .await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        parts.push(format!(
            "{mode:?} alone p50 {:.1} / p95 {:.1} ms",
            at(0.5),
            at(0.95)
        ));
    }
    println!(
        "retrieval with {} passages ({} dims), hybrid, question vector made beforehand, {SEARCHES} searches:",
        FILES * PER_FILE,
        DIMS
    );
    println!(
        "  p50 {:.1} ms, p95 {:.1} ms (target < 50 ms: {:.2}x of it), max {:.1} ms; first search (reads the vectors) {first:.0} ms",
        at(0.5),
        at(0.95),
        at(0.95) / 50.0,
        at(1.0)
    );
    println!("  {}", parts.join("; "));
    println!(
        "  memory for the index: {:.0} MB (resident, after the first search); on disk: {:.0} MB",
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0,
        disk as f64 / 1e6
    );
    docs.close().await;
    Ok(())
}

/// Writes FILES × PER_FILE passages straight into the database, as the indexer would.
async fn fill(db: &Path, passages: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let mut conn = SqliteConnectOptions::new().filename(db).connect().await?;
    let mut tx = conn.begin().await?;
    let mut random = Random(42);
    for f in 0..FILES {
        let (file_id,): (i64,) = sqlx::query_as(
            "INSERT INTO files (collection_id, path, size, mtime_ms, status, chunks, indexed_at) \
             VALUES (1, ?, 1000, 0, 'indexed', ?, 0) RETURNING id",
        )
        .bind(format!("/bench/file-{f:04}.txt"))
        .bind(PER_FILE as i64)
        .fetch_one(&mut *tx)
        .await?;
        for ordinal in 0..PER_FILE {
            let text = &passages[(f * PER_FILE + ordinal) % passages.len()];
            let blob: Vec<u8> = random
                .unit_vector()
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO chunks (file_id, ordinal, text, embedding) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(file_id)
            .bind(ordinal as i64)
            .bind(text)
            .bind(blob)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO chunks_fts (rowid, terms, collection) VALUES (?, ?, 'c1')")
                .bind(id)
                .bind(index_terms(text))
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A small deterministic generator (xorshift64*), enough for random directions.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
        bits as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let v: Vec<f32> = (0..DIMS).map(|_| self.next()).collect();
        let norm = v
            .iter()
            .map(|x| x * x)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        v.into_iter().map(|x| x / norm).collect()
    }
}
