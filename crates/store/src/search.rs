//! Full-text search over chat titles and message text. Whatever a person types becomes a
//! well-formed FTS5 query: each word is quoted (so `-`, `*`, `NEAR`, quotes and parentheses are
//! text, not syntax) and the last word matches as a prefix, for search-as-you-type.

use serde::{Deserialize, Serialize};

use crate::{Id, Store, StoreError};

const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';

/// A piece of a snippet: matched words are `highlight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SnippetPart {
    /// The text (plain, never markup).
    pub text: String,
    /// Whether it matched the query.
    pub highlight: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SearchHit {
    /// The chat.
    pub chat_id: Id,
    /// Its title.
    pub chat_title: String,
    /// The message that matched; `None` when the title did.
    pub message_id: Option<Id>,
    /// The matching passage, with matches marked.
    pub snippet: Vec<SnippetPart>,
}

impl Store {
    /// Chats whose title or messages match `query`, best first: title matches, then messages
    /// by relevance among the 2,000 newest that match. An empty query finds nothing.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let marks = (MARK_START.to_string(), MARK_END.to_string());
        // The full-text match runs first, in a materialised CTE: joined any other way, SQLite
        // may walk chats or messages and re-run the match for every row.
        let titles: Vec<(Id, String, String)> = sqlx::query_as(
            "WITH hits AS MATERIALIZED (SELECT rowid, bm25(chats_fts) AS rank, highlight(chats_fts, 0, ?, ?) AS marked \
             FROM chats_fts WHERE chats_fts MATCH ? ORDER BY rank LIMIT ?) \
             SELECT c.id, c.title, hits.marked FROM hits JOIN chats c ON c.id = hits.rowid \
             WHERE c.archived = 0 ORDER BY hits.rank",
        )
        .bind(&marks.0)
        .bind(&marks.1)
        .bind(&fts)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        // Ranking reads every match, and a common word matches most messages: rank only the
        // 500 newest matches (FTS5 walks rowids newest first and stops there) and keep the best.
        // Snippets are cut here from the few winning texts: FTS5's snippet() would re-run the
        // query once per row, seeking through the whole doclist each time.
        let messages: Vec<(Id, String, Id, String)> = sqlx::query_as(
            "WITH recent AS MATERIALIZED (SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT 500), \
             hits AS MATERIALIZED (SELECT rowid, rank FROM recent ORDER BY rank LIMIT ?2) \
             SELECT m.chat_id, c.title, m.id, m.content FROM hits JOIN messages m ON m.id = hits.rowid \
             JOIN chats c ON c.id = m.chat_id WHERE c.archived = 0 ORDER BY hits.rank",
        )
        .bind(&fts)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let terms = query_words(query);
        let hits = titles
            .into_iter()
            .map(|(chat_id, chat_title, marked)| SearchHit {
                chat_id,
                chat_title,
                message_id: None,
                snippet: split_marks(&marked),
            })
            .chain(
                messages
                    .into_iter()
                    .map(|(chat_id, chat_title, id, content)| SearchHit {
                        chat_id,
                        chat_title,
                        message_id: Some(id),
                        snippet: snippet(&content, &terms),
                    }),
            )
            .take(limit as usize)
            .collect();
        Ok(hits)
    }
}

/// The words of what a person typed, as the tokenizer sees them (at most 32).
fn words(input: &str) -> Vec<&str> {
    input
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(32)
        .collect()
}

/// The query's words folded for matching in [`snippet`].
fn query_words(input: &str) -> Vec<String> {
    words(input).into_iter().map(fold).collect()
}

/// Lower case without diacritics, as the `unicode61 remove_diacritics 2` tokenizer compares.
fn fold(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// About sixteen words of `text` around its first match, matches highlighted. A word matches
/// when it starts with a query word (the last query word is a prefix; the others usually match
/// whole, and a longer word starting with one reads as a match too).
fn snippet(text: &str, terms: &[String]) -> Vec<SnippetPart> {
    const BEFORE: usize = 5;
    const WORDS: usize = 16;
    // Byte ranges of the words.
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric() || c == '_', start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    let matches = |&(s, e): &(usize, usize)| {
        let w = fold(&text[s..e]);
        terms.iter().any(|t| w.starts_with(t.as_str()))
    };
    let first = spans.iter().position(matches).unwrap_or(0);
    let from = first.saturating_sub(BEFORE);
    let to = (from + WORDS).min(spans.len());
    let mut parts = Vec::new();
    if spans.is_empty() {
        return vec![SnippetPart {
            text: text.chars().take(120).collect(),
            highlight: false,
        }];
    }
    let mut cursor = spans[from].0;
    if from > 0 {
        parts.push(SnippetPart {
            text: "…".into(),
            highlight: false,
        });
    }
    for span in &spans[from..to] {
        if span.0 > cursor {
            parts.push(SnippetPart {
                text: text[cursor..span.0].to_owned(),
                highlight: false,
            });
        }
        parts.push(SnippetPart {
            text: text[span.0..span.1].to_owned(),
            highlight: matches(span),
        });
        cursor = span.1;
    }
    if to < spans.len() {
        parts.push(SnippetPart {
            text: "…".into(),
            highlight: false,
        });
    } else if cursor < text.len() {
        parts.push(SnippetPart {
            text: text[cursor..].to_owned(),
            highlight: false,
        });
    }
    // Neighbouring plain pieces read better as one.
    let mut merged: Vec<SnippetPart> = Vec::with_capacity(parts.len());
    for part in parts {
        match merged.last_mut() {
            Some(last) if !last.highlight && !part.highlight => last.text.push_str(&part.text),
            _ => merged.push(part),
        }
    }
    merged
}

/// The FTS5 query for what a person typed, or `None` when it holds no word.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let words = words(input);
    let (last, rest) = words.split_last()?;
    let mut query: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    query.push(format!("\"{last}\"*"));
    Some(query.join(" "))
}

fn split_marks(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for c in marked.chars() {
        if c == MARK_START || c == MARK_END {
            if !current.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut current),
                    highlight,
                });
            }
            highlight = c == MARK_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart {
            text: current,
            highlight,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_becomes_text() {
        assert_eq!(
            fts_query("paris NEAR(rome"),
            Some("\"paris\" \"NEAR\" \"rome\"*".into())
        );
        assert_eq!(
            fts_query("\"unbalanced -minus *star"),
            Some("\"unbalanced\" \"minus\" \"star\"*".into())
        );
        assert_eq!(fts_query("  *** () \" "), None);
        assert_eq!(fts_query("café"), Some("\"café\"*".into()));
    }

    #[test]
    fn snippets_centre_on_the_first_match_and_fold_accents() {
        let text = "one two three four five six seven eight the bakery in Belém sells pastéis de nata every single day of the week, all year long";
        let parts = snippet(text, &query_words("belem"));
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'), "{joined}");
        assert!(parts.iter().any(|p| p.highlight && p.text == "Belém"));
        assert_eq!(parts.iter().filter(|p| p.highlight).count(), 1);
        let whole = snippet("Short one.", &query_words("short"));
        assert_eq!(
            whole[0],
            SnippetPart {
                text: "Short".into(),
                highlight: true
            }
        );
        assert_eq!(whole[1].text, " one.");
    }

    #[test]
    fn marks_split_into_parts() {
        let parts = split_marks("the \u{E000}capital\u{E001} of");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].highlight && parts[1].text == "capital");
        assert!(!parts[0].highlight && !parts[2].highlight);
    }
}
