//! Answers from a person's documents: the newest question is searched in the chat's LocalDocs
//! collections, the best passages that fit the context are put in front of the question (as
//! the user's part of the prompt, with their file names), and the reply records them as its
//! [`Source`]s.
//!
//! Passages are a person's files, so they are untrusted text: they reach the model as message
//! content, which the engine tokenizes as text (a passage cannot forge a turn).

use hearth_docs::{Passage, SearchMode};
use hearth_engine::{ChatMessage, EngineClient, Role};
use hearth_store::{Source, Store};
use serde::{Deserialize, Serialize};

use crate::{CoreError, LocalDocs};

/// Settings key of [`RetrievalSettings`].
pub const RETRIEVAL_SETTING: &str = "localdocs.retrieval";

/// How many passages a reply is given and how relevant they must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RetrievalSettings {
    /// Most passages given to a reply (1–20).
    pub passages: u32,
    /// A passage found by meaning alone whose cosine with the question is below this is left
    /// out (−1 to 1; passages that share words with the question are always kept).
    pub min_similarity: f32,
}

impl Default for RetrievalSettings {
    fn default() -> Self {
        RetrievalSettings {
            passages: 4,
            min_similarity: 0.15,
        }
    }
}

impl RetrievalSettings {
    /// Refuses values outside their ranges, naming the field.
    pub fn validate(&self) -> Result<(), CoreError> {
        if !(1..=20).contains(&self.passages) {
            return Err(CoreError::Invalid(format!(
                "LocalDocs passages must be between 1 and 20, not {}",
                self.passages
            )));
        }
        if !(self.min_similarity.is_finite() && (-1.0..=1.0).contains(&self.min_similarity)) {
            return Err(CoreError::Invalid(format!(
                "the LocalDocs relevance floor must be between -1 and 1, not {}",
                self.min_similarity
            )));
        }
        Ok(())
    }

    /// The saved settings, or the defaults.
    pub async fn read(store: &Store) -> Result<RetrievalSettings, CoreError> {
        Ok(store.setting(RETRIEVAL_SETTING).await?.unwrap_or_default())
    }
}

/// Tokens kept free for the reply, at most: a quarter of the context.
const REPLY_ROOM_SHARE: u32 = 4;
/// Tokens kept free for the template's markers around the turns.
const TEMPLATE_ROOM: usize = 64;
/// The shortest cut passage worth giving (tokens).
const SHORTEST_CUT: usize = 48;

/// Finds the passages of `collections` for `question` that `settings` allow, best first.
async fn find(
    docs: &LocalDocs,
    collections: &[String],
    question: &str,
    settings: &RetrievalSettings,
) -> Result<Vec<Source>, CoreError> {
    let names: Vec<&str> = collections.iter().map(String::as_str).collect();
    let found = docs
        .search(
            &names,
            question,
            settings.passages as usize,
            SearchMode::Hybrid,
        )
        .await?;
    Ok(found
        .into_iter()
        .filter(|p| {
            p.similarity.is_none_or(|s| s >= settings.min_similarity) || has_word(p, question)
        })
        .map(source)
        .collect())
}

/// Whether the passage holds one of the question's words (it was found by its words, not by
/// meaning alone).
fn has_word(passage: &Passage, question: &str) -> bool {
    let text = passage.text.to_lowercase();
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .any(|w| text.contains(&w.to_lowercase()))
}

fn source(p: Passage) -> Source {
    Source {
        collection: p.collection,
        path: p.path,
        page: p.page,
        line_start: p.line_start,
        line_end: p.line_end,
        heading: p.heading,
        excerpt: p.text,
        score: p.score,
        similarity: p.similarity,
    }
}

/// How many tokens a text costs: counted by the loaded chat model, or — for a model on a
/// remote provider, whose tokenizer is not here — estimated on the safe side (three ASCII
/// characters a token; any other character, CJK included, a token each).
async fn tokens(engine: Option<&EngineClient>, text: &str) -> Result<usize, CoreError> {
    match engine {
        Some(engine) => Ok(engine.tokenize(text, false).await?.len()),
        None => {
            let ascii = text.bytes().filter(u8::is_ascii).count();
            let other = text.chars().filter(|c| !c.is_ascii()).count();
            Ok(ascii.div_ceil(3) + other)
        }
    }
}

