//! A reply written by a model on a remote provider: the same life as a local reply (streamed
//! into the store, stoppable, kept when cut), with the conversation sent as messages.

use hearth_engine::{ChatMessage, SamplingParams};
use hearth_providers::{Message, Request, Role, Settings, StreamEvent};
use hearth_store::{MessageStats, MessageStatus};
use tokio::sync::watch;

use super::{RemoteTarget, REMOTE_CONTEXT};
use crate::reply::{give_sources, Ending, Growing, Job};
use crate::service::{conversation, CoreEvent, Hearth};
use crate::NoticeAbout;

pub(crate) async fn answer(
    hearth: &Hearth,
    job: &Job,
    target: &RemoteTarget,
    mut stopped: watch::Receiver<bool>,
) -> Ending {
    let provider = match hearth.inner.remote.client(&target.provider).await {
        Ok(provider) => provider,
        Err(e) => return Ending::failed(String::new(), e),
    };
    let history = match hearth.inner.store.path_to(job.question).await {
        Ok(history) => history,
        Err(e) => return Ending::failed(String::new(), e.into()),
    };
    let mut messages = conversation(job.system_prompt.as_deref(), &history);
    if !job.collections.is_empty() {
        tokio::select! {
            () = give_sources(hearth, job, REMOTE_CONTEXT, &mut messages) => {}
            _ = stopped.wait_for(|stop| *stop) => return Ending::stopped(String::new()),
        }
    }
    // The first time a chat goes to this provider, say where it goes.
    let id = target.id();
    let sent_before = history
        .iter()
        .any(|m| m.model_file.as_deref() == Some(id.as_str()));
    if !sent_before {
        hearth.emit(CoreEvent::notice(NoticeAbout::RemoteSend {
            provider: target.provider.clone(),
            host: provider.endpoint().host().to_string(),
            model: target.model.clone(),
            documents: !job.collections.is_empty(),
        }));
    }
    let request = Request {
        model: target.model.clone(),
        messages: messages.iter().map(message).collect(),
        settings: settings(&job.model.sampling),
    };
    let mut reply = tokio::select! {
        reply = provider.stream(&request) => match reply {
            Ok(reply) => reply,
            Err(e) => return Ending::failed(String::new(), e.into()),
        },
        _ = stopped.wait_for(|stop| *stop) => return Ending::stopped(String::new()),
    };
    let mut growing = Growing::new();
    loop {
        let event = tokio::select! {
            event = reply.next() => event,
            // Dropping the stream closes the connection: the server stops generating.
            _ = stopped.wait_for(|stop| *stop) => return Ending::stopped(growing.text),
        };
        match event {
            Some(Ok(StreamEvent::Text(piece))) => {
                if let Err(e) = growing.push(hearth, job, piece).await {
                    return Ending::failed(growing.text, e);
                }
            }
            Some(Ok(StreamEvent::Finished(finished))) => {
                let first = finished.first_text_ms.unwrap_or(finished.total_ms);
                let usage = finished.usage;
                let stats = MessageStats {
                    prompt_tokens: usage.map(|u| saturating(u.prompt_tokens)),
                    completion_tokens: usage.map(|u| saturating(u.completion_tokens)),
                    prompt_ms: Some(first),
                    generation_ms: Some((finished.total_ms - first).max(0.0)),
                    ..MessageStats::default()
                };
                return Ending::finished(growing.text, MessageStatus::Complete, stats);
            }
            Some(Err(e)) => return Ending::failed(growing.text, e.into()),
            None => return Ending::stopped(growing.text),
        }
    }
}

fn saturating(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn message(m: &ChatMessage) -> Message {
    let role = match m.role {
        hearth_engine::Role::System => Role::System,
        hearth_engine::Role::User => Role::User,
        hearth_engine::Role::Assistant => Role::Assistant,
    };
    Message::new(role, m.content.clone())
}

/// The chat's generation settings in the fields a server takes (llama.cpp's own are sent only
/// to self-hosted servers; the provider decides).
pub(crate) fn settings(s: &SamplingParams) -> Settings {
    Settings {
        temperature: Some(s.temperature),
        top_p: Some(s.top_p),
        max_tokens: Some(s.max_tokens),
        seed: s.seed,
        stop: s.stop.clone(),
        top_k: Some(s.top_k),
        min_p: Some(s.min_p),
        repeat_penalty: Some(s.repeat_penalty),
    }
}
