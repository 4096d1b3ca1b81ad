//! Chat templates: turning a conversation into the prompt text a model was trained on.
//!
//! A model's GGUF usually carries a Jinja template (`tokenizer.chat_template`) written for Python's
//! jinja2 as Hugging Face runs it; [`ChatTemplate`] renders it with minijinja configured the same
//! way (`trim_blocks`, `lstrip_blocks`, Python string methods, `raise_exception`, `strftime_now`).
//! Old models that carry none use a [`NamedTemplate`] from the catalog or the user.

use std::fmt;
use std::str::FromStr;

use minijinja::{context, Environment, ErrorKind as JinjaErrorKind};
use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions that frame the whole conversation.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The name chat templates expect.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

impl ChatMessage {
    /// A message from `role` saying `content`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
}

/// Prompt formats of models that carry no template of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum NamedTemplate {
    /// `<|im_start|>role ... <|im_end|>` (Qwen, SmolLM, many fine-tunes).
    Chatml,
    /// Stanford Alpaca's `### Instruction:` / `### Response:`.
    Alpaca,
    /// Vicuna v1.1+: `USER: ... ASSISTANT:`.
    Vicuna,
    /// Databricks Dolly 2: Alpaca-style, replies end with `### End`.
    Dolly,
    /// Together's OpenChatKit: `<human>: ... <bot>:`.
    Openchatkit,
    /// RWKV World: `User: ...\n\nAssistant:`.
    RwkvWorld,
    /// No chat format: the newest instruction alone (base models, Flan-T5).
    Completion,
}

impl NamedTemplate {
    /// Every named template, for help texts.
    pub const ALL: [NamedTemplate; 7] = [
        NamedTemplate::Chatml,
        NamedTemplate::Alpaca,
        NamedTemplate::Vicuna,
        NamedTemplate::Dolly,
        NamedTemplate::Openchatkit,
        NamedTemplate::RwkvWorld,
        NamedTemplate::Completion,
    ];

    /// The name used on the command line and in the catalog.
    pub fn name(self) -> &'static str {
        match self {
            NamedTemplate::Chatml => "chatml",
            NamedTemplate::Alpaca => "alpaca",
            NamedTemplate::Vicuna => "vicuna",
            NamedTemplate::Dolly => "dolly",
            NamedTemplate::Openchatkit => "openchatkit",
            NamedTemplate::RwkvWorld => "rwkv-world",
            NamedTemplate::Completion => "completion",
        }
    }

    /// The Jinja source of this format.
    pub fn source(self) -> &'static str {
        match self {
            NamedTemplate::Chatml => include_str!("templates/chatml.jinja"),
            NamedTemplate::Alpaca => include_str!("templates/alpaca.jinja"),
            NamedTemplate::Vicuna => include_str!("templates/vicuna.jinja"),
            NamedTemplate::Dolly => include_str!("templates/dolly.jinja"),
            NamedTemplate::Openchatkit => include_str!("templates/openchatkit.jinja"),
            NamedTemplate::RwkvWorld => include_str!("templates/rwkv-world.jinja"),
            NamedTemplate::Completion => include_str!("templates/completion.jinja"),
        }
    }

    /// Text that marks the end of the model's turn in this format, when the model has no
    /// end-of-turn token for it.
    pub fn stops(self) -> &'static [&'static str] {
        match self {
            NamedTemplate::Chatml => &["<|im_end|>"],
            NamedTemplate::Alpaca => &["### Instruction:"],
            NamedTemplate::Vicuna => &["USER:"],
            NamedTemplate::Dolly => &["### End", "### Instruction:"],
            NamedTemplate::Openchatkit => &["<human>:"],
            NamedTemplate::RwkvWorld => &["\n\nUser:"],
            NamedTemplate::Completion => &[],
        }
    }
}

impl fmt::Display for NamedTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NamedTemplate {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "human" | "<human>" | "open-chat-kit" => "openchatkit",
            "rwkv" | "rwkv_world" | "raven" => "rwkv-world",
            other => other,
        };
        NamedTemplate::ALL
            .into_iter()
            .find(|t| t.name() == alias)
            .ok_or_else(|| {
                let names: Vec<&str> = NamedTemplate::ALL.iter().map(|t| t.name()).collect();
                TemplateError::UnknownName(format!("{s} (known: {})", names.join(", ")))
            })
    }
}

/// Which template to use instead of the model's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateChoice {
    /// A built-in legacy format.
    Named(NamedTemplate),
    /// Jinja source.
    Jinja(String),
}

