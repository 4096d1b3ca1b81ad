//! The task that writes one reply: loads the model, streams tokens into the store (at most
//! every [`WRITE_INTERVAL`], and at the end), tells listeners, and names a new chat after its
//! first reply.
//!
//! Whatever happens — finished, stopped, a model that will not load, an engine that dies — the
//! reply row ends in a final status and exactly one [`CoreEvent::ReplyFinished`] is sent.

use std::time::{Duration, Instant};

use hearth_engine::{
    ChatMessage, EngineError, FinishReason, Generation, GenerationEvent, Input, Role,
    SamplingParams,
};
use hearth_store::{Id, Message, MessageStats, MessageStatus};
use tokio::sync::{oneshot, watch};

use crate::retrieval::{self, RetrievalSettings};
use crate::service::{conversation, CoreEvent, Hearth, RunningReply, NEW_CHAT_TITLE};
use crate::{ChatModel, CoreError, ErrorReport, NoticeAbout};

/// How often a growing reply is written: a crash loses at most this much of one reply.
pub const WRITE_INTERVAL: Duration = Duration::from_millis(250);

/// A reply being written.
#[derive(Debug)]
pub struct ReplyHandle {
    /// The chat.
    pub chat_id: Id,
    /// The reply's message id (already in the store, status `streaming`).
    pub message_id: Id,
    done: oneshot::Receiver<Result<Message, CoreError>>,
}

impl ReplyHandle {
    /// Waits for the reply to end; returns it as stored, or why it failed (the failure is
    /// recorded on the reply too).
    pub async fn wait(self) -> Result<Message, CoreError> {
        self.done
            .await
            .unwrap_or_else(|e| Err(CoreError::stopped("the reply task", e)))
    }
}

/// What one reply task answers.
pub(crate) struct Job {
    pub(crate) chat_id: Id,
    /// The question it answers (the end of the branch sent to the model).
    pub(crate) question: Id,
    pub(crate) message_id: Id,
    pub(crate) model: ChatModel,
    pub(crate) system_prompt: Option<String>,
    /// The chat still waits for its first title.
    pub(crate) name_chat: bool,
    /// The LocalDocs collections the reply answers from.
    pub(crate) collections: Vec<String>,
}

/// How a reply ended, before it is written.
pub(crate) struct Ending {
    pub(crate) text: String,
    pub(crate) status: MessageStatus,
    pub(crate) stats: MessageStats,
    error: Option<CoreError>,
}

impl Ending {
    pub(crate) fn failed(text: String, error: CoreError) -> Ending {
        // A dead engine or a broken connection cut the reply short; anything else is a failed
        // reply.
        let status = match &error {
            CoreError::Engine(EngineError::EngineCrashed { .. })
            | CoreError::Provider(hearth_providers::ProviderError::Cut { .. }) => {
                MessageStatus::Interrupted
            }
            _ => MessageStatus::Error,
        };
        Ending {
            text,
            status,
            stats: MessageStats {
                error: Some(error.to_string()),
                error_kind: Some(error.kind().as_str().to_owned()),
                ..Default::default()
            },
            error: Some(error),
        }
    }

    pub(crate) fn finished(text: String, status: MessageStatus, stats: MessageStats) -> Ending {
        Ending {
            text,
            status,
            stats,
            error: None,
        }
    }

    pub(crate) fn stopped(text: String) -> Ending {
        Ending {
            text,
            status: MessageStatus::Interrupted,
            stats: MessageStats::default(),
            error: None,
        }
    }
}

pub(crate) fn spawn(hearth: Hearth, job: Job) -> ReplyHandle {
    let (stop, stopped) = watch::channel(false);
    if let Ok(mut running) = hearth.inner.running.lock() {
        running.insert(
            job.message_id,
            RunningReply {
                chat_id: job.chat_id,
                stop,
            },
        );
    }
    let (tx, done) = oneshot::channel();
    let (chat_id, message_id) = (job.chat_id, job.message_id);
    tokio::spawn(async move {
        let ending = answer(&hearth, &job, stopped).await;
        let result = record(&hearth, &job, ending).await;
        if let Ok(mut running) = hearth.inner.running.lock() {
            running.remove(&job.message_id);
        }
        if job.name_chat
            && result
                .as_ref()
                .is_ok_and(|m| m.status == MessageStatus::Complete)
        {
            name_chat(&hearth, job.chat_id).await;
        }
        let _ = tx.send(result);
    });
    ReplyHandle {
        chat_id,
        message_id,
        done,
    }
}

