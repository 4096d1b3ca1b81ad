//! The client: a provider's model list and its replies, whole or streamed.

use std::time::{Duration, Instant};

use reqwest::{header, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::sse::EventReader;
use crate::wire::{Finished, Reply, Request, StreamEvent, Usage};
use crate::{ApiKey, Endpoint, ProviderError};

/// The longest wait for a rate limit before the one retry; longer waits are left to the person.
const MOST_RETRY_WAIT: u64 = 30;

/// How long to wait for a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For the connection to open.
    pub connect: Duration,
    /// For the reply's headers (a large model reading a long chat takes a while).
    pub first_byte: Duration,
    /// Between two pieces of a streamed reply, and for a model list.
    pub silence: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(300),
            silence: Duration::from_secs(120),
        }
    }
}

/// One model a provider serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RemoteModel {
    /// The id to ask for.
    pub id: String,
    /// Who the server says owns it, when it says.
    pub owned_by: Option<String>,
}

/// A server that speaks OpenAI's chat completions protocol.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The name the person gave it (shown in messages).
    name: String,
    endpoint: Endpoint,
    key: Option<ApiKey>,
    /// Whether it takes llama.cpp's sampling fields.
    extensions: bool,
    timeouts: Timeouts,
    client: reqwest::Client,
}

impl Provider {
    /// A provider; `extensions` sends llama.cpp's sampling fields (self-hosted servers).
    pub fn new(
        name: &str,
        endpoint: Endpoint,
        key: Option<ApiKey>,
        extensions: bool,
    ) -> Result<Provider, ProviderError> {
        Provider::with_timeouts(name, endpoint, key, extensions, Timeouts::default())
    }

    /// A provider with other timeouts.
    pub fn with_timeouts(
        name: &str,
        endpoint: Endpoint,
        key: Option<ApiKey>,
        extensions: bool,
        timeouts: Timeouts,
    ) -> Result<Provider, ProviderError> {
        // One TLS implementation for the process (ring); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // TLS is always verified; a redirect would carry the key elsewhere, so none is followed.
        let client = reqwest::Client::builder()
            .user_agent(concat!("Hearth/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeouts.connect)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ProviderError::Setup(e.to_string()))?;
        Ok(Provider {
            name: name.to_owned(),
            endpoint,
            key,
            extensions,
            timeouts,
            client,
        })
    }

    /// The name it was given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The models the server lists (`GET /models`), sorted by id.
    pub async fn models(&self) -> Result<Vec<RemoteModel>, ProviderError> {
        let url = self.endpoint.join("models");
        let response = self
            .send(|| self.client.get(url.clone()), self.timeouts.silence, None)
            .await?;
        let body = tokio::time::timeout(self.timeouts.silence, response.bytes())
            .await
            .map_err(|_| self.timeout(self.timeouts.silence))?
            .map_err(|e| self.cut(&e))?;
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| self.bad_reply(format!("the model list is not JSON: {e}")))?;
        let Some(data) = value.get("data").and_then(Value::as_array) else {
            return Err(self.bad_reply("the model list has no `data`".into()));
        };
        let mut models: Vec<RemoteModel> = data
            .iter()
            .filter_map(|m| {
                Some(RemoteModel {
                    id: m.get("id")?.as_str()?.to_owned(),
                    owned_by: m.get("owned_by").and_then(Value::as_str).map(str::to_owned),
                })
            })
            .collect();
        models.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(models)
    }

    /// A reply streamed piece by piece. Dropping the stream closes the connection, which
    /// stops the server generating.
    pub async fn stream(&self, request: &Request) -> Result<ReplyStream, ProviderError> {
        let started = Instant::now();
        let body = request.body(true, self.extensions);
        let response = self
            .send(
                || self.chat_request(&body),
                self.timeouts.first_byte,
                Some(&request.model),
            )
            .await?;
        Ok(ReplyStream {
            provider: self.clone(),
            response,
            reader: EventReader::default(),
            queued: std::collections::VecDeque::new(),
            started,
            first_text: None,
            finish_reason: None,
            usage: None,
            done: false,
        })
    }

    /// A whole reply in one response.
    pub async fn complete(&self, request: &Request) -> Result<Reply, ProviderError> {
        let started = Instant::now();
        let body = request.body(false, self.extensions);
        let response = self
            .send(
                || self.chat_request(&body),
                self.timeouts.first_byte,
                Some(&request.model),
            )
            .await?;
        let bytes = tokio::time::timeout(self.timeouts.first_byte, response.bytes())
            .await
            .map_err(|_| self.timeout(self.timeouts.first_byte))?
            .map_err(|e| self.cut(&e))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.bad_reply(format!("the reply is not JSON: {e}")))?;
        let choice = value
            .get("choices")
            .and_then(|c| c.get(0))
            .ok_or_else(|| self.bad_reply("the reply has no `choices`".into()))?;
        let text = choice
            .pointer("/message/content")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(Reply {
            text,
            finished: Finished {
                finish_reason: choice
                    .get("finish_reason")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                usage: Usage::read(&value),
                first_text_ms: Some(total_ms),
                total_ms,
            },
        })
    }

