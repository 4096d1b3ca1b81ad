//! `hearth-cli chat`: one reply, or an interactive conversation, saved in the chat history
//! unless `--no-save`. It goes through the same [`App`] as the window, so the system prompt and
//! generation settings saved in Settings apply here too; flags given on the command line win.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use hearth_core::{App, ChatModel, CoreEvent, DataDir, Id, MessageStatus};
use hearth_engine::{ChatMessage, FinishReason, GenerationEvent, Input, Role, SamplingParams};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::interrupts::Interrupts;
use crate::options::ModelArgs;

/// Options of `hearth-cli chat`.
#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Ask this, print the reply and exit.
    #[arg(long, short)]
    prompt: Option<String>,
    /// System prompt (default: the one in Settings); an empty one lets the model's template
    /// use its own default.
    #[arg(long)]
    system: Option<String>,
    /// Continue the saved chat with this id (see `hearth-cli chats list`).
    #[arg(long)]
    chat: Option<Id>,
    /// Do not save this conversation.
    #[arg(long, conflicts_with = "chat")]
    no_save: bool,
    /// Temperature; 0 always picks the most likely token (default: Settings, else 0.7).
    #[arg(long)]
    temp: Option<f32>,
    /// Keep only the k most likely tokens; 0 keeps all (default: Settings, else 40).
    #[arg(long)]
    top_k: Option<u32>,
    /// Nucleus sampling threshold (default: Settings, else 0.4).
    #[arg(long)]
    top_p: Option<f32>,
    /// Minimum probability relative to the most likely token (default: Settings, else 0).
    #[arg(long)]
    min_p: Option<f32>,
    /// Penalty for repeating recent tokens, 1 = none (default: Settings, else 1.18).
    #[arg(long)]
    repeat_penalty: Option<f32>,
    /// How many recent tokens the repeat penalty covers (default: Settings, else 64).
    #[arg(long)]
    repeat_last_n: Option<u32>,
    /// Seed for sampling (default: random).
    #[arg(long)]
    seed: Option<u32>,
    /// Most tokens in one reply (default: Settings, else 4096).
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Text that ends a reply (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Decode token by token, without drafts guessed from the conversation (prompt lookup);
    /// the reply is the same either way.
    #[arg(long)]
    no_lookup: bool,
    /// Decode without the draft model's guesses (speculative decoding); the reply is the same
    /// either way.
    #[arg(long)]
    no_draft: bool,
    /// Answer from these LocalDocs collections (see `hearth-cli docs list`); the passages
    /// used are listed after each reply.
    #[arg(long, num_args = 1..)]
    docs: Vec<String>,
}

impl ChatArgs {
    /// The flags given, over the saved settings.
    fn sampling(&self, saved: SamplingParams) -> SamplingParams {
        SamplingParams {
            temperature: self.temp.unwrap_or(saved.temperature),
            top_k: self.top_k.unwrap_or(saved.top_k),
            top_p: self.top_p.unwrap_or(saved.top_p),
            min_p: self.min_p.unwrap_or(saved.min_p),
            repeat_penalty: self.repeat_penalty.unwrap_or(saved.repeat_penalty),
            repeat_last_n: self.repeat_last_n.unwrap_or(saved.repeat_last_n),
            seed: self.seed.or(saved.seed),
            max_tokens: self.max_tokens.unwrap_or(saved.max_tokens),
            prompt_lookup: saved.prompt_lookup && !self.no_lookup,
            draft_model: saved.draft_model && !self.no_draft,
            stop: if self.stop.is_empty() {
                saved.stop.clone()
            } else {
                self.stop.clone()
            },
            ..saved
        }
    }
}

/// How a reply went, for the line printed after it.
struct Summary {
    generated: i64,
    generation_ms: f64,
    prompt_tokens: i64,
    /// Prompt tokens not read again (the engine's cache, or the chat's saved one).
    cached_tokens: i64,
    /// Tokens drafted from the conversation, and how many the model accepted.
    drafts: (i64, i64),
    prompt_ms: f64,
    notes: Vec<String>,
}

/// Where the conversation lives.
enum Conversation {
    /// Saved: every message goes into the chat history.
    Saved {
        app: App,
        chat_id: Id,
        model: ChatModel,
        system: String,
    },
    /// Not saved: the messages live here; replies come through the app without being written.
    Unsaved {
        app: App,
        model: ChatModel,
        messages: Vec<ChatMessage>,
        system: String,
        /// LocalDocs collections each question is answered from.
        docs: Vec<String>,
    },
}

