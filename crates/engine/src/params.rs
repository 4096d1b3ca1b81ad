//! Settings for loading a model and for sampling a reply, with their validation.

use serde::{Deserialize, Serialize};

use crate::template::TemplateChoice;

/// The context size used when the caller names none: the model's own limit, capped here so a
/// 128k-context model does not reserve gigabytes of KV cache for a chat that needs little.
pub const DEFAULT_CONTEXT_CAP: u32 = 4096;

/// Most stop strings one request may carry.
pub const MAX_STOP_STRINGS: usize = 16;

/// How to load a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Context length in tokens; `None` means the model's own, up to [`DEFAULT_CONTEXT_CAP`].
    /// For embeddings: the longest text read (longer ones are cut), at most the model's own.
    pub n_ctx: Option<u32>,
    /// Threads; `None` means one per physical core.
    pub n_threads: Option<u32>,
    /// Logical batch size for prompt evaluation; `None` means 512 (for embeddings, tokens per
    /// decode: 2048, and never fewer than the longest text).
    pub n_batch: Option<u32>,
    /// A template to use instead of the model's own.
    pub template: Option<TemplateChoice>,
    /// Load it to make embeddings (sentence vectors) rather than replies.
    #[serde(default)]
    pub embeddings: bool,
    /// A small model of the same family whose guesses at the next tokens the model checks
    /// (speculative decoding); a file that cannot draft for it is left out with a note.
    #[serde(default)]
    pub draft_model: Option<String>,
}

impl LoadOptions {
    /// Checks the values a person could have typed.
    pub fn validate(&self) -> Result<(), InvalidParams> {
        if self.n_ctx.is_some_and(|n| n < 16) {
            return Err(InvalidParams(
                "context size must be at least 16 tokens".into(),
            ));
        }
        if self.n_threads.is_some_and(|n| n == 0 || n > 1024) {
            return Err(InvalidParams("threads must be between 1 and 1024".into()));
        }
        if self.n_batch.is_some_and(|n| n == 0) {
            return Err(InvalidParams("batch size must be at least 1".into()));
        }
        Ok(())
    }
}

/// How to pick each next token. Defaults follow GPT4All Chat's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct SamplingParams {
    /// Randomness; 0 picks the most likely token every time (greedy).
    pub temperature: f32,
    /// Keep only the k most likely tokens; 0 keeps all.
    pub top_k: u32,
    /// Keep the most likely tokens whose probabilities add up to p; 1 keeps all.
    pub top_p: f32,
    /// Drop tokens less likely than min_p × the most likely one; 0 keeps all.
    pub min_p: f32,
    /// Penalty for repeating recent tokens; 1 is none.
    pub repeat_penalty: f32,
    /// How many recent tokens the repeat penalty looks at.
    pub repeat_last_n: u32,
    /// OpenAI-style penalty per occurrence of a token.
    pub frequency_penalty: f32,
    /// OpenAI-style penalty for a token that occurred at all.
    pub presence_penalty: f32,
    /// Seed for the random choice; `None` picks one.
    pub seed: Option<u32>,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Strings that end the reply; they are not part of it.
    pub stop: Vec<String>,
    /// Never end the turn by the model's choice; only `max_tokens`, a stop string or a cancel
    /// end it (benchmarks use this to generate an exact number of tokens).
    pub ignore_eos: bool,
    /// Guess the next tokens from the conversation itself (prompt lookup) and check the guess
    /// in one decode: faster where a reply repeats its context, the same reply either way.
    pub prompt_lookup: bool,
    /// Let the draft model loaded beside this one (if any) guess the next tokens, checked the
    /// same way: the same reply either way, faster where the small model guesses well.
    pub draft_model: bool,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.7,
            top_k: 40,
            top_p: 0.4,
            min_p: 0.0,
            repeat_penalty: 1.18,
            repeat_last_n: 64,
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            seed: None,
            max_tokens: 4096,
            stop: Vec::new(),
            ignore_eos: false,
            prompt_lookup: true,
            draft_model: true,
        }
    }
}