/// Loads the model, reads the branch, generates; never returns without an ending.
async fn answer(hearth: &Hearth, job: &Job, mut stopped: watch::Receiver<bool>) -> Ending {
    if let Some(target) = &job.model.remote {
        return crate::remote::answer(hearth, job, target, stopped).await;
    }
    if !hearth.is_loaded(&job.model).await {
        hearth.emit(CoreEvent::ModelLoading {
            chat_id: job.chat_id,
            message_id: job.message_id,
            model: file_name(&job.model),
        });
    }
    let loading = tokio::select! {
        loaded = hearth.prepare(&job.model) => loaded,
        _ = stopped.wait_for(|stop| *stop) => return Ending::stopped(String::new()),
    };
    let info = match loading {
        Ok(info) => info,
        Err(e) => return Ending::failed(String::new(), e),
    };
    let history = match hearth.inner.store.path_to(job.question).await {
        Ok(history) => history,
        Err(e) => return Ending::failed(String::new(), e.into()),
    };
    let mut messages = conversation(job.system_prompt.as_deref(), &history);
    if !job.collections.is_empty() {
        tokio::select! {
            () = give_sources(hearth, job, info.n_ctx, &mut messages) => {}
            _ = stopped.wait_for(|stop| *stop) => return Ending::stopped(String::new()),
        }
    }
    let engine = &hearth.inner.engine;
    let input = Input::Chat { messages };
    let sampling = job.model.sampling.clone();
    let generation = match snapshot_files(hearth, job, &history).await {
        Some(files) => engine.generate_with_snapshot(input, sampling, files).await,
        None => engine.generate(input, sampling).await,
    };
    match generation {
        Ok(generation) => stream(hearth, job, generation, stopped).await,
        Err(e) => Ending::failed(String::new(), e.into()),
    }
}

/// The chat's saved conversation cache to continue from, and where to save this reply's.
async fn snapshot_files(
    hearth: &Hearth,
    job: &Job,
    history: &[Message],
) -> Option<hearth_engine::SnapshotFiles> {
    let store = &hearth.inner.store;
    let limit = crate::snapshots::limit(store).await;
    let (model, also) = crate::model_hash::identities(store, &job.model.path).await;
    let mut files =
        hearth
            .inner
            .snapshots
            .plan(job.chat_id, job.message_id, history, model, limit)?;
    files.also = also;
    Some(files)
}

/// The longest a reply waits for a long attached file to be indexed.
const ATTACHMENTS_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Puts the best passages of the chat's collections before its newest question and records
/// them on the reply. When the documents cannot be searched (a collection removed, its
/// embedding model deleted) the reply is written without them and a notice says why.
pub(crate) async fn give_sources(
    hearth: &Hearth,
    job: &Job,
    n_ctx: u32,
    messages: &mut [ChatMessage],
) {
    let Some(docs) = hearth.inner.docs.get() else {
        return;
    };
    let store = &hearth.inner.store;
    // A long file attached to this question is being indexed: its passages are the point.
    let attached = crate::app::attachment_collection(job.chat_id);
    if job.collections.contains(&attached) {
        let read = tokio::time::timeout(ATTACHMENTS_WAIT, docs.until_read(&attached)).await;
        if read.is_err() {
            hearth.emit(CoreEvent::notice(NoticeAbout::AttachmentStillReading));
        }
    }
    let given = async {
        let settings = RetrievalSettings::read(store).await?;
        // A remote model's tokens are estimated: its tokenizer is not here.
        let engine = job.model.remote.is_none().then_some(&hearth.inner.engine);
        retrieval::give(
            docs,
            engine,
            &job.collections,
            messages,
            n_ctx,
            job.model.sampling.max_tokens,
            &settings,
        )
        .await
    };
    match given.await {
        Ok(sources) if sources.is_empty() => {}
        Ok(sources) => {
            if let Err(e) = store.set_sources(job.message_id, &sources).await {
                tracing::warn!("the reply's sources could not be saved: {e}");
            }
            hearth.emit(CoreEvent::SourcesFound {
                chat_id: job.chat_id,
                message_id: job.message_id,
                sources,
            });
        }
        Err(e) => hearth.emit(CoreEvent::notice(NoticeAbout::DocumentsUnavailable {
            detail: e.to_string(),
        })),
    }
}

