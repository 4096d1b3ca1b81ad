//! The OpenAI wire format: requests, responses, stream chunks and errors, as the `openai`
//! client libraries expect them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearth_engine::{FinishReason, SamplingParams, Timings};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{CoreError, ErrorKind};

/// `stop`: one string or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One string.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// The sampling fields shared by both completion endpoints.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Sampling {
    /// Most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Newer name for `max_tokens`.
    pub max_completion_tokens: Option<u32>,
    /// Randomness, 0–2.
    pub temperature: Option<f32>,
    /// Nucleus sampling, 0–1.
    pub top_p: Option<f32>,
    /// Strings that end the reply.
    pub stop: Option<Stop>,
    /// Seed for reproducible sampling.
    pub seed: Option<i64>,
    /// −2 to 2.
    pub presence_penalty: Option<f32>,
    /// −2 to 2.
    pub frequency_penalty: Option<f32>,
    /// Number of choices; only 1.
    pub n: Option<u32>,
    /// Stream as server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// Extension (as llama.cpp's server): keep only the k most likely tokens.
    pub top_k: Option<u32>,
    /// Extension: drop tokens less likely than min_p × the most likely.
    pub min_p: Option<f32>,
    /// Extension: llama.cpp's repeat penalty (1 = none).
    pub repeat_penalty: Option<f32>,
    /// Extension: generate `max_tokens` whatever the model wants (benchmarks).
    #[serde(default)]
    pub ignore_eos: bool,
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
    /// Model id from `/v1/models`.
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatRequestMessage>,
    /// Extension: LocalDocs collections the newest question is answered from; the reply
    /// carries the passages used as `references`.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Sampling.
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// One message of a chat request.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequestMessage {
    /// `system`, `developer`, `user` or `assistant`.
    pub role: String,
    /// Text, or a list of content parts of which the text ones are used.
    pub content: Value,
}

/// `POST /v1/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
    /// Model id.
    pub model: String,
    /// The text to continue.
    pub prompt: Value,
    /// Sampling.
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code", "kind"}}`, where
/// `kind` is Hearth's [`ErrorKind`] (the web UI translates by it).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status, from the kind (see [`status_for`]) unless a route knows better.
    pub status: StatusCode,
    /// What went wrong, for the developer reading it.
    pub message: String,
    /// Hearth's kind of failure.
    pub kind: ErrorKind,
    /// The request field at fault.
    pub param: Option<&'static str>,
    /// A machine-readable code (`model_not_found`, `invalid_api_key`).
    pub code: Option<&'static str>,
}

/// The one mapping from an error kind to an HTTP status, for every route.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid | ErrorKind::ContextFull | ErrorKind::Template => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::NotFound | ErrorKind::ModelNotInstalled | ErrorKind::UnknownModel => {
            StatusCode::NOT_FOUND
        }
        ErrorKind::BadModelFile => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Busy => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        ErrorKind::Download | ErrorKind::Update | ErrorKind::Remote => StatusCode::BAD_GATEWAY,
        ErrorKind::EngineStopped
        | ErrorKind::EngineMissing
        | ErrorKind::ModelLoadFailed
        | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Storage | ErrorKind::File | ErrorKind::Internal => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// OpenAI's error `type` for a status.
fn openai_type(status: StatusCode) -> &'static str {
    match status {
        StatusCode::FORBIDDEN => "permission_error",
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
        StatusCode::GATEWAY_TIMEOUT => "timeout",
        s if s.is_server_error() => "server_error",
        _ => "invalid_request_error",
    }
}

