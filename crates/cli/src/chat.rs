//! `hearth-cli chat`: one reply, or an interactive conversation, saved in the chat history
//! unless `--no-save`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use hearth_core::{ChatModel, CoreEvent, DataDir, Hearth, Id, MessageStatus};
use hearth_engine::{
    ChatMessage, EngineClient, FinishReason, GenerationEvent, Input, Role, SamplingParams,
};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::interrupts::Interrupts;
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
    /// Continue the saved chat with this id (see `hearth-cli chats list`).
    #[arg(long)]
    chat: Option<Id>,
    /// Do not save this conversation.
    #[arg(long, conflicts_with = "chat")]
    no_save: bool,
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
}

/// How a reply went, for the line printed after it.
struct Summary {
    generated: i64,
    generation_ms: f64,
    prompt_tokens: i64,
    prompt_ms: f64,
    notes: Vec<String>,
}

/// Where the conversation lives.
enum Conversation {
    /// Saved: every message goes through hearth-core into the chat history.
    Saved {
        hearth: Hearth,
        chat_id: Id,
        model: ChatModel,
        system: String,
    },
    /// Not saved: the messages live here, replies come straight from the engine.
    Unsaved {
        engine: EngineClient,
        messages: Vec<ChatMessage>,
        params: SamplingParams,
        system: String,
    },
}

pub async fn run(args: ChatArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let params = args.sampling();
    params.validate()?;
    if args.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
        bail!("the prompt is empty; type a question after --prompt");
    }
    let (path, load) = args.model.resolve(data_dir.as_deref())?;
    // Ctrl-C is ours from here on: it stops a reply, never the program mid-write.
    let mut interrupts = Interrupts::install()?;
    let engine = EngineClient::from_environment()?;
    eprintln!("loading {} ...", path.display());
    let (conversation, info) = if args.no_save {
        let info = engine.load(&path, load).await?;
        let messages = opening(&args.system);
        (
            Conversation::Unsaved {
                engine,
                messages,
                params,
                system: args.system.clone(),
            },
            info,
        )
    } else {
        let hearth = Hearth::open(DataDir::resolve(data_dir.as_deref())?, engine).await?;
        if let Some(notice) = hearth.startup_notice() {
            eprintln!("note: {notice}");
        }
        let model = ChatModel {
            path,
            load,
            sampling: params,
        };
        let info = hearth.prepare(&model).await?;
        let chat_id = match args.chat {
            Some(id) => {
                let chat = hearth.store().chat(id).await?;
                eprintln!(
                    "continuing \"{}\" ({} messages)",
                    chat.title,
                    hearth.store().branch(id).await?.len()
                );
                id
            }
            None => hearth.new_chat(Some(&args.system)).await?.id,
        };
        (
            Conversation::Saved {
                hearth,
                chat_id,
                model,
                system: args.system.clone(),
            },
            info,
        )
    };
    let mut conversation = conversation;
    eprintln!(
        "{} ({} parameters), context {} tokens, {} threads",
        info.name.as_deref().unwrap_or(&info.architecture),
        human_count(info.n_params),
        info.n_ctx,
        info.n_threads
    );

    if let Some(prompt) = &args.prompt {
        let answered = conversation.ask(prompt, &mut interrupts).await?;
        conversation.finish().await;
        if !answered {
            bail!("stopped");
        }
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
                conversation.reset().await?;
                eprintln!("(new conversation)");
            }
            "/help" => {
                eprintln!("/reset starts a new conversation, /exit quits; Ctrl-C stops a reply.")
            }
            text => {
                if let Err(e) = conversation.ask(text, &mut interrupts).await {
                    eprintln!("error: {e:#}");
                }
            }
        }
    }
    conversation.finish().await;
    Ok(())
}

