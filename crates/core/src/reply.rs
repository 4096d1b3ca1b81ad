//! The task that writes one reply: streams tokens into the store (at most every
//! [`WRITE_INTERVAL`], and at the end), tells listeners, and names a new chat after its first
//! reply.

use std::time::{Duration, Instant};

use hearth_engine::{
    ChatMessage, EngineError, FinishReason, Generation, GenerationEvent, Input, Role,
    SamplingParams,
};
use hearth_store::{Id, Message, MessageStats, MessageStatus};
use tokio::sync::oneshot;

use crate::service::{CoreEvent, Hearth, NEW_CHAT_TITLE};
use crate::CoreError;

/// How often a growing reply is written: a crash loses at most this much of one reply.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(250);

/// A reply being written.
pub struct ReplyHandle {
    /// The chat.
    pub chat_id: Id,
    /// The reply's message id (already in the store, status `streaming`).
    pub message_id: Id,
    done: oneshot::Receiver<Result<Message, CoreError>>,
}

impl ReplyHandle {
    /// Waits for the reply to end; returns it as stored.
    pub async fn wait(self) -> Result<Message, CoreError> {
        self.done
            .await
            .unwrap_or_else(|_| Err(CoreError::Invalid("the reply task ended early".into())))
    }
}

pub(crate) fn spawn(
    hearth: Hearth,
    chat_id: Id,
    message_id: Id,
    generation: Generation,
    first_reply: bool,
) -> ReplyHandle {
    if let Ok(mut running) = hearth.inner.running.lock() {
        running.insert(chat_id, generation.id());
    }
    let (tx, done) = oneshot::channel();
    tokio::spawn(async move {
        let result = write_reply(&hearth, chat_id, message_id, generation).await;
        if let Ok(mut running) = hearth.inner.running.lock() {
            running.remove(&chat_id);
        }
        if first_reply {
            if let Ok(message) = &result {
                if message.status == MessageStatus::Complete {
                    name_chat(&hearth, chat_id).await;
                }
            }
        }
        let _ = tx.send(result);
    });
    ReplyHandle {
        chat_id,
        message_id,
        done,
    }
}

async fn write_reply(
    hearth: &Hearth,
    chat_id: Id,
    message_id: Id,
    mut generation: Generation,
) -> Result<Message, CoreError> {
    let store = &hearth.inner.store;
    let mut text = String::new();
    let mut written = Instant::now();
    let (status, stats) = loop {
        match generation.next().await {
            Some(Ok(GenerationEvent::Token(piece))) => {
                text.push_str(&piece);
                hearth.emit(CoreEvent::Token {
                    chat_id,
                    message_id,
                    text: piece,
                });
                if written.elapsed() >= WRITE_INTERVAL {
                    store.update_content(message_id, &text).await?;
                    written = Instant::now();
                }
            }
            Some(Ok(GenerationEvent::Done(done))) => {
                let status = match done.finish {
                    FinishReason::Cancelled => MessageStatus::Interrupted,
                    _ => MessageStatus::Complete,
                };
                let t = done.timings;
                let stats = MessageStats {
                    prompt_tokens: Some(i64::from(t.prompt_tokens)),
                    completion_tokens: Some(i64::from(t.generated_tokens)),
                    prompt_ms: Some(t.prompt_ms),
                    generation_ms: Some(t.generation_ms),
                    error: None,
                };
                break (status, stats);
            }
            Some(Err(e)) => {
                // A dead engine cut the reply short; anything else is a failed reply.
                let status = match e {
                    EngineError::EngineCrashed { .. } => MessageStatus::Interrupted,
                    _ => MessageStatus::Error,
                };
                break (
                    status,
                    MessageStats {
                        error: Some(e.to_string()),
                        ..Default::default()
                    },
                );
            }
            None => break (MessageStatus::Interrupted, MessageStats::default()),
        }
    };
    store
        .finish_message(message_id, &text, status, &stats)
        .await?;
    hearth.emit(CoreEvent::ReplyFinished {
        chat_id,
        message_id,
        status,
    });
    Ok(store.message(message_id).await?)
}

/// Names a chat after its first exchange: asks the model for a few words, and falls back to
/// the start of the question when the model gives nothing usable.
async fn name_chat(hearth: &Hearth, chat_id: Id) {
    let store = &hearth.inner.store;
    let Ok(branch) = store.branch(chat_id).await else {
        return;
    };
    let Some(question) = branch.iter().find(|m| m.role == hearth_store::Role::User) else {
        return;
    };
    let asked = format!(
        "Write a title of at most six words for a conversation that begins with this message. Reply with the title only.\n\nMessage: {}",
        question.content.chars().take(500).collect::<String>()
    );
    let params = SamplingParams {
        max_tokens: 16,
        stop: vec!["\n".into()],
        ..SamplingParams::greedy()
    };
    let input = Input::Chat {
        messages: vec![ChatMessage::new(Role::User, asked)],
    };
    let from_model = match hearth.inner.engine.generate(input, params).await {
        Ok(generation) => generation.text().await.ok().map(|(t, _)| clean_title(&t)),
        Err(_) => None,
    };
    let title = from_model
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback_title(&question.content));
    // Only if nobody renamed it meanwhile.
    if store
        .chat(chat_id)
        .await
        .is_ok_and(|c| c.title == NEW_CHAT_TITLE)
        && store.rename_chat(chat_id, &title).await.is_ok()
    {
        hearth.emit(CoreEvent::ChatChanged { chat_id });
    }
}

fn clean_title(raw: &str) -> String {
    let t = raw.trim().trim_start_matches("Title:").trim();
    let t = t
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '*' || c == '#' || c.is_whitespace());
    let t = t.trim_end_matches('.');
    t.chars().take(60).collect()
}

/// The first six words of the question.
pub(crate) fn fallback_title(question: &str) -> String {
    let words: Vec<&str> = question.split_whitespace().take(6).collect();
    let title = words.join(" ");
    if title.is_empty() {
        NEW_CHAT_TITLE.to_owned()
    } else {
        title.chars().take(60).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned_and_bounded() {
        assert_eq!(
            clean_title("  \"Capital of France.\" "),
            "Capital of France"
        );
        assert_eq!(clean_title("Title: **Paris Trip**"), "Paris Trip");
        assert_eq!(clean_title(&"x".repeat(100)).len(), 60);
        assert_eq!(
            fallback_title("What is the capital of France, my friend?"),
            "What is the capital of France,"
        );
        assert_eq!(fallback_title("   "), NEW_CHAT_TITLE);
    }
}
