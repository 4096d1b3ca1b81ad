//! `hearth-cli docs`: LocalDocs collections — add, list, index (and watch), search, rename,
//! change the embedding model, rebuild, remove, and the files that could not be read.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use hearth_core::docs::{DocsEvent, IndexProgress, IndexReport, IndexState, Passage, SearchMode};
use hearth_core::{App, CoreError, DataDir, LocalDocs};
use indicatif::{ProgressBar, ProgressStyle};

use crate::interrupts::Interrupts;

/// What to do with document collections.
#[derive(Subcommand, Debug)]
pub enum DocsCommand {
    /// Make a collection of one or more folders (it is indexed by `docs index`).
    Add {
        /// Its name.
        name: String,
        /// Its folders.
        #[arg(required = true)]
        folders: Vec<PathBuf>,
        /// The embedding model (an installed one; `hearth-cli docs models` lists them).
        #[arg(long)]
        embedding_model: Option<String>,
    },
    /// List collections with what is indexed of them.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring a collection's index up to date (every collection when no name is given).
    Index {
        /// The collection.
        name: Option<String>,
        /// Keep following the folders and index what changes, until Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Find the passages that best answer a question.
    Search {
        /// The collection (several separated by commas).
        name: String,
        /// The question.
        query: String,
        /// How many passages.
        #[arg(short, default_value_t = 5)]
        k: usize,
        /// How to search.
        #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
        mode: Mode,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// The files of a collection that gave no text, and why.
    Unreadable {
        /// The collection.
        name: String,
    },
    /// The installed embedding models.
    Models,
    /// Embed a collection with another model (its index is rebuilt by the next `docs index`).
    Model {
        /// The collection.
        name: String,
        /// The embedding model.
        model: String,
    },
    /// Rename a collection.
    Rename {
        /// Its name now.
        name: String,
        /// Its new name.
        new_name: String,
    },
    /// Drop a collection's index; the next `docs index` reads every file again.
    Rebuild {
        /// The collection.
        name: String,
    },
    /// Remove a collection and its index (the documents stay where they are).
    Rm {
        /// The collection.
        name: String,
    },
}

/// Search methods.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    /// Sentence vectors and keywords together.
    Hybrid,
    /// Sentence vectors only.
    Vector,
    /// Keywords only.
    Keyword,
}

impl From<Mode> for SearchMode {
    fn from(mode: Mode) -> SearchMode {
        match mode {
            Mode::Hybrid => SearchMode::Hybrid,
            Mode::Vector => SearchMode::Vector,
            Mode::Keyword => SearchMode::Keyword,
        }
    }
}

pub async fn run(command: DocsCommand, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let app = App::open(DataDir::resolve(data_dir.as_deref())?).await?;
    let result = run_on(&app, command).await;
    app.shutdown().await;
    result
}

async fn run_on(app: &App, command: DocsCommand) -> anyhow::Result<()> {
    let docs = app.docs();
    match command {
        DocsCommand::Add {
            name,
            folders,
            embedding_model,
        } => {
            let collection = docs
                .add(&name, &folders, embedding_model.as_deref())
                .await?;
            println!(
                "added {:?} ({} folder(s), embedded with {}); run `hearth-cli docs index {:?}` to read it",
                collection.name,
                collection.folders.len(),
                collection.embedding_model,
                collection.name
            );
        }
        DocsCommand::List { json } => {
            let list = docs.list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            if list.is_empty() {
                eprintln!("no collections yet; `hearth-cli docs add NAME FOLDER` makes one");
            }
            for c in list {
                println!(
                    "{}  {} files, {} passages, {} unreadable  [{}]  {}",
                    c.collection.name,
                    c.files,
                    c.chunks,
                    c.unreadable,
                    c.collection.embedding_model,
                    c.collection.folders.join(", ")
                );
            }
        }
        DocsCommand::Index { name, watch } => {
            let names = match name {
                Some(name) => vec![name],
                None => docs
                    .list()
                    .await?
                    .into_iter()
                    .map(|c| c.collection.name)
                    .collect(),
            };
            if watch {
                let [name] = names.as_slice() else {
                    anyhow::bail!("--watch follows one collection; name it");
                };
                return watch_one(docs, name).await;
            }
            for name in names {
                index_one(docs, &name).await?;
            }
        }
        DocsCommand::Search {
            name,
            query,
            k,
            mode,
            json,
        } => {
            let names: Vec<&str> = name.split(',').map(str::trim).collect();
            let passages = docs.search(&names, &query, k, mode.into()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&passages)?);
            } else {
                print_passages(&passages);
            }
        }
        DocsCommand::Unreadable { name } => {
            let files = docs.unreadable(&name).await?;
            if files.is_empty() {
                eprintln!("every file of {name:?} was read");
            }
            for f in files {
                println!("{}: {}", f.path, f.message);
            }
        }
        DocsCommand::Models => {
            let models = docs.embedding_models()?;
            if models.is_empty() {
                eprintln!("no embedding model is installed; `hearth-cli models pull nomic-embed-text-v1.5` (English) or `hearth-cli models pull bge-m3` (Chinese and other languages)");
            }
            for m in models {
                println!("{}  {}", m.id, m.name);
            }
        }
        DocsCommand::Model { name, model } => {
            docs.set_embedding_model(&name, &model).await?;
            println!("{name:?} is now embedded with {model}; run `hearth-cli docs index {name:?}` to rebuild its index");
        }
        DocsCommand::Rename { name, new_name } => {
            docs.rename(&name, &new_name).await?;
            println!("renamed {name:?} to {new_name:?}");
        }
        DocsCommand::Rebuild { name } => {
            docs.rebuild(&name).await?;
            println!("the index of {name:?} is dropped; run `hearth-cli docs index {name:?}` to build it again");
        }
        DocsCommand::Rm { name } => {
            docs.remove(&name).await?;
            println!("removed {name:?} (your documents are untouched)");
        }
    }
    Ok(())
}

