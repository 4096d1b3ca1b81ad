//! The store's benchmark (run by `scripts/bench-store`): fills a database with 100,000 messages
//! in 1,000 chats, plus one chat of 10,000 messages, then measures what a person waits for.
//!
//! Usage: bench-store [DIR] — the database is made in DIR (default: a temp folder) and removed.

use std::time::{Duration, Instant};

use hearth_store::{NewMessage, Role, Store};

/// The commonest English words: half of every sentence, as in real text.
const COMMON: &[&str] = &[
    "the", "a", "of", "to", "and", "in", "is", "it", "that", "for", "you", "with", "on", "this",
    "be", "are", "as", "can", "what", "how", "do", "if", "my", "your", "not", "but", "or", "from",
    "at", "so",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "sto", "va", "qui", "der", "pa", "nel", "tor", "ish", "ba", "fen",
    "gro", "sal", "mon", "ter", "vi", "lu", "cor", "dan", "pe", "ri", "zen", "hol", "wa", "ex",
    "tra", "bo",
];

/// A small deterministic generator, so every run writes the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Text whose content words follow Zipf's law over a vocabulary of 5,000 words.
struct Text {
    vocabulary: Vec<String>,
}

impl Text {
    fn new(rng: &mut Rng) -> Self {
        let vocabulary = (0..5_000)
            .map(|_| {
                let n = 2 + (rng.next() % 3) as usize;
                (0..n)
                    .map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize])
                    .collect()
            })
            .collect();
        Text { vocabulary }
    }

    /// A content word: rank r with probability about 1/r.
    fn content_word(&self, rng: &mut Rng) -> &str {
        let rank = (self.vocabulary.len() as f64).powf(rng.unit()) as usize;
        &self.vocabulary[rank.saturating_sub(1).min(self.vocabulary.len() - 1)]
    }

    fn sentence(&self, rng: &mut Rng, words: usize) -> String {
        let s: Vec<&str> = (0..words)
            .map(|_| {
                if rng.next().is_multiple_of(2) {
                    COMMON[(rng.next() % COMMON.len() as u64) as usize]
                } else {
                    self.content_word(rng)
                }
            })
            .collect();
        s.join(" ") + "."
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(what: &str, measured_ms: f64, target_ms: f64) {
    let verdict = if measured_ms < target_ms {
        "ok"
    } else {
        "ABOVE TARGET"
    };
    println!(
        "| {what} | {measured_ms:.2} ms | < {target_ms} ms | {:.1}x | {verdict} |",
        target_ms / measured_ms.max(1e-9)
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("hearth-bench-store-{}", std::process::id()))
        });
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bench.db");
    // HEARTH_BENCH_REUSE=1 with a DIR keeps the filled database between runs (for tuning).
    let keep = std::env::var_os("HEARTH_BENCH_REUSE").is_some();
    let reuse = keep && path.exists();
    if !reuse {
        let _ = std::fs::remove_file(&path);
    }
    let store = Store::open(&path).await?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let text = Text::new(&mut rng);

    let started = Instant::now();
    for c in 0..if reuse { 0 } else { 1_000 } {
        let chat = store
            .create_chat(&format!("Chat {c}: {}", text.sentence(&mut rng, 4)), None)
            .await?;
        let mut parent = None;
        for i in 0..100 {
            let role = if i % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            let words = if role == Role::User { 12 } else { 60 };
            let m = store
                .add_message(
                    chat.id,
                    parent,
                    NewMessage::complete(role, text.sentence(&mut rng, words)),
                )
                .await?;
            parent = Some(m.id);
        }
    }
    let fill = started.elapsed();
    eprintln!(
        "filled in {:.1} s; writing a 10,000-message chat ...",
        fill.as_secs_f64()
    );

    let long = match store
        .list_chats(true)
        .await?
        .into_iter()
        .find(|c| reuse && c.title == "A very long conversation")
    {
        Some(chat) => chat,
        None => store.create_chat("A very long conversation", None).await?,
    };
    let mut parent = None;
    for i in 0..if reuse { 0 } else { 10_000 } {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        let m = store
            .add_message(
                long.id,
                parent,
                NewMessage::complete(role, text.sentence(&mut rng, 30)),
            )
            .await?;
        parent = Some(m.id);
    }

    eprintln!("searching ...");
    // What people search for: a distinctive word or two, often half-typed.
    let mut searches = Vec::new();
    let mut by_kind: [Vec<Duration>; 3] = Default::default();
    for i in 0..300 {
        let word = |rng: &mut Rng| {
            text.vocabulary[(rng.next() % text.vocabulary.len() as u64) as usize].clone()
        };
        let query = match i % 3 {
            0 => word(&mut rng),
            1 => format!("{} {}", word(&mut rng), word(&mut rng)),
            _ => word(&mut rng).chars().take(4).collect(),
        };
        let t = Instant::now();
        let hits = store.search(&query, 20).await?;
        searches.push(t.elapsed());
        by_kind[i % 3].push(t.elapsed());
        std::hint::black_box(hits);
    }
    // And the worst case: a word in nearly every message.
    let mut common = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(store.search("the", 20).await?);
        common.push(t.elapsed());
    }
    common.sort();
    searches.sort();
    for (kind, times) in ["one word", "two words", "a 4-letter prefix"]
        .iter()
        .zip(by_kind.iter_mut())
    {
        times.sort();
        eprintln!(
            "  search, {kind}: p50 {:.2} ms, p95 {:.2} ms",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.95))
        );
    }

    eprintln!("opening the long chat ...");
    let mut opens = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let chat = store.chat(long.id).await?;
        let branch = store.branch(chat.id).await?;
        opens.push(t.elapsed());
        assert_eq!(branch.len(), 10_000);
    }
    opens.sort();

    // The same chat after one regenerated reply: now it must be walked through parent links.
    let leaf = store
        .branch(long.id)
        .await?
        .last()
        .map(|m| (m.id, m.parent_id));
    if let Some((_, parent)) = leaf {
        store
            .add_message(
                long.id,
                parent,
                NewMessage::complete(Role::Assistant, "Another version."),
            )
            .await?;
    }
    let mut walked = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let branch = store.branch(long.id).await?;
        walked.push(t.elapsed());
        assert_eq!(branch.len(), 10_000);
    }
    walked.sort();

    eprintln!("appending ...");
    let target_chat = store.create_chat("appends", None).await?;
    let mut appends = Vec::new();
    let mut parent = None;
    for i in 0..1_000 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        let text = text.sentence(&mut rng, 40);
        let t = Instant::now();
        let m = store
            .add_message(target_chat.id, parent, NewMessage::complete(role, text))
            .await?;
        appends.push(t.elapsed());
        parent = Some(m.id);
    }
    appends.sort();

    store.close().await;
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();

    println!(
        "filled 100,000 messages in 1,000 chats in {:.1} s\n",
        fill.as_secs_f64()
    );
    println!("| measure | measured | target | margin | |");
    println!("| --- | ---: | ---: | ---: | --- |");
    line("FTS search p50", ms(percentile(&searches, 0.5)), 5.0);
    line("FTS search p95", ms(percentile(&searches, 0.95)), 5.0);
    line(
        "open a 10,000-message chat, one line of messages (median)",
        ms(percentile(&opens, 0.5)),
        30.0,
    );
    line(
        "open it after one regenerated reply (a tree)",
        ms(percentile(&walked, 0.5)),
        30.0,
    );
    line("append a message p95", ms(percentile(&appends, 0.95)), 2.0);
    println!(
        "\nsearching for \"the\" (in nearly every message; no target): median {:.1} ms",
        ms(percentile(&common, 0.5))
    );
    println!(
        "\ndatabase size: {:.1} MiB for 111,000 messages",
        size as f64 / (1024.0 * 1024.0)
    );
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
