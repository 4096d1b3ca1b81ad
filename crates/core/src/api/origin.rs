//! Where an API reply comes from: the engine here, or a model on a remote provider. Both read
//! as the same steps, so the OpenAI responses and streams are built once.

use hearth_engine::{Generation, GenerationEvent, Timings};
use hearth_providers::{ReplyStream, StreamEvent};
use serde_json::{json, Value};

use super::openai::{self, ApiError};
use crate::CoreError;

/// A reply being generated.
pub(super) enum Origin {
    /// By the engine on this computer.
    Local(Generation),
    /// By a remote provider (the connection closes when this is dropped).
    Remote(Box<ReplyStream>),
}

/// One step of a reply.
pub(super) enum Step {
    /// More text.
    Text(String),
    /// The end.
    Done(Ending),
}

/// How a reply ended, in OpenAI's terms.
pub(super) struct Ending {
    /// `stop` or `length`.
    pub(super) finish: String,
    /// The `usage` object.
    pub(super) usage: Value,
    /// The engine's own times (local replies only).
    pub(super) timings: Option<Timings>,
}

impl Origin {
    /// The next step; `None` after the end (or a stop).
    pub(super) async fn next(&mut self) -> Option<Result<Step, ApiError>> {
        match self {
            Origin::Local(generation) => Some(match generation.next().await? {
                Ok(GenerationEvent::Token(text)) => Ok(Step::Text(text)),
                Ok(GenerationEvent::Done(done)) => Ok(Step::Done(Ending {
                    finish: openai::finish_reason(done.finish).to_owned(),
                    usage: openai::usage(&done.timings),
                    timings: Some(done.timings),
                })),
                Err(e) => Err(ApiError::from(CoreError::Engine(e))),
            }),
            Origin::Remote(stream) => Some(match stream.next().await? {
                Ok(StreamEvent::Text(text)) => Ok(Step::Text(text)),
                Ok(StreamEvent::Finished(finished)) => {
                    let (prompt, completion) = finished
                        .usage
                        .map_or((0, 0), |u| (u.prompt_tokens, u.completion_tokens));
                    Ok(Step::Done(Ending {
                        finish: finished.finish_reason.unwrap_or_else(|| "stop".into()),
                        usage: json!({
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        }),
                        timings: None,
                    }))
                }
                Err(e) => Err(ApiError::from(CoreError::Provider(e))),
            }),
        }
    }

    /// The whole reply and how it ended.
    pub(super) async fn text(mut self) -> Result<(String, Ending), ApiError> {
        let mut text = String::new();
        while let Some(step) = self.next().await {
            match step? {
                Step::Text(piece) => text.push_str(&piece),
                Step::Done(ending) => return Ok((text, ending)),
            }
        }
        Err(ApiError::new(
            crate::ErrorKind::Unavailable,
            "the reply ended without finishing",
        ))
    }
}