/// Why a template could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The name is not one of [`NamedTemplate::ALL`].
    #[error("unknown chat template name: {0}")]
    UnknownName(String),
    /// The Jinja source does not parse.
    #[error("the chat template does not parse: {0}")]
    Syntax(String),
    /// The template refused the conversation (its own `raise_exception`) or failed while rendering.
    #[error("the chat template could not render this conversation: {0}")]
    Render(String),
    /// Rendering made more text than any prompt needs.
    #[error("the chat template makes a prompt larger than {} MiB", RENDER_LIMIT >> 20)]
    TooLarge,
    /// Rendering ran out of its budget of steps (a loop that does not end, or text that keeps
    /// growing).
    #[error("the chat template needs too many steps (it loops too long or builds too much text)")]
    TooManySteps,
    /// Rendering nested too deeply (a macro that calls itself).
    #[error("the chat template calls itself too deeply")]
    TooDeep,
}

/// Room a template may take while rendering, so a hostile template in a downloaded file cannot
/// spin forever. Fuel pays for steps and for bytes made (64 bytes a unit); a real chat template
/// uses a few thousand units for a long chat.
const RENDER_FUEL: u64 = 5_000_000;

/// The largest prompt a template may render: far above any context (128k tokens is ~1 MiB of
/// text), far below what would hurt.
pub const RENDER_LIMIT: usize = 8 << 20;

/// Output that refuses to grow past [`RENDER_LIMIT`].
struct Bounded {
    text: Vec<u8>,
    exceeded: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > RENDER_LIMIT {
            self.exceeded = true;
            return Err(std::io::Error::other("the rendered prompt is too large"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A compiled chat template with the model's special tokens.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("bos_token", &self.bos_token)
            .finish_non_exhaustive()
    }
}

impl ChatTemplate {
    /// Compiles `source`, a Jinja chat template, for a model whose BOS and EOS tokens are these.
    pub fn new(
        source: &str,
        bos_token: impl Into<String>,
        eos_token: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| TemplateError::Syntax(e.to_string()))?;
        env.set_syntax(syntax);
        env.set_fuel(Some(RENDER_FUEL));
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_template_owned("chat", source.to_owned())
            .map_err(|e| TemplateError::Syntax(describe(&e)))?;
        Ok(ChatTemplate {
            env,
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        })
    }

    /// Compiles one of the named legacy formats.
    pub fn named(name: NamedTemplate, bos_token: &str, eos_token: &str) -> Self {
        match ChatTemplate::new(name.source(), bos_token, eos_token) {
            Ok(t) => t,
            // The named sources are part of this crate and covered by tests.
            Err(e) => unreachable!("built-in template {name} does not compile: {e}"),
        }
    }

    /// Renders `messages`, ending with the cue for the assistant's reply when
    /// `add_generation_prompt` is set.
    ///
    /// Many templates (Gemma, Mistral) refuse a `system` message; then the system text is put
    /// in front of the first user message, as those models' authors advise, and rendered again.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, TemplateError> {
        match self.render_exact(messages, add_generation_prompt) {
            Err(first) if messages.first().is_some_and(|m| m.role == Role::System) => {
                let folded = fold_system_into_first_user(messages);
                self.render_exact(&folded, add_generation_prompt)
                    .map_err(|_| first)
            }
            other => other,
        }
    }

    fn render_exact(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| TemplateError::Syntax(describe(&e)))?;
        let mut out = Bounded {
            text: Vec::new(),
            exceeded: false,
        };
        let rendered = template.render_captured_to(
            context! {
                messages => minijinja::value::Serde(messages),
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            },
            &mut out,
        );
        match rendered {
            Ok(_) => String::from_utf8(out.text)
                .map_err(|_| TemplateError::Render("the prompt is not UTF-8".into())),
            Err(_) if out.exceeded => Err(TemplateError::TooLarge),
            Err(e) => Err(classify(&e)),
        }
    }
}

fn fold_system_into_first_user(messages: &[ChatMessage]) -> Vec<ChatMessage> {
    let (system, rest) = match messages.split_first() {
        Some((first, rest)) if first.role == Role::System => (first.content.as_str(), rest),
        _ => return messages.to_vec(),
    };
    let mut out = rest.to_vec();
    match out.iter_mut().find(|m| m.role == Role::User) {
        Some(user) => user.content = format!("{system}\n\n{}", user.content),
        None => out.insert(0, ChatMessage::new(Role::User, system)),
    }
    out
}

