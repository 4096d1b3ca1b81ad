//! `hearth-cli chat`: one reply, or an interactive conversation.

use std::io::Write;

use anyhow::bail;
use clap::Args;
use hearth_engine::{
    ChatMessage, Completion, EngineClient, FinishReason, GenerationEvent, Input, Role,
    SamplingParams,
};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::options::{ModelArgs, DEFAULT_SYSTEM_PROMPT};

/// Options of `hearth-cli chat`.
#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Ask this, print the reply and exit.
    #[arg(long, short)]
    prompt: Option<String>,
    /// System prompt; an empty one lets the model's template use its own default.
    #[arg(long, default_value = DEFAULT_SYSTEM_PROMPT)]
    system: String,
    /// Temperature; 0 always picks the most likely token.
    #[arg(long, default_value_t = 0.7)]
    temp: f32,
    /// Keep only the k most likely tokens (0 keeps all).
    #[arg(long, default_value_t = 40)]
    top_k: u32,
    /// Nucleus sampling threshold.
    #[arg(long, default_value_t = 0.4)]
    top_p: f32,
    /// Minimum probability relative to the most likely token.
    #[arg(long, default_value_t = 0.0)]
    min_p: f32,
    /// Penalty for repeating recent tokens (1 = none).
    #[arg(long, default_value_t = 1.18)]
    repeat_penalty: f32,
    /// How many recent tokens the repeat penalty covers.
    #[arg(long, default_value_t = 64)]
    repeat_last_n: u32,
    /// Seed for sampling (default: random).
    #[arg(long)]
    seed: Option<u32>,
    /// Most tokens in one reply.
    #[arg(long, default_value_t = 4096)]
    max_tokens: u32,
    /// Text that ends a reply (repeatable).
    #[arg(long)]
    stop: Vec<String>,
}

impl ChatArgs {
    fn sampling(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temp,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repeat_penalty: self.repeat_penalty,
            repeat_last_n: self.repeat_last_n,
            seed: self.seed,
            max_tokens: self.max_tokens,
            stop: self.stop.clone(),
            ..SamplingParams::default()
        }
    }

    fn opening(&self) -> Vec<ChatMessage> {
        if self.system.trim().is_empty() {
            Vec::new()
        } else {
            vec![ChatMessage::new(Role::System, self.system.clone())]
        }
    }
}

pub async fn run(args: ChatArgs) -> anyhow::Result<()> {
    let params = args.sampling();
    params.validate()?;
    if args.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
        bail!("the prompt is empty; type a question after --prompt");
    }
    let options = args.model.load_options()?;
    let path = args.model.model_path()?;
    // Ctrl-C is ours from here on: it stops a reply, never the program mid-write.
    let mut interrupts = Interrupts::install()?;
    let engine = EngineClient::from_environment()?;
    eprintln!("loading {} ...", path.display());
    let info = engine.load(path, options).await?;
    eprintln!(
        "{} ({} parameters), context {} tokens, {} threads",
        info.name.as_deref().unwrap_or(&info.architecture),
        human_count(info.n_params),
        info.n_ctx,
        info.n_threads
    );

    let mut messages = args.opening();
    if let Some(prompt) = &args.prompt {
        messages.push(ChatMessage::new(Role::User, prompt.clone()));
        let reply = stream_reply(&engine, &messages, &params, &mut interrupts).await?;
        if reply.is_none() {
            bail!("stopped");
        }
        engine.shutdown().await;
        return Ok(());
    }

    eprintln!(
        "Type a message and press Enter. /reset starts over, /exit quits (Ctrl-C stops a reply)."
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        prompt_marker();
        let line = tokio::select! {
            line = lines.next_line() => line?,
            _ = interrupts.next() => {
                eprintln!("\n(type /exit or press Ctrl-D to quit)");
                continue;
            }
        };
        let Some(line) = line else { break };
        match line.trim() {
            "" => continue,
            "/exit" | "/quit" => break,
            "/reset" => {
                messages = args.opening();
                eprintln!("(new conversation)");
                continue;
            }
            "/help" => {
                eprintln!("/reset starts a new conversation, /exit quits; Ctrl-C stops a reply.");
                continue;
            }
            text => messages.push(ChatMessage::new(Role::User, text.to_owned())),
        }
        match stream_reply(&engine, &messages, &params, &mut interrupts).await {
            Ok(Some(reply)) => messages.push(ChatMessage::new(Role::Assistant, reply)),
            Ok(None) => {
                // Stopped before anything was said: forget the question too.
                messages.pop();
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                messages.pop();
            }
        }
    }
    engine.shutdown().await;
    Ok(())
}

/// Streams one reply to stdout. Returns the reply text, or `None` when stopped before any text.
async fn stream_reply(
    engine: &EngineClient,
    messages: &[ChatMessage],
    params: &SamplingParams,
    interrupts: &mut Interrupts,
) -> anyhow::Result<Option<String>> {
    let mut generation = engine
        .generate(
            Input::Chat {
                messages: messages.to_vec(),
            },
            params.clone(),
        )
        .await?;
    let mut reply = String::new();
    let mut stdout = std::io::stdout();
    let done: Completion = loop {
        let step = tokio::select! {
            step = generation.next() => step,
            _ = interrupts.next() => {
                engine.cancel(generation.id());
                continue;
            }
        };
        match step {
            Some(Ok(GenerationEvent::Token(text))) => {
                reply.push_str(&text);
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            }
            Some(Ok(GenerationEvent::Done(done))) => break done,
            Some(Err(e)) => {
                if !reply.is_empty() {
                    println!();
                }
                return Err(e.into());
            }
            None => bail!("the engine closed"),
        }
    };
    println!();
    report(&done);
    if done.finish == FinishReason::Cancelled && reply.is_empty() {
        return Ok(None);
    }
    Ok(Some(reply))
}

fn report(done: &Completion) {
    let t = &done.timings;
    let mut notes = Vec::new();
    match done.finish {
        FinishReason::Cancelled => notes.push("stopped".to_owned()),
        FinishReason::Length => notes.push("reached the length limit".to_owned()),
        FinishReason::ContextFull => {
            notes.push("the context is full; /reset to start over".to_owned())
        }
        FinishReason::Stop => {}
    }
    if done.dropped_messages > 0 {
        notes.push(format!(
            "{} oldest messages left out to fit the context",
            done.dropped_messages
        ));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    };
    eprintln!(
        "[{:.1} tokens/s, {} tokens; prompt {} tokens ({} new) in {:.2} s{notes}]",
        t.generation_tps(),
        t.generated_tokens,
        t.prompt_tokens,
        t.evaluated_tokens,
        t.prompt_ms / 1000.0
    );
}

fn prompt_marker() {
    let mut err = std::io::stderr();
    let _ = err.write_all(b"> ");
    let _ = err.flush();
}

fn human_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.0}M", n as f64 / 1e6),
        n => n.to_string(),
    }
}

/// Ctrl-C presses, delivered as a stream instead of ending the process.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupts {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
            Ok(Interrupts { signal })
        }
        #[cfg(not(unix))]
        {
            Ok(Interrupts {})
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            self.signal.recv().await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