impl SamplingParams {
    /// Settings that always pick the most likely token: the same prompt gives the same reply.
    pub fn greedy() -> Self {
        SamplingParams {
            temperature: 0.0,
            repeat_penalty: 1.0,
            seed: Some(0),
            ..SamplingParams::default()
        }
    }

    /// Checks every value; the message names the setting and the allowed range.
    pub fn validate(&self) -> Result<(), InvalidParams> {
        fn check(ok: bool, msg: &str) -> Result<(), InvalidParams> {
            if ok {
                Ok(())
            } else {
                Err(InvalidParams(msg.to_owned()))
            }
        }
        let t = self.temperature;
        check(
            t.is_finite() && (0.0..=100.0).contains(&t),
            "temperature must be between 0 and 100",
        )?;
        let p = self.top_p;
        check(
            p.is_finite() && p > 0.0 && p <= 1.0,
            "top-p must be greater than 0 and at most 1",
        )?;
        let m = self.min_p;
        check(
            m.is_finite() && (0.0..=1.0).contains(&m),
            "min-p must be between 0 and 1",
        )?;
        let r = self.repeat_penalty;
        check(
            r.is_finite() && r > 0.0 && r <= 10.0,
            "repeat penalty must be above 0 and at most 10",
        )?;
        for (v, name) in [
            (self.frequency_penalty, "frequency penalty"),
            (self.presence_penalty, "presence penalty"),
        ] {
            if !(v.is_finite() && (-2.0..=2.0).contains(&v)) {
                return Err(InvalidParams(format!("{name} must be between -2 and 2")));
            }
        }
        check(self.max_tokens >= 1, "max tokens must be at least 1")?;
        check(
            self.stop.len() <= MAX_STOP_STRINGS,
            "at most 16 stop strings are allowed",
        )?;
        check(
            self.stop.iter().all(|s| !s.is_empty()),
            "a stop string must not be empty",
        )?;
        Ok(())
    }
}

/// A setting outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting: {0}")]
pub struct InvalidParams(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        SamplingParams::default().validate().unwrap();
        SamplingParams::greedy().validate().unwrap();
        LoadOptions::default().validate().unwrap();
    }

    #[test]
    fn each_bad_value_is_named() {
        let cases: Vec<(SamplingParams, &str)> = vec![
            (
                SamplingParams {
                    temperature: -1.0,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    temperature: f32::NAN,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    top_p: 0.0,
                    ..Default::default()
                },
                "top-p",
            ),
            (
                SamplingParams {
                    top_p: 1.5,
                    ..Default::default()
                },
                "top-p",
            ),
            (
                SamplingParams {
                    min_p: -0.1,
                    ..Default::default()
                },
                "min-p",
            ),
            (
                SamplingParams {
                    repeat_penalty: 0.0,
                    ..Default::default()
                },
                "repeat penalty",
            ),
            (
                SamplingParams {
                    presence_penalty: 3.0,
                    ..Default::default()
                },
                "presence penalty",
            ),
            (
                SamplingParams {
                    max_tokens: 0,
                    ..Default::default()
                },
                "max tokens",
            ),
            (
                SamplingParams {
                    stop: vec![String::new()],
                    ..Default::default()
                },
                "stop string",
            ),
        ];
        for (p, name) in cases {
            let err = p.validate().unwrap_err().to_string();
            assert!(err.contains(name), "{err} should name {name}");
        }
        assert!(LoadOptions {
            n_ctx: Some(1),
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(LoadOptions {
            n_threads: Some(0),
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn missing_fields_take_defaults() {
        let p: SamplingParams = serde_json::from_str(r#"{"temperature":0.0}"#).unwrap();
        assert_eq!(p.top_k, 40);
        assert_eq!(p.temperature, 0.0);
    }
}