/// Keeps the sources that fit beside the question in a context of `n_ctx` tokens with room for
/// a reply of `max_tokens`, best first; the first that does not fit whole is cut to the room
/// left. Token counts come from the loaded chat model, or are estimated without one.
async fn fit(
    engine: Option<&EngineClient>,
    sources: Vec<Source>,
    question: &str,
    n_ctx: u32,
    max_tokens: u32,
) -> Result<Vec<Source>, CoreError> {
    let reply_room = max_tokens.min(n_ctx / REPLY_ROOM_SHARE) as usize;
    let question_tokens = tokens(engine, question).await?;
    let room = (n_ctx as usize).saturating_sub(reply_room + question_tokens + TEMPLATE_ROOM);
    // Passages never take more than half the context: the conversation keeps the rest.
    let mut budget = room.min(n_ctx as usize / 2);
    let mut kept = Vec::new();
    for mut source in sources {
        let cost = tokens(engine, &block(0, &source)).await?;
        if cost <= budget {
            budget -= cost;
            kept.push(source);
            continue;
        }
        if budget >= SHORTEST_CUT {
            let share = budget as f64 / cost as f64;
            let keep = (source.excerpt.chars().count() as f64 * share * 0.9) as usize;
            source.excerpt = source.excerpt.chars().take(keep).collect::<String>() + "…";
            kept.push(source);
        }
        break;
    }
    Ok(kept)
}

/// The question with its passages before it, as the model is given it.
pub(crate) fn with_sources(question: &str, sources: &[Source]) -> String {
    if sources.is_empty() {
        return question.to_owned();
    }
    let mut text = String::from(
        "Here are excerpts from my documents. Answer from them when they are relevant, and name the file you used.\n\n",
    );
    for (i, source) in sources.iter().enumerate() {
        text.push_str(&block(i + 1, source));
    }
    text.push_str("Question: ");
    text.push_str(question);
    text
}

/// One passage as the model reads it: `[1] notes.md, lines 3–9 (Travel notes)` and its text.
fn block(n: usize, source: &Source) -> String {
    let name = std::path::Path::new(&source.path)
        .file_name()
        .map_or_else(|| source.path.clone(), |n| n.to_string_lossy().into_owned());
    let place = source.place().map(|p| format!(", {p}")).unwrap_or_default();
    let heading = source
        .heading
        .as_deref()
        .map(|h| format!(" — {h}"))
        .unwrap_or_default();
    format!(
        "[{n}] {name}{place}{heading} ({})\n{}\n\n",
        source.collection,
        source.excerpt.trim()
    )
}

/// Puts `sources` in front of the last question of `messages`.
fn put_before_question(messages: &mut [ChatMessage], sources: &[Source]) {
    if let Some(question) = messages.iter_mut().rev().find(|m| m.role == Role::User) {
        question.content = with_sources(&question.content, sources);
    }
}

/// Gives the newest question of `messages` the passages of `collections` that fit a context of
/// `n_ctx` tokens beside a reply of `max_tokens` (the chat model loaded in `engine` counts the
/// tokens; without one they are estimated); returns them.
pub(crate) async fn give(
    docs: &LocalDocs,
    engine: Option<&EngineClient>,
    collections: &[String],
    messages: &mut [ChatMessage],
    n_ctx: u32,
    max_tokens: u32,
    settings: &RetrievalSettings,
) -> Result<Vec<Source>, CoreError> {
    let Some(question) = messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.clone())
    else {
        return Ok(Vec::new());
    };
    let found = find(docs, collections, &question, settings).await?;
    let sources = fit(engine, found, &question, n_ctx, max_tokens).await?;
    put_before_question(messages, &sources);
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &str, page: Option<u32>, lines: Option<(u32, u32)>) -> Source {
        Source {
            collection: "Notes".into(),
            path: path.into(),
            page,
            line_start: lines.map(|l| l.0),
            line_end: lines.map(|l| l.1),
            heading: None,
            excerpt: "  The quince flowers in April.\n".into(),
            score: 0.03,
            similarity: Some(0.5),
        }
    }

    #[tokio::test]
    async fn estimated_tokens_err_on_the_safe_side() {
        assert_eq!(tokens(None, "abcdef").await.unwrap(), 2);
        assert_eq!(tokens(None, "北京是首都").await.unwrap(), 5);
        assert_eq!(tokens(None, "a北").await.unwrap(), 2);
    }

    #[test]
    fn passages_come_before_the_question_with_their_file_names_and_places() {
        let text = with_sources(
            "When does the quince flower?",
            &[
                source("/home/a/garden.md", None, Some((3, 9))),
                source("/home/a/book.pdf", Some(12), None),
            ],
        );
        assert!(text.contains("[1] garden.md, lines 3–9 (Notes)\nThe quince flowers in April.\n\n[2] book.pdf, page 12 (Notes)"), "{text}");
        assert!(
            text.ends_with("Question: When does the quince flower?"),
            "{text}"
        );
        assert_eq!(with_sources("Hi", &[]), "Hi");
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        assert!(RetrievalSettings::default().validate().is_ok());
        for bad in [
            RetrievalSettings {
                passages: 0,
                ..Default::default()
            },
            RetrievalSettings {
                passages: 21,
                ..Default::default()
            },
            RetrievalSettings {
                min_similarity: f32::NAN,
                ..Default::default()
            },
            RetrievalSettings {
                min_similarity: 1.5,
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