/// Indexes one collection with a progress bar; Ctrl-C stops it, keeping what was done.
async fn index_one(docs: &LocalDocs, name: &str) -> anyhow::Result<()> {
    let mut interrupts = Interrupts::install()?;
    let bar = progress_bar();
    let shown = show_progress(docs, bar.clone());
    let control = docs.control().clone();
    let stopper = tokio::spawn(async move {
        interrupts.next().await;
        control.set(IndexState::Stop);
    });
    let result = docs.index(name).await;
    stopper.abort();
    shown.abort();
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            print_report(name, &report);
            Ok(())
        }
        Err(CoreError::Docs(hearth_core::docs::DocsError::Stopped)) => {
            eprintln!("stopped; what was read is kept, and `hearth-cli docs index {name:?}` goes on from there");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Indexes a collection, then again whenever its folders change, until Ctrl-C.
async fn watch_one(docs: &LocalDocs, name: &str) -> anyhow::Result<()> {
    let mut interrupts = Interrupts::install()?;
    let bar = progress_bar();
    let shown = show_progress(docs, bar.clone());
    eprintln!("following {name:?}; Ctrl-C stops");
    let control = docs.control().clone();
    let (pressed, mut stop) = tokio::sync::watch::channel(false);
    // Stops a run going on at once, and the watching after it.
    let stopper = tokio::spawn(async move {
        interrupts.next().await;
        control.set(IndexState::Stop);
        let _ = pressed.send(true);
    });
    let stop = async move {
        let _ = stop.wait_for(|pressed| *pressed).await;
    };
    let result = docs
        .watch(name, stop, |outcome| match outcome {
            Ok(report) => {
                bar.set_message("");
                if report.files_read + report.files_removed + report.unreadable > 0 {
                    bar.suspend(|| print_report(name, &report));
                }
            }
            Err(CoreError::Docs(hearth_core::docs::DocsError::Stopped)) => {}
            Err(e) => bar.suspend(|| eprintln!("indexing {name:?} failed: {e}")),
        })
        .await;
    stopper.abort();
    shown.abort();
    bar.finish_and_clear();
    Ok(result?)
}

fn print_report(name: &str, r: &IndexReport) {
    println!(
        "{name}: {} files read, {} unchanged, {} removed, {} unreadable; {} passages ({:.1} MB of text) in {:.1} s",
        r.files_read,
        r.files_unchanged,
        r.files_removed,
        r.unreadable,
        r.chunks,
        r.text_bytes as f64 / 1e6,
        r.seconds
    );
    if r.unreadable > 0 {
        println!("  `hearth-cli docs unreadable {name:?}` says why each file gave nothing");
    }
}

fn print_passages(passages: &[Passage]) {
    if passages.is_empty() {
        eprintln!("nothing found");
    }
    for (i, p) in passages.iter().enumerate() {
        let place = match (p.page, p.line_start, p.line_end) {
            (Some(page), _, _) => format!("page {page}"),
            (None, Some(a), Some(b)) => format!("lines {a}-{b}"),
            _ => String::new(),
        };
        println!("{}. {}  {place}  (score {:.4})", i + 1, p.path, p.score);
        if let Some(h) = &p.heading {
            println!("   {h}");
        }
        let text: String = p.text.chars().take(400).collect();
        for line in text.lines() {
            println!("   {line}");
        }
        println!();
    }
}

fn progress_bar() -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} files  {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Shows indexing events on `bar` until aborted.
fn show_progress(docs: &LocalDocs, bar: ProgressBar) -> tokio::task::JoinHandle<()> {
    let mut events = docs.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(DocsEvent::Indexing {
                    progress:
                        IndexProgress {
                            files_done,
                            files_total,
                            chunks_done,
                            chunks_per_sec,
                            eta_secs,
                            current_file,
                        },
                    ..
                }) => {
                    bar.set_length(files_total);
                    bar.set_position(files_done);
                    let eta = eta_secs.map_or(String::new(), |s| format!(", ETA {s} s"));
                    let file = current_file
                        .as_deref()
                        .and_then(|f| std::path::Path::new(f).file_name())
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    bar.set_message(format!(
                        "{chunks_done} passages, {chunks_per_sec:.1}/s{eta}  {file}"
                    ));
                }
                Ok(DocsEvent::Paused { .. }) => bar.set_message("waiting for a reply to finish"),
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    })
}
