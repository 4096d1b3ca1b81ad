//! hearth-cli: Hearth's terminal front door — chat with a local model, manage models and chats,
//! or benchmark a model.
//!
//! Errors are reported once, here, as one line on stderr with a non-zero exit.

mod api_key;
mod bench;
mod chat;
mod chats;
mod docs;
mod interrupts;
mod models;
mod options;
mod providers;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Private ChatGPT-style chat with open models on your own CPU.
#[derive(Parser)]
#[command(name = "hearth-cli", version, about, propagate_version = true)]
struct Cli {
    /// Log details (llama.cpp's own log included) to stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Where Hearth keeps chats and models (default: the OS's data folder, or HEARTH_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Chat with a model: one reply with --prompt, else an interactive conversation.
    Chat(chat::ChatArgs),
    /// Measure prompt processing and generation speed, as llama.cpp's llama-bench does.
    Bench(bench::BenchArgs),
    /// Serve the local OpenAI-compatible API (/v1/models, /v1/chat/completions, /v1/completions).
    Serve(serve::ServeArgs),
    /// Models: catalog, pull, list, inspect, import, verify, rm.
    Models(models::ModelsArgs),
    /// The saved chat history: list, show, search, export, import, rm.
    #[command(subcommand)]
    Chats(chats::ChatsCommand),
    /// The local API's key (for OpenAI clients); `--new` replaces it.
    ApiKey(api_key::ApiKeyArgs),
    /// LocalDocs: collections of your documents — add, list, index, search, rm, rebuild.
    #[command(subcommand)]
    Docs(docs::DocsCommand),
    /// Models on other machines: add, list, models, rm (keys go to the system keychain).
    #[command(subcommand)]
    Providers(providers::ProvidersCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if !matches!(
        cli.command,
        Command::Chat(_) | Command::Bench(_) | Command::Serve(_) | Command::Docs(_)
    ) {
        quiet_on_closed_pipe();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Chat(args) => chat::run(args, cli.data_dir).await,
            Command::Chats(command) => chats::run(command, cli.data_dir).await,
            Command::Models(args) => models::run(args, cli.data_dir).await,
            Command::Serve(args) => serve::run(args, cli.data_dir).await,
            Command::Bench(args) => bench::run(args, cli.data_dir).await,
            Command::ApiKey(args) => api_key::run(args, cli.data_dir).await,
            Command::Docs(command) => docs::run(command, cli.data_dir).await,
            Command::Providers(command) => providers::run(command, cli.data_dir).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}{}", hint(&e));
            ExitCode::FAILURE
        }
    }
}

/// What to do next, in this program's words, for the kinds of failure whose messages (shared
/// with the window) do not say it.
fn hint(e: &anyhow::Error) -> &'static str {
    use hearth_core::ErrorKind;
    let kind = e.chain().find_map(|cause| {
        cause
            .downcast_ref::<hearth_core::CoreError>()
            .map(hearth_core::CoreError::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<hearth_core::model_manager::ModelsError>()
                    .map(|m| match m {
                        hearth_core::model_manager::ModelsError::NotInstalled(_) => {
                            ErrorKind::ModelNotInstalled
                        }
                        hearth_core::model_manager::ModelsError::UnknownModel(_) => {
                            ErrorKind::UnknownModel
                        }
                        _ => ErrorKind::Internal,
                    })
            })
    });
    match kind {
        Some(ErrorKind::ModelNotInstalled) => "; `hearth-cli models list` shows what is installed",
        Some(ErrorKind::UnknownModel) => "; `hearth-cli models catalog` lists them",
        _ => "",
    }
}

/// `hearth-cli models list | head` ends quietly, as Unix tools do, instead of panicking in
/// `println!`. Only for commands that talk to no worker: a write to a dead worker's pipe must
/// stay an error, not kill the program.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_logging(verbose: bool) {
    let default = if verbose { "debug" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