pub async fn run(args: ChatArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    if args.prompt.as_deref().is_some_and(|p| p.trim().is_empty()) {
        bail!("the prompt is empty; type a question after --prompt");
    }
    let app = App::open(DataDir::resolve(data_dir.as_deref())?).await?;
    let mut model = args.model.chat_model(&app).await?;
    model.sampling = args.sampling(model.sampling.clone());
    model.sampling.validate()?;
    model.load.validate()?;
    let system = match &args.system {
        Some(system) => system.clone(),
        None => app.system_prompt().await?,
    };
    // Ctrl-C is ours from here on: it stops a reply, never the program mid-write.
    let mut interrupts = Interrupts::install()?;
    if let Some(notice) = app.startup_notice() {
        eprintln!("note: {notice}");
    }
    let docs = app.check_collections(&args.docs).await?;
    let info = match &model.remote {
        Some(target) => {
            if args.no_save {
                bail!("--no-save works with local models only for now; a chat with {} is saved like any other (`hearth-cli chats rm` removes it)", target.id());
            }
            None
        }
        None => {
            eprintln!("loading {} ...", model.path.display());
            let info = app.load(&model).await?;
            if let Some(note) = &info.template_note {
                eprintln!("note: {note}");
            }
            Some(info)
        }
    };
    let remote = model.remote.clone();
    let conversation = if args.no_save {
        Conversation::Unsaved {
            messages: opening(&system),
            app,
            model,
            system,
            docs,
        }
    } else {
        let chat_id = match args.chat {
            Some(id) => {
                let chat = app.chat(id).await?;
                eprintln!(
                    "continuing \"{}\" ({} messages)",
                    chat.chat.title,
                    chat.messages.len()
                );
                id
            }
            None => app.new_chat_with_prompt(&system).await?.id,
        };
        if !docs.is_empty() {
            app.set_chat_collections(chat_id, &docs).await?;
        }
        Conversation::Saved {
            app,
            chat_id,
            model,
            system,
        }
    };
    let mut conversation = conversation;
    match (&info, &remote) {
        (Some(info), _) => eprintln!(
            "{} ({} parameters), context {} tokens, {} threads",
            info.name.as_deref().unwrap_or(&info.architecture),
            human_count(info.n_params),
            info.n_ctx,
            info.n_threads
        ),
        (None, Some(target)) => eprintln!(
            "{} on the remote provider {} (your messages are sent there)",
            target.model, target.provider
        ),
        (None, None) => {}
    }

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
                app,
                chat_id,
                model,
                ..
            } => {
                let mut events = app.hearth().subscribe();
                let reply = app.send_with(*chat_id, text, model).await?;
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
                            Ok(CoreEvent::Notice { message, .. }) => eprintln!("note: {message}"),
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        },
                        _ = interrupts.next() => app.cancel(*chat_id),
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
                list_sources(&message.sources);
                let mut notes = Vec::new();
                if message.status == MessageStatus::Interrupted {
                    notes.push(message.error.unwrap_or_else(|| "stopped".into()));
                }
                report(&Summary {
                    generated: message.completion_tokens.unwrap_or(0),
                    generation_ms: message.generation_ms.unwrap_or(0.0),
                    prompt_tokens: message.prompt_tokens.unwrap_or(0),
                    cached_tokens: message.cached_tokens.unwrap_or(0),
                    drafts: (
                        message.drafted_tokens.unwrap_or(0),
                        message.accepted_tokens.unwrap_or(0),
                    ),
                    prompt_ms: message.prompt_ms.unwrap_or(0.0),
                    notes,
                });
                Ok(printed || message.status != MessageStatus::Interrupted)
            }
            Conversation::Unsaved {
                app,
                model,
                messages,
                docs,
                ..
            } => {
                messages.push(ChatMessage::new(Role::User, text));
                // The passages go to the model with this question only; the conversation
                // keeps the question as asked.
                let mut given = messages.clone();
                let sources = match app.with_documents(model, docs, &mut given).await {
                    Ok(sources) => sources,
                    Err(e) => {
                        messages.pop();
                        return Err(e.into());
                    }
                };
                let result = stream_unsaved(app, model, &given, interrupts).await;
                list_sources(&sources);
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
                app,
                chat_id,
                system,
                ..
            } => *chat_id = app.new_chat_with_prompt(system).await?.id,
            Conversation::Unsaved {
                messages, system, ..
            } => *messages = opening(system),
        }
        Ok(())
    }

    /// Lets a chat's automatic title finish, then stops the engine.
    async fn finish(self) {
        match self {
            Conversation::Saved { app, chat_id, .. } => {
                for _ in 0..100 {
                    match app.chat(chat_id).await {
                        Ok(view)
                            if view.chat.auto_title
                                && view
                                    .messages
                                    .iter()
                                    .any(|m| m.message.status == MessageStatus::Complete) =>
                        {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await
                        }
                        _ => break,
                    }
                }
                app.shutdown().await;
            }
            Conversation::Unsaved { app, .. } => app.shutdown().await,
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

/// Streams a reply that is not saved. Returns its text, or `None` when stopped before any text.
async fn stream_unsaved(
    app: &App,
    model: &ChatModel,
    messages: &[ChatMessage],
    interrupts: &mut Interrupts,
) -> anyhow::Result<Option<String>> {
    let mut generation = app
        .generate(
            model,
            Input::Chat {
                messages: messages.to_vec(),
            },
        )
        .await?;
    let mut reply = String::new();
    let done = loop {
        let step = tokio::select! {
            step = generation.next() => step,
            _ = interrupts.next() => {
                app.cancel_generation(generation.id());
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
        cached_tokens: i64::from(t.cached_tokens),
        drafts: (i64::from(t.drafted_tokens), i64::from(t.accepted_tokens)),
        prompt_ms: t.prompt_ms,
        notes,
    });
    if done.finish == FinishReason::Cancelled && reply.is_empty() {
        return Ok(None);
    }
    Ok(Some(reply))
}

/// The passages a reply was given, on stderr: `[1] /path/notes.md, lines 3–9 (Notes)`.
fn list_sources(sources: &[hearth_core::Source]) {
    for (i, s) in sources.iter().enumerate() {
        let place = s.place().map(|p| format!(", {p}")).unwrap_or_default();
        eprintln!("[{}] {}{place} ({})", i + 1, s.path, s.collection);
    }
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
    let mut notes = s.notes.clone();
    if s.drafts.0 > 0 {
        notes.push(format!(
            "{} of {} drafted tokens accepted",
            s.drafts.1, s.drafts.0
        ));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    };
    let cached = if s.cached_tokens > 0 {
        format!(" ({} already read)", s.cached_tokens)
    } else {
        String::new()
    };
    eprintln!(
        "[{tps:.1} tokens/s, {} tokens; prompt {} tokens{cached} in {:.3} s{notes}]",
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