    fn chat_request(&self, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.endpoint.join("chat/completions"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
    }

    /// Sends with the key, waits at most `wait` for the headers, retries a rate limit once
    /// after the wait the server asked for; an error status becomes its [`ProviderError`].
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        wait: Duration,
        model: Option<&str>,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut retried = false;
        loop {
            let mut builder = build();
            if let Some(key) = &self.key {
                builder = builder.bearer_auth(key.expose());
            }
            let response = tokio::time::timeout(wait, builder.send())
                .await
                .map_err(|_| self.timeout(wait))?
                .map_err(|e| self.unreachable(&e))?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let url = response.url().to_string();
            let location = response.headers().contains_key(header::LOCATION);
            let body = tokio::time::timeout(self.timeouts.silence, response.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            let error = self.status_error(status, &body, &url, model, retry_after, location);
            match error {
                ProviderError::RateLimited {
                    retry_after: wait_for,
                    ..
                } if !retried && wait_for.unwrap_or(1) <= MOST_RETRY_WAIT => {
                    retried = true;
                    let seconds = wait_for.unwrap_or(1);
                    tracing::info!(provider = %self.name, seconds, "rate limited; retrying once");
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                }
                error => return Err(error),
            }
        }
    }

    fn status_error(
        &self,
        status: StatusCode,
        body: &str,
        url: &str,
        model: Option<&str>,
        retry_after: Option<u64>,
        redirected: bool,
    ) -> ProviderError {
        let (message, code) = server_message(body);
        let message = self.redact(&message);
        let provider = self.name.clone();
        let quota = code.as_deref() == Some("insufficient_quota")
            || message.to_ascii_lowercase().contains("quota");
        match status.as_u16() {
            401 | 403 => ProviderError::WrongKey {
                provider,
                status: status.as_u16(),
                message,
            },
            402 => ProviderError::NoCredit { provider, message },
            429 if quota => ProviderError::NoCredit { provider, message },
            429 => ProviderError::RateLimited {
                provider,
                retry_after,
                message,
            },
            404 | 400
                if model.is_some()
                    && (code.as_deref() == Some("model_not_found")
                        || message.to_ascii_lowercase().contains("model")) =>
            {
                ProviderError::ModelNotFound {
                    provider,
                    model: model.unwrap_or_default().to_owned(),
                    message,
                }
            }
            404 => ProviderError::NotFound {
                provider,
                url: url.to_owned(),
            },
            300..=399 if redirected => ProviderError::Server {
                provider,
                status: status.as_u16(),
                message: "the server sends requests elsewhere; Hearth does not follow (the key would go with them): give the final address".into(),
            },
            _ => ProviderError::Server {
                provider,
                status: status.as_u16(),
                message,
            },
        }
    }

    fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(key) => key.redact(text),
            None => text.to_owned(),
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            return self.timeout(self.timeouts.connect);
        }
        ProviderError::Unreachable {
            provider: self.name.clone(),
            host: self.endpoint.host().to_owned(),
            reason: self.redact(&cause(e)),
        }
    }

    fn timeout(&self, waited: Duration) -> ProviderError {
        ProviderError::Timeout {
            provider: self.name.clone(),
            seconds: waited.as_secs(),
        }
    }

    fn cut(&self, e: &reqwest::Error) -> ProviderError {
        ProviderError::Cut {
            provider: self.name.clone(),
            reason: self.redact(&cause(e)),
        }
    }

    fn bad_reply(&self, reason: String) -> ProviderError {
        ProviderError::BadReply {
            provider: self.name.clone(),
            reason: self.redact(&reason),
        }
    }
}