impl Conversation {
    /// Asks `text`, streams the reply to stdout. Returns false when stopped before any text.
    async fn ask(&mut self, text: &str, interrupts: &mut Interrupts) -> anyhow::Result<bool> {
        match self {
            Conversation::Saved {
                hearth,
                chat_id,
                model,
                ..
            } => {
                let mut events = hearth.subscribe();
                let reply = hearth.send(*chat_id, text, model).await?;
                let id = reply.message_id;
                let mut printed = false;
                loop {
                    tokio::select! {
                        event = events.recv() => match event {
                            Ok(CoreEvent::Token { message_id, text, .. }) if message_id == id => {
                                printed = true;
                                print_piece(&text);
                            }
                            Ok(CoreEvent::ReplyFinished { message_id, .. }) if message_id == id => break,
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        },
                        _ = interrupts.next() => hearth.cancel(*chat_id),
                    }
                }
                let message = reply.wait().await?;
                println!();
                if message.status == MessageStatus::Error {
                    bail!(
                        "{}",
                        message.error.unwrap_or_else(|| "the reply failed".into())
                    );
                }
                let mut notes = Vec::new();
                if message.status == MessageStatus::Interrupted {
                    notes.push(message.error.unwrap_or_else(|| "stopped".into()));
                }
                report(&Summary {
                    generated: message.completion_tokens.unwrap_or(0),
                    generation_ms: message.generation_ms.unwrap_or(0.0),
                    prompt_tokens: message.prompt_tokens.unwrap_or(0),
                    prompt_ms: message.prompt_ms.unwrap_or(0.0),
                    notes,
                });
                Ok(printed || message.status != MessageStatus::Interrupted)
            }
            Conversation::Unsaved {
                engine,
                messages,
                params,
                ..
            } => {
                messages.push(ChatMessage::new(Role::User, text));
                let result = stream_unsaved(engine, messages, params, interrupts).await;
                match result {
                    Ok(Some(reply)) => {
                        messages.push(ChatMessage::new(Role::Assistant, reply));
                        Ok(true)
                    }
                    Ok(None) => {
                        messages.pop();
                        Ok(false)
                    }
                    Err(e) => {
                        messages.pop();
                        Err(e)
                    }
                }
            }
        }
    }

    async fn reset(&mut self) -> anyhow::Result<()> {
        match self {
            Conversation::Saved {
                hearth,
                chat_id,
                system,
                ..
            } => *chat_id = hearth.new_chat(Some(system)).await?.id,
            Conversation::Unsaved {
                messages, system, ..
            } => *messages = opening(system),
        }
        Ok(())
    }

    /// Lets a chat's automatic title finish, then stops the engine.
    async fn finish(self) {
        match self {
            Conversation::Saved {
                hearth, chat_id, ..
            } => {
                for _ in 0..100 {
                    match hearth.store().chat(chat_id).await {
                        Ok(chat)
                            if chat.title == hearth_core::NEW_CHAT_TITLE
                                && chat.current_leaf.is_some() =>
                        {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await
                        }
                        _ => break,
                    }
                }
            }
            Conversation::Unsaved { engine, .. } => engine.shutdown().await,
        }
    }
}

fn opening(system: &str) -> Vec<ChatMessage> {
    if system.trim().is_empty() {
        Vec::new()
    } else {
        vec![ChatMessage::new(Role::System, system)]
    }
}

/// Streams a reply straight from the engine. Returns its text, or `None` when stopped before
/// any text.
async fn stream_unsaved(
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
    let done = loop {
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
                print_piece(&text);
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
    let t = done.timings;
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
    report(&Summary {
        generated: i64::from(t.generated_tokens),
        generation_ms: t.generation_ms,
        prompt_tokens: i64::from(t.prompt_tokens),
        prompt_ms: t.prompt_ms,
        notes,
    });
    if done.finish == FinishReason::Cancelled && reply.is_empty() {
        return Ok(None);
    }
    Ok(Some(reply))
}

fn print_piece(text: &str) {
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

fn report(s: &Summary) {
    let tps = if s.generation_ms > 0.0 {
        s.generated as f64 * 1000.0 / s.generation_ms
    } else {
        0.0
    };
    let notes = if s.notes.is_empty() {
        String::new()
    } else {
        format!("; {}", s.notes.join("; "))
    };
    eprintln!(
        "[{tps:.1} tokens/s, {} tokens; prompt {} tokens in {:.2} s{notes}]",
        s.generated,
        s.prompt_tokens,
        s.prompt_ms / 1000.0
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
