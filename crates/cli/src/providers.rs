//! `hearth-cli providers`: models on other machines — add a server (a preset or any
//! OpenAI-compatible address), list them, list a server's models, remove one (and its key).
//! A model on a provider is then `provider:model`, as in `hearth-cli chat --model gpu-box:llama`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use hearth_core::providers::{Keeping, PRESETS};
use hearth_core::{App, DataDir, NewProvider};

/// What to do with remote providers.
#[derive(Subcommand, Debug)]
pub enum ProvidersCommand {
    /// Add a server; its model list is fetched first to check the address and the key.
    Add(AddArgs),
    /// The providers added, and where their keys are kept.
    List,
    /// The models a provider serves now.
    Models {
        /// The provider's name.
        name: String,
    },
    /// Remove a provider and delete its key from the keychain.
    Rm {
        /// The provider's name.
        name: String,
    },
}

/// Options of `hearth-cli providers add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// A short name: letters, digits, '-', '_', '.' (its models become NAME:MODEL).
    name: String,
    /// compatible (vLLM, llama-server, Ollama, LM Studio, Hearth), openai, groq, mistral,
    /// openrouter or deepseek.
    #[arg(long, default_value = "compatible")]
    preset: String,
    /// The server's address, such as http://192.168.1.20:8000/v1 (a preset has its own).
    #[arg(long)]
    url: Option<String>,
    /// Read the API key from this environment variable (a key on the command line would be
    /// visible to other programs).
    #[arg(long, value_name = "VAR", conflicts_with = "api_key_stdin")]
    api_key_env: Option<String>,
    /// Read the API key from the first line of standard input.
    #[arg(long)]
    api_key_stdin: bool,
    /// Add it without asking the server first (it may be switched off now).
    #[arg(long)]
    no_check: bool,
    /// Where no system keychain answers, keep keys in a file only you can read (in the data
    /// folder) instead of refusing.
    #[arg(long)]
    keep_key_in_file: bool,
}

pub async fn run(command: ProvidersCommand, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let app = App::open(DataDir::resolve(data_dir.as_deref())?).await?;
    let result = match command {
        ProvidersCommand::Add(args) => add(&app, args).await,
        ProvidersCommand::List => list(&app).await,
        ProvidersCommand::Models { name } => {
            let models = app.provider_models(&name).await?;
            if models.is_empty() {
                eprintln!("{name} lists no models");
            }
            for model in models {
                println!("{name}:{}", model.id);
            }
            Ok(())
        }
        ProvidersCommand::Rm { name } => {
            app.remove_provider(&name).await?;
            eprintln!("removed {name} and its key");
            Ok(())
        }
    };
    app.shutdown().await;
    result
}

async fn add(app: &App, args: AddArgs) -> anyhow::Result<()> {
    let api_key = match (&args.api_key_env, args.api_key_stdin) {
        (Some(var), _) => Some(
            std::env::var(var)
                .with_context(|| format!("the environment variable {var} is not set"))?,
        ),
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the key from standard input")?;
            Some(line)
        }
        (None, false) => None,
    };
    if args.keep_key_in_file {
        app.set_keys_in_file(true).await?;
    }
    if api_key.is_some() {
        let view = app.providers().await?;
        // A key kept only for this program's run would be gone when the command ends.
        if view.keeping == Keeping::Session {
            bail!(
                "no system keychain answers here (on Linux: a Secret Service such as GNOME Keyring or KWallet), so the key could not be kept; pass --keep-key-in-file to keep it in {}, readable only by you",
                view.key_file
            );
        }
    }
    let added = app
        .add_provider(
            NewProvider {
                name: args.name,
                preset: args.preset,
                base_url: args.url,
                api_key,
            },
            !args.no_check,
        )
        .await?;
    let provider = &added.provider;
    if added.keeping == Some(Keeping::Session) {
        // The keychain answered but refused the key (a locked keyring): it would be gone when
        // this command ends, so the provider is not kept either.
        app.remove_provider(&provider.name).await?;
        bail!(
            "the system keychain refused to keep the key (is it locked? unlock it and try again), so {} was not added; or pass --keep-key-in-file to keep the key in {}, readable only by you",
            provider.name,
            app.providers().await?.key_file
        );
    }
    eprintln!("added {} ({})", provider.name, provider.base_url);
    if let Some(warning) = &added.warning {
        eprintln!("warning: {warning}");
    }
    match added.keeping {
        Some(Keeping::Keychain) => eprintln!("its key is kept in the system keychain"),
        Some(Keeping::File) => eprintln!(
            "its key is kept in {}, readable only by you (no system keychain answers here)",
            app.providers().await?.key_file
        ),
        Some(Keeping::Session) => eprintln!("its key is kept only while this program runs"),
        None => {}
    }
    if !args.no_check {
        eprintln!("{} model(s):", added.models.len());
        for model in &added.models {
            println!("{}:{}", provider.name, model.id);
        }
    }
    Ok(())
}

async fn list(app: &App) -> anyhow::Result<()> {
    let view = app.providers().await?;
    if view.providers.is_empty() {
        let presets: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
        eprintln!(
            "no remote providers; add one with `hearth-cli providers add NAME --url URL` or --preset ({})",
            presets.join(", ")
        );
        return Ok(());
    }
    println!("{:<16} {:<12} {:<8} ADDRESS", "NAME", "PRESET", "KEY");
    for p in &view.providers {
        let key = if p.has_key { "kept" } else { "none" };
        println!("{:<16} {:<12} {:<8} {}", p.name, p.preset, key, p.base_url);
    }
    Ok(())
}