impl ApiError {
    /// An error of `kind`, with the status the kind maps to.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status_for(kind),
            message: message.into(),
            kind,
            param: None,
            code: None,
        }
    }

    /// 400: the request is malformed or asks for something unsupported.
    pub fn invalid(message: impl Into<String>, param: Option<&'static str>) -> ApiError {
        ApiError {
            param,
            ..ApiError::new(ErrorKind::Invalid, message)
        }
    }

    /// 404 for an unknown model.
    pub fn model_not_found(model: &str) -> ApiError {
        ApiError {
            param: Some("model"),
            code: Some("model_not_found"),
            ..ApiError::new(
                ErrorKind::ModelNotInstalled,
                format!(
                    "The model `{model}` does not exist or is not installed; GET /v1/models lists the installed ones"
                ),
            )
        }
    }

    /// The same error with another status (a route that knows better than the kind).
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": openai_type(self.status),
            "param": self.param,
            "code": self.code,
            "kind": self.kind,
        }})
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::new(e.kind(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            // The queue frees in about a reply's time; a client that honours this retries once.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

impl Sampling {
    /// The engine's settings; out-of-range values are a 400 naming the field.
    pub fn to_params(&self) -> Result<SamplingParams, ApiError> {
        if self.n.is_some_and(|n| n != 1) {
            return Err(ApiError::invalid("only n = 1 is supported", Some("n")));
        }
        let mut params = SamplingParams {
            // The API's defaults are OpenAI's: plain temperature sampling, no penalties.
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            repeat_penalty: 1.0,
            ..SamplingParams::default()
        };
        if let Some(t) = self.temperature {
            check_range(t, 0.0, 2.0, "temperature")?;
            params.temperature = t;
        }
        if let Some(p) = self.top_p {
            check_range(p, 0.0, 1.0, "top_p")?;
            params.top_p = p;
        }
        if let Some(p) = self.presence_penalty {
            check_range(p, -2.0, 2.0, "presence_penalty")?;
            params.presence_penalty = p;
        }
        if let Some(p) = self.frequency_penalty {
            check_range(p, -2.0, 2.0, "frequency_penalty")?;
            params.frequency_penalty = p;
        }
        if let Some(max) = self.max_completion_tokens.or(self.max_tokens) {
            if max == 0 {
                return Err(ApiError::invalid(
                    "max_tokens must be at least 1",
                    Some("max_tokens"),
                ));
            }
            params.max_tokens = max;
        }
        if let Some(k) = self.top_k {
            params.top_k = k;
        }
        if let Some(p) = self.min_p {
            check_range(p, 0.0, 1.0, "min_p")?;
            params.min_p = p;
        }
        if let Some(p) = self.repeat_penalty {
            check_range(p, 0.0, 10.0, "repeat_penalty")?;
            params.repeat_penalty = p;
        }
        params.ignore_eos = self.ignore_eos;
        // Any integer is a valid OpenAI seed; fold it into the engine's 32 bits.
        params.seed = self.seed.map(|s| (s as u64 ^ ((s as u64) >> 32)) as u32);
        params.stop = match &self.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(list)) => list.clone(),
        };
        if params.stop.len() > 4 || params.stop.iter().any(String::is_empty) {
            return Err(ApiError::invalid(
                "stop takes up to 4 non-empty strings",
                Some("stop"),
            ));
        }
        params
            .validate()
            .map_err(|e| ApiError::invalid(e.to_string(), None))?;
        Ok(params)
    }
}

fn check_range(value: f32, low: f32, high: f32, name: &'static str) -> Result<(), ApiError> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            format!("{name} must be between {low} and {high}, not {value}"),
            Some(name),
        ))
    }
}

/// OpenAI's `finish_reason`.
pub fn finish_reason(finish: FinishReason) -> &'static str {
    match finish {
        FinishReason::Length | FinishReason::ContextFull => "length",
        _ => "stop",
    }
}

/// The `usage` object.
pub fn usage(timings: &Timings) -> Value {
    json!({
        "prompt_tokens": timings.prompt_tokens,
        "completion_tokens": timings.generated_tokens,
        "total_tokens": timings.prompt_tokens + timings.generated_tokens,
    })
}

/// The text of a message's `content` (a string, or the text parts of a list).
pub fn content_text(content: &Value) -> Result<String, ApiError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Ok(String::new()),
        Value::Array(parts) => {
            let mut text = String::new();
            for part in parts {
                match (
                    part.get("type").and_then(Value::as_str),
                    part.get("text").and_then(Value::as_str),
                ) {
                    (Some("text"), Some(t)) => text.push_str(t),
                    (Some(other), _) => {
                        return Err(ApiError::invalid(
                            format!("content parts of type {other:?} are not supported; send text"),
                            Some("messages"),
                        ))
                    }
                    _ => {
                        return Err(ApiError::invalid(
                            "a content part has no type",
                            Some("messages"),
                        ))
                    }
                }
            }
            Ok(text)
        }
        _ => Err(ApiError::invalid(
            "message content must be a string or a list of parts",
            Some("messages"),
        )),
    }
}

/// Serialisable model entry for `/v1/models`.
#[derive(Debug, Clone, Serialize)]
pub struct ModelObject {
    /// The id to put in requests.
    pub id: String,
    /// Always `model`.
    pub object: &'static str,
    /// Unix seconds the file was installed.
    pub created: u64,
    /// `hearth` for a model on this computer, else the remote provider's name.
    pub owned_by: String,
}