/// The budget a render ran out of, else the failure in one line.
fn classify(e: &minijinja::Error) -> TemplateError {
    match e.kind() {
        JinjaErrorKind::OutOfFuel => TemplateError::TooManySteps,
        JinjaErrorKind::InvalidOperation
            if e.detail().is_some_and(|d| d.contains("recursion limit")) =>
        {
            TemplateError::TooDeep
        }
        _ => TemplateError::Render(describe(e)),
    }
}

/// One line naming what went wrong, without minijinja's multi-line source excerpt.
fn describe(e: &minijinja::Error) -> String {
    match (e.kind(), e.detail()) {
        (JinjaErrorKind::InvalidOperation, Some(detail)) => detail.to_owned(),
        (_, Some(detail)) => format!("{}: {detail}", e.kind()),
        (kind, None) => kind.to_string(),
    }
}

fn raise_exception(message: String) -> Result<String, minijinja::Error> {
    Err(minijinja::Error::new(
        JinjaErrorKind::InvalidOperation,
        message,
    ))
}

fn strftime_now(format: String) -> Result<String, minijinja::Error> {
    let now = jiff::ZonedDateTime::now();
    jiff::fmt::strtime::format(format.as_str(), &now).map_err(|e| {
        minijinja::Error::new(
            JinjaErrorKind::InvalidOperation,
            format!("strftime_now: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_templates_all_compile_and_parse_back() {
        for t in NamedTemplate::ALL {
            let _ = ChatTemplate::named(t, "<s>", "</s>");
            assert_eq!(t.name().parse::<NamedTemplate>().unwrap(), t);
        }
        assert_eq!(
            "<human>".parse::<NamedTemplate>().unwrap(),
            NamedTemplate::Openchatkit
        );
        let err = "gpt5".parse::<NamedTemplate>().unwrap_err().to_string();
        assert!(err.contains("gpt5") && err.contains("alpaca"), "{err}");
    }

    #[test]
    fn syntax_error_is_reported_not_panicked() {
        let err = ChatTemplate::new("{% for m in messages %}", "", "").unwrap_err();
        assert!(matches!(err, TemplateError::Syntax(_)), "{err}");
    }

    fn refused_within(source: &str, limit: std::time::Duration) -> TemplateError {
        let started = std::time::Instant::now();
        let err = ChatTemplate::new(source, "", "")
            .and_then(|t| t.render(&[ChatMessage::new(Role::User, "hi")], true))
            .unwrap_err();
        assert!(
            started.elapsed() < limit,
            "{source}: took {:?}",
            started.elapsed()
        );
        err
    }

    /// Regression guard: hostile templates in a model file (issue: "ffi error -1" shown
    /// instead of the reason).
    #[test]
    fn hostile_templates_are_refused_fast_with_their_reason() {
        let two_seconds = std::time::Duration::from_secs(2);
        let loop_forever =
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
        assert!(matches!(
            refused_within(loop_forever, two_seconds),
            TemplateError::TooManySteps
        ));
        let doubled = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}";
        let err = refused_within(doubled, two_seconds);
        assert!(
            matches!(err, TemplateError::TooManySteps | TemplateError::TooLarge),
            "{err}"
        );
        assert!(err.to_string().contains("too much text") || err.to_string().contains("larger"));
        let huge_output = "{% for i in range(20) %}{{ 'x' * 1000000 }}{% endfor %}";
        assert!(matches!(
            refused_within(huge_output, two_seconds),
            TemplateError::TooLarge
        ));
        let recursive = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
        assert!(matches!(
            refused_within(recursive, two_seconds),
            TemplateError::TooDeep
        ));
    }

    #[test]
    fn system_message_is_folded_when_the_template_refuses_it() {
        let src = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system') }}{% endif %}[{{ m.role }}]{{ m.content }}{% endfor %}";
        let t = ChatTemplate::new(src, "", "").unwrap();
        let out = t
            .render(
                &[
                    ChatMessage::new(Role::System, "Be brief."),
                    ChatMessage::new(Role::User, "Hi"),
                ],
                true,
            )
            .unwrap();
        assert_eq!(out, "[user]Be brief.\n\nHi");
    }

    #[test]
    fn raise_exception_message_reaches_the_error() {
        let t = ChatTemplate::new("{{ raise_exception('roles must alternate') }}", "", "").unwrap();
        let err = t.render(&[], true).unwrap_err().to_string();
        assert!(err.contains("roles must alternate"), "{err}");
    }

    #[test]
    fn strftime_now_formats_today() {
        let t = ChatTemplate::new("{{ strftime_now('%Y') }}", "", "").unwrap();
        let year = t.render(&[], true).unwrap();
        assert_eq!(year, jiff::ZonedDateTime::now().year().to_string());
    }
}