/// The innermost cause, which says what happened (`Connection refused`), not reqwest's
/// "error sending request for url".
fn cause(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

/// OpenAI's `{"error": {"message", "code"}}`, or the start of whatever the body is.
fn server_message(body: &str) -> (String, Option<String>) {
    let value: Option<Value> = serde_json::from_str(body).ok();
    let error = value.as_ref().and_then(|v| v.get("error"));
    let message = error
        .and_then(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .or_else(|| e.as_str())
        })
        .or_else(|| {
            value
                .as_ref()
                .and_then(|v| v.get("message"))
                .and_then(Value::as_str)
        })
        .map_or_else(|| body.trim().to_owned(), str::to_owned);
    let code = error
        .and_then(|e| e.get("code").or_else(|| e.get("type")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    (message.chars().take(300).collect(), code)
}

/// A reply arriving piece by piece.
#[derive(Debug)]
pub struct ReplyStream {
    provider: Provider,
    response: reqwest::Response,
    reader: EventReader,
    /// Events read but not yet handed out.
    queued: std::collections::VecDeque<String>,
    started: Instant,
    first_text: Option<f64>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    done: bool,
}

impl ReplyStream {
    /// The next piece of text, then one [`StreamEvent::Finished`], then `None`. A connection
    /// that breaks before the server said the reply ended is [`ProviderError::Cut`].
    pub async fn next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        loop {
            if self.done {
                return None;
            }
            while let Some(data) = self.queued.pop_front() {
                match self.read_event(&data) {
                    Ok(Some(event)) => return Some(Ok(event)),
                    Ok(None) => {}
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                if self.done {
                    return Some(Ok(self.finished()));
                }
            }
            let silence = self.provider.timeouts.silence;
            let chunk = match tokio::time::timeout(silence, self.response.chunk()).await {
                Err(_) => {
                    self.done = true;
                    return Some(Err(self.provider.timeout(silence)));
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Some(Err(self.provider.cut(&e)));
                }
                Ok(Ok(chunk)) => chunk,
            };
            match chunk {
                Some(bytes) => self.queued.extend(self.reader.push(&bytes)),
                None => {
                    if let Some(last) = self.reader.finish() {
                        self.queued.push_back(last);
                        continue;
                    }
                    self.done = true;
                    // Some servers end without `[DONE]` but after a finish reason.
                    if self.finish_reason.is_some() {
                        return Some(Ok(self.finished()));
                    }
                    return Some(Err(ProviderError::Cut {
                        provider: self.provider.name.clone(),
                        reason: "the server closed the connection before the reply ended".into(),
                    }));
                }
            }
        }
    }

    /// Reads one event: text to hand out, nothing, or (with `done` set) the end.
    fn read_event(&mut self, data: &str) -> Result<Option<StreamEvent>, ProviderError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(None);
        }
        let value: Value = serde_json::from_str(data).map_err(|e| {
            self.provider
                .bad_reply(format!("a streamed piece is not JSON: {e}"))
        })?;
        if let Some(error) = value.get("error") {
            let (message, _) = server_message(&error_body(error));
            return Err(ProviderError::Server {
                provider: self.provider.name.clone(),
                status: 200,
                message: self.provider.redact(&message),
            });
        }
        if let Some(usage) = Usage::read(&value) {
            self.usage = Some(usage);
        }
        let choice = value.get("choices").and_then(|c| c.get(0));
        if let Some(reason) = choice
            .and_then(|c| c.get("finish_reason"))
            .and_then(Value::as_str)
        {
            self.finish_reason = Some(reason.to_owned());
        }
        let text = choice
            .and_then(|c| c.pointer("/delta/content"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if text.is_empty() {
            return Ok(None);
        }
        if self.first_text.is_none() {
            self.first_text = Some(self.elapsed_ms());
        }
        Ok(Some(StreamEvent::Text(text.to_owned())))
    }

    fn finished(&mut self) -> StreamEvent {
        StreamEvent::Finished(Finished {
            finish_reason: self.finish_reason.take(),
            usage: self.usage.take(),
            first_text_ms: self.first_text,
            total_ms: self.elapsed_ms(),
        })
    }

    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

fn error_body(error: &Value) -> String {
    serde_json::json!({ "error": error }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_read_from_openai_and_other_shapes() {
        let (m, c) =
            server_message(r#"{"error":{"message":"Incorrect API key","code":"invalid_api_key"}}"#);
        assert_eq!(
            (m.as_str(), c.as_deref()),
            ("Incorrect API key", Some("invalid_api_key"))
        );
        let (m, _) = server_message(r#"{"error":"model 'x' not found"}"#);
        assert_eq!(m, "model 'x' not found");
        let (m, c) = server_message("<html>bad gateway</html>");
        assert_eq!((m.as_str(), c), ("<html>bad gateway</html>", None));
    }

    #[test]
    fn statuses_become_errors_a_person_understands_without_the_key() {
        let provider = Provider::new(
            "box",
            Endpoint::parse("http://127.0.0.1:9/v1").unwrap(),
            Some(ApiKey::new("sk-secret-777")),
            true,
        )
        .unwrap();
        let error = |status: u16, body: &str| {
            provider.status_error(
                StatusCode::from_u16(status).unwrap(),
                body,
                "http://127.0.0.1:9/v1/chat/completions",
                Some("m"),
                Some(3),
                false,
            )
        };
        let wrong = error(401, r#"{"error":{"message":"bad key sk-secret-777"}}"#);
        assert_eq!(wrong.kind(), "wrong_key");
        assert!(!wrong.to_string().contains("sk-secret-777"), "{wrong}");
        assert_eq!(error(402, "").kind(), "no_credit");
        assert_eq!(
            error(429, r#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#).kind(),
            "no_credit"
        );
        assert_eq!(error(429, "").kind(), "rate_limited");
        assert_eq!(
            error(
                404,
                r#"{"error":{"message":"The model `m` does not exist","code":"model_not_found"}}"#
            )
            .kind(),
            "model_not_found"
        );
        assert_eq!(error(404, "Not Found").kind(), "not_found");
        assert_eq!(error(500, "boom").kind(), "server");
    }
}
