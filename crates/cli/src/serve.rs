//! `hearth-cli serve`: the local OpenAI-compatible API.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use hearth_core::api::{self, ApiConfig, ApiKey, ALLOWED_ORIGINS_SETTING, SAVE_HISTORY_SETTING};
use hearth_core::model_manager::DownloadSettings;
use hearth_core::{App, AppOptions, DataDir};

use crate::interrupts::Interrupts;

/// Where and how to serve.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback lets other computers in (they still need the token).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = api::DEFAULT_PORT)]
    port: u16,
    /// API key to require (default: the one kept in settings, made on first start; see
    /// `hearth-cli api-key`).
    #[arg(long)]
    token: Option<String>,
    /// Let web pages from this origin call the API (repeatable; never "*").
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Save API conversations in the chat history.
    #[arg(long)]
    save_history: bool,
    /// Requests that may wait for the model before the server answers 429.
    #[arg(long, default_value_t = 16)]
    queue: usize,
    /// Seconds a client gets to send a request's headers (and an idle connection may stay).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    header_timeout: u64,
    /// Use this catalog file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// How many times a download that cannot reach its server tries again before it gives up.
    #[arg(long, default_value_t = DownloadSettings::default().retries, value_name = "N")]
    download_retries: u32,
    /// The built web UI to serve (default: HEARTH_UI_DIR, else `ui/` beside this program).
    #[arg(long, value_name = "DIR")]
    ui: Option<PathBuf>,
    /// Serve only the OpenAI-compatible API, not the web UI.
    #[arg(long)]
    no_ui: bool,
    /// Open the web UI in the default browser once the server is up.
    #[arg(long)]
    open: bool,
}

/// Where the built web UI is, if anywhere: never a path compiled into the program (a build
/// machine's folder that someone else could create on this one).
fn find_ui(explicit: Option<PathBuf>) -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("ui")));
    explicit
        .into_iter()
        .chain(std::env::var_os("HEARTH_UI_DIR").map(PathBuf::from))
        .chain(beside)
        .find(|dir| dir.join("index.html").is_file())
}

/// Serves until Ctrl-C.
pub async fn run(args: ServeArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    if args.allow_origins.iter().any(|o| o.trim() == "*") {
        anyhow::bail!(
            "--allow-origin \"*\" would let any web page use your models; list each origin instead"
        );
    }
    let options = AppOptions {
        catalog: args.catalog.clone(),
        downloads: DownloadSettings {
            retries: args.download_retries,
            ..DownloadSettings::default()
        },
        ..AppOptions::default()
    };
    let app = App::open_with(DataDir::resolve(data_dir.as_deref())?, options).await?;
    // Document collections are kept up to date while the server runs, as in the window.
    let docs = app.docs().clone();
    tokio::spawn(async move { docs.watch_all(std::future::pending()).await });
    let store = app.hearth().store();
    let (key, token) = match args.token {
        Some(token) if token.trim().len() >= 8 => (
            ApiKey::Fixed(token.trim().to_owned()),
            token.trim().to_owned(),
        ),
        Some(_) => anyhow::bail!("--token must be at least 8 characters"),
        None => (ApiKey::Saved, app.api_key().await?),
    };
    let mut allowed_origins = store
        .setting::<Vec<String>>(ALLOWED_ORIGINS_SETTING)
        .await?
        .unwrap_or_default();
    allowed_origins.extend(args.allow_origins);
    let save_history = args.save_history
        || store
            .setting::<bool>(SAVE_HISTORY_SETTING)
            .await?
            .unwrap_or(false);
    let ui_dir = if args.no_ui { None } else { find_ui(args.ui) };
    let config = ApiConfig {
        host: args.host.clone(),
        ui_dir: ui_dir.clone(),
        allowed_origins,
        queue_limit: args.queue,
        save_history,
        header_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
        ..ApiConfig::new(key)?
    };
    let ui_token = config.ui_token.clone();
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        eprintln!("warning: listening on {addr}, reachable from other computers; anyone with the token can use your models");
    }
    let mut out = std::io::stdout();
    writeln!(out, "Hearth API on http://{addr}/v1")?;
    writeln!(out, "token: {token}")?;
    match &ui_dir {
        Some(_) => {
            // The page gets its own session token: the API key cannot read chats.
            let page = format!("http://{addr}/#token={ui_token}");
            writeln!(out, "Hearth in your browser: {page}")?;
            if args.open {
                if let Err(e) = opener::open_browser(&page) {
                    eprintln!("note: could not open a browser ({e}); open the address above yourself");
                }
            }
        }
        None if !args.no_ui => eprintln!("note: the web UI is not built (cd ui && npm ci && npm run build); serving the API only"),
        None => {}
    }
    writeln!(
        out,
        "(OpenAI clients: base_url=\"http://{addr}/v1\", api_key=<the token>; Ctrl-C stops)"
    )?;
    out.flush()?;
    let mut interrupts = Interrupts::install()?;
    api::serve(
        listener,
        app,
        config,
        async move { interrupts.next().await },
    )
    .await?;
    Ok(())
}
