//! Full-text search over chat titles and message text. Whatever a person types becomes a
//! well-formed FTS5 query: each word is quoted (so `-`, `*`, `NEAR`, quotes and parentheses are
//! text, not syntax) and the last word matches as a prefix, for search-as-you-type.

use serde::{Deserialize, Serialize};

use crate::{Id, Store, StoreError};

const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';

/// A piece of a snippet: matched words are `highlight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnippetPart {
    /// The text (plain, never markup).
    pub text: String,
    /// Whether it matched the query.
    pub highlight: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        // 2,000 newest matches (FTS5 walks rowids newest first and stops there), keep the best,
        // and make snippets only for those (snippet() re-reads the text).
        let messages: Vec<(Id, String, Id, String)> = sqlx::query_as(
            "WITH recent AS MATERIALIZED (SELECT rowid, rank FROM messages_fts WHERE messages_fts MATCH ?1 \
             ORDER BY rowid DESC LIMIT 2000), \
             hits AS MATERIALIZED (SELECT rowid, rank FROM recent ORDER BY rank LIMIT ?2) \
             SELECT m.chat_id, c.title, m.id, \
             (SELECT snippet(messages_fts, 0, ?3, ?4, '…', 16) FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid = hits.rowid) \
             FROM hits JOIN messages m ON m.id = hits.rowid JOIN chats c ON c.id = m.chat_id \
             WHERE c.archived = 0 ORDER BY hits.rank",
        )
        .bind(&fts)
        .bind(limit)
        .bind(&marks.0)
        .bind(&marks.1)
        .fetch_all(&self.pool)
        .await?;
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
                    .map(|(chat_id, chat_title, id, marked)| SearchHit {
                        chat_id,
                        chat_title,
                        message_id: Some(id),
                        snippet: split_marks(&marked),
                    }),
            )
            .take(limit as usize)
            .collect();
        Ok(hits)
    }
}

/// The FTS5 query for what a person typed, or `None` when it holds no word.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let words: Vec<&str> = input
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(32)
        .collect();
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
    fn marks_split_into_parts() {
        let parts = split_marks("the \u{E000}capital\u{E001} of");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].highlight && parts[1].text == "capital");
        assert!(!parts[0].highlight && !parts[2].highlight);
    }
}
