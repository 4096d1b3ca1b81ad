//! What is sent to a provider and what comes back, in Hearth's terms; the JSON of OpenAI's
//! protocol is built and read here and nowhere else.

use serde_json::{json, Map, Value};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of the conversation sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message.
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
        }
    }
}

/// The chat's generation settings, as far as a remote server takes them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    /// Randomness; 0 is greedy.
    pub temperature: Option<f32>,
    /// Nucleus sampling.
    pub top_p: Option<f32>,
    /// Most tokens in the reply.
    pub max_tokens: Option<u32>,
    /// Seed, where the server supports it.
    pub seed: Option<u32>,
    /// Texts that end the reply (OpenAI takes at most 4).
    pub stop: Vec<String>,
    /// llama.cpp's top-k (sent only to servers that take extensions).
    pub top_k: Option<u32>,
    /// llama.cpp's min-p (extensions only).
    pub min_p: Option<f32>,
    /// llama.cpp's repeat penalty (extensions only).
    pub repeat_penalty: Option<f32>,
}

/// One chat completion request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The provider's model id.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Generation settings.
    pub settings: Settings,
}

impl Request {
    /// A request with the server's default settings.
    pub fn new(model: &str, messages: Vec<Message>) -> Request {
        Request {
            model: model.to_owned(),
            messages,
            settings: Settings::default(),
        }
    }

    /// The JSON body; `extensions` adds llama.cpp's sampling fields.
    pub(crate) fn body(&self, stream: bool, extensions: bool) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        body.insert("messages".into(), Value::Array(messages));
        body.insert("stream".into(), json!(stream));
        if stream {
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        let s = &self.settings;
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                body.insert(key.into(), value);
            }
        };
        put("temperature", s.temperature.map(|v| json!(v)));
        put("top_p", s.top_p.map(|v| json!(v)));
        put("max_tokens", s.max_tokens.map(|v| json!(v)));
        put("seed", s.seed.map(|v| json!(v)));
        if !s.stop.is_empty() {
            put(
                "stop",
                Some(json!(s.stop.iter().take(4).collect::<Vec<_>>())),
            );
        }
        if extensions {
            put("top_k", s.top_k.map(|v| json!(v)));
            put("min_p", s.min_p.map(|v| json!(v)));
            put("repeat_penalty", s.repeat_penalty.map(|v| json!(v)));
        }
        Value::Object(body)
    }
}

/// Tokens the server counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// The prompt's tokens.
    pub prompt_tokens: u64,
    /// The reply's tokens.
    pub completion_tokens: u64,
}

impl Usage {
    pub(crate) fn read(value: &Value) -> Option<Usage> {
        let usage = value.get("usage")?;
        Some(Usage {
            prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
            completion_tokens: usage.get("completion_tokens")?.as_u64()?,
        })
    }
}

/// How a reply ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Finished {
    /// `stop`, `length`, … as the server said.
    pub finish_reason: Option<String>,
    /// Token counts, when the server sent them.
    pub usage: Option<Usage>,
    /// From sending the request to the first text, in ms.
    pub first_text_ms: Option<f64>,
    /// From sending the request to the end, in ms.
    pub total_ms: f64,
}

/// One step of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More text.
    Text(String),
    /// The end; nothing follows.
    Finished(Finished),
}

/// A whole reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The text.
    pub text: String,
    /// How it ended.
    pub finished: Finished,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosted_apis_get_only_openai_fields() {
        let mut request = Request::new("m", vec![Message::new(Role::User, "hi")]);
        request.settings = Settings {
            temperature: Some(0.0),
            top_k: Some(40),
            stop: (0..6).map(|i| i.to_string()).collect(),
            ..Settings::default()
        };
        let hosted = request.body(true, false);
        assert!(hosted.get("top_k").is_none());
        assert_eq!(hosted["stop"].as_array().map(Vec::len), Some(4));
        assert_eq!(hosted["stream_options"]["include_usage"], json!(true));
        let own = request.body(false, true);
        assert_eq!(own["top_k"], json!(40));
        assert!(own.get("stream_options").is_none());
        assert_eq!(own["messages"][0]["role"], json!("user"));
    }
}