/// Streams the generation into the store and to listeners until it ends or is stopped.
async fn stream(
    hearth: &Hearth,
    job: &Job,
    mut generation: Generation,
    mut stopped: watch::Receiver<bool>,
) -> Ending {
    let mut growing = Growing::new();
    let mut stop_asked = false;
    loop {
        let step = tokio::select! {
            step = generation.next() => step,
            _ = stopped.wait_for(|stop| *stop), if !stop_asked => {
                // The worker ends the generation with `cancelled`; keep reading until it does.
                stop_asked = true;
                hearth.inner.engine.cancel(generation.id());
                continue;
            }
        };
        match step {
            Some(Ok(GenerationEvent::Token(piece))) => {
                if let Err(e) = growing.push(hearth, job, piece).await {
                    return Ending::failed(growing.text, e);
                }
            }
            Some(Ok(GenerationEvent::Done(done))) => {
                let status = match done.finish {
                    FinishReason::Cancelled => MessageStatus::Interrupted,
                    _ => MessageStatus::Complete,
                };
                let t = done.timings;
                return Ending {
                    text: growing.text,
                    status,
                    stats: MessageStats {
                        prompt_tokens: Some(i64::from(t.prompt_tokens)),
                        completion_tokens: Some(i64::from(t.generated_tokens)),
                        prompt_ms: Some(t.prompt_ms),
                        generation_ms: Some(t.generation_ms),
                        cached_tokens: Some(i64::from(t.cached_tokens)),
                        drafted_tokens: Some(i64::from(t.drafted_tokens)),
                        accepted_tokens: Some(i64::from(t.accepted_tokens)),
                        ..Default::default()
                    },
                    error: None,
                };
            }
            Some(Err(e)) => return Ending::failed(growing.text, e.into()),
            None => return Ending::stopped(growing.text),
        }
    }
}

/// A reply's text as it grows: each piece goes to listeners at once and to the store at most
/// every [`WRITE_INTERVAL`].
pub(crate) struct Growing {
    pub(crate) text: String,
    written: Instant,
}

impl Growing {
    pub(crate) fn new() -> Growing {
        Growing {
            text: String::new(),
            written: Instant::now(),
        }
    }

    pub(crate) async fn push(
        &mut self,
        hearth: &Hearth,
        job: &Job,
        piece: String,
    ) -> Result<(), CoreError> {
        self.text.push_str(&piece);
        hearth.emit(CoreEvent::Token {
            chat_id: job.chat_id,
            message_id: job.message_id,
            text: piece,
        });
        if self.written.elapsed() >= WRITE_INTERVAL {
            hearth
                .inner
                .store
                .update_content(job.message_id, &self.text)
                .await?;
            self.written = Instant::now();
        }
        Ok(())
    }
}

/// Writes the ending and sends the one `reply_finished`, even when the write fails.
async fn record(hearth: &Hearth, job: &Job, ending: Ending) -> Result<Message, CoreError> {
    let store = &hearth.inner.store;
    let written = store
        .finish_message(job.message_id, &ending.text, ending.status, &ending.stats)
        .await;
    let (status, error) = match (&written, &ending.error) {
        (Err(e), _) => {
            let e = CoreError::Store(hearth_store::StoreError::Unreadable(e.to_string()));
            (MessageStatus::Error, Some(ErrorReport::from(&e)))
        }
        (Ok(()), error) => (ending.status, error.as_ref().map(ErrorReport::from)),
    };
    if matches!(
        ending.error,
        Some(CoreError::Engine(EngineError::EngineCrashed { .. }))
    ) {
        // The model died with its worker: the next reply loads it again, and the picker,
        // which reads the list again on `reply_finished`, no longer says it is loaded.
        hearth.forget_loaded().await;
    }
    hearth.emit(CoreEvent::ReplyFinished {
        chat_id: job.chat_id,
        message_id: job.message_id,
        status,
        error,
    });
    written?;
    match ending.error {
        Some(e) if ending.status == MessageStatus::Error => Err(e),
        _ => Ok(store.message(job.message_id).await?),
    }
}

/// The model file's name, as events and the picker show it.
pub(crate) fn file_name(model: &ChatModel) -> String {
    model.path.file_name().map_or_else(
        || model.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Names a chat after its first exchange: asks the model for a few words, and falls back to
/// the start of the question when the model gives nothing usable. A name a person gave the
/// chat meanwhile is kept.
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
    // Beside the conversation: the chat's next turn finds its cache still there.
    let from_model = match hearth.inner.engine.generate_aside(input, params).await {
        Ok(generation) => generation.text().await.ok().map(|(t, _)| clean_title(&t)),
        Err(_) => None,
    };
    let title = from_model
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback_title(&question.content));
    if store.set_auto_title(chat_id, &title).await.unwrap_or(false) {
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
